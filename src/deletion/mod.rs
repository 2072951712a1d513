//! Large mtDNA deletions (KSS, CPEO, Pearson): evidence gathered during counting, events
//! clustered and normalised within flanking direct repeats, and deletion heteroplasmy
//! per clone.
//!
//! Evidence, collected in the same pass over the reads as the allele counts
//! ([`JunctionEvidence`]): split reads (an `SA` alignment on the same strand beyond a
//! gap), soft-clipped reads whose clipped part matches rCRS exactly on 15 bases across
//! a gap, discordant pairs (forward-reverse mates further apart than any fragment), and
//! per-position read starts and ends (for the reads spanning a breakpoint intact).
//!
//! A deletion of rCRS bases `start..=end` that lies between direct repeats can be
//! written in several places (the common deletion m.8470_13446del is also
//! m.8483_13459del, 13-bp repeats `ACCTCCCTCACCA`); every junction is moved to its
//! leftmost placement, so one molecule is one event.
//!
//! Heteroplasmy of a deletion (the MitoSAlt formula):
//! `junction reads / (junction reads + mean of the reads spanning each breakpoint intact
//! by ≥ 15 bp)`, with an exact interval. Junctions that join the end of the genome to its
//! start (reads across the origin of the circular genome) or that imply a tandem copy
//! are counted as "non-deletion junctions", never as deletions.

mod evidence;

pub use evidence::{JunctionEvidence, JunctionKey, JunctionKind, JUNCTION_FLANK};

use crate::model::{clopper_pearson, upper_bound, Interval};
use crate::reference::{rcrs, MT_LENGTH};
use serde::{Deserialize, Serialize};

/// Settings of deletion calling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletionConfig {
    /// Call large deletions at all (off when the counts hold no deletion evidence).
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Shortest deletion reported (shorter ones are small indels, from the CIGAR).
    pub min_len: u32,
    /// Fewest junction reads for an event.
    pub min_junction_reads: u32,
    /// Smallest deletion heteroplasmy reported (targets are reported whatever it is).
    pub min_af: f64,
    /// Junctions whose normalised ends lie within this distance are one event.
    pub cluster_distance: u32,
    /// Confidence of intervals and bounds.
    pub confidence: f64,
}

impl Default for DeletionConfig {
    fn default() -> Self {
        DeletionConfig {
            enabled: true,
            min_len: 50,
            min_junction_reads: 3,
            min_af: 0.01,
            cluster_distance: 10,
            confidence: 0.95,
        }
    }
}

fn enabled() -> bool {
    true
}

/// A deletion of the rCRS bases `start..=end` (1-based, closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeletionSpan {
    /// First deleted base.
    pub start: u32,
    /// Last deleted base.
    pub end: u32,
}

impl DeletionSpan {
    /// Deleted bases.
    pub fn len(&self) -> u32 {
        self.end + 1 - self.start
    }

    /// Never empty (a span has at least one base).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// HGVS-like name, `m.8470_13446del`.
    pub fn name(&self) -> String {
        format!("m.{}_{}del", self.start, self.end)
    }

    /// The leftmost equivalent placement within flanking direct repeats, and how many
    /// bases it could move to the right (the repeat length).
    pub fn normalize(self) -> (DeletionSpan, u32) {
        let r = rcrs();
        let base = |p: u32| r[(p - 1) as usize];
        let (mut s, mut e) = (self.start, self.end);
        // Shift left while the base before the deletion equals its last base.
        while s > 1 && base(s - 1) == base(e) {
            s -= 1;
            e -= 1;
        }
        // Count how far it could shift right: the repeat.
        let mut rep = 0;
        let (mut rs, mut re) = (s, e);
        while re < MT_LENGTH && base(rs) == base(re + 1) {
            rs += 1;
            re += 1;
            rep += 1;
        }
        (DeletionSpan { start: s, end: e }, rep)
    }
}

/// The common 4,977-bp deletion, m.8470_13446del.
pub const COMMON_DELETION: DeletionSpan = DeletionSpan {
    start: 8470,
    end: 13446,
};

/// One deletion in one clone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletionCall {
    /// Clone.
    pub sample: String,
    /// Normalised (leftmost) span.
    pub span: DeletionSpan,
    /// Name (`m.8470_13446del`).
    pub name: String,
    /// Length in bp.
    pub length: u32,
    /// Length of the flanking direct repeat (the event can move this far right).
    pub repeat: u32,
    /// Reads across the junction (split + soft-clipped).
    pub junction_reads: u32,
    /// Of which split reads (`SA` tag).
    pub split_reads: u32,
    /// Of which soft-clipped reads matched across the gap.
    pub clipped_reads: u32,
    /// Junction reads on the forward strand.
    pub junction_fwd: u32,
    /// Junction reads on the reverse strand.
    pub junction_rev: u32,
    /// Reads spanning the left breakpoint intact.
    pub spanning_left: u32,
    /// Reads spanning the right breakpoint intact.
    pub spanning_right: u32,
    /// Discordant pairs consistent with the event.
    pub discordant_pairs: u32,
    /// Mean depth inside the deletion over mean depth of 500 bp on each side.
    pub coverage_ratio: f64,
    /// Deletion heteroplasmy.
    pub af: f64,
    /// Exact interval of `af`.
    pub af_ci: Interval,
    /// One-sided upper bound of `af`.
    pub upper_bound: f64,
    /// True for the common deletion, reported in every clone.
    pub target: bool,
    /// Whether it passed `min_junction_reads` and `min_af` (targets are listed anyway).
    pub called: bool,
}

/// What a clone's counts provide for deletion calling.
pub struct DeletionInput<'a> {
    /// Junction evidence.
    pub evidence: &'a JunctionEvidence,
    /// Reads starting at each zero-based position.
    pub read_starts: &'a [u32],
    /// Reads ending (last aligned base) at each zero-based position.
    pub read_ends: &'a [u32],
    /// Depth at each zero-based position.
    pub depth: &'a [u32],
}

/// Cumulative sums for spanning-read queries.
struct Spanning {
    starts_cum: Vec<u64>,
    ends_cum: Vec<u64>,
}

impl Spanning {
    fn new(starts: &[u32], ends: &[u32]) -> Self {
        let cum = |v: &[u32]| {
            let mut acc = 0u64;
            v.iter()
                .map(|&x| {
                    acc += u64::from(x);
                    acc
                })
                .collect::<Vec<u64>>()
        };
        Spanning {
            starts_cum: cum(starts),
            ends_cum: cum(ends),
        }
    }

    /// Reads covering every zero-based position of `lo..=hi` (reads shorter than the
    /// window are negligible: the read filter drops reads under 30 aligned bases).
    fn covering(&self, lo: i64, hi: i64) -> u32 {
        let n = self.starts_cum.len() as i64;
        if lo < 0 || hi >= n || lo > hi {
            return 0;
        }
        let started = self.starts_cum[lo as usize];
        let ended_before = if hi > 0 {
            self.ends_cum[(hi - 1) as usize]
        } else {
            0
        };
        started
            .saturating_sub(ended_before)
            .min(u64::from(u32::MAX)) as u32
    }
}

fn mean_depth(depth: &[u32], lo: i64, hi: i64) -> f64 {
    let lo = lo.max(0) as usize;
    let hi = (hi.max(0) as usize).min(depth.len());
    if lo >= hi {
        return 0.0;
    }
    depth[lo..hi].iter().map(|&d| f64::from(d)).sum::<f64>() / (hi - lo) as f64
}

/// Quantify one deletion span in one clone.
pub fn quantify(
    sample: &str,
    span: DeletionSpan,
    input: &DeletionInput<'_>,
    config: &DeletionConfig,
    clusters: &[(DeletionSpan, JunctionTotals)],
) -> DeletionCall {
    let (span, repeat) = span.normalize();
    let mut j = JunctionTotals::default();
    for (s, t) in clusters {
        if s.start.abs_diff(span.start) <= config.cluster_distance
            && s.end.abs_diff(span.end) <= config.cluster_distance
        {
            j.add(t);
        }
    }
    let sp = Spanning::new(input.read_starts, input.read_ends);
    let f = i64::from(JUNCTION_FLANK);
    // Zero-based: the left breakpoint lies before base start-1, the right one after end-1;
    // a read spans one intact only if it also covers the whole repeat.
    let l = i64::from(span.start) - 1;
    let r = i64::from(span.end); // first base after the deletion (zero-based)
    let rep = i64::from(repeat);
    let spanning_left = sp.covering(l - f, l + rep + f - 1);
    let spanning_right = sp.covering(r - f, r + rep + f - 1);
    let wild = (f64::from(spanning_left) + f64::from(spanning_right)) / 2.0;
    let n = (f64::from(j.reads()) + wild).round() as u64;
    let x = u64::from(j.reads());
    let af = if n > 0 { x as f64 / n as f64 } else { 0.0 };
    let inside = mean_depth(input.depth, l, r);
    let flanks = (mean_depth(input.depth, l - 500, l) + mean_depth(input.depth, r, r + 500)) / 2.0;
    let discordant = input.evidence.discordant_supporting(span);
    let called = j.reads() >= config.min_junction_reads && af >= config.min_af;
    DeletionCall {
        sample: sample.to_string(),
        name: span.name(),
        length: span.len(),
        span,
        repeat,
        junction_reads: j.reads(),
        split_reads: j.split,
        clipped_reads: j.clipped,
        junction_fwd: j.fwd,
        junction_rev: j.rev,
        spanning_left,
        spanning_right,
        discordant_pairs: discordant,
        coverage_ratio: if flanks > 0.0 {
            (inside / flanks * 1000.0).round() / 1000.0
        } else {
            0.0
        },
        af,
        af_ci: clopper_pearson(x, n, config.confidence),
        upper_bound: upper_bound(x, n, config.confidence),
        target: span == COMMON_DELETION,
        called,
    }
}

/// Junction reads of one normalised event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JunctionTotals {
    /// Split reads.
    pub split: u32,
    /// Clip-matched reads.
    pub clipped: u32,
    /// Forward-strand reads.
    pub fwd: u32,
    /// Reverse-strand reads.
    pub rev: u32,
}

impl JunctionTotals {
    /// All junction reads.
    pub fn reads(&self) -> u32 {
        self.split + self.clipped
    }
    fn add(&mut self, o: &JunctionTotals) {
        self.split += o.split;
        self.clipped += o.clipped;
        self.fwd += o.fwd;
        self.rev += o.rev;
    }
}

/// Normalise every junction and sum the reads per event, largest first.
pub fn cluster(
    evidence: &JunctionEvidence,
    config: &DeletionConfig,
) -> Vec<(DeletionSpan, JunctionTotals)> {
    let mut by_span: std::collections::BTreeMap<DeletionSpan, JunctionTotals> = Default::default();
    for (key, c) in evidence.junctions() {
        let Some(span) = key.deletion() else { continue };
        if span.len() < config.min_len {
            continue;
        }
        let (span, _) = span.normalize();
        let t = by_span.entry(span).or_default();
        match key.kind {
            JunctionKind::Split => t.split += c[0] + c[1],
            JunctionKind::Clip => t.clipped += c[0] + c[1],
        }
        t.fwd += c[0];
        t.rev += c[1];
    }
    // Greedy clustering: the strongest junction absorbs its near neighbours.
    let mut items: Vec<(DeletionSpan, JunctionTotals)> = by_span.into_iter().collect();
    items.sort_by(|a, b| b.1.reads().cmp(&a.1.reads()).then(a.0.cmp(&b.0)));
    let mut out: Vec<(DeletionSpan, JunctionTotals)> = Vec::new();
    for (span, t) in items {
        if let Some(head) = out.iter_mut().find(|(h, _)| {
            h.start.abs_diff(span.start) <= config.cluster_distance
                && h.end.abs_diff(span.end) <= config.cluster_distance
        }) {
            head.1.add(&t);
        } else {
            out.push((span, t));
        }
    }
    out
}

/// Call the deletions of one clone: every clustered event with enough junction reads,
/// plus the common deletion whatever its evidence.
pub fn call_deletions(
    sample: &str,
    input: &DeletionInput<'_>,
    config: &DeletionConfig,
) -> Vec<DeletionCall> {
    let clusters = cluster(input.evidence, config);
    let mut calls: Vec<DeletionCall> = clusters
        .iter()
        .filter(|(_, t)| t.reads() >= config.min_junction_reads)
        .map(|(span, _)| quantify(sample, *span, input, config, &clusters))
        .filter(|c| c.called)
        .collect();
    if !calls.iter().any(|c| c.span == COMMON_DELETION) {
        calls.push(quantify(sample, COMMON_DELETION, input, config, &clusters));
    }
    calls.sort_by_key(|c| c.span);
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_deletion_normalises_within_its_repeat() {
        let (n, rep) = DeletionSpan {
            start: 8483,
            end: 13459,
        }
        .normalize();
        assert_eq!(n, COMMON_DELETION);
        assert_eq!(rep, 13);
        let (n, _) = DeletionSpan {
            start: 8476,
            end: 13452,
        }
        .normalize();
        assert_eq!(n, COMMON_DELETION);
        assert_eq!(COMMON_DELETION.len(), 4977);
        assert_eq!(COMMON_DELETION.name(), "m.8470_13446del");
    }

    #[test]
    fn spanning_reads_from_starts_and_ends() {
        // Three reads: [0,99], [10,109], [50,149] (zero-based, inclusive).
        let mut starts = vec![0u32; 200];
        let mut ends = vec![0u32; 200];
        for (s, e) in [(0usize, 99usize), (10, 109), (50, 149)] {
            starts[s] += 1;
            ends[e] += 1;
        }
        let sp = Spanning::new(&starts, &ends);
        assert_eq!(sp.covering(20, 90), 2);
        assert_eq!(sp.covering(60, 99), 3);
        assert_eq!(sp.covering(60, 100), 2);
        assert_eq!(sp.covering(0, 149), 0);
    }
}
