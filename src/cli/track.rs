//! `mitosieve track`.

use super::call::{check_min_af, screen_config, CallOpts};
use super::common::{FilterOpts, InputOpts, RunOpts, UsageError};
use super::progress::Bars;
use super::select::{print_verdicts, PolicyOpts, VerdictOpts};
use anyhow::Result;
use clap::Args as ClapArgs;
use mitosieve::output::Product;
use mitosieve::screen::{Screen, TrackResult};
use mitosieve::track::{self, read_sheet, TrackConfig};
use std::path::PathBuf;

/// Track heteroplasmy across passages: did a clone's mutation load drift during
/// expansion?
///
/// SHEET is a tab-separated file with a header naming the columns clone, passage and
/// path: one row per clone and passage; passage is a number (5, P5) or a date
/// (2024-03-15); path is a BAM/CRAM or counts file (relative paths are resolved
/// against the sheet's folder). All passages of all clones are called together (each
/// clone × passage a sample <clone>@<passage>, so the sibling background learns from
/// every library), then for every clone and every screened target or heteroplasmy
/// called at any of its passages: the fraction with its interval at each passage, a
/// likelihood-ratio test of change first → last and between consecutive passages
/// (beta-binomial, allowing over-dispersion), the slope per passage (or per day), and
/// flags DRIFT_UP, DRIFT_DOWN, FLUCTUATING or STABLE, CROSSED_LIMIT (a policy maximum
/// crossed) and NEW_VARIANT (not called at the first passage, called later).
///
/// Each clone is then selected at its last passage, with the drift rule: a screened
/// target that rose by more than the policy's drift.max_increase (default 2 points)
/// with a significant test makes the clone FAIL.
///
/// Writes into <OUTDIR>: track.tsv and track.json (the trajectories), selection.tsv,
/// selection.json, policy.resolved.toml, report.html (with a trajectory panel per
/// clone) and MultiQC files; calls.vcf.gz, calls.tsv, targets.tsv, deletions.tsv and
/// calls.json of each clone at its last passage; counts/<clone>_<passage>.counts.tsv.gz
/// for every counted BAM/CRAM (usable as the sheet's paths next time).
///
/// Example:
///   mitosieve track passages.tsv -o track/
///   mitosieve track passages.tsv -o track/ --policy policy.toml
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Sample sheet (TSV: clone, passage, path).
    #[arg(value_name = "SHEET")]
    pub sheet: PathBuf,
    /// Output directory (created if missing).
    #[arg(short = 'o', long, value_name = "DIR")]
    pub outdir: PathBuf,
    #[command(flatten)]
    pub tracking: TrackOpts,
    #[command(flatten)]
    pub policy: PolicyOpts,
    #[command(flatten)]
    pub verdicts: VerdictOpts,
    #[command(flatten)]
    pub calling: CallOpts,
    #[command(flatten)]
    pub input: InputOpts,
    #[command(flatten)]
    pub filters: FilterOpts,
    #[command(flatten)]
    pub run: RunOpts,
}

/// Drift-test settings.
#[derive(Debug, Clone, ClapArgs)]
#[command(next_help_heading = "Tracking")]
pub struct TrackOpts {
    /// Significance level of the first → last drift test (consecutive passages:
    /// divided by the number of steps).
    #[arg(long, default_value_t = 0.01, value_name = "P")]
    pub drift_alpha: f64,
    /// Smallest over-dispersion (intra-class correlation) between libraries of one
    /// clone assumed by the tests (the run's background over-dispersion is used where
    /// larger); 0 is the binomial.
    #[arg(long, default_value_t = 1e-3, value_name = "RHO")]
    pub overdispersion: f64,
}

impl TrackOpts {
    fn to_config(&self) -> TrackConfig {
        TrackConfig {
            alpha: self.drift_alpha,
            overdispersion: self.overdispersion,
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    let config = args.tracking.to_config();
    if let Err(e) = config.validate() {
        return Err(UsageError(e.to_string()).into());
    }
    check_min_af(&args.calling)?;
    if args.input.split_by.is_some() {
        return Err(UsageError(
            "--split-by cannot be used with track: give one file per clone and passage in the sheet".into(),
        )
        .into());
    }
    // Policy, targets and sheet first: a typo should fail in a second, not after counting.
    let screen_config = screen_config(
        &args.calling,
        &args.input,
        &args.filters,
        &args.run,
        Some(&args.policy),
    )?;
    let rows = read_sheet(&args.sheet)?;
    let sheet_inputs: Vec<PathBuf> = rows.iter().map(|r| r.path.clone()).collect();
    let out = super::common::open_outdir(
        &args.outdir,
        "track",
        &[
            Product::CountsSubdir,
            Product::Calls,
            Product::Selection,
            Product::Track,
        ],
        args.run.overwrite,
        &sheet_inputs,
    )?;
    let bars = Bars::new(rows.len(), args.run.quiet);
    let result =
        Screen::new(screen_config).track(&args.sheet, &rows, &config, Some(&args.outdir), &bars);
    bars.finish();
    let TrackResult {
        tracked,
        selection: sel,
        ..
    } = result?;
    out.finish()?;
    bars.message(&format!(
        "mitosieve: tracked {} clone(s) over {} sample(s); report: {}",
        tracked.set.clones.len(),
        rows.len(),
        args.outdir.join("report.html").display(),
    ));
    // Results on stdout: the trajectories, then the verdicts at the last passage.
    let mut lines = String::from("clone\ttrajectory\tflags\n");
    for c in &tracked.set.clones {
        for t in &c.trajectories {
            let flags: Vec<&str> = t.flags.iter().map(|f| f.as_str()).collect();
            lines.push_str(&format!(
                "{}\t{}\t{}{}\n",
                c.clone,
                track::describe(t),
                flags.join(","),
                if t.exceeds_drift_limit {
                    " (drift rule)"
                } else {
                    ""
                }
            ));
        }
    }
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(lines.as_bytes())?;
        stdout.write_all(b"\n")?;
    }
    print_verdicts(&sel, args.verdicts.table)
}
