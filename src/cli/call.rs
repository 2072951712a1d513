//! `mitosieve call`.

use super::common::{
    command_line, count_config, open_outdir, FilterOpts, InputOpts, RunOpts, UsageError,
};
use super::progress::Bars;
use anyhow::{Context, Result};
use clap::Args as ClapArgs;
use mitosieve::call::{self, CallConfig, CallReport, Catalogue};
use mitosieve::count::{self, file::CountsHeader, CountSettings, Counts};
use mitosieve::output::{all_or_none, prepare_output_dir, Product};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Call heteroplasmy in every clone of a run, together.
///
/// Inputs are BAM/CRAM files (counted first, counts written to <OUTDIR>/counts/) or
/// counts files from `mitosieve count` (so counting can be scattered over a cluster and
/// calling gathered). Writes calls.vcf.gz (+ .tbi), calls.tsv, targets.tsv (every
/// pathogenic target in every clone, with an upper bound when not detected) and
/// calls.json into <OUTDIR>.
///
/// Example:
///   mitosieve call counts/*.counts.tsv.gz -o calls/
///   mitosieve call clone*.bam -o calls/ --min-af 0.02
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Counts files (*.counts.tsv.gz) and/or BAM/CRAM files.
    #[arg(required = true, value_name = "COUNTS/BAM")]
    pub inputs: Vec<PathBuf>,
    /// Output directory (created if missing).
    #[arg(short = 'o', long, value_name = "DIR")]
    pub outdir: PathBuf,
    #[command(flatten)]
    pub calling: CallOpts,
    #[command(flatten)]
    pub input: InputOpts,
    #[command(flatten)]
    pub filters: FilterOpts,
    #[command(flatten)]
    pub run: RunOpts,
}

/// Thresholds of the caller.
#[derive(Debug, Clone, ClapArgs)]
#[command(next_help_heading = "Calling")]
pub struct CallOpts {
    /// Smallest heteroplasmy fraction called.
    #[arg(long, default_value_t = 0.005, value_name = "F")]
    pub min_af: f64,
    /// Fraction at or above which a large deletion is homoplasmic (GT 1/1) and indel
    /// alleles are not stacked; a small variant is homoplasmic when the other allele is
    /// no credible heteroplasmy.
    #[arg(long, default_value_t = 0.95, value_name = "F")]
    pub homoplasmy_af: f64,
    /// Smallest usable depth without the low_depth filter.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub min_depth: u32,
    /// Smallest usable depth on each strand.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub min_strand_depth: u32,
    /// Smallest number of minor-allele reads on each strand.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub min_alt_per_strand: u32,
    /// Largest strand-bias score (Guo et al. 2012; mutserve 2 uses 1.2).
    #[arg(long, default_value_t = 1.2, value_name = "S")]
    pub max_strand_bias: f64,
    /// A score above --max-strand-bias filters a call only when the strands' fractions
    /// also differ at this significance level (exact binomial test).
    #[arg(long, default_value_t = 1e-3, value_name = "P")]
    pub strand_bias_alpha: f64,
    /// Smallest log10 likelihood ratio of a heteroplasmy (mutserve's LLR).
    #[arg(long, default_value_t = 5.0, value_name = "LLR")]
    pub min_llr: f64,
    /// Significance level of the test against the technical background.
    #[arg(long, default_value_t = 1e-6, value_name = "P")]
    pub alpha: f64,
    /// Smallest error rate assumed for one specific substitution.
    #[arg(long, default_value_t = 5e-4, value_name = "F")]
    pub error_floor: f64,
    /// Smallest error rate assumed for an indel.
    #[arg(long, default_value_t = 2e-3, value_name = "F")]
    pub indel_error_floor: f64,
    /// Clones needed to learn the background from siblings.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub min_background_clones: usize,
    /// Confidence of intervals and upper bounds.
    #[arg(long, default_value_t = 0.95, value_name = "C")]
    pub confidence: f64,
    /// Pathogenic targets (TSV: pos, ref, alt, locus, disease, class) instead of the
    /// built-in catalogue.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
}

impl CallOpts {
    pub fn to_config(&self) -> CallConfig {
        CallConfig {
            min_af: self.min_af,
            homoplasmy_af: self.homoplasmy_af,
            min_depth: self.min_depth,
            min_strand_depth: self.min_strand_depth,
            min_alt_per_strand: self.min_alt_per_strand,
            max_strand_bias: self.max_strand_bias,
            strand_bias_alpha: self.strand_bias_alpha,
            min_llr: self.min_llr,
            alpha: self.alpha,
            error_floor: self.error_floor,
            indel_error_floor: self.indel_error_floor,
            min_background_clones: self.min_background_clones,
            confidence: self.confidence,
            ..CallConfig::default()
        }
    }

    pub fn catalogue(&self) -> Result<Catalogue> {
        Ok(match &self.targets {
            Some(p) => Catalogue::from_file(p)?,
            None => Catalogue::builtin(),
        })
    }
}

/// Whether a path is a counts file (by name, or by its first line).
pub fn is_counts_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.ends_with(".counts.tsv.gz") || name.ends_with(".counts.tsv")
}

/// One clone ready for calling.
pub struct Loaded {
    pub name: String,
    pub counts: Counts,
    pub settings: CountSettings,
    pub contig: String,
    pub source: PathBuf,
}

/// Each clone name once: the source of every name, or the error naming both files.
fn unique_names(loaded: &[Loaded]) -> Result<std::collections::HashMap<String, PathBuf>> {
    let mut seen = std::collections::HashMap::new();
    for l in loaded {
        if let Some(prev) = seen.insert(l.name.clone(), l.source.clone()) {
            return Err(mitosieve::Error::DuplicateClone {
                name: l.name.clone(),
                first: prev,
                second: l.source.clone(),
            }
            .into());
        }
    }
    Ok(seen)
}

/// Read counts files and count alignment files; check that all agree.
pub fn load_clones(
    inputs: &[PathBuf],
    input: &InputOpts,
    filters: &FilterOpts,
    run: &RunOpts,
    counts_dir: Option<&Path>,
    bars: &Bars,
) -> Result<Vec<Loaded>> {
    let (count_files, alignments): (Vec<&PathBuf>, Vec<&PathBuf>) =
        inputs.iter().partition(|p| is_counts_file(p));
    let mut loaded: Vec<Loaded> = count_files
        .par_iter()
        .map(|p| {
            let f = count::file::read(p)?;
            Ok(Loaded {
                name: f.header.clone,
                counts: f.counts,
                settings: f.header.settings,
                contig: f.header.contig,
                source: p.to_path_buf(),
            })
        })
        .collect::<Result<Vec<_>, mitosieve::Error>>()?;
    // Clone names must be unique: checked before anything is counted or written (names
    // of split inputs are known only after counting; they are checked again below).
    let seen = unique_names(&loaded)?;
    if !alignments.is_empty() {
        let config = count_config(input, filters, run)?;
        let paths: Vec<PathBuf> = alignments.iter().map(|p| p.to_path_buf()).collect();
        if config.input.split_by.is_none() && !loaded.is_empty() {
            for info in count::inspect_inputs(&paths, &config.input)? {
                let name = mitosieve::input::sanitize_clone_name(&info.clone_name).name;
                if let Some(prev) = seen.get(&name) {
                    return Err(mitosieve::Error::DuplicateClone {
                        name,
                        first: prev.clone(),
                        second: info.path,
                    }
                    .into());
                }
            }
        }
        if let Some(dir) = counts_dir {
            prepare_output_dir(dir)?;
        }
        let out = std::sync::Mutex::new(Vec::new());
        count::count_streaming(&paths, &config, bars, |c| {
            if let Some(dir) = counts_dir {
                let (counts_file, summary_file) = (
                    count::counts_path(dir, &c.name),
                    count::summary_path(dir, &c.name),
                );
                all_or_none(&[counts_file.clone(), summary_file.clone()], || {
                    count::file::write(&counts_file, &CountsHeader::for_clone(&c), &c.counts)?;
                    let json = serde_json::to_vec_pretty(&c.summary).expect("summaries serialise");
                    mitosieve::output::write_atomic(&summary_file, &json)
                })?;
            }
            out.lock().expect("no panic while locked").push(Loaded {
                name: c.name,
                settings: c.summary.settings.clone(),
                contig: c.summary.contig.clone(),
                source: PathBuf::from(&c.summary.input),
                counts: c.counts,
            });
            Ok(())
        })
        .context("counting failed")?;
        let mut counted = out.into_inner().expect("no panic while locked");
        counted.sort_by(|a, b| a.name.cmp(&b.name));
        loaded.extend(counted);
    }
    // One run, one set of settings, unique names.
    if let Some(first) = loaded.first() {
        for l in &loaded[1..] {
            if l.settings != first.settings {
                return Err(mitosieve::Error::Incompatible {
                    path: l.source.clone(),
                    detail: format!(
                        "counted with other settings than {} ({}); count every clone of a run with the same filters",
                        first.source.display(),
                        describe_difference(&first.settings, &l.settings)
                    ),
                }
                .into());
            }
        }
    }
    unique_names(&loaded)?;
    Ok(loaded)
}

fn describe_difference(a: &CountSettings, b: &CountSettings) -> String {
    let ja = serde_json::to_value(a).unwrap_or_default();
    let jb = serde_json::to_value(b).unwrap_or_default();
    let mut diffs = Vec::new();
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
    for (k, v) in flat(&jb) {
        if let Some((_, va)) = fa.iter().find(|(ka, _)| *ka == k) {
            if *va != v {
                diffs.push(format!("{k}: {va} vs {v}"));
            }
        }
    }
    diffs.join(", ")
}

/// Call the loaded clones and write the outputs.
pub fn call_and_write(
    loaded: &[Loaded],
    opts: &CallOpts,
    outdir: &Path,
    inputs: &[PathBuf],
    bars: &Bars,
) -> Result<CallReport> {
    let mut config = opts.to_config();
    // Counts made without deletion evidence cannot say anything about deletions.
    config.deletion.enabled = loaded.iter().all(|l| l.settings.deletion_evidence);
    let catalogue = opts.catalogue()?;
    let samples: Vec<(&str, &Counts)> = loaded
        .iter()
        .map(|l| (l.name.as_str(), &l.counts))
        .collect();
    if samples.len() < config.min_background_clones {
        bars.warn(&format!(
            "{} clone(s): fewer than {} clones, so no sibling clone contributes to the technical background (error floor, base qualities, sequence context and site noise only), and without --donor select's identity check has no independent donor profile",
            samples.len(),
            config.min_background_clones
        ));
    }
    let set = call::call_with(&samples, &config, &catalogue)?;
    let contig = loaded
        .first()
        .map_or_else(|| "chrM".to_string(), |l| l.contig.clone());
    if loaded.iter().any(|l| l.contig != contig) {
        bars.warn(&format!(
            "clones name the mitochondrial contig differently; the VCF uses '{contig}'"
        ));
    }
    let report = CallReport {
        command_line: command_line(),
        count_settings: loaded.first().map(|l| l.settings.clone()),
        contig,
        inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
        calls: set,
    };
    let files: Vec<PathBuf> = call::CALL_FILES.iter().map(|f| outdir.join(f)).collect();
    all_or_none(&files, || call::write_outputs(outdir, &report))?;
    Ok(report)
}

use mitosieve::count::Observer as _;

pub fn run(args: Args) -> Result<()> {
    if args.calling.min_af <= 0.0 || args.calling.min_af >= 1.0 {
        return Err(UsageError(format!(
            "--min-af must be between 0 and 1, got {}",
            args.calling.min_af
        ))
        .into());
    }
    // A bad targets file fails in a second, not after counting.
    args.calling.catalogue()?;
    let mut products = vec![Product::Calls];
    if args.inputs.iter().any(|p| !is_counts_file(p)) {
        products.push(Product::CountsSubdir);
    }
    let out = open_outdir(
        &args.outdir,
        "call",
        &products,
        args.run.overwrite,
        &args.inputs,
    )?;
    let bars = Bars::new(args.inputs.len(), args.run.quiet);
    let counts_dir = args.outdir.join("counts");
    let loaded = load_clones(
        &args.inputs,
        &args.input,
        &args.filters,
        &args.run,
        Some(&counts_dir),
        &bars,
    );
    bars.finish();
    let loaded = loaded?;
    let report = call_and_write(&loaded, &args.calling, &args.outdir, &args.inputs, &bars)?;
    let n_het: usize = report
        .calls
        .summaries
        .iter()
        .map(|s| s.heteroplasmies)
        .sum();
    bars.message(&format!(
        "mitosieve: called {} clone(s): {} variant record(s), {} passing heteroplasmic call(s); results in {}",
        loaded.len(),
        report.calls.variants.len(),
        n_het,
        args.outdir.display()
    ));
    out.finish()?;
    Ok(())
}
