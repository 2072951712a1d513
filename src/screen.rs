//! One screen, end to end: inputs → counts → calls → selection → output files. This is
//! the code path of `mitosieve run`, and `call`, `select` and `track` run its steps;
//! the Snakemake and Nextflow steps call those commands, and the library example calls
//! [`Screen::run`]. The command line only turns flags into a [`ScreenConfig`] and
//! prints.
//!
//! ```
//! use mitosieve::screen::{Screen, ScreenConfig};
//! use mitosieve::{count, sim};
//!
//! let dir = tempfile::tempdir()?;
//! let spec = sim::SimSpec::from_toml_str(r#"
//!     [[clones]]
//!     name = "c1"
//!     depth = 100
//!     [[clones]]
//!     name = "c2"
//!     depth = 100
//!     haplotypes = [{ fraction = 0.3, snvs = ["3243A>G"] }]
//! "#)?;
//! let plate = sim::simulate(&spec, dir.path(), 1)?;
//! let bams: Vec<_> = plate.clones.iter().map(|c| c.bam.clone()).collect();
//!
//! let screen = Screen::new(ScreenConfig::default());
//! let out = dir.path().join("screen");
//! std::fs::create_dir(&out)?;
//! let result = screen.run(&bams, Some(&out), &count::Silent)?;
//! let c2 = &result.selection.clones[1];
//! assert_eq!((c2.clone.as_str(), c2.verdict.as_str()), ("c2", "FAIL"));
//! assert!(out.join("report.html").exists() && out.join("counts/c1.counts.tsv.gz").exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::call::{self, CallConfig, CallReport, Catalogue};
use crate::count::{self, file::CountsHeader, CountConfig, CountSettings, Counts, Observer};
use crate::error::{Error, Result};
use crate::output::{all_or_none, prepare_output_dir, write_atomic};
use crate::policy::Policy;
use crate::select::{self, select_with_track, Selection};
use crate::track::{self, PassageSample, SheetRow, TrackConfig, Tracked};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Everything a screen needs to know: how inputs are counted, how clones are called,
/// and how they are selected.
#[derive(Clone, Debug)]
pub struct ScreenConfig {
    /// How BAM/CRAM inputs are read and counted (counts files are taken as they are).
    pub count: CountConfig,
    /// How clones are called.
    pub call: CallConfig,
    /// The pathogenic targets.
    pub catalogue: Catalogue,
    /// The selection policy.
    pub policy: Policy,
    /// The donor's homoplasmic profile, instead of the majority of the clones.
    pub donor: Option<Vec<String>>,
    /// Recorded in every output (provenance).
    pub command_line: String,
}

impl Default for ScreenConfig {
    fn default() -> Self {
        ScreenConfig {
            count: CountConfig::default(),
            call: CallConfig::default(),
            catalogue: Catalogue::builtin(),
            policy: Policy::default(),
            donor: None,
            command_line: String::new(),
        }
    }
}

/// One clone ready for calling: counted now, or read from a counts file.
#[derive(Clone, Debug)]
pub struct LoadedClone {
    /// Clone name.
    pub name: String,
    /// Its counts.
    pub counts: Counts,
    /// The settings it was counted with.
    pub settings: CountSettings,
    /// The mitochondrial contig's name in its input.
    pub contig: String,
    /// The counts file or alignment file it came from.
    pub source: PathBuf,
}

impl LoadedClone {
    /// The header of a counts file of this clone under the name `name`.
    pub fn counts_header(&self, name: &str) -> CountsHeader {
        CountsHeader::new(
            name,
            &self.source.display().to_string(),
            &self.contig,
            self.settings.clone(),
        )
    }
}

/// Whether a path names a counts file (`*.counts.tsv.gz` or `*.counts.tsv`).
pub fn is_counts_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.ends_with(".counts.tsv.gz") || name.ends_with(".counts.tsv")
}

/// Each clone name once: the source of every name, or the error naming both files.
fn unique_names(loaded: &[LoadedClone]) -> Result<HashMap<String, PathBuf>> {
    let mut seen = HashMap::new();
    for l in loaded {
        if let Some(prev) = seen.insert(l.name.clone(), l.source.clone()) {
            return Err(Error::DuplicateClone {
                name: l.name.clone(),
                first: prev,
                second: l.source.clone(),
            });
        }
    }
    Ok(seen)
}

/// Read the counts files among `inputs` and count the alignment files (writing their
/// counts files and summaries into `counts_dir` when given); check that every clone
/// name is unique and that all were counted with the same settings. Clones of counts
/// files come first, in input order, then the counted clones by name.
pub fn load_clones(
    inputs: &[PathBuf],
    config: &CountConfig,
    counts_dir: Option<&Path>,
    observer: &dyn Observer,
) -> Result<Vec<LoadedClone>> {
    let (count_files, alignments): (Vec<&PathBuf>, Vec<&PathBuf>) =
        inputs.iter().partition(|p| is_counts_file(p));
    let mut loaded: Vec<LoadedClone> = count_files
        .par_iter()
        .map(|p| {
            let f = count::file::read(p)?;
            Ok(LoadedClone {
                name: f.header.clone,
                counts: f.counts,
                settings: f.header.settings,
                contig: f.header.contig,
                source: p.to_path_buf(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Clone names must be unique: checked before anything is counted or written (names
    // of split inputs are known only after counting; they are checked again below).
    let seen = unique_names(&loaded)?;
    if !alignments.is_empty() {
        let paths: Vec<PathBuf> = alignments.iter().map(|p| p.to_path_buf()).collect();
        if config.input.split_by.is_none() && !loaded.is_empty() {
            for info in count::inspect_inputs(&paths, &config.input)? {
                let name = crate::input::sanitize_clone_name(&info.clone_name).name;
                if let Some(prev) = seen.get(&name) {
                    return Err(Error::DuplicateClone {
                        name,
                        first: prev.clone(),
                        second: info.path,
                    });
                }
            }
        }
        if let Some(dir) = counts_dir {
            prepare_output_dir(dir)?;
        }
        let out = std::sync::Mutex::new(Vec::new());
        count::count_streaming(&paths, config, observer, |c| {
            if let Some(dir) = counts_dir {
                let (counts_file, summary_file) = (
                    count::counts_path(dir, &c.name),
                    count::summary_path(dir, &c.name),
                );
                // A write error never leaves a counts file without its summary.
                all_or_none(&[counts_file.clone(), summary_file.clone()], || {
                    count::file::write(&counts_file, &CountsHeader::for_clone(&c), &c.counts)?;
                    let json = serde_json::to_vec_pretty(&c.summary)
                        .map_err(|e| Error::Internal(format!("cannot serialise a summary: {e}")))?;
                    write_atomic(&summary_file, &json)
                })?;
            }
            out.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(LoadedClone {
                    name: c.name,
                    settings: c.summary.settings.clone(),
                    contig: c.summary.contig.clone(),
                    source: PathBuf::from(&c.summary.input),
                    counts: c.counts,
                });
            Ok(())
        })?;
        let mut counted = out.into_inner().unwrap_or_else(|p| p.into_inner());
        counted.sort_by(|a, b| a.name.cmp(&b.name));
        loaded.extend(counted);
    }
    check_same_settings(&loaded, "count every clone of a run with the same filters")?;
    unique_names(&loaded)?;
    Ok(loaded)
}

/// One run, one set of count settings.
fn check_same_settings(loaded: &[LoadedClone], advice: &str) -> Result<()> {
    if let Some(first) = loaded.first() {
        for l in &loaded[1..] {
            if l.settings != first.settings {
                return Err(Error::Incompatible {
                    path: l.source.clone(),
                    detail: format!(
                        "counted with other settings than {} ({}); {advice}",
                        first.source.display(),
                        describe_difference(&first.settings, &l.settings)
                    ),
                });
            }
        }
    }
    Ok(())
}

fn describe_difference(a: &CountSettings, b: &CountSettings) -> String {
    let ja = serde_json::to_value(a).unwrap_or_default();
    let jb = serde_json::to_value(b).unwrap_or_default();
    let flat = |v: &serde_json::Value| -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(o) = v.as_object() {
            for (k, x) in o {
                if let Some(inner) = x.as_object() {
                    for (k2, y) in inner {
                        out.push((format!("{k}.{k2}"), y.to_string()));
                    }
                } else {
                    out.push((k.clone(), x.to_string()));
                }
            }
        }
        out
    };
    let fa = flat(&ja);
    flat(&jb)
        .into_iter()
        .filter_map(|(k, v)| {
            let (_, va) = fa.iter().find(|(ka, _)| *ka == k)?;
            (*va != v).then(|| format!("{k}: {va} vs {v}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The call settings that fit these clones: counts made without deletion evidence can
/// say nothing about deletions.
fn call_config_for(clones: &[LoadedClone], config: &CallConfig) -> CallConfig {
    let mut c = config.clone();
    c.deletion.enabled = c.deletion.enabled && clones.iter().all(|l| l.settings.deletion_evidence);
    c
}

/// The mitochondrial contig name the VCF uses (the first clone's), with a warning when
/// the clones name it differently.
fn contig_of(clones: &[LoadedClone], observer: &dyn Observer) -> String {
    let contig = clones
        .first()
        .map_or_else(|| "chrM".to_string(), |l| l.contig.clone());
    if clones.iter().any(|l| l.contig != contig) {
        observer.warn(&format!(
            "clones name the mitochondrial contig differently; the VCF uses '{contig}'"
        ));
    }
    contig
}

/// Assemble a call report: provenance around a call set.
fn report(
    clones: &[LoadedClone],
    inputs: &[String],
    command_line: &str,
    contig: String,
    calls: call::CallSet,
) -> CallReport {
    CallReport {
        command_line: command_line.to_string(),
        count_settings: clones.first().map(|l| l.settings.clone()),
        contig,
        inputs: inputs.to_vec(),
        calls,
    }
}

/// Call the loaded clones together (see [`crate::call`]). `inputs` are recorded as
/// given. Warns through `observer` when fewer clones than `min_background_clones`
/// leave the technical background without sibling clones.
pub fn call_clones(
    clones: &[LoadedClone],
    config: &ScreenConfig,
    inputs: &[String],
    observer: &dyn Observer,
) -> Result<CallReport> {
    let call_config = call_config_for(clones, &config.call);
    let samples: Vec<(&str, &Counts)> = clones
        .iter()
        .map(|l| (l.name.as_str(), &l.counts))
        .collect();
    if samples.len() < call_config.min_background_clones {
        observer.warn(&format!(
            "{} clone(s): fewer than {} clones, so no sibling clone contributes to the technical background (error floor, base qualities, sequence context and site noise only), and without --donor select's identity check has no independent donor profile",
            samples.len(),
            call_config.min_background_clones
        ));
    }
    let set = call::call_with(&samples, &call_config, &config.catalogue)?;
    let contig = contig_of(clones, observer);
    Ok(report(clones, inputs, &config.command_line, contig, set))
}

/// Write the call files into `outdir`, all or none.
pub fn write_calls(outdir: &Path, report: &CallReport) -> Result<()> {
    let files: Vec<PathBuf> = call::CALL_FILES.iter().map(|f| outdir.join(f)).collect();
    all_or_none(&files, || call::write_outputs(outdir, report))
}

/// Select the clones of a call report under the screen's policy (with the drift rule
/// of `track` when given), recording the command line.
pub fn select_clones(
    report: &CallReport,
    config: &ScreenConfig,
    track: Option<&track::TrackSet>,
) -> Result<Selection> {
    let mut sel = select_with_track(report, &config.policy, config.donor.clone(), track)?;
    sel.command_line = config.command_line.clone();
    Ok(sel)
}

/// Write the selection files, the report and the MultiQC files into `outdir`, all or
/// none.
pub fn write_selection(
    outdir: &Path,
    sel: &Selection,
    report: &CallReport,
    track: Option<&track::TrackSet>,
) -> Result<()> {
    let files: Vec<PathBuf> = select::SELECTION_FILES
        .iter()
        .chain(crate::report::REPORT_FILES)
        .map(|f| outdir.join(f))
        .collect();
    all_or_none(&files, || {
        select::write_outputs(outdir, sel)?;
        match track {
            Some(t) => crate::report::write_outputs_with_track(outdir, sel, report, t),
            None => crate::report::write_outputs(outdir, sel, report),
        }
    })
}

/// What a screen produced.
#[derive(Clone, Debug)]
pub struct ScreenResult {
    /// The calls, with provenance.
    pub calls: CallReport,
    /// The verdicts.
    pub selection: Selection,
}

/// What tracking passages produced.
#[derive(Clone, Debug)]
pub struct TrackResult {
    /// The trajectories and the joint call set of every passage.
    pub tracked: Tracked,
    /// The calls of every clone at its last passage.
    pub last: CallReport,
    /// The verdicts at the last passage, with the drift rule.
    pub selection: Selection,
}

/// A whole screen: `mitosieve run`.
#[derive(Clone, Debug)]
pub struct Screen {
    /// Its settings.
    pub config: ScreenConfig,
}

impl Screen {
    /// A screen with these settings.
    pub fn new(config: ScreenConfig) -> Self {
        Screen { config }
    }

    /// Count (or read) every input, call the clones together, select them, and — with
    /// `outdir` — write every output there (`counts/`, the call files, the selection
    /// files, the report). `track` adds the drift rule of a passage series.
    pub fn run_with_track(
        &self,
        inputs: &[PathBuf],
        outdir: Option<&Path>,
        track: Option<&track::TrackSet>,
        observer: &dyn Observer,
    ) -> Result<ScreenResult> {
        let counts_dir = outdir.map(|d| d.join("counts"));
        let clones = load_clones(inputs, &self.config.count, counts_dir.as_deref(), observer)?;
        let given: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        let calls = call_clones(&clones, &self.config, &given, observer)?;
        if let Some(d) = outdir {
            write_calls(d, &calls)?;
        }
        let selection = select_clones(&calls, &self.config, track)?;
        if let Some(d) = outdir {
            write_selection(d, &selection, &calls, track)?;
        }
        Ok(ScreenResult { calls, selection })
    }

    /// [`Screen::run_with_track`] without passages.
    pub fn run(
        &self,
        inputs: &[PathBuf],
        outdir: Option<&Path>,
        observer: &dyn Observer,
    ) -> Result<ScreenResult> {
        self.run_with_track(inputs, outdir, None, observer)
    }

    /// Follow clones across passages (`mitosieve track`): load every row of a sheet
    /// (one clone per row; counted inputs are kept in `outdir/counts/` as
    /// `<clone>_<passage>.counts.tsv.gz`), call every passage of every clone together,
    /// test each trajectory, and select the clones at their last passage with the drift
    /// rule; with `outdir`, write the track, call, selection and report files there.
    /// `sheet` names the sheet in messages.
    pub fn track(
        &self,
        sheet: &Path,
        rows: &[SheetRow],
        config: &TrackConfig,
        outdir: Option<&Path>,
        observer: &dyn Observer,
    ) -> Result<TrackResult> {
        let counts_dir = outdir.map(|d| d.join("counts"));
        let mut loaded: Vec<LoadedClone> = Vec::with_capacity(rows.len());
        let mut counted_files: Vec<PathBuf> = Vec::new();
        let result = (|| -> Result<()> {
            for row in rows {
                let at = |e: Error| -> Error {
                    Error::parse(
                        sheet,
                        row.line,
                        format!("clone {} at passage {}: {e}", row.clone, row.passage.label),
                    )
                };
                let mut one = load_clones(
                    std::slice::from_ref(&row.path),
                    &self.config.count,
                    None,
                    observer,
                )
                .map_err(at)?;
                if one.len() != 1 {
                    return Err(Error::parse(
                        sheet,
                        row.line,
                        format!(
                            "clone {} at passage {}: {} holds {} clones; give one clone per row",
                            row.clone,
                            row.passage.label,
                            row.path.display(),
                            one.len()
                        ),
                    ));
                }
                let l = one.remove(0);
                if let (Some(dir), false) = (&counts_dir, is_counts_file(&row.path)) {
                    // Keep the counts, named by clone and passage, for a fast rerun.
                    if counted_files.is_empty() {
                        prepare_output_dir(dir)?;
                    }
                    let name = crate::input::sanitize_clone_name(&format!(
                        "{}_{}",
                        row.clone, row.passage.label
                    ))
                    .name;
                    let path = count::counts_path(dir, &name);
                    count::file::write(&path, &l.counts_header(&name), &l.counts)?;
                    counted_files.push(path);
                }
                loaded.push(l);
            }
            check_same_settings(
                &loaded,
                "count every clone and passage of a sheet with the same filters",
            )
        })();
        if let Err(e) = result {
            for f in &counted_files {
                let _ = std::fs::remove_file(f);
            }
            return Err(e);
        }
        let call_config = call_config_for(&loaded, &self.config.call);
        let samples: Vec<PassageSample> = rows
            .iter()
            .zip(&loaded)
            .map(|(r, l)| PassageSample {
                clone: r.clone.clone(),
                passage: r.passage.clone(),
                counts: &l.counts,
            })
            .collect();
        let mut tracked = track::track(
            &samples,
            &call_config,
            &self.config.catalogue,
            &self.config.policy,
            config,
        )?;
        tracked.set.command_line = self.config.command_line.clone();
        let given: Vec<String> = rows.iter().map(|r| r.path.display().to_string()).collect();
        let contig = contig_of(&loaded, observer);
        let last = report(
            &loaded,
            &given,
            &self.config.command_line,
            contig,
            track::latest_calls(&tracked.calls, &tracked.set),
        );
        let selection = select_clones(&last, &self.config, Some(&tracked.set))?;
        if let Some(d) = outdir {
            let files: Vec<PathBuf> = track::TRACK_FILES
                .iter()
                .chain(call::CALL_FILES)
                .chain(select::SELECTION_FILES)
                .chain(crate::report::REPORT_FILES)
                .map(|f| d.join(f))
                .collect();
            all_or_none(&files, || -> Result<()> {
                track::write_outputs(d, &tracked.set)?;
                call::write_outputs(d, &last)?;
                select::write_outputs(d, &selection)?;
                crate::report::write_outputs_with_track(d, &selection, &last, &tracked.set)
            })?;
        }
        Ok(TrackResult {
            tracked,
            last,
            selection,
        })
    }
}
