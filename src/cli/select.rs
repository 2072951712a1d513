//! `mitosieve select`.

use super::common::command_line;
use anyhow::{Context, Result};
use clap::Args as ClapArgs;
use mitosieve::call::read_report;
use mitosieve::output::{OutputDir, Product};
use mitosieve::screen::{self, ScreenConfig};
use mitosieve::select::{read_donor_profile, Policy, Selection};
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
    #[command(flatten)]
    pub verdicts: VerdictOpts,
    /// Apply the drift rule to clones followed across passages: track.json written by
    /// `mitosieve track` (every tracked clone must be among the selected clones).
    #[arg(long, value_name = "FILE")]
    pub track: Option<PathBuf>,
    /// No messages on stderr (the verdict table still goes to stdout).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Replace the selection an earlier run left in the output directory (removing
    /// exactly that run's files first); without it such a rerun is refused.
    #[arg(long)]
    pub overwrite: bool,
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
    /// Load the policy and check that every target it names is one of `known` (the
    /// catalogue's names), naming the policy file and the closest entry otherwise.
    pub fn load_checked(&self, known: &[String]) -> Result<(Policy, Option<Vec<String>>)> {
        let (policy, donor) = self.load()?;
        let names: Vec<&str> = known.iter().map(String::as_str).collect();
        let path = self
            .policy
            .clone()
            .unwrap_or_else(|| PathBuf::from("<default policy>"));
        let text = self
            .policy
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok());
        policy.check_targets(&names, &path, text.as_deref())?;
        Ok((policy, donor))
    }

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

/// How the verdict table is printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// Aligned columns with the first (decisive) reason.
    Text,
    /// Tab-separated `clone verdict rank reasons` with every reason (`; `-separated).
    Tsv,
}

/// Where the verdicts go.
#[derive(Debug, Clone, ClapArgs)]
#[command(next_help_heading = "Selection")]
pub struct VerdictOpts {
    /// Format of the verdict table printed on stdout (logs and progress go to stderr).
    #[arg(long, value_enum, default_value_t = TableFormat::Text, value_name = "FORMAT")]
    pub table: TableFormat,
}

/// The verdict table, one line per clone (stdout).
pub fn verdict_table(sel: &Selection, format: TableFormat) -> String {
    let mut out = String::new();
    match format {
        TableFormat::Tsv => {
            out.push_str("clone\tverdict\trank\treasons\n");
            for c in &sel.clones {
                let rank = c.rank.map_or_else(|| ".".to_string(), |r| r.to_string());
                let reasons = c.reasons.join("; ").replace(['\t', '\n'], " ");
                out.push_str(&format!(
                    "{}\t{}\t{rank}\t{reasons}\n",
                    c.clone,
                    c.verdict.as_str()
                ));
            }
        }
        TableFormat::Text => {
            let w = sel
                .clones
                .iter()
                .map(|c| c.clone.chars().count())
                .max()
                .unwrap_or(0)
                .max("clone".len());
            out.push_str(&format!(
                "{:<w$}  {:<12}  {:<4}  reason\n",
                "clone", "verdict", "rank"
            ));
            for c in &sel.clones {
                let rank = c.rank.map_or_else(|| "-".to_string(), |r| r.to_string());
                let first = c.reasons.first().cloned().unwrap_or_default();
                out.push_str(&format!(
                    "{:<w$}  {:<12}  {rank:<4}  {first}\n",
                    c.clone,
                    c.verdict.as_str()
                ));
            }
        }
    }
    out
}

/// Print the verdict table on stdout.
pub fn print_verdicts(sel: &Selection, format: TableFormat) -> Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(verdict_table(sel, format).as_bytes())?;
    stdout.flush()?;
    Ok(())
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
    // Validate the policy (and its target names) before touching the output directory.
    let known: Vec<String> = report
        .calls
        .targets
        .iter()
        .map(|t| t.target.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let (policy, donor) = args.policy.load_checked(&known)?;
    let config = ScreenConfig {
        policy,
        donor,
        command_line: command_line(),
        ..ScreenConfig::default()
    };
    let out = OutputDir::open_keeping(
        &args.outdir,
        "select",
        &command_line(),
        &[Product::Selection],
        args.overwrite,
        std::slice::from_ref(&path),
    )?;
    let sel = screen::select_clones(&report, &config, track.as_ref())?;
    screen::write_selection(&args.outdir, &sel, &report, track.as_ref())?;
    out.finish()?;
    if !args.quiet {
        eprintln!(
            "mitosieve: selection of {} clone(s) in {}",
            sel.clones.len(),
            args.outdir.display()
        );
    }
    print_verdicts(&sel, args.verdicts.table)
}
