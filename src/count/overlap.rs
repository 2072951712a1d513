//! Counting the two overlapping mates of one fragment once.
//!
//! Strategy `fragment` (the default, like GATK's mitochondria mode): where both mates of a
//! fragment cover a position they are one molecule, so they give one observation:
//! - the mates agree: one observation, with the higher of the two qualities, on the
//!   strand of the mate with the higher quality (read 1 on a tie);
//! - they disagree: the base with the higher quality wins; on a tie the observation
//!   becomes `N` (then subject to the quality threshold like any base);
//! - indel events after a position both mates cover are reconciled the same way, using
//!   the anchor base qualities; "no event" is an observation too, and a tie keeps no
//!   event.
//!
//! Positions only one mate covers count as usual. Strategy `independent` counts every
//! read on its own (what `samtools mpileup -x` and mutserve do).

use super::block::Block;
use super::refcodes::REF_CODE;
use super::walker::{allele_of, count_cell, fails, uncount, EventObs, Obs, Sink};

/// How overlapping mates of one fragment are counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OverlapMode {
    /// One observation per fragment and position (default).
    #[default]
    Fragment,
    /// Every read counts on its own.
    Independent,
}

impl std::str::FromStr for OverlapMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fragment" => Ok(OverlapMode::Fragment),
            "independent" => Ok(OverlapMode::Independent),
            _ => Err(format!(
                "unknown overlap strategy '{s}' (fragment, independent)"
            )),
        }
    }
}

impl std::fmt::Display for OverlapMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OverlapMode::Fragment => "fragment",
            OverlapMode::Independent => "independent",
        })
    }
}

/// The observations of one mate, kept until its partner is seen.
#[derive(Clone, Debug)]
pub(crate) struct MateObs {
    /// Flag 0x40 (first in template).
    pub first: bool,
    /// Strand index of this read (0 forward, 1 reverse).
    pub strand: usize,
    /// Its mate maps to another contig (never true for a reconciled pair).
    pub mate_other_contig: bool,
    /// Observations in reference order.
    pub obs: Vec<Obs>,
    /// Indel events in reference order.
    pub events: Vec<EventObs>,
}

/// A sink that can switch strand between observations (a [`super::walker::DirectSink`]).
pub(crate) trait StrandSink: Sink {
    /// Set the strand and mate flag for the next observations.
    fn set_read(&mut self, strand: usize, mate_other_contig: bool);
}

/// Count one mate on its own.
pub(crate) fn commit_single<S: StrandSink>(m: &MateObs, sink: &mut S) {
    sink.set_read(m.strand, m.mate_other_contig);
    for o in &m.obs {
        emit(sink, o);
    }
    for e in &m.events {
        emit_event(sink, e);
    }
}

#[inline]
fn emit<S: Sink>(sink: &mut S, o: &Obs) {
    if o.allele == super::walker::DEL {
        sink.deleted(o.pos, o.q);
    } else {
        sink.base(o.pos, o.allele, o.q);
    }
}

fn emit_event<S: Sink>(sink: &mut S, e: &EventObs) {
    match &e.key {
        super::counts::IndelKey::Ins(seq) => sink.insertion(e.anchor, seq, e.q),
        super::counts::IndelKey::Del(len) => sink.deletion(e.anchor, *len, e.q),
    }
}

/// What one-observation-per-fragment keeps where both mates cover a position: the mate
/// with the higher quality; on a tie, read 1 (`a`) when the mates agree, neither when
/// they disagree (an `N` then stands for the fragment). Every reconciliation (kept
/// observations, counted runs, indel events) decides through this one rule.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Keep {
    A,
    B,
    Neither,
}

#[inline(always)]
pub(crate) fn keep(agree: bool, qa: u8, qb: u8) -> Keep {
    match qa.cmp(&qb) {
        std::cmp::Ordering::Greater => Keep::A,
        std::cmp::Ordering::Less => Keep::B,
        std::cmp::Ordering::Equal if agree => Keep::A,
        std::cmp::Ordering::Equal => Keep::Neither,
    }
}

/// Count a pair of overlapping mates as one fragment.
pub(crate) fn commit_pair<S: StrandSink>(a: &MateObs, b: &MateObs, sink: &mut S) {
    // Order the mates by a property of the reads, not by arrival, so the result does
    // not depend on which one was seen first.
    let (a, b) = if !a.first && b.first { (b, a) } else { (a, b) };
    match (span(&a.obs), span(&b.obs)) {
        (Some(sa), Some(sb)) => commit_runs(a, sa, b, sb, sink),
        _ => merge_obs(a, b, sink),
    }
    reconcile_events(a, b, sink);
}

/// First position of `obs` when its positions are consecutive (one observation per
/// position from the first to the last: no reference skip in it; the usual case).
#[inline]
fn span(obs: &[Obs]) -> Option<u32> {
    let (first, last) = (obs.first()?.pos, obs.last()?.pos);
    (last.checked_sub(first)? as usize + 1 == obs.len()).then_some(first)
}

/// [`commit_pair`] for two mates whose observations each cover consecutive positions
/// (from `sa` and `sb`): what only one mate covers is counted as it is, the overlap is
/// reconciled position by position, without a merge.
#[inline]
fn commit_runs<S: StrandSink>(a: &MateObs, sa: u32, b: &MateObs, sb: u32, sink: &mut S) {
    let end = |s: u32, m: &MateObs| s + m.obs.len() as u32;
    let (lo, hi) = (sa.max(sb), end(sa, a).min(end(sb, b)));
    let (lo, hi) = if lo < hi { (lo, hi) } else { (lo, lo) };
    // The overlap [lo, hi) as indices into each mate's observations (empty when the
    // runs do not meet: then each is counted whole on its own).
    let cut = |m: &MateObs, s: u32| -> (usize, usize) {
        let i = (lo.saturating_sub(s) as usize).min(m.obs.len());
        (i, (i + (hi - lo) as usize).min(m.obs.len()))
    };
    let ((ai, aj), (bi, bj)) = (cut(a, sa), cut(b, sb));
    let (ai, aj, bi, bj) = if hi > lo {
        (ai, aj, bi, bj)
    } else {
        (0, 0, 0, 0)
    };
    for (m, i, j) in [(a, ai, aj), (b, bi, bj)] {
        sink.set_read(m.strand, false);
        for o in m.obs[..i].iter().chain(&m.obs[j..]) {
            emit(sink, o);
        }
    }
    for (oa, ob) in a.obs[ai..aj].iter().zip(&b.obs[bi..bj]) {
        reconcile(a.strand, oa, b.strand, ob, sink);
    }
}

/// One position both mates cover (`oa` of the mate on strand `sa`, `ob` on `sb`).
#[inline(always)]
fn reconcile<S: StrandSink>(sa: usize, oa: &Obs, sb: usize, ob: &Obs, sink: &mut S) {
    match keep(oa.allele == ob.allele, oa.q, ob.q) {
        Keep::A => {
            sink.set_read(sa, false);
            emit(sink, oa);
        }
        Keep::B => {
            sink.set_read(sb, false);
            emit(sink, ob);
        }
        Keep::Neither => {
            sink.set_read(sa, false);
            sink.base(oa.pos, 4, oa.q);
        }
    }
}

/// The aligned bases of one mate over consecutive positions from `start` (one M run, no
/// indel among them), already counted as a read of its own: 4-bit base codes, one per
/// byte, and qualities.
pub(crate) struct CountedRun<'a> {
    /// Flag 0x40 (first in template).
    pub first: bool,
    /// Strand index (0 forward, 1 reverse).
    pub strand: usize,
    pub start: u32,
    pub codes: &'a [u8],
    pub quals: &'a [u8],
}

/// Reconcile two overlapping mates that were both counted as reads of their own (the
/// fast path for mates whose overlap is one M run in each): where both cover a position,
/// take back what [`reconcile`] would not have counted, so the block ends up with what
/// [`commit_pair`] gives. The observation [`reconcile`] keeps is always one of the two
/// as counted (the higher quality one, read 1 on a tie), except when the mates disagree
/// at equal quality: then both are taken back and an `N` at that quality is counted on
/// read 1's strand.
#[inline(never)]
pub(crate) fn reconcile_counted(
    x: &CountedRun<'_>,
    y: &CountedRun<'_>,
    block: &mut Block,
    min: u8,
) {
    let (a, b) = if !x.first && y.first { (y, x) } else { (x, y) };
    let end = |r: &CountedRun<'_>| r.start + r.codes.len().min(r.quals.len()) as u32;
    let (lo, hi) = (a.start.max(b.start), end(a).min(end(b)));
    if lo >= hi {
        return;
    }
    let n = (hi - lo) as usize;
    let (ia, ib) = ((lo - a.start) as usize, (lo - b.start) as usize);
    let (ca, qa) = (&a.codes[ia..ia + n], &a.quals[ia..ia + n]);
    let (cb, qb) = (&b.codes[ib..ib + n], &b.quals[ib..ib + n]);
    let refs = &REF_CODE[lo as usize..hi as usize];
    let span = 255u8.wrapping_sub(min);
    let row0 = (lo - block.offset) as usize;
    // The usual position: both mates agree with rCRS at passing qualities, both were
    // counted in bulk, and the lower quality one (read 2 on a tie) is taken back out of
    // the bulk arrays. Done 64 rows at a time without a branch (the qualities pick the
    // mate at random): which strand loses a base at each row, then the bulk arrays
    // updated row by row. Bulk coverage is a difference array: a base taken back at row
    // `i` is -1 at `i` and +1 at `i + 1`.
    const ROWS: usize = 64;
    for c0 in (0..n).step_by(ROWS) {
        let m = ROWS.min(n - c0);
        // Per row: whether read 1 (`a`) or read 2 (`b`) loses its bulk base, and the
        // quality taken back with it (0 where none is).
        let (mut lose, mut qlose) = ([[0u8; ROWS]; 2], [[0u8; ROWS]; 2]);
        let mut odd = [0u8; ROWS];
        let (ca, cb) = (&ca[c0..c0 + m], &cb[c0..c0 + m]);
        let (qa, qb, refs) = (&qa[c0..c0 + m], &qb[c0..c0 + m], &refs[c0..c0 + m]);
        // Sixteen rows at a time with SSE2 where there is, the rest one by one.
        let mut k = 0;
        #[cfg(target_arch = "x86_64")]
        while k + 16 <= m {
            usual16(
                [
                    &ca[k..k + 16],
                    &cb[k..k + 16],
                    &qa[k..k + 16],
                    &qb[k..k + 16],
                    &refs[k..k + 16],
                ],
                min,
                span,
                &mut lose,
                &mut qlose,
                &mut odd,
                k,
            );
            k += 16;
        }
        for k in k..m {
            let (ca, cb, qa, qb, r) = (ca[k], cb[k], qa[k], qb[k], refs[k]);
            let usual = (ca == r) & (cb == r) & !fails(qa, min, span) & !fails(qb, min, span);
            let a_loses = keep(true, qa, qb) == Keep::B;
            lose[0][k] = u8::from(usual & a_loses);
            lose[1][k] = u8::from(usual & !a_loses);
            qlose[0][k] = if usual & a_loses { qa } else { 0 };
            qlose[1][k] = if usual & !a_loses { qb } else { 0 };
            odd[k] = u8::from(!usual);
        }
        for (j, strand) in [(0, a.strand), (1, b.strand)] {
            let (lk, qk) = (&lose[j][..m], &qlose[j][..m]);
            let cover = &mut block.cover[strand][row0 + c0..=row0 + c0 + m];
            // Row k gets (taken at k - 1) - (taken at k): one write per row.
            cover[0] -= i32::from(lk[0]);
            for (c, w) in cover[1..m].iter_mut().zip(lk.windows(2)) {
                *c += i32::from(w[0]) - i32::from(w[1]);
            }
            cover[m] += i32::from(lk[m - 1]);
            let qtot = &mut block.qtot[strand][row0 + c0..row0 + c0 + m];
            for (t, &q) in qtot.iter_mut().zip(qk) {
                *t = t.wrapping_sub(u32::from(q));
            }
        }
        // Every other row (a mismatch, a low quality in either mate), eight flags read
        // at a time.
        for (w, flags) in odd.chunks_exact(8).enumerate() {
            let mut word = u64::from_le_bytes(flags.try_into().unwrap_or([0; 8]));
            while word != 0 {
                let k = c0 + 8 * w + word.trailing_zeros() as usize / 8;
                word &= word - 1;
                reconcile_one(a, b, lo + k as u32, block, min);
            }
        }
    }
}

/// [`reconcile_counted`]'s per-row decision for sixteen rows from row `k` of a chunk
/// (`rows`: read 1's codes, read 2's codes, read 1's qualities, read 2's qualities,
/// rCRS codes, sixteen of each), as its scalar loop decides it: a row is usual when both
/// codes equal rCRS and both qualities pass; then read 1 loses its base when its quality
/// is the lower one, else read 2 does.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn usual16(
    rows: [&[u8]; 5],
    min: u8,
    span: u8,
    lose: &mut [[u8; 64]; 2],
    qlose: &mut [[u8; 64]; 2],
    odd: &mut [u8; 64],
    k: usize,
) {
    use std::arch::x86_64::*;
    assert!(rows.iter().all(|r| r.len() >= 16) && k + 16 <= 64);
    // SAFETY: SSE2 is part of the x86_64 baseline; every load reads sixteen bytes of a
    // slice holding at least sixteen (asserted) and every store writes sixteen bytes
    // of a 64-byte array from `k`, with `k + 16 <= 64` (asserted).
    unsafe {
        let load = |r: &[u8]| _mm_loadu_si128(r.as_ptr().cast::<__m128i>());
        let (ca, cb, qa, qb, r) = (
            load(rows[0]),
            load(rows[1]),
            load(rows[2]),
            load(rows[3]),
            load(rows[4]),
        );
        let (vmin, vspan) = (_mm_set1_epi8(min as i8), _mm_set1_epi8(span as i8));
        // fails(q) <=> q - min >= span (unsigned) <=> max(q - min, span) == q - min
        let fails = |q: __m128i| {
            let d = _mm_sub_epi8(q, vmin);
            _mm_cmpeq_epi8(_mm_max_epu8(d, vspan), d)
        };
        let same = _mm_and_si128(_mm_cmpeq_epi8(ca, r), _mm_cmpeq_epi8(cb, r));
        let usual = _mm_andnot_si128(_mm_or_si128(fails(qa), fails(qb)), same);
        // Read 1 keeps its base when its quality is at least read 2's (max(qa, qb) == qa).
        let a_keeps = _mm_cmpeq_epi8(_mm_max_epu8(qa, qb), qa);
        let (lose_a, lose_b) = (
            _mm_andnot_si128(a_keeps, usual),
            _mm_and_si128(a_keeps, usual),
        );
        let one = _mm_set1_epi8(1);
        let store = |out: &mut [u8; 64], v: __m128i| {
            _mm_storeu_si128(out[k..k + 16].as_mut_ptr().cast::<__m128i>(), v)
        };
        store(&mut lose[0], _mm_and_si128(lose_a, one));
        store(&mut lose[1], _mm_and_si128(lose_b, one));
        store(&mut qlose[0], _mm_and_si128(lose_a, qa));
        store(&mut qlose[1], _mm_and_si128(lose_b, qb));
        store(odd, _mm_andnot_si128(usual, one));
    }
}

/// [`reconcile_counted`] at a position `p` other than the usual one (the mates differ
/// from rCRS or each other, or a quality fails), as [`reconcile`] decides.
#[inline(never)]
fn reconcile_one(a: &CountedRun<'_>, b: &CountedRun<'_>, p: u32, block: &mut Block, min: u8) {
    let (i, j) = ((p - a.start) as usize, (p - b.start) as usize);
    let (ca, qa, cb, qb) = (a.codes[i], a.quals[i], b.codes[j], b.quals[j]);
    let take_a = |block: &mut Block| uncount(block, a.strand, p, ca, qa, min);
    let take_b = |block: &mut Block| uncount(block, b.strand, p, cb, qb, min);
    match keep(allele_of(ca) == allele_of(cb), qa, qb) {
        Keep::A => take_b(block),
        Keep::B => take_a(block),
        Keep::Neither => {
            take_a(block);
            take_b(block);
            count_cell(block, a.strand, p, 4, qa, min);
        }
    }
}

/// [`commit_pair`]'s observations in general: merged by position.
fn merge_obs<S: StrandSink>(a: &MateObs, b: &MateObs, sink: &mut S) {
    let (mut i, mut j) = (0, 0);
    while i < a.obs.len() || j < b.obs.len() {
        let pa = a.obs.get(i).map_or(u32::MAX, |o| o.pos);
        let pb = b.obs.get(j).map_or(u32::MAX, |o| o.pos);
        if pa < pb {
            sink.set_read(a.strand, false);
            emit(sink, &a.obs[i]);
            i += 1;
        } else if pb < pa {
            sink.set_read(b.strand, false);
            emit(sink, &b.obs[j]);
            j += 1;
        } else {
            reconcile(a.strand, &a.obs[i], b.strand, &b.obs[j], sink);
            i += 1;
            j += 1;
        }
    }
}

/// What a mate says about the junction after `anchor`: `None` if it does not witness it,
/// else its event (or no event) and the anchor quality.
fn junction(m: &MateObs, anchor: u32) -> Option<(Option<&EventObs>, u8)> {
    let k = m.obs.binary_search_by_key(&anchor, |o| o.pos).ok()?;
    let base = &m.obs[k];
    if base.allele == super::walker::DEL {
        return None;
    }
    let ev = m.events.iter().find(|e| e.anchor == anchor);
    let continues = m.obs.get(k + 1).is_some_and(|o| o.pos == anchor + 1);
    if ev.is_none() && !continues {
        return None;
    }
    Some((ev, base.q))
}

fn reconcile_events<S: StrandSink>(a: &MateObs, b: &MateObs, sink: &mut S) {
    let mut anchors: Vec<u32> = a.events.iter().chain(&b.events).map(|e| e.anchor).collect();
    anchors.sort_unstable();
    anchors.dedup();
    for anchor in anchors {
        let ja = junction(a, anchor);
        let jb = junction(b, anchor);
        let chosen = match (ja, jb) {
            (Some((ea, _)), None) => ea.map(|e| (a.strand, e)),
            (None, Some((eb, _))) => eb.map(|e| (b.strand, e)),
            (Some((ea, qa)), Some((eb, qb))) => {
                let same = match (ea, eb) {
                    (Some(x), Some(y)) => x.key == y.key,
                    (None, None) => true,
                    _ => false,
                };
                match keep(same, qa, qb) {
                    Keep::A => ea.map(|e| (a.strand, e)),
                    Keep::B => eb.map(|e| (b.strand, e)),
                    Keep::Neither => None,
                }
            }
            (None, None) => None,
        };
        if let Some((strand, e)) = chosen {
            sink.set_read(strand, false);
            emit_event(sink, e);
        }
    }
}

impl StrandSink for super::walker::DirectSink<'_> {
    #[inline]
    fn set_read(&mut self, strand: usize, mate_other_contig: bool) {
        self.strand = strand;
        self.mate_other_contig = mate_other_contig;
    }
}

#[cfg(test)]
mod tests {
    use super::super::block::{Block, HotRow};
    use super::super::counts::{Counts, IndelKey, IndelMap, SiteCounts, LOWQ};
    use super::super::walker::{DirectSink, DEL};
    use super::*;

    fn mate(first: bool, strand: usize, obs: &[(u32, u8, u8)], events: Vec<EventObs>) -> MateObs {
        MateObs {
            first,
            strand,
            mate_other_contig: false,
            obs: obs
                .iter()
                .map(|&(pos, allele, q)| Obs { pos, allele, q })
                .collect(),
            events,
        }
    }

    /// Counts (positions 0..40) and indel events of `a` and `b` committed by `commit`.
    fn run_with(
        a: &MateObs,
        b: &MateObs,
        commit: impl FnOnce(&MateObs, &MateObs, &mut DirectSink<'_>),
    ) -> (Vec<SiteCounts>, IndelMap) {
        let mut block = Block::new(0);
        block.ensure(40);
        let mut indels = IndelMap::new();
        {
            let mut s = DirectSink {
                block: &mut block,
                indels: &mut indels,
                min_bq: 20,
                strand: 0,
                mate_other_contig: false,
            };
            commit(a, b, &mut s);
        }
        let mut c = Counts::new();
        block.add_into(&mut c, IndelMap::new());
        let _: &[HotRow] = &block.rows;
        (c.sites()[..40].to_vec(), indels)
    }

    fn run(a: &MateObs, b: &MateObs) -> (Vec<SiteCounts>, IndelMap) {
        run_with(a, b, |a, b, s| commit_pair(a, b, s))
    }

    /// Counts of `a` and `b` committed by the general merge only.
    fn run_merged(a: &MateObs, b: &MateObs) -> Vec<SiteCounts> {
        run_with(a, b, |a, b, s| {
            let (a, b) = if !a.first && b.first { (b, a) } else { (a, b) };
            merge_obs(a, b, s);
        })
        .0
    }

    #[test]
    fn consecutive_runs_count_as_the_merge_does() {
        // Runs that meet, nest, touch, miss each other; alleles and qualities that
        // agree, disagree and tie.
        let mut seed = 7u32;
        let mut next = |n: u32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) % n
        };
        for _ in 0..2000 {
            let mut run_of = |first: bool, strand: usize| {
                let (start, len) = (next(20), 1 + next(15));
                let obs: Vec<(u32, u8, u8)> = (start..start + len)
                    .map(|p| (p, next(6) as u8, [10, 25, 30, 30][next(4) as usize]))
                    .collect();
                mate(first, strand, &obs, vec![])
            };
            let (a, b) = (run_of(true, 0), run_of(false, 1));
            assert!(span(&a.obs).is_some() && span(&b.obs).is_some());
            assert_eq!(run(&a, &b).0, run_merged(&a, &b), "{a:?} {b:?}");
        }
        // Observations with a gap (a reference skip) take the merge.
        let gap = mate(true, 0, &[(1, 0, 30), (5, 0, 30)], vec![]);
        assert_eq!(span(&gap.obs), None);
    }

    #[test]
    fn counted_mates_taken_back_equal_the_merge() {
        // Two M runs counted whole (the bulk path), then reconciled by taking back: the
        // same counts as keeping them and committing the pair. Runs that meet, nest,
        // touch and miss; bases that agree with rCRS or not (IUPAC codes, N, `=`);
        // qualities that pass, fail, are unknown (255) and tie; both strand layouts;
        // rows in more than one 64-row chunk; near m.3107 (rCRS N).
        use super::super::refcodes::REF_CODE;
        use super::super::walker::{allele_of, ReadView};
        let mut seed = 11u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for case in 0..3000 {
            let base = [100u32, 3060][case % 2];
            let mut run_of = |first: bool| {
                let (start, len) = (base + next(80) as u32, 1 + next(150) as usize);
                let rate = [0u64, 3, 30][next(3) as usize];
                let codes: Vec<u8> = (0..len)
                    .map(|i| {
                        if next(100) < rate {
                            next(16) as u8
                        } else {
                            REF_CODE[start as usize + i]
                        }
                    })
                    .collect();
                let quals: Vec<u8> = (0..len)
                    .map(|_| {
                        if next(100) < rate {
                            [0u8, 19, 20, 255][next(4) as usize]
                        } else {
                            [25u8, 30, 30, 37][next(4) as usize]
                        }
                    })
                    .collect();
                (first, next(2) as usize, start, codes, quals)
            };
            let (x, y) = (run_of(case % 3 != 0), run_of(case % 3 == 1));
            let lo = base;
            let mut kept = Block::new(lo);
            kept.ensure(lo + 240);
            let mut counted = Block::new(lo);
            counted.ensure(lo + 240);
            let mut indels = IndelMap::new();
            let as_obs = |r: &(bool, usize, u32, Vec<u8>, Vec<u8>)| MateObs {
                first: r.0,
                strand: r.1,
                mate_other_contig: false,
                obs: (r.3.iter().zip(&r.4).enumerate())
                    .map(|(i, (&c, &q))| Obs {
                        pos: r.2 + i as u32,
                        allele: allele_of(c),
                        q,
                    })
                    .collect(),
                events: vec![],
            };
            let mut sink = DirectSink {
                block: &mut kept,
                indels: &mut indels,
                min_bq: 20,
                strand: 0,
                mate_other_contig: false,
            };
            commit_pair(&as_obs(&x), &as_obs(&y), &mut sink);
            for r in [&x, &y] {
                let packed: Vec<u8> =
                    r.3.chunks(2)
                        .map(|p| (p[0] << 4) | p.get(1).copied().unwrap_or(0))
                        .collect();
                let view = ReadView {
                    pos: r.2,
                    rev: r.1 == 1,
                    cigar: &[],
                    seq: &packed,
                    qual: &r.4,
                };
                let mut sink = DirectSink {
                    block: &mut counted,
                    indels: &mut indels,
                    min_bq: 20,
                    strand: r.1,
                    mate_other_contig: false,
                };
                sink.bases(r.2, &view, 0, r.3.len());
            }
            fn run(r: &(bool, usize, u32, Vec<u8>, Vec<u8>)) -> CountedRun<'_> {
                CountedRun {
                    first: r.0,
                    strand: r.1,
                    start: r.2,
                    codes: &r.3,
                    quals: &r.4,
                }
            }
            let (rx, ry) = (run(&x), run(&y));
            reconcile_counted(&rx, &ry, &mut counted, 20);
            assert_eq!(counted.to_sites(), kept.to_sites(), "case {case}");
        }
    }

    #[test]
    fn agreeing_mates_count_once() {
        let a = mate(true, 0, &[(1, 0, 30), (2, 1, 30), (3, 2, 30)], vec![]);
        let b = mate(false, 1, &[(2, 1, 35), (3, 2, 25), (4, 3, 30)], vec![]);
        let (rows, _) = run(&a, &b);
        assert_eq!(rows[1].n[0][0], 1);
        assert_eq!(
            (rows[2].n[0][1], rows[2].n[1][1]),
            (0, 1),
            "higher quality mate's strand"
        );
        assert_eq!(rows[2].qsum[1][1], 35);
        assert_eq!((rows[3].n[0][2], rows[3].n[1][2]), (1, 0));
        assert_eq!(rows[4].n[1][3], 1);
        let depth: u32 = rows.iter().map(|r| r.depth()).sum();
        assert_eq!(depth, 4, "four positions, four observations");
    }

    #[test]
    fn disagreeing_mates_higher_quality_wins_tie_is_n() {
        let a = mate(true, 0, &[(5, 0, 30), (6, 0, 30), (7, 0, 30)], vec![]);
        let b = mate(false, 1, &[(5, 1, 20), (6, 1, 30), (7, DEL, 38)], vec![]);
        let (rows, _) = run(&a, &b);
        assert_eq!(rows[5].allele(crate::count::Allele::A), 1);
        assert_eq!(rows[5].allele(crate::count::Allele::C), 0);
        assert_eq!(rows[6].allele(crate::count::Allele::N), 1, "tie becomes N");
        assert_eq!(rows[7].allele(crate::count::Allele::Del), 1);
        // Arrival order does not matter.
        let (rows2, _) = run(&b, &a);
        assert_eq!(rows, rows2);
    }

    #[test]
    fn low_quality_agreement_goes_to_lowq_once() {
        let a = mate(true, 0, &[(1, 0, 10)], vec![]);
        let b = mate(false, 1, &[(1, 0, 12)], vec![]);
        let (rows, _) = run(&a, &b);
        assert_eq!(rows[1].n[0][LOWQ] + rows[1].n[1][LOWQ], 1);
        assert_eq!(rows[1].depth(), 0);
    }

    #[test]
    fn indel_events_reconciled() {
        let ins = |anchor, q| EventObs {
            anchor,
            key: IndelKey::Ins(b"A".to_vec()),
            q,
        };
        // Both show the insertion: once.
        let a = mate(true, 0, &[(1, 0, 30), (2, 0, 30)], vec![ins(1, 30)]);
        let b = mate(false, 1, &[(1, 0, 30), (2, 0, 30)], vec![ins(1, 30)]);
        let (rows, indels) = run(&a, &b);
        assert_eq!(rows[1].insertions(), 1);
        assert_eq!(indels.values().map(|c| c[0] + c[1]).sum::<u32>(), 1);
        // Only one shows it, equal anchor quality: tie keeps no event.
        let b2 = mate(false, 1, &[(1, 0, 30), (2, 0, 30)], vec![]);
        let (rows, indels) = run(&a, &b2);
        assert_eq!(rows[1].insertions(), 0);
        assert!(indels.is_empty());
        // Only one shows it with the higher anchor quality: it wins.
        let a3 = mate(true, 0, &[(1, 0, 35), (2, 0, 30)], vec![ins(1, 35)]);
        let (rows, _) = run(&a3, &b2);
        assert_eq!(rows[1].insertions(), 1);
        // The other mate does not reach past the anchor: it is no witness.
        let b4 = mate(false, 1, &[(0, 0, 39), (1, 0, 39)], vec![]);
        let (rows, _) = run(&a, &b4);
        assert_eq!(rows[1].insertions(), 1);
    }
}
