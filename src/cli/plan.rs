//! `mitosieve plan`.

use anyhow::{Context, Result};
use mitosieve::output::{write_atomic, OutputDir, Product};
use mitosieve::plan::{curve_svg, plan, table, PlanConfig};
use mitosieve::select::{read_selection, Verdict};
use std::io::Write;
use std::path::PathBuf;

/// Plan sequencing depth: usable reads needed to certify a clone below a maximum load.
///
/// For true loads of 0, 0.5%, 1%, 2%, 3% and 4% (or --loads) prints the usable depth at
/// which the 95% upper bound falls below the maximum with the requested probability.
/// With --from-run, the background error is measured from an earlier run's calls and
/// the depth that would settle each INCONCLUSIVE clone is listed. With -o, also writes
/// plan.tsv, plan.json and plan.svg (detection limit vs depth).
///
/// Example:
///   mitosieve plan --max-load 0.05
///   mitosieve plan --from-run screen/ -o plan/
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Maximum load to certify against.
    #[arg(long, default_value_t = 0.05, value_name = "F")]
    pub max_load: f64,
    /// Confidence of the upper bound.
    #[arg(long, default_value_t = 0.95, value_name = "C")]
    pub confidence: f64,
    /// Probability of certifying that the planned depth must give.
    #[arg(long, default_value_t = 0.95, value_name = "P")]
    pub power: f64,
    /// Background error per read for the pathogenic allele (default: the caller's floor).
    #[arg(long, value_name = "F", conflicts_with = "from_run")]
    pub error: Option<f64>,
    /// Output directory of an earlier `mitosieve run`/`call` (calls.json, selection.json).
    #[arg(long, value_name = "DIR")]
    pub from_run: Option<PathBuf>,
    /// True loads to plan for (comma-separated fractions).
    #[arg(long, value_delimiter = ',', value_name = "F,F,...")]
    pub loads: Option<Vec<f64>>,
    /// Write plan.tsv, plan.json and plan.svg here.
    #[arg(short = 'o', long, value_name = "DIR")]
    pub outdir: Option<PathBuf>,
    /// Replace the plan an earlier run left in the output directory.
    #[arg(long, requires = "outdir")]
    pub overwrite: bool,
}

pub fn run(args: Args) -> Result<()> {
    let mut config = PlanConfig {
        max_load: args.max_load,
        confidence: args.confidence,
        power: args.power,
        ..PlanConfig::default()
    };
    if let Some(l) = args.loads {
        config.loads = l;
    }
    if let Some(e) = args.error {
        config.error = e;
        config.error_source = "given with --error".into();
    }
    let mut inconclusive = Vec::new();
    if let Some(dir) = &args.from_run {
        let report = mitosieve::call::read_report(&dir.join("calls.json"))
            .with_context(|| format!("--from-run {}", dir.display()))?;
        let mut bg: Vec<f64> = report
            .calls
            .variants
            .iter()
            .filter(|v| v.pathogenic.is_some())
            .flat_map(|v| v.calls.iter().filter(|c| c.depth > 0).map(|c| c.background))
            .collect();
        if !bg.is_empty() {
            bg.sort_by(f64::total_cmp);
            config.error = bg[bg.len() / 2];
            config.error_source = format!(
                "median background at the targets of {} clone(s) in {}",
                report.calls.samples.len(),
                dir.display()
            );
        }
        let sel_path = dir.join("selection.json");
        if sel_path.exists() {
            let sel = read_selection(&sel_path)?;
            for c in sel
                .clones
                .iter()
                .filter(|c| c.verdict == Verdict::Inconclusive)
            {
                // (what, usable depth now, depth needed); a deletion's depth is the
                // reads across its breakpoints.
                let targets = c
                    .targets
                    .iter()
                    .filter(|t| t.verdict == Verdict::Inconclusive)
                    .map(|t| (&t.target, u64::from(t.depth), t.depth_needed));
                let deletions = c
                    .deletions
                    .iter()
                    .filter(|d| d.verdict == Verdict::Inconclusive)
                    .map(|d| (&d.name, d.depth, d.depth_needed));
                for (what, now, needed) in targets.chain(deletions) {
                    let needed = needed
                        .map_or_else(|| "more depth cannot settle it".into(), |d| d.to_string());
                    inconclusive.push(format!("{}\t{what}\t{now}\t{needed}", c.clone));
                }
            }
        }
    }
    let p = plan(&config)?;
    let mut text = table(&p);
    if !inconclusive.is_empty() {
        text.push_str("\n# inconclusive clones of the run\nclone\ttarget\tusable_depth_now\tusable_depth_needed\n");
        for l in &inconclusive {
            text.push_str(l);
            text.push('\n');
        }
    }
    std::io::stdout().write_all(text.as_bytes())?;
    if let Some(dir) = &args.outdir {
        let out = OutputDir::open(
            dir,
            "plan",
            &super::common::command_line(),
            &[Product::Plan],
            args.overwrite,
        )?;
        write_atomic(&dir.join("plan.tsv"), text.as_bytes())?;
        write_atomic(&dir.join("plan.json"), &serde_json::to_vec_pretty(&p)?)?;
        write_atomic(&dir.join("plan.svg"), curve_svg(&p).as_bytes())?;
        out.finish()?;
    }
    Ok(())
}
