//! `mitosieve run`: count → call → select → report in one command.

use super::call::{check_min_af, screen_config, CallOpts};
use super::common::{open_outdir, FilterOpts, InputOpts, RunOpts};
use super::progress::Bars;
use super::select::{load_track, print_verdicts, PolicyOpts, VerdictOpts};
use anyhow::Result;
use mitosieve::output::Product;
use mitosieve::screen::Screen;
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
    check_min_af(&args.calling)?;
    // Policy, targets and track first: a typo should fail in a second, not after counting.
    let config = screen_config(
        &args.calling,
        &args.input,
        &args.filters,
        &args.run,
        Some(&args.policy),
    )?;
    let track = load_track(args.track.as_deref())?;
    let out = open_outdir(
        &args.outdir,
        "run",
        &[Product::CountsSubdir, Product::Calls, Product::Selection],
        args.run.overwrite,
        &args.inputs,
    )?;
    let bars = Bars::new(args.inputs.len(), args.run.quiet);
    let result =
        Screen::new(config).run_with_track(&args.inputs, Some(&args.outdir), track.as_ref(), &bars);
    bars.finish();
    let result = result?;
    out.finish()?;
    bars.message(&format!(
        "mitosieve: {} clone(s) screened; report: {}",
        result.selection.clones.len(),
        args.outdir.join("report.html").display(),
    ));
    print_verdicts(&result.selection, args.verdicts.table)
}
