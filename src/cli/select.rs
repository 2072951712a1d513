//! `mitosieve select`.

use super::common::command_line;
use anyhow::{Context, Result};
use clap::Args as ClapArgs;
use mitosieve::call::{read_report, CallReport};
use mitosieve::output::prepare_output_dir;
use mitosieve::select::{self, read_donor_profile, select_with_track, Policy, Selection};
use mitosieve::track::{read_track, TrackSet};
use std::path::{Path, PathBuf};

/// Decide which clones may be expanded: PASS, FAIL or INCONCLUSIVE, with reasons.
///
/// Reads the calls of a run (calls.json, or the directory `mitosieve call` wrote) and a
/// policy (TOML; defaults: every confirmed pathogenic target below 5%, deletions below
/// 1%, mean depth 50x, 95% breadth, homoplasmies matching the donor). Writes
/// selection.tsv, selection.json, policy.resolved.toml, report.html and MultiQC files.
///
/// Example:
///   mitosieve select calls/ --policy policy.toml -o selection/
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// calls.json, or the output directory of `mitosieve call`.
    #[arg(value_name = "CALLS")]
    pub calls: PathBuf,
    /// Output directory (created if missing).
    #[arg(short = 'o', long, value_name = "DIR")]
    pub outdir: PathBuf,
    #[command(flatten)]
    pub policy: PolicyOpts,
    /// Apply the drift rule to clones followed across passages: track.json written by
    /// `mitosieve track` (every tracked clone must be among the selected clones).
    #[arg(long, value_name = "FILE")]
    pub track: Option<PathBuf>,
    /// No progress output.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Policy and donor flags (shared with `run`).
#[derive(Debug, Clone, ClapArgs)]
#[command(next_help_heading = "Selection")]
pub struct PolicyOpts {
    /// Selection policy (TOML); see the README for every key and its default.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Donor homoplasmic profile (variants like m.263A>G, one per line) instead of the
    /// majority of the clones.
    #[arg(long, value_name = "FILE")]
    pub donor: Option<PathBuf>,
}

impl PolicyOpts {
    pub fn load(&self) -> Result<(Policy, Option<Vec<String>>)> {
        let policy = match &self.policy {
            Some(p) => Policy::from_file(p)?,
            None => Policy::default(),
        };
        let donor = match &self.donor {
            Some(p) => Some(read_donor_profile(p)?),
            None => None,
        };
        Ok((policy, donor))
    }
}

/// The passages of `--track FILE` (track.json of `mitosieve track`), when given.
pub fn load_track(path: Option<&Path>) -> Result<Option<TrackSet>> {
    path.map(|p| read_track(p).with_context(|| format!("cannot read the track {}", p.display())))
        .transpose()
}

/// Select and write every output of the selection step.
pub fn select_and_write(
    report: &CallReport,
    opts: &PolicyOpts,
    track: Option<&TrackSet>,
    outdir: &Path,
) -> Result<Selection> {
    let (policy, donor) = opts.load()?;
    let mut sel = select_with_track(report, &policy, donor, track)?;
    sel.command_line = command_line();
    let files: Vec<std::path::PathBuf> = select::SELECTION_FILES
        .iter()
        .chain(mitosieve::report::REPORT_FILES)
        .map(|f| outdir.join(f))
        .collect();
    mitosieve::output::all_or_none(&files, || {
        select::write_outputs(outdir, &sel)?;
        match track {
            Some(t) => mitosieve::report::write_outputs_with_track(outdir, &sel, report, t),
            None => mitosieve::report::write_outputs(outdir, &sel, report),
        }
    })?;
    Ok(sel)
}

/// A short verdict table for the terminal (stderr).
pub fn verdict_lines(sel: &Selection) -> String {
    let mut out = String::new();
    for c in &sel.clones {
        let rank = c.rank.map_or_else(String::new, |r| format!(" (rank {r})"));
        let first = c.reasons.first().cloned().unwrap_or_default();
        out.push_str(&format!(
            "  {:<16} {:<12}{rank:<10} {first}\n",
            c.clone,
            c.verdict.as_str()
        ));
    }
    out
}

pub fn run(args: Args) -> Result<()> {
    let path = if args.calls.is_dir() {
        args.calls.join("calls.json")
    } else {
        args.calls.clone()
    };
    let report = read_report(&path)
        .with_context(|| format!("cannot read the calls of {}", args.calls.display()))?;
    let track = load_track(args.track.as_deref())?;
    // Validate the policy before touching the output directory.
    args.policy.load()?;
    prepare_output_dir(&args.outdir)?;
    let sel = select_and_write(&report, &args.policy, track.as_ref(), &args.outdir)?;
    if !args.quiet {
        eprintln!(
            "mitosieve: selection of {} clone(s) in {}",
            sel.clones.len(),
            args.outdir.display()
        );
        eprint!("{}", verdict_lines(&sel));
    }
    Ok(())
}
