//! Strand-resolved allele counting over many clones: `mitosieve count`.
//!
//! Work is split into units of one input × one genome window; [rayon] runs them in
//! parallel, each with its own reader, and the merge adds their dense arrays in window
//! order. Counting is addition, so the result is the same for any thread count and any
//! window size (a property the tests check).
//!
//! ```
//! use mitosieve::count::{count, Allele, CountConfig, FWD, REV};
//! use mitosieve::sim::{simulate, SimSpec};
//!
//! // A clone with m.3243A>G in 40% of its molecules, simulated at 60x.
//! let dir = tempfile::tempdir()?;
//! let spec = SimSpec::from_toml_str(r#"
//!     [[clones]]
//!     name = "clone01"
//!     depth = 60
//!     haplotypes = [{ fraction = 0.4, snvs = ["3243A>G"] }]
//! "#)?;
//! let bam = simulate(&spec, dir.path(), 1)?.clones[0].bam.clone();
//!
//! let config = CountConfig { threads: 2, ..CountConfig::default() };
//! let clones = count(&[bam], &config)?;
//! let c = &clones[0];
//! let site = c.counts.site(mitosieve::Position::new(3243).unwrap());
//! let (g, depth) = (site.allele(Allele::G), site.depth());
//! assert_eq!(c.name, "clone01");
//! assert!(depth > 30 && g > 0 && g < depth);
//! assert_eq!(g, site.allele_strand(Allele::G, FWD) + site.allele_strand(Allele::G, REV));
//! println!("{}: depth {depth} at m.3243, {g} G ({} reads used)", c.name, c.summary.reads.used);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod block;
mod counts;
pub mod file;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod overlap;
mod refcodes;
mod summary;
mod unit;
mod walker;

pub use counts::{
    sort_indels, Allele, Counts, IndelKey, IndelMap, SiteCounts, FWD, INS, LOWQ, REV,
};
pub use overlap::OverlapMode;
pub use summary::{
    BasesSummary, CountSettings, CountSummary, DepthSummary, ReadsSummary, RunInfo, SplitSummary,
};
pub use unit::Unassigned;

use crate::error::{Error, Result};
use crate::filter::{ReadFilter, ReadTally};
use crate::input::{inspect, sanitize_clone_name, InputInfo, InputOptions, NameSource};
use crate::reference::MT_LENGTH;
use overlap::{commit_pair, commit_single};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use unit::{run_fast, run_pipelined, run_unit, Grouper, UnitOutput};
use walker::DirectSink;

/// Settings for [`count`].
#[derive(Clone, Debug)]
pub struct CountConfig {
    /// Read and base filters.
    pub filter: ReadFilter,
    /// How overlapping mates are counted.
    pub overlaps: OverlapMode,
    /// Contig, CRAM reference, and how to split multiplexed files.
    pub input: InputOptions,
    /// With a split: count only these groups (e.g. a cell-barcode whitelist).
    pub groups: Option<Vec<String>>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Genome window per work unit in bp (`None`: chosen from the thread count).
    pub window: Option<u32>,
    /// Collect evidence for large deletions in the same pass (split and clipped reads,
    /// discordant pairs, read starts and ends).
    pub deletion_evidence: bool,
}

impl Default for CountConfig {
    fn default() -> Self {
        CountConfig {
            filter: ReadFilter::default(),
            overlaps: OverlapMode::Fragment,
            input: InputOptions::default(),
            groups: None,
            threads: 0,
            window: None,
            deletion_evidence: true,
        }
    }
}

/// Counts and summary of one clone.
#[derive(Clone, Debug)]
pub struct CloneCounts {
    /// Clone name (safe as a file name).
    pub name: String,
    /// Per-position counts.
    pub counts: Counts,
    /// What was read, dropped and covered.
    pub summary: CountSummary,
}

/// Receives progress and warnings while counting. Every method has a no-op default.
pub trait Observer: Sync {
    /// Something the user should know that does not stop the run.
    fn warn(&self, _message: &str) {}
    /// Counting of input `source` (index into the inputs) starts; `total` is its number
    /// of progress units.
    fn source_started(&self, _source: usize, _label: &str, _total: u64) {}
    /// `delta` more progress units of `source` are done.
    fn progress(&self, _source: usize, _delta: u64) {}
    /// Input `source` is done.
    fn source_finished(&self, _source: usize) {}
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;
impl Observer for Silent {}

/// Everything a counting run produced, apart from the counts handed to the sink.
#[derive(Clone, Debug, Default)]
pub struct CountRun {
    /// One summary per clone, in input order (clones of a split input by name).
    pub clones: Vec<CountSummary>,
    /// One entry per split input.
    pub splits: Vec<SplitSummary>,
    /// Warnings (also sent to the observer).
    pub warnings: Vec<String>,
}

/// Count every clone of `inputs` and return the counts in input order.
///
/// Holds every clone's counts in memory (about 2.7 MB each); for many clones prefer
/// [`count_streaming`], which hands each clone to a sink as soon as it is done. See the
/// [module](self) for an example.
///
/// ```no_run
/// use mitosieve::count::{count, CountConfig};
/// let clones = count(&["clone01.bam".into(), "clone02.bam".into()], &CountConfig::default())?;
/// for c in &clones {
///     println!("{}: mean depth {:.0}", c.name, c.summary.depth.mean);
/// }
/// # Ok::<(), mitosieve::Error>(())
/// ```
pub fn count(inputs: &[PathBuf], config: &CountConfig) -> Result<Vec<CloneCounts>> {
    let out = Mutex::new(Vec::new());
    let run = count_streaming(inputs, config, &Silent, |c| {
        out.lock()
            .expect("no panics while holding the lock")
            .push(c);
        Ok(())
    })?;
    let mut clones = out.into_inner().expect("no panics while holding the lock");
    let order: HashMap<&str, usize> = run
        .clones
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone.as_str(), i))
        .collect();
    clones.sort_by_key(|c| order.get(c.name.as_str()).copied().unwrap_or(usize::MAX));
    Ok(clones)
}

/// The counts file of a clone in an output directory.
///
/// ```
/// let p = mitosieve::count::counts_path("counts".as_ref(), "clone01");
/// assert_eq!(p, std::path::Path::new("counts/clone01.counts.tsv.gz"));
/// ```
pub fn counts_path(dir: &Path, clone: &str) -> PathBuf {
    dir.join(format!("{clone}.counts.tsv.gz"))
}

/// The summary file of a clone in an output directory.
///
/// ```
/// let p = mitosieve::count::summary_path("counts".as_ref(), "clone01");
/// assert_eq!(p, std::path::Path::new("counts/clone01.summary.json"));
/// ```
pub fn summary_path(dir: &Path, clone: &str) -> PathBuf {
    dir.join(format!("{clone}.summary.json"))
}

/// Inspect every input (in parallel) and check that clone names are unique.
///
/// ```
/// use mitosieve::count::inspect_inputs;
/// use mitosieve::input::InputOptions;
/// let dir = tempfile::tempdir()?;
/// let spec = mitosieve::sim::SimSpec::from_toml_str("[[clones]]\nname = \"c1\"\ndepth = 2\n")?;
/// let bam = mitosieve::sim::simulate(&spec, dir.path(), 1)?.clones[0].bam.clone();
/// let info = &inspect_inputs(&[bam.clone()], &InputOptions::default())?[0];
/// assert_eq!((info.contig.as_str(), info.clone_name.as_str(), info.indexed), ("chrM", "c1", true));
/// // The same clone twice is refused.
/// assert!(inspect_inputs(&[bam.clone(), bam], &InputOptions::default()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn inspect_inputs(inputs: &[PathBuf], opts: &InputOptions) -> Result<Vec<InputInfo>> {
    if inputs.is_empty() {
        return Err(Error::Config("no input files given".into()));
    }
    let infos: Vec<Result<InputInfo>> = inputs.par_iter().map(|p| inspect(p, opts)).collect();
    let infos: Vec<InputInfo> = infos.into_iter().collect::<Result<_>>()?;
    if opts.split_by.is_none() {
        let mut seen: HashMap<String, &Path> = HashMap::new();
        for info in &infos {
            let name = sanitize_clone_name(&info.clone_name).name;
            if let Some(first) = seen.insert(name.clone(), &info.path) {
                return Err(Error::DuplicateClone {
                    name,
                    first: first.to_owned(),
                    second: info.path.clone(),
                });
            }
        }
    }
    Ok(infos)
}

/// Count every clone of `inputs`, handing each to `sink` as soon as it is complete
/// (from a worker thread). Memory stays bounded by the clones in flight.
///
/// This is how `mitosieve count` writes one counts file per clone without holding
/// them all:
///
/// ```
/// use mitosieve::count::{count_streaming, counts_path, file, CountConfig, Silent};
/// let dir = tempfile::tempdir()?;
/// let spec = mitosieve::sim::SimSpec::from_toml_str(
///     "[[clones]]\nname = \"c1\"\ndepth = 10\n[[clones]]\nname = \"c2\"\ndepth = 10\n",
/// )?;
/// let plate = mitosieve::sim::simulate(&spec, dir.path(), 1)?;
/// let bams: Vec<_> = plate.clones.iter().map(|c| c.bam.clone()).collect();
/// let out = dir.path().join("counts");
/// std::fs::create_dir(&out)?;
/// let run = count_streaming(&bams, &CountConfig::default(), &Silent, |c| {
///     file::write(&counts_path(&out, &c.name), &file::CountsHeader::for_clone(&c), &c.counts)
/// })?;
/// assert_eq!(run.clones.len(), 2);
/// assert!(counts_path(&out, "c2").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn count_streaming<F>(
    inputs: &[PathBuf],
    config: &CountConfig,
    observer: &dyn Observer,
    sink: F,
) -> Result<CountRun>
where
    F: Fn(CloneCounts) -> Result<()> + Sync,
{
    let threads = if config.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        config.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::System(format!("cannot start {threads} threads: {e}")))?;
    pool.install(|| count_in_pool(inputs, config, threads, observer, &sink))
}

/// Most counters one BAM's reads are dealt to (each holds its own counts arrays,
/// about 2.5 MB).
const MAX_SHARES: usize = 8;

/// How one input is read.
#[derive(Clone, Debug)]
enum Plan {
    /// One reader per genome window (`--window`; with an index, each window jumps to
    /// its start).
    Windows(Vec<(u32, u32)>),
    /// One reader, counting spread over the pool in batches (few inputs, many threads);
    /// htslib decodes on `hts_threads` threads of its own.
    Pipelined { hts_threads: usize },
    /// One reader, counted by the thread that reads (as many inputs as threads, or
    /// more).
    Whole,
    /// A BAM read by [`crate::input::bgzf`] (the default for BAM); `parallel`: with
    /// fewer inputs than threads, its blocks are inflated in parallel on the pool while
    /// the previous ones are counted.
    Fast { parallel: bool, shares: u32 },
}

/// Choose how to read each input: a BAM through the project's BGZF reader (one pass;
/// a BAI index maps the whole 16.5-kb mt contig to one 16-kb linear-index window, so
/// window readers would inflate the first window's blocks twice); `--window` forces
/// htslib window readers; CRAM and SAM are read by htslib, pipelined when there are
/// threads to spare.
fn plan_for(info: &InputInfo, config: &CountConfig, threads: usize, n_sources: usize) -> Plan {
    if let Some(w) = config.window {
        if info.indexed {
            let size = w.clamp(1, MT_LENGTH);
            return Plan::Windows(
                (0..MT_LENGTH)
                    .step_by(size as usize)
                    .map(|s| (s, (s + size).min(MT_LENGTH)))
                    .collect(),
            );
        }
    }
    if info.format == crate::input::Format::Bam && cfg!(target_endian = "little") {
        Plan::Fast {
            parallel: n_sources < threads,
            // The threads an input has to itself count its reads side by side, less
            // one that inflates the next segment meanwhile (at two threads: one
            // counter, and no thread scans records it does not count).
            shares: (threads / n_sources).saturating_sub(1).clamp(1, MAX_SHARES) as u32,
        }
    } else if n_sources < threads {
        Plan::Pipelined {
            hts_threads: threads / n_sources,
        }
    } else {
        Plan::Whole
    }
}

fn count_in_pool<F>(
    inputs: &[PathBuf],
    config: &CountConfig,
    threads: usize,
    observer: &dyn Observer,
    sink: &F,
) -> Result<CountRun>
where
    F: Fn(CloneCounts) -> Result<()> + Sync,
{
    let infos = inspect_inputs(inputs, &config.input)?;
    let mut warnings = Vec::new();
    for info in &infos {
        for w in &info.warnings {
            observer.warn(w);
            warnings.push(w.clone());
        }
    }
    let plans: Vec<Plan> = infos
        .iter()
        .map(|i| plan_for(i, config, threads, infos.len()))
        .collect();
    let registry: Mutex<HashMap<String, PathBuf>> = Mutex::new(HashMap::new());
    let results: Vec<Result<(Vec<CountSummary>, Option<SplitSummary>)>> = infos
        .par_iter()
        .zip(plans.par_iter())
        .enumerate()
        .map(|(i, (info, plan))| count_source(i, info, plan, config, observer, sink, &registry))
        .collect();
    let mut run = CountRun {
        warnings,
        ..CountRun::default()
    };
    for r in results {
        let (clones, split) = r?;
        run.clones.extend(clones);
        run.splits.extend(split);
    }
    Ok(run)
}

#[allow(clippy::too_many_arguments)]
fn count_source<F>(
    index: usize,
    info: &InputInfo,
    plan: &Plan,
    config: &CountConfig,
    observer: &dyn Observer,
    sink: &F,
    registry: &Mutex<HashMap<String, PathBuf>>,
) -> Result<(Vec<CountSummary>, Option<SplitSummary>)>
where
    F: Fn(CloneCounts) -> Result<()> + Sync,
{
    let label = info.path.file_name().map_or_else(
        || info.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    observer.source_started(index, &label, u64::from(MT_LENGTH));
    let split = config.input.split_by.clone();
    let grouper = Grouper::new(info, split.clone(), config.groups.as_deref());
    let outputs: Vec<UnitOutput> = match plan {
        Plan::Windows(windows) => {
            let outputs: Vec<Result<UnitOutput>> = windows
                .par_iter()
                .map(|&(s, e)| run_unit(info, index, s, e, config, &grouper, observer))
                .collect();
            outputs.into_iter().collect::<Result<_>>()?
        }
        Plan::Pipelined { hts_threads } => vec![run_pipelined(
            info,
            index,
            config,
            &grouper,
            observer,
            *hts_threads,
        )?],
        Plan::Whole => vec![run_unit(
            info, index, 0, MT_LENGTH, config, &grouper, observer,
        )?],
        Plan::Fast { parallel, shares } => {
            match run_fast(info, index, config, &grouper, observer, *parallel, *shares)? {
                Some(out) => out,
                // A record only htslib decodes: read the whole input again through it.
                None => vec![run_unit(
                    info, index, 0, MT_LENGTH, config, &grouper, observer,
                )?],
            }
        }
    };
    let merged = merge(outputs, config.filter.min_base_quality);
    observer.source_finished(index);

    let mut groups = merged.groups;
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    if split.is_none() && groups.is_empty() {
        // No read at all on the contig: still one (empty) clone.
        groups.push((
            info.clone_name.clone(),
            (Counts::new(), ReadTally::default()),
        ));
    }
    if let Some(list) = &config.groups {
        for g in list {
            if !groups.iter().any(|(n, _)| n == g) {
                groups.push((g.clone(), (Counts::new(), ReadTally::default())));
            }
        }
        groups.sort_by(|a, b| a.0.cmp(&b.0));
    }
    // Every clone name of this input is claimed before any of its clones is handed to
    // the sink: two groups whose names sanitise alike (`a/b`, `a_b`), or a name another
    // input has, stop the run before this input writes anything.
    let safe_names: Vec<_> = groups
        .iter()
        .map(|(raw, _)| sanitize_clone_name(raw))
        .collect();
    {
        let mut reg = registry.lock().expect("no panics while holding the lock");
        for safe in &safe_names {
            if let Some(first) = reg.insert(safe.name.clone(), info.path.clone()) {
                return Err(Error::DuplicateClone {
                    name: safe.name.clone(),
                    first,
                    second: info.path.clone(),
                });
            }
        }
    }
    let mut summaries = Vec::with_capacity(groups.len());
    for ((_, (counts, tally)), safe) in groups.into_iter().zip(safe_names) {
        let name_source = match &split {
            None => info.name_source.clone(),
            Some(crate::input::SplitBy::ReadGroup) => NameSource::ReadGroupId,
            Some(crate::input::SplitBy::Sample) => NameSource::SplitSample,
            Some(crate::input::SplitBy::Tag(t)) => NameSource::Tag(t.clone()),
        };
        let mut warnings = info.warnings.clone();
        if let Some(orig) = &safe.original {
            warnings.push(format!(
                "clone name {orig:?} is not safe as a file name; written as '{}'",
                safe.name
            ));
        }
        if tally.used == 0 {
            let w = format!(
                "{}: no read of clone '{}' passed the filters ({} seen on {}); its counts are all zero",
                info.path.display(),
                safe.name,
                tally.seen,
                info.contig
            );
            observer.warn(&w);
            warnings.push(w);
        }
        if tally.overlaps_counted_apart > 0 {
            let w = format!(
                "{}: clone '{}': {} overlapping read pairs were counted as two reads each \
                 (the mates waiting for their partner reached the memory bound); depth there \
                 counts those fragments twice",
                info.path.display(),
                safe.name,
                tally.overlaps_counted_apart
            );
            observer.warn(&w);
            warnings.push(w);
        }
        let summary = CountSummary::new(
            &safe,
            name_source,
            info,
            CountSettings::from_config(config),
            &tally,
            &counts,
            warnings,
        );
        summaries.push(summary.clone());
        sink(CloneCounts {
            name: safe.name,
            counts,
            summary,
        })?;
    }
    let split_summary = split.map(|s| SplitSummary {
        input: info.path.display().to_string(),
        split_by: s.to_string(),
        clones: summaries.len(),
        unassigned: merged.unassigned.clone(),
    });
    Ok((summaries, split_summary))
}

struct Merged {
    groups: Vec<(String, (Counts, ReadTally))>,
    unassigned: Unassigned,
}

/// Add the units' blocks in window order and reconcile mates split across windows.
fn merge(outputs: Vec<UnitOutput>, min_bq: u8) -> Merged {
    let mut by_name: HashMap<String, (Counts, ReadTally)> = HashMap::new();
    let mut unassigned = Unassigned::default();
    let mut outgoing = HashMap::new();
    let mut incoming = Vec::new();
    for out in outputs {
        for (name, acc) in out.groups {
            let entry = by_name
                .entry(name)
                .or_insert_with(|| (Counts::new(), ReadTally::default()));
            acc.block.add_into(&mut entry.0, acc.indels);
            entry.0.add_junctions(acc.junctions);
            entry.1.add(&acc.tally);
        }
        for p in out.outgoing {
            outgoing.insert(p.qname.clone(), p);
        }
        incoming.extend(out.incoming);
        unassigned.without_group += out.unassigned.without_group;
        unassigned.not_listed += out.unassigned.not_listed;
    }
    // Mates split across windows: reconciled here into whole-genome blocks per clone.
    let mut blocks: HashMap<String, (block::Block, IndelMap)> = HashMap::new();
    let mut commit = |group: &str, f: &mut dyn FnMut(&mut DirectSink<'_>)| {
        let (b, indels) = blocks.entry(group.to_string()).or_insert_with(|| {
            let mut b = block::Block::new(0);
            b.ensure(MT_LENGTH);
            (b, IndelMap::new())
        });
        b.note_read();
        let mut sink = DirectSink {
            block: b,
            indels,
            min_bq,
            strand: 0,
            mate_other_contig: false,
        };
        f(&mut sink);
    };
    for right in incoming {
        match outgoing.remove(&right.qname) {
            Some(left) => commit(&right.group, &mut |s| {
                commit_pair(&left.mate, &right.mate, s)
            }),
            None => commit(&right.group, &mut |s| commit_single(&right.mate, s)),
        }
    }
    for (_, left) in outgoing {
        commit(&left.group, &mut |s| commit_single(&left.mate, s));
    }
    for (group, (b, indels)) in blocks {
        let entry = by_name
            .entry(group)
            .or_insert_with(|| (Counts::new(), ReadTally::default()));
        b.add_into(&mut entry.0, indels);
    }
    Merged {
        groups: by_name.into_iter().collect(),
        unassigned,
    }
}
