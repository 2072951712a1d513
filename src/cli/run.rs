//! `mitosieve run`: count → call → select → report in one command.

use super::call::{call_and_write, load_clones, CallOpts};
use super::common::{open_outdir, FilterOpts, InputOpts, RunOpts};
use super::progress::Bars;
use super::select::{load_track, print_verdicts, select_and_write, PolicyOpts, VerdictOpts};
use anyhow::Result;
use mitosieve::output::Product;
use std::path::PathBuf;

/// Screen a plate of clones in one command: count, call, select, report.
///
/// Writes into <OUTDIR>: counts/ (one counts file and summary per clone), calls.vcf.gz,
/// calls.tsv, targets.tsv, calls.json, selection.tsv, selection.json,
/// policy.resolved.toml, report.html (open it in any browser, offline), MultiQC files
/// and mitosieve.manifest.json (what the run wrote). The verdict table goes to stdout
/// (--table text|tsv), messages and progress to stderr.
///
/// Example:
///   mitosieve run test-data/plate/*.bam -o screen/
///   mitosieve run clone*.bam -o screen/ --policy policy.toml --threads 8
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// BAM/CRAM files (one per clone, or multiplexed with --split-by), or counts files.
    #[arg(required = true, value_name = "BAM/CRAM")]
    pub inputs: Vec<PathBuf>,
    /// Output directory (created if missing).
    #[arg(short = 'o', long, value_name = "DIR")]
    pub outdir: PathBuf,
    #[command(flatten)]
    pub policy: PolicyOpts,
    #[command(flatten)]
    pub verdicts: VerdictOpts,
    /// Apply the drift rule to clones followed across passages: track.json written by
    /// `mitosieve track` (every tracked clone must be among the screened clones).
    #[arg(long, value_name = "FILE", help_heading = "Selection")]
    pub track: Option<PathBuf>,
    #[command(flatten)]
    pub calling: CallOpts,
    #[command(flatten)]
    pub input: InputOpts,
    #[command(flatten)]
    pub filters: FilterOpts,
    #[command(flatten)]
    pub run: RunOpts,
}

pub fn run(args: Args) -> Result<()> {
    // Read the policy and targets first: a typo should fail in a second, not after counting.
    let catalogue = args.calling.catalogue()?;
    let known: Vec<String> = catalogue.targets.iter().map(|t| t.name()).collect();
    args.policy.load_checked(&known)?;
    let track = load_track(args.track.as_deref())?;
    let out = open_outdir(
        &args.outdir,
        "run",
        &[Product::CountsSubdir, Product::Calls, Product::Selection],
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
    let sel = select_and_write(&report, &args.policy, track.as_ref(), &args.outdir)?;
    out.finish()?;
    bars.message(&format!(
        "mitosieve: {} clone(s) screened; report: {}",
        sel.clones.len(),
        args.outdir.join("report.html").display(),
    ));
    print_verdicts(&sel, args.verdicts.table)
}
