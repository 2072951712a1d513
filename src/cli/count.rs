//! `mitosieve count`.

use super::common::{command_line, count_config, open_outdir, FilterOpts, InputOpts, RunOpts};
use super::progress::Bars;
use anyhow::{Context, Result};
use mitosieve::count::{self, counts_path, file::CountsHeader, summary_path, RunInfo};
use mitosieve::output::{all_or_none, write_atomic, Product};
use std::path::PathBuf;

/// Count strand-resolved alleles at every mtDNA position, one counts file per clone.
///
/// Writes <OUTDIR>/<clone>.counts.tsv.gz (bgzip; one row per position 1..16569 with
/// forward/reverse counts of A, C, G, T, N, deletions, insertions and low-quality bases)
/// and <OUTDIR>/<clone>.summary.json (reads used and dropped per reason, depth,
/// breadth). The clone name is the read group's SM, else the file name.
///
/// Example:
///   mitosieve count clone*.bam -o counts/ --threads 8
///   mitosieve count cells.bam --split-by tag:CB --groups barcodes.txt -o counts/
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// BAM, CRAM or SAM files (one per clone, or multiplexed with --split-by).
    #[arg(required = true, value_name = "BAM/CRAM")]
    pub inputs: Vec<PathBuf>,
    /// Output directory (created if missing).
    #[arg(short = 'o', long, value_name = "DIR")]
    pub outdir: PathBuf,
    #[command(flatten)]
    pub input: InputOpts,
    #[command(flatten)]
    pub filters: FilterOpts,
    #[command(flatten)]
    pub run: RunOpts,
}

pub fn run(args: Args) -> Result<()> {
    let config = count_config(&args.input, &args.filters, &args.run)?;
    let out = open_outdir(
        &args.outdir,
        "count",
        &[Product::Counts],
        args.run.overwrite,
        &args.inputs,
    )?;
    let bars = Bars::new(args.inputs.len(), args.run.quiet);
    let run_info = RunInfo {
        command_line: command_line(),
        threads: args.run.threads,
        window: args.input.window,
    };
    let outdir = &args.outdir;
    let result = count::count_streaming(&args.inputs, &config, &bars, |mut clone| {
        let header = CountsHeader::for_clone(&clone);
        let (counts_file, summary_file) = (
            counts_path(outdir, &clone.name),
            summary_path(outdir, &clone.name),
        );
        // A write error never leaves a counts file without its summary.
        all_or_none(&[counts_file.clone(), summary_file.clone()], || {
            count::file::write(&counts_file, &header, &clone.counts)?;
            clone.summary.run = Some(run_info.clone());
            let json = serde_json::to_vec_pretty(&clone.summary).expect("summaries serialise");
            write_atomic(&summary_file, &json)
        })
    });
    bars.finish();
    let run = result.context("counting failed")?;
    for split in &run.splits {
        let stem = std::path::Path::new(&split.input)
            .file_name()
            .map_or_else(|| "input".into(), |n| n.to_string_lossy().into_owned());
        let json = serde_json::to_vec_pretty(split).expect("summaries serialise");
        write_atomic(
            &outdir.join(format!(
                "{}.split.json",
                mitosieve::input::sanitize_clone_name(&stem).name
            )),
            &json,
        )?;
    }
    bars.message(&format!(
        "mitosieve: counted {} clone(s) from {} input(s) into {}",
        run.clones.len(),
        args.inputs.len(),
        outdir.display()
    ));
    out.finish()?;
    Ok(())
}
