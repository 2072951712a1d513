//! The per-clone summary written beside each counts file (`<clone>.summary.json`).

use super::counts::{Counts, FWD, INS, LOWQ, REV};
use super::{CountConfig, OverlapMode, Unassigned};
use crate::filter::{DropReason, ReadFilter, ReadTally};
use crate::input::{InputInfo, NameSource, SanitizedName};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Settings that change the counts. Counts files made with different settings cannot be
/// called together; [`super::file`] stores them in every file's header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountSettings {
    /// Read and base filters.
    pub filter: ReadFilter,
    /// Overlapping-mate strategy.
    pub overlaps: OverlapMode,
    /// Whether evidence for large deletions was collected.
    #[serde(default = "yes")]
    pub deletion_evidence: bool,
}

fn yes() -> bool {
    true
}

impl CountSettings {
    /// The settings of a configuration.
    pub fn from_config(c: &CountConfig) -> Self {
        CountSettings {
            filter: c.filter.clone(),
            overlaps: c.overlaps,
            deletion_evidence: c.deletion_evidence,
        }
    }
}

/// Reads seen, used and dropped per reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadsSummary {
    /// Records on the mitochondrial contig looked at.
    pub seen: u64,
    /// Reads counted.
    pub used: u64,
    /// Reads dropped, all reasons.
    pub dropped_total: u64,
    /// Reads dropped per reason (first failing reason), every reason listed.
    pub dropped: BTreeMap<String, u64>,
    /// Counted reads whose mate maps to another contig (possible NUMT evidence).
    pub mate_other_contig_kept: u64,
    /// Left mates of overlapping pairs counted as reads of their own, both mates then
    /// counting where they overlap, because the mates waiting for their partner had
    /// reached the memory bound (only at depths far beyond 100,000x; absent when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub overlaps_counted_apart: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl From<&ReadTally> for ReadsSummary {
    fn from(t: &ReadTally) -> Self {
        ReadsSummary {
            seen: t.seen,
            used: t.used,
            dropped_total: t.dropped_total(),
            dropped: DropReason::ALL
                .iter()
                .map(|r| (r.name().to_string(), t.dropped(*r)))
                .collect(),
            mate_other_contig_kept: t.mate_other_contig_kept,
            overlaps_counted_apart: t.overlaps_counted_apart,
        }
    }
}

/// Depth along the genome (depth = counted A, C, G, T, N and deletions at a position).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DepthSummary {
    /// Mean depth over the 16,569 positions.
    pub mean: f64,
    /// Median depth.
    pub median: f64,
    /// Smallest depth.
    pub min: u32,
    /// Largest depth.
    pub max: u32,
    /// Fraction of positions with depth ≥ 10.
    pub breadth_10x: f64,
    /// Fraction of positions with depth ≥ 100.
    pub breadth_100x: f64,
    /// Fraction of positions with depth ≥ 1000.
    pub breadth_1000x: f64,
}

impl DepthSummary {
    /// Summarise per-position depths.
    pub fn from_depths(depths: &[u32]) -> Self {
        let n = depths.len().max(1) as f64;
        let mut sorted = depths.to_vec();
        sorted.sort_unstable();
        let median = match sorted.len() {
            0 => 0.0,
            l if l % 2 == 1 => f64::from(sorted[l / 2]),
            l => (f64::from(sorted[l / 2 - 1]) + f64::from(sorted[l / 2])) / 2.0,
        };
        let breadth = |t: u32| depths.iter().filter(|&&d| d >= t).count() as f64 / n;
        DepthSummary {
            mean: round4(depths.iter().map(|&d| f64::from(d)).sum::<f64>() / n),
            median,
            min: sorted.first().copied().unwrap_or(0),
            max: sorted.last().copied().unwrap_or(0),
            breadth_10x: round4(breadth(10)),
            breadth_100x: round4(breadth(100)),
            breadth_1000x: round4(breadth(1000)),
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Totals of counted observations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasesSummary {
    /// A, C, G, T and N observations that passed the quality threshold.
    pub counted: u64,
    /// Reference positions deleted in reads.
    pub deleted: u64,
    /// Observations below the base-quality threshold.
    pub low_quality: u64,
    /// Insertion events.
    pub insertion_events: u64,
}

/// Summary of one clone, written as `<clone>.summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountSummary {
    /// mitosieve version that wrote it.
    pub mitosieve_version: String,
    /// Counts file format version.
    pub counts_format: u32,
    /// Clone name (as used in file names).
    pub clone: String,
    /// The name as found in the input, when it had to be made safe.
    pub original_name: Option<String>,
    /// Where the name came from.
    pub name_source: NameSource,
    /// The input file.
    pub input: String,
    /// Its format (BAM, CRAM, SAM).
    pub input_format: crate::input::Format,
    /// Whether it was read through an index.
    pub indexed: bool,
    /// The mitochondrial contig's name in the input.
    pub contig: String,
    /// Settings that shaped the counts.
    pub settings: CountSettings,
    /// Reads seen, used and dropped.
    pub reads: ReadsSummary,
    /// Observations counted.
    pub bases: BasesSummary,
    /// Depth along the genome.
    pub depth: DepthSummary,
    /// Warnings about this clone.
    pub warnings: Vec<String>,
    /// Command line and run settings (threads, window); filled by the caller.
    pub run: Option<RunInfo>,
}

/// How a run was invoked (provenance; does not change any count).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The command line.
    pub command_line: String,
    /// Worker threads.
    pub threads: usize,
    /// Window size, if given.
    pub window: Option<u32>,
}

impl CountSummary {
    /// Summarise one clone's counts.
    pub fn new(
        name: &SanitizedName,
        name_source: NameSource,
        info: &InputInfo,
        settings: CountSettings,
        tally: &ReadTally,
        counts: &Counts,
        warnings: Vec<String>,
    ) -> Self {
        let mut bases = BasesSummary {
            counted: 0,
            deleted: 0,
            low_quality: 0,
            insertion_events: 0,
        };
        for s in counts.sites() {
            for strand in [FWD, REV] {
                bases.counted += s.n[strand][..5].iter().map(|&x| u64::from(x)).sum::<u64>();
                bases.deleted += u64::from(s.n[strand][5]);
                bases.low_quality += u64::from(s.n[strand][LOWQ]);
                bases.insertion_events += u64::from(s.n[strand][INS]);
            }
        }
        CountSummary {
            mitosieve_version: crate::VERSION.to_string(),
            counts_format: super::file::FORMAT_VERSION,
            clone: name.name.clone(),
            original_name: name.original.clone(),
            name_source,
            input: info.path.display().to_string(),
            input_format: info.format,
            indexed: info.indexed,
            contig: info.contig.clone(),
            settings,
            reads: ReadsSummary::from(tally),
            bases,
            depth: DepthSummary::from_depths(&counts.depths()),
            warnings,
            run: None,
        }
    }
}

/// How a multiplexed input was split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitSummary {
    /// The input file.
    pub input: String,
    /// The split (`rg`, `sm`, `tag:CB`).
    pub split_by: String,
    /// Clones written.
    pub clones: usize,
    /// Reads that went to no clone.
    pub unassigned: Unassigned,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_summary() {
        let d = DepthSummary::from_depths(&[0, 10, 100, 1000, 5]);
        assert_eq!(d.min, 0);
        assert_eq!(d.max, 1000);
        assert_eq!(d.median, 10.0);
        assert_eq!(d.breadth_10x, 0.6);
        assert_eq!(d.breadth_100x, 0.4);
        assert_eq!(d.breadth_1000x, 0.2);
        assert_eq!(d.mean, 223.0);
        let d = DepthSummary::from_depths(&[1, 2, 3, 4]);
        assert_eq!(d.median, 2.5);
    }
}
