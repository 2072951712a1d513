//! `mitosieve track`.

use super::call::{is_counts_file, load_clones, CallOpts, Loaded};
use super::common::{command_line, FilterOpts, InputOpts, RunOpts, UsageError};
use super::progress::Bars;
use super::select::{print_verdicts, PolicyOpts, VerdictOpts};
use anyhow::{Context, Result};
use clap::Args as ClapArgs;
use mitosieve::call::{self, CallReport};
use mitosieve::count::{self, file::CountsHeader};
use mitosieve::output::{all_or_none, prepare_output_dir, Product};
use mitosieve::select::{self, select_with_track};
use mitosieve::track::{self, read_sheet, PassageSample, TrackConfig};
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
    if args.calling.min_af <= 0.0 || args.calling.min_af >= 1.0 {
        return Err(UsageError(format!(
            "--min-af must be between 0 and 1, got {}",
            args.calling.min_af
        ))
        .into());
    }
    // Policy, targets and sheet first: a typo should fail in a second, not after counting.
    let catalogue = args.calling.catalogue()?;
    let known: Vec<String> = catalogue.targets.iter().map(|t| t.name()).collect();
    let (policy, donor) = args.policy.load_checked(&known)?;
    let rows = read_sheet(&args.sheet)?;
    if args.input.split_by.is_some() {
        return Err(UsageError(
            "--split-by cannot be used with track: give one file per clone and passage in the sheet".into(),
        )
        .into());
    }
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
    let counts_dir = args.outdir.join("counts");
    let bars = Bars::new(rows.len(), args.run.quiet);
    let mut loaded: Vec<Loaded> = Vec::with_capacity(rows.len());
    let mut counted_files: Vec<PathBuf> = Vec::new();
    let result = (|| -> Result<()> {
        for row in &rows {
            let what = || {
                format!(
                    "{}:{}: clone {} at passage {}",
                    args.sheet.display(),
                    row.line,
                    row.clone,
                    row.passage.label
                )
            };
            let mut one = load_clones(
                std::slice::from_ref(&row.path),
                &args.input,
                &args.filters,
                &args.run,
                None,
                &bars,
            )
            .with_context(what)?;
            if one.len() != 1 {
                anyhow::bail!(
                    "{}: {} holds {} clones; give one clone per row",
                    what(),
                    row.path.display(),
                    one.len()
                );
            }
            let l = one.remove(0);
            if !is_counts_file(&row.path) {
                // Keep the counts, named by clone and passage, for a fast rerun.
                if counted_files.is_empty() {
                    prepare_output_dir(&counts_dir)?;
                }
                let name = mitosieve::input::sanitize_clone_name(&format!(
                    "{}_{}",
                    row.clone, row.passage.label
                ))
                .name;
                let path = count::counts_path(&counts_dir, &name);
                let header = CountsHeader {
                    format_version: count::file::FORMAT_VERSION,
                    mitosieve_version: mitosieve::VERSION.to_string(),
                    clone: name,
                    input: row.path.display().to_string(),
                    contig: l.contig.clone(),
                    reference_md5: mitosieve::reference::RCRS_MD5.to_string(),
                    settings: l.settings.clone(),
                };
                count::file::write(&path, &header, &l.counts)?;
                counted_files.push(path);
            }
            if let Some(first) = loaded.first() {
                if l.settings != first.settings {
                    return Err(mitosieve::Error::Incompatible {
                        path: row.path.clone(),
                        detail: format!(
                            "counted with other settings than {}; count every clone and passage of a sheet with the same filters",
                            first.source.display()
                        ),
                    }
                    .into());
                }
            }
            loaded.push(l);
        }
        Ok(())
    })();
    bars.finish();
    if let Err(e) = result {
        for f in &counted_files {
            let _ = std::fs::remove_file(f);
        }
        return Err(e);
    }

    let mut call_config = args.calling.to_config();
    call_config.deletion.enabled = loaded.iter().all(|l| l.settings.deletion_evidence);
    let samples: Vec<PassageSample> = rows
        .iter()
        .zip(&loaded)
        .map(|(r, l)| PassageSample {
            clone: r.clone.clone(),
            passage: r.passage.clone(),
            counts: &l.counts,
        })
        .collect();
    let mut tracked = track::track(&samples, &call_config, &catalogue, &policy, &config)?;
    let cmd = command_line();
    tracked.set.command_line = cmd.clone();
    let contig = loaded
        .first()
        .map_or_else(|| "chrM".to_string(), |l| l.contig.clone());
    let last = CallReport {
        command_line: cmd.clone(),
        count_settings: loaded.first().map(|l| l.settings.clone()),
        contig,
        inputs: rows.iter().map(|r| r.path.display().to_string()).collect(),
        calls: track::latest_calls(&tracked.calls, &tracked.set),
    };
    let mut sel = select_with_track(&last, &policy, donor, Some(&tracked.set))?;
    sel.command_line = cmd;
    let files: Vec<PathBuf> = track::TRACK_FILES
        .iter()
        .chain(call::CALL_FILES)
        .chain(select::SELECTION_FILES)
        .chain(mitosieve::report::REPORT_FILES)
        .map(|f| args.outdir.join(f))
        .collect();
    all_or_none(&files, || -> Result<()> {
        track::write_outputs(&args.outdir, &tracked.set)?;
        call::write_outputs(&args.outdir, &last)?;
        select::write_outputs(&args.outdir, &sel)?;
        mitosieve::report::write_outputs_with_track(&args.outdir, &sel, &last, &tracked.set)?;
        Ok(())
    })?;
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
