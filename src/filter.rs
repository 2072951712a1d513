//! Read and base filters, and the per-reason tally that makes every drop visible.
//!
//! Reads are checked in a fixed order and a dropped read is counted under the *first*
//! reason that applies, so the per-reason counts add up to the reads dropped:
//! invalid → unmapped → secondary → supplementary → QC-fail → duplicate → MAPQ →
//! aligned length → mate on another contig (only when asked to drop them) → NM.

pub use crate::input::record::{aux_as_i64, query_len};
use crate::input::record::{Alignment, AuxValue};
use serde::{Deserialize, Serialize};

/// The SAM flag bits, as htslib defines them (`BAM_F*`), once for the crate.
pub mod flags {
    use rust_htslib::htslib;
    /// Paired in sequencing (0x1).
    pub const PAIRED: u16 = htslib::BAM_FPAIRED as u16;
    /// Mapped in a proper pair (0x2).
    pub const PROPER_PAIR: u16 = htslib::BAM_FPROPER_PAIR as u16;
    /// Unmapped (0x4).
    pub const UNMAPPED: u16 = htslib::BAM_FUNMAP as u16;
    /// Mate unmapped (0x8).
    pub const MATE_UNMAPPED: u16 = htslib::BAM_FMUNMAP as u16;
    /// On the reverse strand (0x10).
    pub const REVERSE: u16 = htslib::BAM_FREVERSE as u16;
    /// Mate on the reverse strand (0x20).
    pub const MATE_REVERSE: u16 = htslib::BAM_FMREVERSE as u16;
    /// First in the pair (0x40).
    pub const FIRST: u16 = htslib::BAM_FREAD1 as u16;
    /// Second in the pair (0x80).
    pub const SECOND: u16 = htslib::BAM_FREAD2 as u16;
    /// Secondary alignment (0x100).
    pub const SECONDARY: u16 = htslib::BAM_FSECONDARY as u16;
    /// Fails vendor QC (0x200).
    pub const QCFAIL: u16 = htslib::BAM_FQCFAIL as u16;
    /// PCR or optical duplicate (0x400).
    pub const DUPLICATE: u16 = htslib::BAM_FDUP as u16;
    /// Supplementary alignment (0x800).
    pub const SUPPLEMENTARY: u16 = htslib::BAM_FSUPPLEMENTARY as u16;
}

use flags::{
    DUPLICATE as FLAG_DUPLICATE, MATE_UNMAPPED as FLAG_MATE_UNMAPPED, PAIRED as FLAG_PAIRED,
    QCFAIL as FLAG_QCFAIL, SECONDARY as FLAG_SECONDARY, SUPPLEMENTARY as FLAG_SUPPLEMENTARY,
    UNMAPPED as FLAG_UNMAPPED,
};

/// Which reads and bases are counted. The defaults follow mutserve 2 and GATK's
/// mitochondria mode (MAPQ ≥ 20, base quality ≥ 20, duplicates, secondary and
/// supplementary alignments dropped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadFilter {
    /// Drop secondary alignments (flag 0x100).
    pub drop_secondary: bool,
    /// Drop supplementary alignments (flag 0x800).
    pub drop_supplementary: bool,
    /// Drop reads failing vendor QC (flag 0x200).
    pub drop_qcfail: bool,
    /// Drop reads marked as PCR/optical duplicates (flag 0x400).
    pub drop_duplicates: bool,
    /// Minimum mapping quality.
    pub min_mapq: u8,
    /// Minimum number of read bases aligned to the reference (M, =, X operations).
    pub min_aligned_len: u32,
    /// Drop reads whose mate maps to another contig (a NUMT signal); by default they
    /// are kept and counted.
    pub drop_mate_other_contig: bool,
    /// Drop reads with an edit distance (`NM` tag) above this.
    pub max_nm: Option<u32>,
    /// Bases (and deleted bases, through the read base after them) below this quality go
    /// to the per-position `lowq` tally instead of the allele counts.
    pub min_base_quality: u8,
}

impl Default for ReadFilter {
    fn default() -> Self {
        ReadFilter {
            drop_secondary: true,
            drop_supplementary: true,
            drop_qcfail: true,
            drop_duplicates: true,
            min_mapq: 20,
            min_aligned_len: 30,
            drop_mate_other_contig: false,
            max_nm: None,
            min_base_quality: 20,
        }
    }
}

/// Why a read was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// The record is malformed (sequence/quality length mismatch, CIGAR/sequence
    /// length mismatch, position outside the contig).
    Invalid,
    /// Flag 0x4.
    Unmapped,
    /// Flag 0x100.
    Secondary,
    /// Flag 0x800.
    Supplementary,
    /// Flag 0x200.
    QcFail,
    /// Flag 0x400.
    Duplicate,
    /// Mapping quality below the minimum.
    LowMapq,
    /// Fewer aligned bases than the minimum.
    Short,
    /// Mate mapped to another contig (only when such reads are dropped).
    MateOtherContig,
    /// Edit distance above the maximum.
    HighNm,
}

impl DropReason {
    /// All reasons, in the order they are checked.
    pub const ALL: [DropReason; 10] = [
        DropReason::Invalid,
        DropReason::Unmapped,
        DropReason::Secondary,
        DropReason::Supplementary,
        DropReason::QcFail,
        DropReason::Duplicate,
        DropReason::LowMapq,
        DropReason::Short,
        DropReason::MateOtherContig,
        DropReason::HighNm,
    ];

    /// The snake_case name used in summaries.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Invalid => "invalid",
            DropReason::Unmapped => "unmapped",
            DropReason::Secondary => "secondary",
            DropReason::Supplementary => "supplementary",
            DropReason::QcFail => "qc_fail",
            DropReason::Duplicate => "duplicate",
            DropReason::LowMapq => "low_mapq",
            DropReason::Short => "short",
            DropReason::MateOtherContig => "mate_other_contig",
            DropReason::HighNm => "high_nm",
        }
    }
}

/// Per-reason read counts of one clone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadTally {
    /// Records on the mitochondrial contig that were looked at.
    pub seen: u64,
    /// Reads that passed every filter and were counted.
    pub used: u64,
    /// Dropped reads, per reason (first failing reason only).
    pub dropped: [u64; 10],
    /// Used reads whose mate maps to another contig (kept by default; a NUMT signal).
    pub mate_other_contig_kept: u64,
    /// Overlapping mates counted as two reads because the mates kept waiting for their
    /// partner had reached the memory bound (see `count`'s README section).
    #[serde(default)]
    pub overlaps_counted_apart: u64,
}

impl ReadTally {
    /// Count a dropped read.
    pub fn drop(&mut self, reason: DropReason) {
        self.dropped[reason as usize] += 1;
    }

    /// Dropped reads for one reason.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason as usize]
    }

    /// All dropped reads.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }

    /// Add another tally to this one.
    pub fn add(&mut self, other: &ReadTally) {
        self.seen += other.seen;
        self.used += other.used;
        for (a, b) in self.dropped.iter_mut().zip(other.dropped.iter()) {
            *a += b;
        }
        self.mate_other_contig_kept += other.mate_other_contig_kept;
        self.overlaps_counted_apart += other.overlaps_counted_apart;
    }
}

/// What the filter concluded about one read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Count the read; `mate_other_contig` tells whether its mate maps elsewhere.
    Keep {
        /// The mate maps to another contig.
        mate_other_contig: bool,
    },
    /// Drop it, for this reason.
    Drop(DropReason),
}

/// Number of read bases aligned to the reference (M, =, X), saturating at `u32::MAX`.
pub fn aligned_len(raw_cigar: &[u32]) -> u32 {
    raw_cigar
        .iter()
        .filter(|c| matches!(*c & 0xf, 0 | 7 | 8))
        .fold(0u32, |n, c| n.saturating_add(c >> 4))
}

impl ReadFilter {
    /// Check one record whose `tid` is the mitochondrial contig.
    pub fn check<R: Alignment>(&self, rec: &R, contig_len: u32) -> Verdict {
        let flags = rec.flags();
        if rec.pos() < 0 || rec.pos() >= i64::from(contig_len) {
            // Placed unmapped reads sit at their mate's position; anything else is invalid.
            return Verdict::Drop(if flags & FLAG_UNMAPPED != 0 {
                DropReason::Unmapped
            } else {
                DropReason::Invalid
            });
        }
        if flags & FLAG_UNMAPPED != 0 {
            return Verdict::Drop(DropReason::Unmapped);
        }
        let cigar = rec.raw_cigar();
        let seq_len = rec.seq_len();
        if cigar.is_empty()
            || (seq_len > 0 && query_len(cigar) != seq_len as u64)
            || rec.qual().len() != seq_len
        {
            return Verdict::Drop(DropReason::Invalid);
        }
        if self.drop_secondary && flags & FLAG_SECONDARY != 0 {
            return Verdict::Drop(DropReason::Secondary);
        }
        if self.drop_supplementary && flags & FLAG_SUPPLEMENTARY != 0 {
            return Verdict::Drop(DropReason::Supplementary);
        }
        if self.drop_qcfail && flags & FLAG_QCFAIL != 0 {
            return Verdict::Drop(DropReason::QcFail);
        }
        if self.drop_duplicates && flags & FLAG_DUPLICATE != 0 {
            return Verdict::Drop(DropReason::Duplicate);
        }
        if rec.mapq() < self.min_mapq {
            return Verdict::Drop(DropReason::LowMapq);
        }
        if self.min_aligned_len > 0 && aligned_len(cigar) < self.min_aligned_len {
            return Verdict::Drop(DropReason::Short);
        }
        let mate_other_contig = flags & FLAG_PAIRED != 0
            && flags & FLAG_MATE_UNMAPPED == 0
            && rec.mtid() >= 0
            && rec.mtid() != rec.tid();
        if mate_other_contig && self.drop_mate_other_contig {
            return Verdict::Drop(DropReason::MateOtherContig);
        }
        if let Some(max_nm) = self.max_nm {
            if let Some(nm) = rec.aux_value(b"NM") {
                let nm = match nm {
                    AuxValue::Int(n) => n,
                    _ => 0,
                };
                if nm > i64::from(max_nm) {
                    return Verdict::Drop(DropReason::HighNm);
                }
            }
        }
        Verdict::Keep { mate_other_contig }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cigar_lengths() {
        // 5S10M2I3D20M4S  (op codes: M=0 I=1 D=2 S=4)
        let cig = [
            5 << 4 | 4,
            10 << 4,
            2 << 4 | 1,
            3 << 4 | 2,
            20 << 4,
            4 << 4 | 4,
        ];
        assert_eq!(aligned_len(&cig), 30);
        assert_eq!(query_len(&cig), 41);
    }

    #[test]
    fn reason_names_are_unique_and_ordered() {
        let names: Vec<_> = DropReason::ALL.iter().map(|r| r.name()).collect();
        let mut dedup = names.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(names.len(), dedup.len());
        for (i, r) in DropReason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
        }
    }
}
