//! The whole mitosieve pipeline through the library: count → call → select → report,
//! as `mitosieve run` does it, on BAM/CRAM files given on the command line.
//!
//! ```text
//! cargo run --release --example pipeline                          # test-data/plate/*.bam
//! cargo run --release --example pipeline -- clone*.bam --outdir screen/ --policy policy.toml
//! ```
//!
//! Prints one verdict per clone on stdout (clone, verdict, rank, worst target and its
//! upper bound, first reason) and writes the outputs of `mitosieve run` (calls.vcf.gz,
//! calls.tsv, targets.tsv, deletions.tsv, calls.json, selection.tsv, selection.json,
//! policy.resolved.toml, report.html, MultiQC files) into `--outdir` (default: a new
//! `mitosieve-pipeline-XXXXXX` folder in the system's temporary directory, named on
//! stderr).

use mitosieve::count;
use mitosieve::screen::{Screen, ScreenConfig};
use mitosieve::select::{self, Policy};
use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    bams: Vec<PathBuf>,
    outdir: PathBuf,
    policy: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut bams = Vec::new();
    let mut outdir = None;
    let mut policy = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("-o" | "--outdir") => {
                outdir = Some(PathBuf::from(args.next().ok_or("--outdir needs a DIR")?))
            }
            Some("--policy") => policy = Some(args.next().ok_or("--policy needs a FILE")?.into()),
            Some("-h" | "--help") => {
                return Err(
                    "usage: pipeline [BAM/CRAM...] [--outdir DIR] [--policy FILE]".to_string(),
                )
            }
            _ => bams.push(PathBuf::from(a)),
        }
    }
    if bams.is_empty() {
        // The plate bundled with mitosieve.
        let plate = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-data/plate");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&plate)
            .map_err(|e| format!("{}: {e}", plate.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "bam"))
            .collect();
        found.sort();
        bams = found;
    }
    // Default: a new folder of its own under the system's temporary directory (kept, and
    // named on stderr), never one shared with another run.
    let outdir = match outdir {
        Some(d) => d,
        None => tempfile::Builder::new()
            .prefix("mitosieve-pipeline-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary output folder: {e}"))?
            .keep(),
    };
    Ok(Args {
        bams,
        outdir,
        policy,
    })
}

/// Progress and warnings on stderr (the command line draws bars instead).
struct Log;

impl count::Observer for Log {
    fn warn(&self, message: &str) {
        eprintln!("warning: {message}");
    }
    fn source_finished(&self, source: usize) {
        eprintln!("counted input {}", source + 1);
    }
}

fn pipeline(args: &Args) -> mitosieve::Result<select::Selection> {
    // The settings `mitosieve run` builds from its flags, here the defaults and a policy.
    let config = ScreenConfig {
        policy: match &args.policy {
            Some(p) => Policy::from_file(p)?,
            None => Policy::default(),
        },
        command_line: std::env::args().collect::<Vec<_>>().join(" "),
        ..ScreenConfig::default()
    };
    // count → call → select → the files `mitosieve run` writes (report.html among them),
    // by the very code path of `mitosieve run`.
    mitosieve::output::prepare_output_dir(&args.outdir)?;
    let result = Screen::new(config).run(&args.bams, Some(&args.outdir), &Log)?;
    for s in &result.calls.calls.summaries {
        eprintln!(
            "called {:<12} mean depth {:>7.1}, {} passing heteroplasmies",
            s.sample, s.mean_depth, s.heteroplasmies
        );
    }
    Ok(result.selection)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match pipeline(&args) {
        Ok(selection) => {
            println!("clone\tverdict\trank\tworst_target\tupper_bound\treason");
            for c in &selection.clones {
                println!(
                    "{}\t{}\t{}\t{}\t{:.4}\t{}",
                    c.clone,
                    c.verdict.as_str(),
                    c.rank.map_or_else(|| ".".to_string(), |r| r.to_string()),
                    c.worst_target.as_deref().unwrap_or("."),
                    c.max_target_upper_bound,
                    c.reasons.first().map_or(".", String::as_str)
                );
            }
            eprintln!("report: {}", args.outdir.join("report.html").display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pipeline: error: {e}");
            ExitCode::FAILURE
        }
    }
}
