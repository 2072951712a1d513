//! `mitosieve call`.

use super::common::{
    command_line, count_config, open_outdir, FilterOpts, InputOpts, RunOpts, UsageError,
};
use super::progress::Bars;
use anyhow::{Context, Result};
use clap::Args as ClapArgs;
use mitosieve::call::{CallConfig, Catalogue};
use mitosieve::output::Product;
use mitosieve::screen::{self, ScreenConfig};
use std::path::PathBuf;

/// Call heteroplasmy in every clone of a run, together.
///
/// Inputs are BAM/CRAM files (counted first, counts written to <OUTDIR>/counts/) or
/// counts files from `mitosieve count` (so counting can be scattered over a cluster and
/// calling gathered). Writes calls.vcf.gz (+ .tbi), calls.tsv, targets.tsv (every
/// pathogenic target in every clone, with an upper bound when not detected) and
/// calls.json into <OUTDIR>.
///
/// Example:
///   mitosieve call counts/*.counts.tsv.gz -o calls/
///   mitosieve call clone*.bam -o calls/ --min-af 0.02
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Counts files (*.counts.tsv.gz) and/or BAM/CRAM files.
    #[arg(required = true, value_name = "COUNTS/BAM")]
    pub inputs: Vec<PathBuf>,
    /// Output directory (created if missing).
    #[arg(short = 'o', long, value_name = "DIR")]
    pub outdir: PathBuf,
    #[command(flatten)]
    pub calling: CallOpts,
    #[command(flatten)]
    pub input: InputOpts,
    #[command(flatten)]
    pub filters: FilterOpts,
    #[command(flatten)]
    pub run: RunOpts,
}

/// Thresholds of the caller.
#[derive(Debug, Clone, ClapArgs)]
#[command(next_help_heading = "Calling")]
pub struct CallOpts {
    /// Smallest heteroplasmy fraction called.
    #[arg(long, default_value_t = 0.005, value_name = "F")]
    pub min_af: f64,
    /// Fraction at or above which a large deletion is homoplasmic (GT 1/1) and indel
    /// alleles are not stacked; a small variant is homoplasmic when the other allele is
    /// no credible heteroplasmy.
    #[arg(long, default_value_t = 0.95, value_name = "F")]
    pub homoplasmy_af: f64,
    /// Smallest usable depth without the low_depth filter.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub min_depth: u32,
    /// Smallest usable depth on each strand.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub min_strand_depth: u32,
    /// Smallest number of minor-allele reads on each strand.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub min_alt_per_strand: u32,
    /// Largest strand-bias score (Guo et al. 2012; mutserve 2 uses 1.2).
    #[arg(long, default_value_t = 1.2, value_name = "S")]
    pub max_strand_bias: f64,
    /// A score above --max-strand-bias filters a call only when the strands' fractions
    /// also differ at this significance level (exact binomial test).
    #[arg(long, default_value_t = 1e-3, value_name = "P")]
    pub strand_bias_alpha: f64,
    /// Smallest log10 likelihood ratio of a heteroplasmy (mutserve's LLR).
    #[arg(long, default_value_t = 5.0, value_name = "LLR")]
    pub min_llr: f64,
    /// Significance level of the test against the technical background, genome-wide.
    #[arg(long, default_value_t = 1e-6, value_name = "P")]
    pub alpha: f64,
    /// Significance level of that test at the catalogue's pathogenic targets (named in
    /// advance: ~0.05 over the catalogue, not over the genome).
    #[arg(long, default_value_t = 1e-3, value_name = "P")]
    pub target_alpha: f64,
    /// Smallest error rate assumed for one specific substitution.
    #[arg(long, default_value_t = 5e-4, value_name = "F")]
    pub error_floor: f64,
    /// Smallest error rate assumed for an indel.
    #[arg(long, default_value_t = 2e-3, value_name = "F")]
    pub indel_error_floor: f64,
    /// Clones needed to learn the background from siblings.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub min_background_clones: usize,
    /// Confidence of intervals and upper bounds.
    #[arg(long, default_value_t = 0.95, value_name = "C")]
    pub confidence: f64,
    /// Pathogenic targets (TSV: pos, ref, alt, locus, disease, class) instead of the
    /// built-in catalogue.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
}

impl CallOpts {
    pub fn to_config(&self) -> CallConfig {
        CallConfig {
            min_af: self.min_af,
            homoplasmy_af: self.homoplasmy_af,
            min_depth: self.min_depth,
            min_strand_depth: self.min_strand_depth,
            min_alt_per_strand: self.min_alt_per_strand,
            max_strand_bias: self.max_strand_bias,
            strand_bias_alpha: self.strand_bias_alpha,
            min_llr: self.min_llr,
            alpha: self.alpha,
            target_alpha: self.target_alpha,
            error_floor: self.error_floor,
            indel_error_floor: self.indel_error_floor,
            min_background_clones: self.min_background_clones,
            confidence: self.confidence,
            ..CallConfig::default()
        }
    }

    pub fn catalogue(&self) -> Result<Catalogue> {
        Ok(match &self.targets {
            Some(p) => Catalogue::from_file(p)?,
            None => Catalogue::builtin(),
        })
    }
}

/// The library's screen settings from the flags (`policy` for the commands that select).
pub fn screen_config(
    calling: &CallOpts,
    input: &InputOpts,
    filters: &FilterOpts,
    run: &RunOpts,
    policy: Option<&super::select::PolicyOpts>,
) -> Result<ScreenConfig> {
    let catalogue = calling.catalogue()?;
    let (policy, donor) = match policy {
        Some(p) => {
            let known: Vec<String> = catalogue.targets.iter().map(|t| t.name()).collect();
            p.load_checked(&known)?
        }
        None => (Default::default(), None),
    };
    Ok(ScreenConfig {
        count: count_config(input, filters, run)?,
        call: calling.to_config(),
        catalogue,
        policy,
        donor,
        command_line: command_line(),
    })
}

/// `--min-af` outside (0, 1) is a command-line mistake.
pub fn check_min_af(calling: &CallOpts) -> Result<()> {
    if calling.min_af <= 0.0 || calling.min_af >= 1.0 {
        return Err(UsageError(format!(
            "--min-af must be between 0 and 1, got {}",
            calling.min_af
        ))
        .into());
    }
    Ok(())
}

pub fn run(args: Args) -> Result<()> {
    check_min_af(&args.calling)?;
    // A bad targets file fails in a second, not after counting.
    let config = screen_config(&args.calling, &args.input, &args.filters, &args.run, None)?;
    let mut products = vec![Product::Calls];
    if args.inputs.iter().any(|p| !screen::is_counts_file(p)) {
        products.push(Product::CountsSubdir);
    }
    let out = open_outdir(
        &args.outdir,
        "call",
        &products,
        args.run.overwrite,
        &args.inputs,
    )?;
    let bars = Bars::new(args.inputs.len(), args.run.quiet);
    let counts_dir = args.outdir.join("counts");
    let loaded = screen::load_clones(&args.inputs, &config.count, Some(&counts_dir), &bars);
    bars.finish();
    let loaded = loaded.context("counting failed")?;
    let given: Vec<String> = args
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let report = screen::call_clones(&loaded, &config, &given, &bars)?;
    screen::write_calls(&args.outdir, &report)?;
    let n_het: usize = report
        .calls
        .summaries
        .iter()
        .map(|s| s.heteroplasmies)
        .sum();
    bars.message(&format!(
        "mitosieve: called {} clone(s): {} variant record(s), {} passing heteroplasmic call(s); results in {}",
        loaded.len(),
        report.calls.variants.len(),
        n_het,
        args.outdir.display()
    ));
    out.finish()?;
    Ok(())
}
