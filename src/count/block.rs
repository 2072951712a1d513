//! The hot accumulation layout. Most aligned bases agree with rCRS at a good quality;
//! those are counted in bulk (see [`super::walker`]): per strand, a difference array of
//! aligned-base coverage (two writes per run of aligned bases), a dense array of
//! quality totals of the passing bases and a dense array of low-quality tallies (one
//! vectorised pass per run for both). Every other base (a mismatch or an `N` at a
//! passing quality, a deletion, a base from a read whose mate is on another contig) is
//! an *exception*: counted in a 64-byte cell per position and strand, and taken back out
//! of the bulk arrays. [`Block::to_sites`] turns the block into the public
//! [`SiteCounts`]: the rCRS allele of a position gets the bulk coverage less the bulk
//! low-quality tally, and the bulk quality total; the low-quality count gets the tally.
//!
//! Quality sums are 32-bit here and spilled into 64-bit totals before they could
//! overflow, so no depth is ever capped.

use super::counts::{Counts, IndelMap, SiteCounts, FWD, LOWQ, REV};
use super::refcodes::REF_ALLELE;

/// Exception counts of one position on one strand: A, C, G, T, N, deletion, insertion events and
/// low-quality tallies, the 32-bit quality sums of A..N, observations from reads with
/// the mate on another contig, and read starts and ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(64))]
pub(crate) struct StrandCell {
    pub n: [u32; 8],
    pub qsum: [u32; 5],
    pub xm: u32,
    pub starts: u32,
    pub ends: u32,
}

/// Both strands of one position.
pub(crate) type HotRow = [StrandCell; 2];

/// Quality sums are spilled every this many reads: one read adds at most 254 to a sum,
/// so 2^23 reads stay far below 2^32.
const SPILL_EVERY: u32 = 1 << 23;

/// A window's counts from zero-based position `offset` on, grown as reads need.
#[derive(Debug, Default)]
pub(crate) struct Block {
    pub offset: u32,
    /// Exception cells, one row per position.
    pub rows: Vec<HotRow>,
    /// Per strand: aligned bases counted in bulk, as a difference array (one longer than
    /// `rows`): coverage at row `i` is the sum of `cover[s][..=i]`.
    pub cover: [Vec<i32>; 2],
    /// Per strand: quality total of the bases counted in bulk (wrapping arithmetic; an
    /// exception takes its quality back out within the same read).
    pub qtot: [Vec<u32>; 2],
    /// Per strand: bases counted in bulk whose quality fails the threshold (wrapping
    /// arithmetic like `qtot`; a count, never negative once a pair is reconciled).
    pub lowq: [Vec<u32>; 2],
    spill: Vec<[[u64; 5]; 2]>,
    reads: u32,
}

impl Block {
    pub fn new(offset: u32) -> Self {
        Block {
            offset,
            ..Default::default()
        }
    }

    /// Make room for positions up to (not including) `end`.
    #[inline]
    pub fn ensure(&mut self, end: u32) {
        let need = end.saturating_sub(self.offset) as usize;
        if need > self.rows.len() {
            self.rows.resize(need, HotRow::default());
            for s in [FWD, REV] {
                self.cover[s].resize(need + 1, 0);
                self.qtot[s].resize(need, 0);
                self.lowq[s].resize(need, 0);
            }
        }
    }

    /// Call once per counted read: spills the 32-bit quality sums when due.
    #[inline]
    pub fn note_read(&mut self) {
        self.reads += 1;
        if self.reads == SPILL_EVERY {
            self.spill_qsums();
        }
    }

    fn spill_qsums(&mut self) {
        self.reads = 0;
        if self.spill.len() < self.rows.len() {
            self.spill.resize(self.rows.len(), [[0; 5]; 2]);
        }
        let offset = self.offset as usize;
        for (i, (row, sp)) in self.rows.iter_mut().zip(self.spill.iter_mut()).enumerate() {
            let r = usize::from(REF_ALLELE[offset + i]);
            for s in [FWD, REV] {
                for (total, part) in sp[s].iter_mut().zip(row[s].qsum.iter_mut()) {
                    *total = total.wrapping_add_signed(signed(*part));
                    *part = 0;
                }
                sp[s][r] = sp[s][r].wrapping_add_signed(signed(self.qtot[s][i]));
                self.qtot[s][i] = 0;
            }
        }
    }

    /// The block's positions in the public layout: exception cells plus the bulk
    /// coverage and quality totals on each position's rCRS allele.
    pub fn to_sites(&self) -> Vec<SiteCounts> {
        let offset = self.offset as usize;
        let mut cov = [0i64; 2];
        let mut out = Vec::with_capacity(self.rows.len());
        for (i, row) in self.rows.iter().enumerate() {
            let r = usize::from(REF_ALLELE[offset + i]);
            let mut site = to_site(row, self.spill.get(i));
            for s in [FWD, REV] {
                cov[s] += i64::from(self.cover[s][i]);
                // Coverage counts reads at this position, less the low-quality bases
                // among them: never negative by construction; a u32 like every count.
                let low = self.lowq[s][i];
                let refs = cov[s] - i64::from(low);
                site.n[s][r] += refs.clamp(0, i64::from(u32::MAX)) as u32;
                site.n[s][LOWQ] = site.n[s][LOWQ].wrapping_add(low);
                site.qsum[s][r] = site.qsum[s][r].wrapping_add_signed(signed(self.qtot[s][i]));
            }
            out.push(site);
        }
        out
    }

    /// Add this block (and its indel events) into whole-genome counts.
    pub fn add_into(&self, counts: &mut Counts, indels: IndelMap) {
        let offset = self.offset as usize;
        let sites = &mut counts.sites_mut()[offset..];
        for (dst, site) in sites.iter_mut().zip(self.to_sites()) {
            dst.add(&site);
        }
        for ((a, k), c) in indels {
            counts.add_indel(a, k, c);
        }
    }
}

/// A 32-bit quality sum as the signed change it holds since the last spill: overlapping
/// mates are reconciled by taking back, possibly after a spill, a base counted before it,
/// so a sum may dip below zero between spills (wrapping); one spill period adds at most
/// 2^23 reads x 254 < 2^31, so the signed reading is exact.
#[inline]
fn signed(part: u32) -> i64 {
    i64::from(part as i32)
}

/// One position in the public layout.
fn to_site(row: &HotRow, spill: Option<&[[u64; 5]; 2]>) -> SiteCounts {
    let mut s = SiteCounts::default();
    for st in [FWD, REV] {
        s.n[st] = row[st].n;
        for a in 0..5 {
            s.qsum[st][a] = spill
                .map_or(0, |sp| sp[st][a])
                .wrapping_add_signed(signed(row[st].qsum[a]));
        }
        s.mate_other_contig += row[st].xm;
        s.read_starts += row[st].starts;
        s.read_ends += row[st].ends;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_cache_line_per_strand() {
        assert_eq!(std::mem::size_of::<StrandCell>(), 64);
        assert_eq!(std::mem::align_of::<StrandCell>(), 64);
    }

    #[test]
    fn a_base_taken_back_after_a_spill_leaves_the_right_sum() {
        // Two bulk bases at Q30 at position 0 (rCRS G), a spill, then one taken back (as
        // overlapping mates are reconciled): the 32-bit sum dips below zero after the
        // spill and must read as -30, not as 2^32 - 30.
        let mut b = Block::new(0);
        b.ensure(2);
        b.cover[FWD][0] += 2;
        b.cover[FWD][1] -= 2;
        b.qtot[FWD][0] = 60;
        b.rows[0][FWD].n[0] = 1;
        b.rows[0][FWD].qsum[0] = 25;
        for _ in 0..SPILL_EVERY {
            b.note_read();
        }
        b.cover[FWD][0] -= 1;
        b.cover[FWD][1] += 1;
        b.qtot[FWD][0] = b.qtot[FWD][0].wrapping_sub(30);
        b.rows[0][FWD].n[0] -= 1;
        b.rows[0][FWD].qsum[0] = b.rows[0][FWD].qsum[0].wrapping_sub(25);
        let site = &b.to_sites()[0];
        let g = usize::from(REF_ALLELE[0]);
        assert_eq!((site.n[FWD][g], site.qsum[FWD][g]), (1, 30));
        assert_eq!((site.n[FWD][0], site.qsum[FWD][0]), (0, 0));
    }

    #[test]
    fn quality_sums_survive_spills() {
        let mut b = Block::new(10);
        b.ensure(12);
        // Simulate 3 * 2^23 reads adding 250 each at position 11 (forward, allele A).
        for _ in 0..3 {
            for _ in 0..SPILL_EVERY {
                b.rows[1][FWD].qsum[0] = b.rows[1][FWD].qsum[0].wrapping_add(250);
                b.rows[1][FWD].n[0] += 1;
                b.note_read();
            }
        }
        let mut c = Counts::new();
        b.add_into(&mut c, IndelMap::new());
        let s = &c.sites()[11];
        assert_eq!(s.n[FWD][0], 3 * SPILL_EVERY);
        assert_eq!(s.qsum[FWD][0], 250 * 3 * u64::from(SPILL_EVERY));
    }
}
