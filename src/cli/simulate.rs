//! `mitosieve simulate`.

use super::common::RunOpts;
use anyhow::{Context, Result};
use mitosieve::sim::{self, SimSpec};
use std::path::PathBuf;
use std::time::Instant;

/// Simulate a clone plate: aligned paired-end reads from mixtures of mtDNA haplotypes.
///
/// Writes <OUTDIR>/<clone>.bam (coordinate-sorted, reads already aligned to rCRS as
/// bwa mem would align them, split reads with supplementary alignments across large
/// deletions), <OUTDIR>/<clone>.bam.bai, and <OUTDIR>/truth.tsv (clone, kind
/// snv|deletion|donor, pos, ref, alt, expected_af, depth). The same spec and seed give
/// byte-identical files on every machine.
///
/// Spec (TOML; every clone field but name and depth has a default):
///   seed = 42
///   [donors]
///   A = ["263A>G", "750A>G", "1438A>G"]
///   [[clones]]
///   name = "clone01"
///   donor = "A"
///   depth = 1500            # mean read depth
///   read_length = 150       # default 150
///   fragment_mean = 350     # default 350 (sd 50: fragment_sd)
///   haplotypes = [          # the rest of the molecules carry only the donor's variants
///     { fraction = 0.40, snvs = ["3243A>G"] },
///     { fraction = 0.30, deletion = { start = 8470, end = 13446 } },
///   ]
///
/// Example:
///   mitosieve simulate --spec test-data/plate.toml -o test-data/plate
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The plate to simulate (TOML).
    #[arg(long, value_name = "TOML")]
    pub spec: PathBuf,
    /// Output directory (created if missing).
    #[arg(short = 'o', long, value_name = "DIR")]
    pub outdir: PathBuf,
    /// Use this seed instead of the spec's.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub run: RunOpts,
}

pub fn run(args: Args) -> Result<()> {
    let mut spec = SimSpec::from_path(&args.spec)?;
    if let Some(seed) = args.seed {
        spec.seed = seed;
    }
    let start = Instant::now();
    let out = super::common::open_outdir(
        &args.outdir,
        "simulate",
        &[mitosieve::output::Product::Simulation],
        args.run.overwrite,
        std::slice::from_ref(&args.spec),
    )?;
    let report = sim::simulate(&spec, &args.outdir, args.run.threads)
        .with_context(|| format!("simulating {} failed", args.spec.display()))?;
    if !args.run.quiet {
        for c in &report.clones {
            eprintln!(
                "mitosieve: {}: {} read pairs, {} split reads, {} discordant pairs -> {}",
                c.name,
                c.stats.fragments,
                c.stats.split_reads,
                c.stats.discordant_pairs,
                c.bam.display()
            );
        }
        eprintln!(
            "mitosieve: simulated {} clone(s) in {:.1} s; truth in {}",
            report.clones.len(),
            start.elapsed().as_secs_f64(),
            report.truth.display()
        );
    }
    out.finish()?;
    Ok(())
}
