//! Flag groups shared by subcommands, and their conversion into library settings.

use clap::Args;
use mitosieve::count::{CountConfig, OverlapMode};
use mitosieve::filter::ReadFilter;
use mitosieve::input::{InputOptions, SplitBy};
use std::path::PathBuf;

/// A command line that is well-formed for clap but makes no sense (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Threads and verbosity.
#[derive(Debug, Clone, Args)]
pub struct RunOpts {
    /// Worker threads (0: one per core).
    #[arg(short = 't', long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// No progress bars, messages or warnings; errors (and requested results, such as
    /// the verdict table on stdout) only.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Replace the outputs an earlier run left in the output directory (removing exactly
    /// that run's files first); without it such a rerun is refused.
    #[arg(long)]
    pub overwrite: bool,
}

/// Take the output directory for this command (see `mitosieve::output::OutputDir`):
/// lock it, refuse (or with `--overwrite` remove) an earlier run's outputs of the same
/// kinds, and record this run's files when it ends. The inputs are never removed.
pub fn open_outdir(
    dir: &std::path::Path,
    command: &str,
    products: &[mitosieve::output::Product],
    overwrite: bool,
    inputs: &[PathBuf],
) -> mitosieve::Result<mitosieve::output::OutputDir> {
    mitosieve::output::OutputDir::open_keeping(
        dir,
        command,
        &command_line(),
        products,
        overwrite,
        inputs,
    )
}

/// How inputs are read.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Input")]
pub struct InputOpts {
    /// FASTA reference for CRAM input (the one the CRAM was compressed against).
    #[arg(short = 'r', long, value_name = "FASTA")]
    pub reference: Option<PathBuf>,
    /// Mitochondrial contig name (default: detected by name and length, e.g. chrM, MT).
    #[arg(long, value_name = "NAME")]
    pub contig: Option<String>,
    /// Split each input into clones: by read group (rg), by sample (sm), or by a tag
    /// such as the cell barcode (tag:CB).
    #[arg(long, value_name = "rg|sm|tag:XX")]
    pub split_by: Option<SplitBy>,
    /// With --split-by: count only the groups listed in FILE (one per line).
    #[arg(long, value_name = "FILE", requires = "split_by")]
    pub groups: Option<PathBuf>,
    /// Do not collect evidence for large deletions (split/clipped reads, discordant
    /// pairs) while counting; `call` then reports no deletion results.
    #[arg(long)]
    pub no_deletion_evidence: bool,
    /// Count in genome windows of BP, one reader per window (by default each input is
    /// read once, by a reading and a counting thread); results never depend on it.
    #[arg(long, value_name = "BP", value_parser = clap::value_parser!(u32).range(1..))]
    pub window: Option<u32>,
}

/// Which reads and bases are counted.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterOpts {
    /// Minimum mapping quality.
    #[arg(long, default_value_t = 20, value_name = "Q")]
    pub min_mapq: u8,
    /// Minimum base quality; lower bases go to the per-position lowq tally.
    #[arg(long, default_value_t = 20, value_name = "Q")]
    pub min_bq: u8,
    /// Minimum number of aligned read bases (M/=/X).
    #[arg(long, default_value_t = 30, value_name = "BP")]
    pub min_aligned_len: u32,
    /// Drop reads with an edit distance (NM) above N.
    #[arg(long, value_name = "N")]
    pub max_nm: Option<u32>,
    /// Count reads marked as duplicates.
    #[arg(long)]
    pub keep_duplicates: bool,
    /// Count secondary alignments.
    #[arg(long)]
    pub keep_secondary: bool,
    /// Count supplementary alignments.
    #[arg(long)]
    pub keep_supplementary: bool,
    /// Count reads that fail vendor QC.
    #[arg(long)]
    pub keep_qcfail: bool,
    /// Drop reads whose mate maps to another contig (kept and counted by default).
    #[arg(long)]
    pub drop_mate_other_contig: bool,
    /// Overlapping mates: one observation per fragment, or every read on its own.
    #[arg(long, default_value = "fragment", value_name = "fragment|independent")]
    pub overlaps: OverlapMode,
}

impl FilterOpts {
    pub fn to_filter(&self) -> ReadFilter {
        ReadFilter {
            drop_secondary: !self.keep_secondary,
            drop_supplementary: !self.keep_supplementary,
            drop_qcfail: !self.keep_qcfail,
            drop_duplicates: !self.keep_duplicates,
            min_mapq: self.min_mapq,
            min_aligned_len: self.min_aligned_len,
            drop_mate_other_contig: self.drop_mate_other_contig,
            max_nm: self.max_nm,
            min_base_quality: self.min_bq,
        }
    }
}

/// Build the library's counting configuration from the flags.
pub fn count_config(
    input: &InputOpts,
    filters: &FilterOpts,
    run: &RunOpts,
) -> anyhow::Result<CountConfig> {
    let groups = match &input.groups {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                anyhow::anyhow!("{}: cannot read the groups list: {e}", p.display())
            })?;
            let list: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect();
            if list.is_empty() {
                // Bad input (exit 1), not a command-line mistake.
                return Err(mitosieve::Error::Parse {
                    path: p.clone(),
                    line: 0,
                    detail: "the groups list is empty".into(),
                }
                .into());
            }
            Some(list)
        }
        None => None,
    };
    Ok(CountConfig {
        filter: filters.to_filter(),
        overlaps: filters.overlaps,
        input: InputOptions {
            contig: input.contig.clone(),
            reference: input.reference.clone(),
            split_by: input.split_by.clone(),
        },
        groups,
        threads: run.threads,
        window: input.window,
        deletion_evidence: !input.no_deletion_evidence,
    })
}

/// The command line as typed, quoted where needed (for provenance).
pub fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
