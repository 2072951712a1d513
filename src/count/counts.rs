//! The per-position, per-strand allele counts of one clone.

use crate::reference::{Position, MT_LENGTH};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Strand of a read: forward (0) or reverse (1).
pub const FWD: usize = 0;
/// Reverse strand index.
pub const REV: usize = 1;

/// Alleles counted at a position, in column order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Allele {
    /// Adenine.
    A = 0,
    /// Cytosine.
    C = 1,
    /// Guanine.
    G = 2,
    /// Thymine.
    T = 3,
    /// An `N` (or other ambiguity code) in the read.
    N = 4,
    /// The reference base is deleted in the read.
    Del = 5,
}

impl Allele {
    /// The four bases.
    pub const BASES: [Allele; 4] = [Allele::A, Allele::C, Allele::G, Allele::T];
    /// Every allele, in column order.
    pub const ALL: [Allele; 6] = [
        Allele::A,
        Allele::C,
        Allele::G,
        Allele::T,
        Allele::N,
        Allele::Del,
    ];

    /// The allele of an upper- or lower-case nucleotide letter (`*` and `-` for deletion).
    pub fn from_ascii(b: u8) -> Option<Allele> {
        match b.to_ascii_uppercase() {
            b'A' => Some(Allele::A),
            b'C' => Some(Allele::C),
            b'G' => Some(Allele::G),
            b'T' => Some(Allele::T),
            b'N' => Some(Allele::N),
            b'*' | b'-' => Some(Allele::Del),
            _ => None,
        }
    }

    /// The letter used in files (`*` for a deletion).
    pub fn as_char(self) -> char {
        ['A', 'C', 'G', 'T', 'N', '*'][self as usize]
    }
}

/// Index of the insertion-event tally in [`SiteCounts::n`].
pub const INS: usize = 6;
/// Index of the low-quality tally in [`SiteCounts::n`].
pub const LOWQ: usize = 7;

/// Counts at one position.
///
/// `n[strand][i]` holds, for `i` = 0..=5, the alleles A, C, G, T, N and deletion; 6 the
/// insertion events that follow this position; 7 the bases (or deletions) below the base
/// quality threshold. `qsum[strand][i]` sums the base qualities of the A, C, G, T, N
/// observations, so `qsum / n` is the mean base quality of an allele.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[repr(C)]
pub struct SiteCounts {
    /// Counts per strand: A, C, G, T, N, deletion, insertion events, low quality.
    pub n: [[u32; 8]; 2],
    /// Sum of base qualities per strand for A, C, G, T, N.
    pub qsum: [[u64; 5]; 2],
    /// Counted observations from reads whose mate maps to another contig (both strands).
    pub mate_other_contig: u32,
    /// Counted reads whose alignment starts here (for reads spanning a breakpoint).
    pub read_starts: u32,
    /// Counted reads whose alignment ends here (last aligned base).
    pub read_ends: u32,
}

impl SiteCounts {
    /// Observations of an allele on both strands.
    pub fn allele(&self, a: Allele) -> u32 {
        self.n[FWD][a as usize] + self.n[REV][a as usize]
    }

    /// Observations of an allele on one strand.
    pub fn allele_strand(&self, a: Allele, strand: usize) -> u32 {
        self.n[strand][a as usize]
    }

    /// Depth: A + C + G + T + N + deletions on both strands (bases that passed the
    /// quality threshold; low-quality ones are in [`SiteCounts::lowq`]).
    pub fn depth(&self) -> u32 {
        self.n[FWD][..6].iter().sum::<u32>() + self.n[REV][..6].iter().sum::<u32>()
    }

    /// Insertion events after this position, both strands.
    pub fn insertions(&self) -> u32 {
        self.n[FWD][INS] + self.n[REV][INS]
    }

    /// Low-quality observations, both strands.
    pub fn lowq(&self) -> u32 {
        self.n[FWD][LOWQ] + self.n[REV][LOWQ]
    }

    /// Mean base quality of an allele (both strands), if observed.
    pub fn mean_quality(&self, a: Allele) -> Option<f64> {
        if a == Allele::Del {
            return None;
        }
        let n = self.allele(a);
        (n > 0).then(|| (self.qsum[FWD][a as usize] + self.qsum[REV][a as usize]) as f64 / n as f64)
    }

    /// Add another position's counts.
    #[inline]
    pub fn add(&mut self, o: &SiteCounts) {
        for s in 0..2 {
            for i in 0..8 {
                self.n[s][i] += o.n[s][i];
            }
            for i in 0..5 {
                self.qsum[s][i] += o.qsum[s][i];
            }
        }
        self.mate_other_contig += o.mate_other_contig;
        self.read_starts += o.read_starts;
        self.read_ends += o.read_ends;
    }
}

/// A small insertion or deletion that starts right after an anchor position.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IndelKey {
    /// Bases inserted after the anchor (upper case).
    Ins(Vec<u8>),
    /// This many reference bases deleted after the anchor.
    Del(u32),
}

impl IndelKey {
    /// `+ACG` for an insertion, `-3` for a deletion (the samtools pileup notation).
    pub fn notation(&self) -> String {
        match self {
            IndelKey::Ins(s) => format!("+{}", String::from_utf8_lossy(s)),
            IndelKey::Del(n) => format!("-{n}"),
        }
    }

    /// Parse the notation of [`IndelKey::notation`].
    pub fn parse(s: &str) -> Option<IndelKey> {
        let (sign, rest) = s.split_at_checked(1)?;
        match sign {
            "+" if !rest.is_empty() && rest.bytes().all(|b| b"ACGTN".contains(&b)) => {
                Some(IndelKey::Ins(rest.as_bytes().to_vec()))
            }
            "-" => rest.parse().ok().filter(|&n| n > 0).map(IndelKey::Del),
            _ => None,
        }
    }
}

/// Indel events per anchor position (zero-based index) and per strand.
pub type IndelMap = HashMap<(u32, IndelKey), [u32; 2]>;

/// Counts for the whole genome of one clone: one [`SiteCounts`] per position plus the
/// indel events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    sites: Vec<SiteCounts>,
    indels: IndelMap,
    junctions: crate::deletion::JunctionEvidence,
}

impl Default for Counts {
    fn default() -> Self {
        Self::new()
    }
}

impl Counts {
    /// Empty counts over 16,569 positions.
    pub fn new() -> Self {
        Counts {
            sites: vec![SiteCounts::default(); MT_LENGTH as usize],
            indels: IndelMap::new(),
            junctions: Default::default(),
        }
    }

    /// Counts from their parts (the sites must be 16,569 long).
    pub fn from_parts(
        sites: Vec<SiteCounts>,
        indels: IndelMap,
        junctions: crate::deletion::JunctionEvidence,
    ) -> Option<Self> {
        (sites.len() == MT_LENGTH as usize).then_some(Counts {
            sites,
            indels,
            junctions,
        })
    }

    /// Junction evidence for large deletions.
    pub fn junctions(&self) -> &crate::deletion::JunctionEvidence {
        &self.junctions
    }

    /// Add junction evidence.
    pub fn add_junctions(&mut self, j: crate::deletion::JunctionEvidence) {
        self.junctions.merge(j);
    }

    /// What deletion calling needs from these counts.
    pub fn deletion_input(&self) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        (
            self.sites.iter().map(|s| s.read_starts).collect(),
            self.sites.iter().map(|s| s.read_ends).collect(),
            self.depths(),
        )
    }

    /// Counts at a position.
    pub fn site(&self, pos: Position) -> &SiteCounts {
        &self.sites[pos.zero_based()]
    }

    /// Every position's counts, index 0 = position 1.
    pub fn sites(&self) -> &[SiteCounts] {
        &self.sites
    }

    /// Mutable access for accumulation.
    pub fn sites_mut(&mut self) -> &mut [SiteCounts] {
        &mut self.sites
    }

    /// All indel events: `(zero-based anchor, key) → [fwd, rev]`.
    pub fn indels(&self) -> &IndelMap {
        &self.indels
    }

    /// Indel events anchored at a position, most frequent first (ties by notation).
    pub fn indels_at(&self, pos: Position) -> Vec<(IndelKey, [u32; 2])> {
        let anchor = pos.zero_based() as u32;
        let mut v: Vec<_> = self
            .indels
            .iter()
            .filter(|((a, _), _)| *a == anchor)
            .map(|((_, k), c)| (k.clone(), *c))
            .collect();
        sort_indels(&mut v);
        v
    }

    /// Indel events grouped by anchor, each list sorted most frequent first.
    pub fn indels_by_anchor(&self) -> Vec<Vec<(IndelKey, [u32; 2])>> {
        let mut by: Vec<Vec<(IndelKey, [u32; 2])>> = vec![Vec::new(); self.sites.len()];
        for ((a, k), c) in &self.indels {
            if let Some(v) = by.get_mut(*a as usize) {
                v.push((k.clone(), *c));
            }
        }
        for v in &mut by {
            sort_indels(v);
        }
        by
    }

    /// Add an indel event count.
    pub fn add_indel(&mut self, anchor: u32, key: IndelKey, c: [u32; 2]) {
        let e = self.indels.entry((anchor, key)).or_insert([0, 0]);
        e[0] += c[0];
        e[1] += c[1];
    }

    /// Add a block of positions starting at zero-based `offset`.
    pub fn add_block(&mut self, offset: usize, rows: &[SiteCounts], indels: IndelMap) {
        for (dst, src) in self.sites[offset..].iter_mut().zip(rows) {
            dst.add(src);
        }
        for ((a, k), c) in indels {
            self.add_indel(a, k, c);
        }
    }

    /// Add another clone's (or window's) counts.
    pub fn add(&mut self, other: &Counts) {
        for (dst, src) in self.sites.iter_mut().zip(&other.sites) {
            dst.add(src);
        }
        for ((a, k), c) in &other.indels {
            self.add_indel(*a, k.clone(), *c);
        }
        self.junctions.merge(other.junctions.clone());
    }

    /// Depth at every position.
    pub fn depths(&self) -> Vec<u32> {
        self.sites.iter().map(SiteCounts::depth).collect()
    }
}

/// Sort indel events most frequent first, ties by notation (a total, stable order).
pub fn sort_indels(v: &mut [(IndelKey, [u32; 2])]) {
    v.sort_by(|a, b| {
        (b.1[0] + b.1[1])
            .cmp(&(a.1[0] + a.1[1]))
            .then_with(|| a.0.cmp(&b.0))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indel_notation_round_trips() {
        for k in [IndelKey::Ins(b"ACN".to_vec()), IndelKey::Del(12)] {
            assert_eq!(IndelKey::parse(&k.notation()), Some(k));
        }
        assert_eq!(IndelKey::parse("-0"), None);
        assert_eq!(IndelKey::parse("+"), None);
        assert_eq!(IndelKey::parse("+ax"), None);
        assert_eq!(IndelKey::parse(""), None);
    }

    #[test]
    fn depth_excludes_lowq_and_insertions() {
        let mut s = SiteCounts::default();
        s.n[FWD][Allele::A as usize] = 3;
        s.n[REV][Allele::Del as usize] = 2;
        s.n[FWD][INS] = 5;
        s.n[REV][LOWQ] = 7;
        s.qsum[FWD][0] = 90;
        assert_eq!(s.depth(), 5);
        assert_eq!(s.insertions(), 5);
        assert_eq!(s.lowq(), 7);
        assert_eq!(s.mean_quality(Allele::A), Some(30.0));
        assert_eq!(s.mean_quality(Allele::C), None);
    }
}
