//! The hot loop: walk one read's CIGAR into allele counts.
//!
//! One walker, [`walk`], serves every path. It reports what the read says at each
//! reference position to a [`Sink`]: [`DirectSink`] adds it straight into a dense array
//! (the fast path, used for every read that needs no mate), [`CollectSink`] keeps it so
//! that the two overlapping mates of a fragment can be reconciled first
//! (see [`super::overlap`]).
//!
//! Conventions (those of htslib's pileup and `samtools mpileup`):
//! - a deleted reference base takes the quality of the read base right after the
//!   deletion (htslib's `qpos` for a deletion; 0 if the read ends in the deletion);
//! - an indel event (insertion or deletion) is anchored at the last aligned reference
//!   base before it, and is counted only when that anchor base passes the quality
//!   threshold;
//! - IUPAC ambiguity codes count as `N`; a quality of 255 (unknown) counts as low.

use super::block::{Block, HotRow};
use super::counts::{IndelKey, IndelMap, INS, LOWQ};
use super::refcodes::{REF_CODE, REF_PAIRS};

/// 4-bit BAM base code → allele index (A=0, C=1, G=2, T=3, anything else N=4).
const CODE_TO_ALLELE: [u8; 16] = [4, 0, 1, 4, 2, 4, 4, 4, 3, 4, 4, 4, 4, 4, 4, 4];
/// 4-bit BAM base code → upper-case letter.
const CODE_TO_ASCII: &[u8; 16] = b"=ACMGRSVTWYHKDBN";

/// Allele index of a deletion.
pub(crate) const DEL: u8 = 5;

/// The parts of a BAM record the walker needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadView<'a> {
    /// Zero-based leftmost position.
    pub pos: u32,
    /// Reverse strand.
    pub rev: bool,
    /// Raw BAM CIGAR (`len << 4 | op`).
    pub cigar: &'a [u32],
    /// 4-bit packed sequence.
    pub seq: &'a [u8],
    /// Base qualities (Phred), one per base.
    pub qual: &'a [u8],
}

impl ReadView<'_> {
    #[inline(always)]
    fn code(&self, i: usize) -> u8 {
        (self.seq[i >> 1] >> ((!i & 1) << 2)) & 0xf
    }

    /// The reference range `[start, end)` and first query offset of the alignment's first
    /// (`last == false`) or last operation other than a clip, when that operation is an
    /// aligned run (M, =, X) whose bases the sequence holds; `end` is cut at
    /// `contig_len` as [`walk`] cuts it. The flag says whether it is the only
    /// operation other than a clip.
    pub fn edge_run(&self, last: bool, contig_len: u32) -> Option<(u32, u32, usize, bool)> {
        let clip = |c: &u32| matches!(c & 0xf, 4 | 5);
        let k = if last {
            self.cigar.iter().rposition(|c| !clip(c))?
        } else {
            self.cigar.iter().position(|c| !clip(c))?
        };
        let op = self.cigar[k];
        if !matches!(op & 0xf, 0 | 7 | 8) {
            return None;
        }
        let (mut rpos, mut qpos) = (u64::from(self.pos), 0usize);
        for &c in &self.cigar[..k] {
            let n = (c >> 4) as usize;
            match c & 0xf {
                0 | 7 | 8 => {
                    rpos += n as u64;
                    qpos += n;
                }
                1 | 4 => qpos += n,
                2 | 3 => rpos += n as u64,
                _ => {}
            }
        }
        let n = (op >> 4) as usize;
        let seq_len = self.qual.len().min(self.seq.len() * 2);
        if qpos + n > seq_len || rpos >= u64::from(contig_len) {
            return None;
        }
        let end = (rpos + n as u64).min(u64::from(contig_len)) as u32;
        let only = self.cigar.iter().filter(|c| !clip(c)).count() == 1;
        Some((rpos as u32, end, qpos, only))
    }

    /// The 4-bit codes of query bases `qpos..qpos + n`, one per byte, into `out`.
    pub fn codes_into(&self, qpos: usize, n: usize, out: &mut Vec<u8>) {
        out.clear();
        out.reserve(n + 1);
        let mut bytes = &self.seq[qpos >> 1..(qpos + n).div_ceil(2)];
        if qpos & 1 == 1 && n > 0 {
            out.push(bytes[0] & 0xf);
            bytes = &bytes[1..];
        }
        // Two codes per byte (written in place: the loop vectorizes); a half byte past
        // the run dropped.
        let at = out.len();
        out.resize(at + 2 * bytes.len(), 0);
        for (o, &b) in out[at..].chunks_exact_mut(2).zip(bytes) {
            o[0] = b >> 4;
            o[1] = b & 0xf;
        }
        out.truncate(n);
    }

    /// One past the last reference position the alignment covers.
    pub fn ref_end(&self) -> u32 {
        let span: u64 = self
            .cigar
            .iter()
            .filter(|c| matches!(*c & 0xf, 0 | 2 | 3 | 7 | 8))
            .map(|c| u64::from(c >> 4))
            .sum();
        u32::try_from(u64::from(self.pos) + span).unwrap_or(u32::MAX)
    }
}

/// Receives what a read says at each reference position.
pub(crate) trait Sink {
    /// A read base (allele index 0..=4) at zero-based `pos`.
    fn base(&mut self, pos: u32, allele: u8, q: u8);
    /// `n` aligned read bases from query offset `qpos` at reference positions
    /// `pos..pos + n` (an M/=/X run; the hot path). The caller guarantees that the run
    /// lies inside the read and the contig.
    #[inline(always)]
    fn bases(&mut self, pos: u32, r: &ReadView<'_>, qpos: usize, n: usize) {
        for i in 0..n {
            let q = r.qual[qpos + i];
            let a = CODE_TO_ALLELE[r.code(qpos + i) as usize];
            self.base(pos + i as u32, a, q);
        }
    }
    /// The reference base at `pos` is deleted in the read; `q` is the quality of the
    /// read base after the deletion.
    fn deleted(&mut self, pos: u32, q: u8);
    /// An insertion of `seq` after `anchor` (whose base has quality `q`).
    fn insertion(&mut self, anchor: u32, seq: &[u8], q: u8);
    /// A deletion of `len` reference bases after `anchor` (whose base has quality `q`).
    fn deletion(&mut self, anchor: u32, len: u32, q: u8);
}

/// Walk the CIGAR of `r`, reporting positions below `contig_len` to `sink`.
///
/// Operations running past the contig end are clipped there; a read whose sequence is
/// shorter than its CIGAR claims (caught earlier by the read filter) is cut short rather
/// than read out of bounds.
///
/// On x86_64 CPUs with AVX2 (detected at run time, once) the same code is compiled
/// with AVX2 enabled: the bulk quality sums then add eight bases per instruction.
#[inline]
pub(crate) fn walk<S: Sink>(
    r: &ReadView<'_>,
    contig_len: u32,
    sink: &mut S,
    ins_buf: &mut Vec<u8>,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { walk_avx2(r, contig_len, sink, ins_buf) };
        return;
    }
    walk_any(r, contig_len, sink, ins_buf);
}

/// [`walk`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn walk_avx2<S: Sink>(
    r: &ReadView<'_>,
    contig_len: u32,
    sink: &mut S,
    ins_buf: &mut Vec<u8>,
) {
    walk_any(r, contig_len, sink, ins_buf);
}

/// [`walk`] for any CPU (inlined into [`walk_avx2`] to be compiled for AVX2 there).
#[inline(always)]
fn walk_any<S: Sink>(r: &ReadView<'_>, contig_len: u32, sink: &mut S, ins_buf: &mut Vec<u8>) {
    let contig_len = u64::from(contig_len);
    let seq_len = r.qual.len().min(r.seq.len() * 2);
    let mut rpos = u64::from(r.pos);
    let mut qpos = 0usize;
    // Last aligned base: (position, quality); indel events need it right before them.
    let mut anchor: Option<(u64, u8)> = None;
    let mut ops = r.cigar.iter().copied().peekable();
    while let Some(c) = ops.next() {
        // An insertion right after the contig's last base is still reported there
        // (htslib's pileup does); anything else past the end is dropped.
        if rpos >= contig_len && c & 0xf != 1 {
            break;
        }
        let len = (c >> 4) as usize;
        match c & 0xf {
            // M, =, X
            0 | 7 | 8 => {
                let n = len
                    .min((contig_len - rpos) as usize)
                    .min(seq_len.saturating_sub(qpos));
                // n = 0 when the sequence is used up (SEQ `*`, or a CIGAR longer than
                // the sequence): then `qpos` may lie past its end, and no sink may slice
                // there (a fuzzer found `5S40M` with SEQ `*` panicking here).
                if n > 0 {
                    sink.bases(rpos as u32, r, qpos, n);
                    anchor = Some((rpos + n as u64 - 1, r.qual[qpos + n - 1]));
                }
                if n < len {
                    return;
                }
                rpos += len as u64;
                qpos += len;
            }
            // I: consecutive I operations, with padding (P) between them, are one
            // insertion event (`1I1P1I` is `+2`, as in htslib's pileup). P consumes no
            // query, so the inserted bases are contiguous in the read.
            1 => {
                let mut len = len;
                while let Some(&next) = ops.peek() {
                    match next & 0xf {
                        1 => len += (next >> 4) as usize,
                        6 => {}
                        _ => break,
                    }
                    ops.next();
                }
                if let Some((a, q)) = anchor {
                    if a + 1 == rpos && qpos + len <= seq_len && len > 0 {
                        ins_buf.clear();
                        ins_buf.extend((qpos..qpos + len).map(|i| {
                            let b = CODE_TO_ASCII[r.code(i) as usize];
                            if matches!(b, b'A' | b'C' | b'G' | b'T') {
                                b
                            } else {
                                b'N'
                            }
                        }));
                        sink.insertion(a as u32, ins_buf, q);
                    }
                }
                qpos += len;
            }
            // D
            2 => {
                if let Some((a, q)) = anchor {
                    if a + 1 == rpos && len > 0 {
                        sink.deletion(a as u32, len as u32, q);
                    }
                }
                // htslib's pileup gives a deleted base the query offset of the deletion
                // (`qpos = s->y`), i.e. the read base after it; 0 when none follows.
                let q = r.qual.get(qpos).copied().unwrap_or(0);
                let n = len.min((contig_len - rpos) as usize);
                for k in 0..n {
                    sink.deleted((rpos + k as u64) as u32, q);
                }
                rpos += len as u64;
            }
            // N (reference skip)
            3 => {
                rpos += len as u64;
                anchor = None;
            }
            // S
            4 => qpos += len,
            // H, P, and unknown codes consume nothing.
            _ => {}
        }
    }
}

/// Packed sequence byte → allele indices of its two bases (high nibble first): one
/// table load decodes two bases.
const BYTE_TO_ALLELES: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = [CODE_TO_ALLELE[b >> 4], CODE_TO_ALLELE[b & 0xf]];
        b += 1;
    }
    t
};

/// Count one aligned base into its cell: a base whose quality fails (`q < min` or
/// `q == 255`, one unsigned comparison against `span = 255 - min`) lands in the `lowq`
/// cell and adds 0 to the quality sum; no branch.
#[inline(always)]
fn add_base<const XM: bool>(cell: &mut super::block::StrandCell, a: u8, q: u8, min: u8, span: u8) {
    let a = usize::from(a);
    let pass = q.wrapping_sub(min) < span;
    cell.n[if pass { a } else { LOWQ }] += 1;
    cell.qsum[a] += if pass { u32::from(q) } else { 0 };
    if XM {
        cell.xm += u32::from(pass);
    }
}

/// The hot loop over one run of aligned bases: `rows` and `quals` hold exactly the
/// run, `seq` the packed bytes that hold it, `odd` whether the run starts in the low
/// half of its first byte. Whole bytes are decoded two bases at a time.
#[inline(always)]
fn count_run<const XM: bool>(
    rows: &mut [HotRow],
    quals: &[u8],
    seq: &[u8],
    odd: usize,
    s: usize,
    min: u8,
) {
    let span = 255u8.wrapping_sub(min);
    let n = rows.len().min(quals.len());
    if n == 0 {
        return;
    }
    let (mut i, mut b) = (0usize, 0usize);
    if odd == 1 {
        let a = CODE_TO_ALLELE[usize::from(seq[0] & 0xf)];
        add_base::<XM>(&mut rows[0][s], a, quals[0], min, span);
        i = 1;
        b = 1;
    }
    // Pairs of bases from whole bytes.
    let pairs = (n - i) / 2;
    let (rows_p, quals_p) = (&mut rows[i..i + 2 * pairs], &quals[i..i + 2 * pairs]);
    let bytes = &seq[b..b + pairs];
    for ((r2, q2), &byte) in rows_p
        .chunks_exact_mut(2)
        .zip(quals_p.chunks_exact(2))
        .zip(bytes)
    {
        let [a0, a1] = BYTE_TO_ALLELES[usize::from(byte)];
        add_base::<XM>(&mut r2[0][s], a0, q2[0], min, span);
        add_base::<XM>(&mut r2[1][s], a1, q2[1], min, span);
    }
    i += 2 * pairs;
    if i < n {
        // A last base in the high half of its byte.
        let a = CODE_TO_ALLELE[usize::from(seq[b + pairs] >> 4)];
        add_base::<XM>(&mut rows[i][s], a, quals[i], min, span);
    }
}

/// Whether a quality fails the threshold (`q < min`, or 255 = unknown): one unsigned
/// comparison against `span = 255 - min`.
#[inline(always)]
pub(crate) fn fails(q: u8, min: u8, span: u8) -> bool {
    q.wrapping_sub(min) >= span
}

/// The exceptions among sixteen bases: bit `k` is set when base `k` (the high nibble of
/// `seq[k / 2]` for even `k`) differs from rCRS (`refs`, packed the same way) and its
/// quality `q[k]` passes the threshold (a failing base stays in bulk, tallied as low
/// quality whatever its code).
#[inline(always)]
fn exceptions16(seq: [u8; 8], refs: [u8; 8], q: &[u8; 16], min: u8, span: u8) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline; the one load reads exactly the
        // sixteen bytes of `q`.
        unsafe {
            let x = _mm_set_epi64x(0, i64::from_le_bytes(seq) ^ i64::from_le_bytes(refs));
            let nib = _mm_set1_epi8(0x0f);
            let hi = _mm_and_si128(_mm_srli_epi16::<4>(x), nib);
            let lo = _mm_and_si128(x, nib);
            // Base order: high nibble of byte 0, low nibble of byte 0, high of byte 1, ...
            let same = _mm_cmpeq_epi8(_mm_unpacklo_epi8(hi, lo), _mm_setzero_si128());
            let qv = _mm_loadu_si128(q.as_ptr().cast::<__m128i>());
            // fails(q) <=> q - min >= span (unsigned) <=> max(q - min, span) == q - min
            let d = _mm_sub_epi8(qv, _mm_set1_epi8(min as i8));
            let fail = _mm_cmpeq_epi8(_mm_max_epu8(d, _mm_set1_epi8(span as i8)), d);
            // An exception: differs and passes; a failing base stays in bulk (its
            // low-quality tally), whatever its code.
            let keep = _mm_or_si128(fail, same);
            (!_mm_movemask_epi8(keep) as u32) & 0xffff
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut mask = 0u32;
        for k in 0..16 {
            let shift = if k & 1 == 0 { 4 } else { 0 };
            let differs = ((seq[k / 2] ^ refs[k / 2]) >> shift) & 0xf != 0;
            mask |= u32::from(differs && !fails(q[k], min, span)) << k;
        }
        mask
    }
}

/// The bulk arrays of one run of aligned bases on one strand (see [`Block`]), and how to
/// take an exception out of them.
struct Bulk<'r> {
    rows: &'r mut [HotRow],
    cover: &'r mut [i32],
    qtot: &'r mut [u32],
    lowq: &'r mut [u32],
    s: usize,
    min: u8,
    span: u8,
}

impl Bulk<'_> {
    /// Base `i` of the run (code `code`, rCRS code `refcode`, quality `q`), already
    /// counted in bulk: if it is an exception (it differs from rCRS at a passing
    /// quality), count it in its cell instead.
    #[inline(always)]
    fn check(&mut self, i: usize, code: u8, refcode: u8, q: u8) {
        if code != refcode && !fails(q, self.min, self.span) {
            self.exception(i, code, q);
        }
    }

    /// Move base `i` (code `code`, passing quality `q`) from the bulk arrays into its cell.
    #[inline(always)]
    fn exception(&mut self, i: usize, code: u8, q: u8) {
        let a = allele_of(code);
        add_base::<false>(&mut self.rows[i][self.s], a, q, self.min, self.span);
        self.qtot[i] = self.qtot[i].wrapping_sub(u32::from(q));
        self.cover[i] -= 1;
        self.cover[i + 1] += 1;
    }

    /// The exceptions marked in `mask` among the bases from `j0` on of the whole
    /// sequence bytes `bytes` (bit `k`: base `j0 + k`, the high nibble of
    /// `bytes[(j0 + k) / 2]` when even; `j0` even), whose qualities are `quals` (one per
    /// base, from base 0 of `bytes`) and which are bases `first + j` of the run.
    #[inline(always)]
    fn drain(&mut self, first: usize, j0: usize, mut mask: u64, bytes: &[u8], quals: &[u8]) {
        while mask != 0 {
            let j = j0 + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let byte = bytes[j / 2];
            let code = if j & 1 == 0 { byte >> 4 } else { byte & 0xf };
            self.exception(first + j, code, quals[j]);
        }
    }
}

/// The fast path over one run of aligned bases of a read (not one whose mate is on
/// another contig): the run starts at row `start` of `block` and at zero-based position
/// `pos`; `quals` and `seq` as for [`count_run`]. Every base is first counted in bulk
/// (coverage +1 over the run; passing qualities added and failing ones tallied as low
/// quality in one vectorised loop); then the packed sequence is compared with rCRS
/// sixteen bases at a time (one 64-bit compare) together with the sixteen qualities,
/// and only the bases that differ from rCRS at a passing quality are moved into their
/// exception cells.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn count_bulk(
    block: &mut Block,
    start: usize,
    pos: usize,
    quals: &[u8],
    seq: &[u8],
    odd: usize,
    s: usize,
    min: u8,
) {
    let n = quals.len();
    if n == 0 {
        return;
    }
    let Block {
        rows,
        cover,
        qtot,
        lowq,
        ..
    } = block;
    let mut bulk = Bulk {
        rows: &mut rows[start..start + n],
        cover: &mut cover[s][start..=start + n],
        qtot: &mut qtot[s][start..start + n],
        lowq: &mut lowq[s][start..start + n],
        s,
        min,
        span: 255u8.wrapping_sub(min),
    };
    bulk.cover[0] += 1;
    bulk.cover[n] -= 1;
    let (min, span) = (bulk.min, bulk.span);
    for ((t, l), &q) in bulk.qtot.iter_mut().zip(bulk.lowq.iter_mut()).zip(quals) {
        let fail = fails(q, min, span);
        *t = t.wrapping_add(if fail { 0 } else { u32::from(q) });
        *l = l.wrapping_add(u32::from(fail));
    }
    let (mut i, mut b) = (0usize, 0usize);
    if odd == 1 {
        bulk.check(0, seq[0] & 0xf, REF_CODE[pos], quals[0]);
        i = 1;
        b = 1;
    }
    // Whole bytes: positions p, p+1, ... line up with REF_PAIRS[p & 1][p >> 1..].
    let pairs = (n - i) / 2;
    let p = pos + i;
    let refs = &REF_PAIRS[p & 1][p >> 1..(p >> 1) + pairs];
    let bytes = &seq[b..b + pairs];
    let qp = &quals[i..i + 2 * pairs];
    // Sixteen bases at a time, their exception masks gathered 64 bases to a word, and
    // the word's exceptions visited together (a branch per sixteen bases on whether any
    // was an exception mispredicted often on real qualities).
    let mut chunks = 0usize;
    let (mut word, mut fill) = (0u64, 0u32);
    for ((sb, rb), q16) in bytes
        .chunks_exact(8)
        .zip(refs.chunks_exact(8))
        .zip(qp.chunks_exact(16))
    {
        let (Ok(sb8), Ok(rb8), Ok(q16)) = (
            <[u8; 8]>::try_from(sb),
            <[u8; 8]>::try_from(rb),
            <&[u8; 16]>::try_from(q16),
        ) else {
            unreachable!("chunks_exact gives whole chunks")
        };
        word |= u64::from(exceptions16(sb8, rb8, q16, bulk.min, bulk.span)) << fill;
        fill += 16;
        chunks += 1;
        if fill == 64 {
            bulk.drain(i, 16 * (chunks - 4), word, bytes, qp);
            (word, fill) = (0, 0);
        }
    }
    // The last whole bytes (fewer than eight): the last eight bytes of the run again,
    // keeping only the bases the chunks before did not see (no copy into a padded
    // buffer: a 16-byte load of bytes just stored piecewise stalls); a run shorter than
    // sixteen bases one base at a time.
    let done = 8 * chunks;
    let rest = pairs - done;
    if pairs >= 8 {
        if rest > 0 {
            let s = pairs - 8;
            let (Ok(sb8), Ok(rb8), Ok(q16)) = (
                <[u8; 8]>::try_from(&bytes[s..]),
                <[u8; 8]>::try_from(&refs[s..]),
                <&[u8; 16]>::try_from(&qp[2 * s..]),
            ) else {
                unreachable!("the run holds at least eight whole bytes")
            };
            // Bit 0 of the shifted mask is base `2 * done`, the first one not yet seen;
            // its at most 14 bits fit above the at most 48 of the word.
            let seen = 2 * (8 - rest);
            let m = exceptions16(sb8, rb8, q16, bulk.min, bulk.span) >> seen;
            word |= u64::from(m) << fill;
        }
        bulk.drain(i, 2 * done - fill as usize, word, bytes, qp);
    } else {
        for (k, &byte) in bytes.iter().enumerate().skip(done) {
            let (j, r) = (2 * k, refs[k]);
            bulk.check(i + j, byte >> 4, r >> 4, qp[j]);
            bulk.check(i + j + 1, byte & 0xf, r & 0xf, qp[j + 1]);
        }
    }
    i += 2 * pairs;
    if i < n {
        // A last base in the high half of its byte.
        bulk.check(i, seq[b + pairs] >> 4, REF_CODE[pos + i], quals[i]);
    }
}

/// Take back one base that [`DirectSink::bases`] counted for a read whose mate is on
/// the same contig (code `code` and quality `q` at zero-based `pos`, strand `s`): out of
/// the bulk arrays if it went there (it agreed with rCRS at a passing quality, or its
/// quality failed: then out of the low-quality tally), else out of its exception cell.
/// Used when overlapping mates, both counted, are reconciled.
#[inline]
pub(crate) fn uncount(block: &mut Block, s: usize, pos: u32, code: u8, q: u8, min: u8) {
    let span = 255u8.wrapping_sub(min);
    let i = (pos - block.offset) as usize;
    let fail = fails(q, min, span);
    if fail {
        block.cover[s][i] -= 1;
        block.cover[s][i + 1] += 1;
        block.lowq[s][i] = block.lowq[s][i].wrapping_sub(1);
    } else if code == REF_CODE[pos as usize] {
        block.cover[s][i] -= 1;
        block.cover[s][i + 1] += 1;
        block.qtot[s][i] = block.qtot[s][i].wrapping_sub(u32::from(q));
    } else {
        let a = usize::from(allele_of(code));
        let cell = &mut block.rows[i][s];
        cell.n[a] -= 1;
        cell.qsum[a] = cell.qsum[a].wrapping_sub(u32::from(q));
    }
}

/// The allele index (0..=4) of a 4-bit base code.
#[inline(always)]
pub(crate) fn allele_of(code: u8) -> u8 {
    CODE_TO_ALLELE[usize::from(code & 0xf)]
}

/// Count one base of allele `a` (0..=4) with quality `q` at `pos` on strand `s` in its
/// exception cell (a read whose mate is on the same contig).
#[inline]
pub(crate) fn count_cell(block: &mut Block, s: usize, pos: u32, a: u8, q: u8, min: u8) {
    let i = (pos - block.offset) as usize;
    add_base::<false>(&mut block.rows[i][s], a, q, min, 255u8.wrapping_sub(min));
}

/// Adds observations straight into a dense [`Block`] (bases from reads whose mate is on
/// the same contig through the bulk fast path, [`count_bulk`]).
pub(crate) struct DirectSink<'a> {
    pub block: &'a mut Block,
    pub indels: &'a mut IndelMap,
    pub min_bq: u8,
    pub strand: usize,
    pub mate_other_contig: bool,
}

impl DirectSink<'_> {
    #[inline(always)]
    fn cell(&mut self, pos: u32) -> &mut super::block::StrandCell {
        let s = self.strand;
        &mut self.block.rows[(pos - self.block.offset) as usize][s]
    }

    #[inline(always)]
    fn passes(&self, q: u8) -> bool {
        q >= self.min_bq && q != 255
    }
}

impl Sink for DirectSink<'_> {
    /// The hot loop: [`count_bulk`], or for a read whose mate is on another contig
    /// [`count_run`] (one pass, two bases decoded per packed byte, no branch on quality).
    #[inline(always)]
    fn bases(&mut self, pos: u32, r: &ReadView<'_>, qpos: usize, n: usize) {
        let start = (pos - self.block.offset) as usize;
        let quals = &r.qual[qpos..qpos + n];
        let seq = &r.seq[qpos >> 1..(qpos + n).div_ceil(2)];
        let odd = qpos & 1;
        if self.mate_other_contig {
            let rows = &mut self.block.rows[start..start + n];
            count_run::<true>(rows, quals, seq, odd, self.strand, self.min_bq);
        } else {
            count_bulk(
                self.block,
                start,
                pos as usize,
                quals,
                seq,
                odd,
                self.strand,
                self.min_bq,
            );
        }
    }

    #[inline(always)]
    fn base(&mut self, pos: u32, allele: u8, q: u8) {
        let pass = self.passes(q);
        let xm = self.mate_other_contig;
        let cell = self.cell(pos);
        if pass {
            cell.n[allele as usize] += 1;
            cell.qsum[allele as usize] += u32::from(q);
            cell.xm += u32::from(xm);
        } else {
            cell.n[LOWQ] += 1;
        }
    }

    #[inline]
    fn deleted(&mut self, pos: u32, q: u8) {
        let pass = self.passes(q);
        let xm = self.mate_other_contig;
        let cell = self.cell(pos);
        if pass {
            cell.n[DEL as usize] += 1;
            cell.xm += u32::from(xm);
        } else {
            cell.n[LOWQ] += 1;
        }
    }

    fn insertion(&mut self, anchor: u32, seq: &[u8], q: u8) {
        if self.passes(q) {
            let s = self.strand;
            self.cell(anchor).n[INS] += 1;
            self.indels
                .entry((anchor, IndelKey::Ins(seq.to_vec())))
                .or_insert([0, 0])[s] += 1;
        }
    }

    fn deletion(&mut self, anchor: u32, len: u32, q: u8) {
        if self.passes(q) {
            let s = self.strand;
            self.indels
                .entry((anchor, IndelKey::Del(len)))
                .or_insert([0, 0])[s] += 1;
        }
    }
}

/// One observation kept for mate reconciliation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Obs {
    /// Zero-based position.
    pub pos: u32,
    /// Allele index 0..=5 (5 = deletion).
    pub allele: u8,
    /// Base quality (for a deletion, that of the read base after it).
    pub q: u8,
}

/// An indel event kept for mate reconciliation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EventObs {
    /// Zero-based anchor position.
    pub anchor: u32,
    /// The event.
    pub key: IndelKey,
    /// Anchor base quality.
    pub q: u8,
}

/// Counts a read directly except in the reference interval `lo..=hi`, where it keeps
/// the observations (and the indel events anchored there) for mate reconciliation: only
/// the part of a read that its mate also covers needs to wait for the mate.
pub(crate) struct RoutingSink<'a, 'b> {
    pub direct: DirectSink<'a>,
    pub keep: &'b mut CollectSink,
    pub lo: u32,
    pub hi: u32,
}

impl RoutingSink<'_, '_> {
    #[inline(always)]
    fn kept(&self, pos: u32) -> bool {
        self.lo <= pos && pos <= self.hi
    }
}

impl Sink for RoutingSink<'_, '_> {
    #[inline]
    fn bases(&mut self, pos: u32, r: &ReadView<'_>, qpos: usize, n: usize) {
        // Split the run into the part before, inside and after the kept interval.
        let end = pos + n as u32; // exclusive
        let a = pos.max(self.lo).min(end);
        let b = end.min(self.hi.saturating_add(1)).max(a);
        if a > pos {
            self.direct.bases(pos, r, qpos, (a - pos) as usize);
        }
        if b > a {
            self.keep
                .bases(a, r, qpos + (a - pos) as usize, (b - a) as usize);
        }
        if end > b {
            self.direct
                .bases(b, r, qpos + (b - pos) as usize, (end - b) as usize);
        }
    }
    fn base(&mut self, pos: u32, allele: u8, q: u8) {
        if self.kept(pos) {
            self.keep.base(pos, allele, q);
        } else {
            self.direct.base(pos, allele, q);
        }
    }
    fn deleted(&mut self, pos: u32, q: u8) {
        if self.kept(pos) {
            self.keep.deleted(pos, q);
        } else {
            self.direct.deleted(pos, q);
        }
    }
    fn insertion(&mut self, anchor: u32, seq: &[u8], q: u8) {
        if self.kept(anchor) {
            self.keep.insertion(anchor, seq, q);
        } else {
            self.direct.insertion(anchor, seq, q);
        }
    }
    fn deletion(&mut self, anchor: u32, len: u32, q: u8) {
        if self.kept(anchor) {
            self.keep.deletion(anchor, len, q);
        } else {
            self.direct.deletion(anchor, len, q);
        }
    }
}

/// Keeps a read's observations (in reference order) instead of counting them.
#[derive(Debug, Default)]
pub(crate) struct CollectSink {
    pub obs: Vec<Obs>,
    pub events: Vec<EventObs>,
}

impl Sink for CollectSink {
    fn base(&mut self, pos: u32, allele: u8, q: u8) {
        self.obs.push(Obs { pos, allele, q });
    }
    /// The run kept in one exact-size extend (one capacity check, not one per base).
    #[inline]
    fn bases(&mut self, pos: u32, r: &ReadView<'_>, qpos: usize, n: usize) {
        let quals = &r.qual[qpos..qpos + n];
        let obs = |i: usize, allele: u8| Obs {
            pos: pos + i as u32,
            allele,
            q: quals[i],
        };
        self.obs.reserve(n);
        let mut i = 0;
        if qpos & 1 == 1 && n > 0 {
            self.obs.push(obs(0, CODE_TO_ALLELE[r.code(qpos) as usize]));
            i = 1;
        }
        // Whole bytes: two bases from one table lookup.
        let b = (qpos + i) >> 1;
        for (k, &byte) in r.seq[b..b + (n - i) / 2].iter().enumerate() {
            let [a0, a1] = BYTE_TO_ALLELES[usize::from(byte)];
            let j = i + 2 * k;
            self.obs.extend([obs(j, a0), obs(j + 1, a1)]);
        }
        if (n - i) % 2 == 1 {
            self.obs
                .push(obs(n - 1, CODE_TO_ALLELE[r.code(qpos + n - 1) as usize]));
        }
    }
    fn deleted(&mut self, pos: u32, q: u8) {
        self.obs.push(Obs {
            pos,
            allele: DEL,
            q,
        });
    }
    fn insertion(&mut self, anchor: u32, seq: &[u8], q: u8) {
        self.events.push(EventObs {
            anchor,
            key: IndelKey::Ins(seq.to_vec()),
            q,
        });
    }
    fn deletion(&mut self, anchor: u32, len: u32, q: u8) {
        self.events.push(EventObs {
            anchor,
            key: IndelKey::Del(len),
            q,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pack ASCII bases into BAM's 4-bit encoding.
    pub(crate) fn pack(seq: &[u8]) -> Vec<u8> {
        let code = |b: u8| CODE_TO_ASCII.iter().position(|&c| c == b).unwrap_or(15) as u8;
        seq.chunks(2)
            .map(|p| (code(p[0]) << 4) | p.get(1).map_or(0, |&b| code(b)))
            .collect()
    }

    /// A read of the tests.
    fn view<'a>(
        pos: u32,
        rev: bool,
        cigar: &'a [u32],
        seq: &'a [u8],
        qual: &'a [u8],
    ) -> ReadView<'a> {
        ReadView {
            pos,
            rev,
            cigar,
            seq,
            qual,
        }
    }

    /// A sink straight into rows, for one strand.
    fn direct<'a>(
        block: &'a mut Block,
        indels: &'a mut IndelMap,
        min_bq: u8,
        strand: usize,
    ) -> DirectSink<'a> {
        DirectSink {
            block,
            indels,
            min_bq,
            strand,
            mate_other_contig: false,
        }
    }

    fn cig(ops: &[(u32, u32)]) -> Vec<u32> {
        ops.iter().map(|&(len, op)| len << 4 | op).collect()
    }

    #[test]
    fn walks_match_insertion_deletion_and_clips() {
        // 2S 3M 1I 2M 2D 2M 1S: read "TTACGGTACGTA" at position 10
        let seq = pack(b"TTACGGTACGTA");
        let qual = vec![30u8; 12];
        let cigar = cig(&[(2, 4), (3, 0), (1, 1), (2, 0), (2, 2), (2, 0), (1, 4)]);
        let r = view(10, false, &cigar, &seq, &qual);
        let mut c = CollectSink::default();
        walk(&r, 16569, &mut c, &mut Vec::new());
        let got: Vec<(u32, u8)> = c.obs.iter().map(|o| (o.pos, o.allele)).collect();
        // A C G | ins G | T A | del del | C G
        assert_eq!(
            got,
            vec![
                (10, 0),
                (11, 1),
                (12, 2),
                (13, 3),
                (14, 0),
                (15, DEL),
                (16, DEL),
                (17, 1),
                (18, 2)
            ]
        );
        assert_eq!(
            c.events,
            vec![
                EventObs {
                    anchor: 12,
                    key: IndelKey::Ins(b"G".to_vec()),
                    q: 30
                },
                EventObs {
                    anchor: 14,
                    key: IndelKey::Del(2),
                    q: 30
                },
            ]
        );
        assert_eq!(r.ref_end(), 19);
    }

    #[test]
    fn clips_at_contig_end_and_skips_refskip() {
        let seq = pack(b"ACGTACGT");
        let qual = vec![30u8; 8];
        let cigar = cig(&[(2, 0), (100, 3), (6, 0)]);
        let r = view(16560, true, &cigar, &seq, &qual);
        let mut c = CollectSink::default();
        walk(&r, 16569, &mut c, &mut Vec::new());
        assert_eq!(
            c.obs.len(),
            2,
            "bases after a skip beyond the contig end are dropped"
        );
        let cigar = cig(&[(8, 0)]);
        let r = view(16565, true, &cigar, &seq, &qual);
        let mut c = CollectSink::default();
        walk(&r, 16569, &mut c, &mut Vec::new());
        assert_eq!(
            c.obs.iter().map(|o| o.pos).collect::<Vec<_>>(),
            vec![16565, 16566, 16567, 16568]
        );
    }

    #[test]
    fn no_sequence_after_a_clip_counts_nothing() {
        // SEQ `*` with 5S40M (legal SAM): nothing to count, and no slice past the end.
        let cigar = cig(&[(5, 4), (40, 0)]);
        let r = view(700, false, &cigar, &[], &[]);
        let mut block = Block::new(700);
        block.ensure(740);
        let mut indels = IndelMap::new();
        let mut s = direct(&mut block, &mut indels, 20, 0);
        walk(&r, 16569, &mut s, &mut Vec::new());
        assert!(block.to_sites().iter().all(|site| site.depth() == 0));
        assert!(block.rows.iter().all(|row| *row == HotRow::default()));
    }

    #[test]
    fn insertions_split_by_padding_are_one_event() {
        // 2M 1I 1P 1I 2M: one +2 insertion (htslib), not two +1 events.
        let seq = pack(b"ACGTAC");
        let qual = vec![30u8; 6];
        let cigar = cig(&[(2, 0), (1, 1), (1, 6), (1, 1), (2, 0)]);
        let r = view(100, false, &cigar, &seq, &qual);
        let mut c = CollectSink::default();
        walk(&r, 16569, &mut c, &mut Vec::new());
        assert_eq!(
            c.events,
            vec![EventObs {
                anchor: 101,
                key: IndelKey::Ins(b"GT".to_vec()),
                q: 30
            }]
        );
        assert_eq!(
            c.obs.iter().map(|o| (o.pos, o.allele)).collect::<Vec<_>>(),
            vec![(100, 0), (101, 1), (102, 0), (103, 1)],
            "the bases after the insertion keep their query offsets"
        );
    }

    #[test]
    fn insertion_after_the_last_contig_base_is_kept() {
        // Ends at 16569 (zero-based 16568), then 2I: +GG anchored at 16569 (mpileup).
        let seq = pack(b"ACGGG");
        let qual = vec![30u8; 5];
        let cigar = cig(&[(3, 0), (2, 1)]);
        let r = view(16566, false, &cigar, &seq, &qual);
        let mut block = Block::new(0);
        block.ensure(16569);
        let mut indels = IndelMap::new();
        let mut s = direct(&mut block, &mut indels, 20, 0);
        walk(&r, 16569, &mut s, &mut Vec::new());
        assert_eq!(block.rows[16568][0].n[INS], 1);
        assert_eq!(indels[&(16568, IndelKey::Ins(b"GG".to_vec()))], [1, 0]);
        // Past the end (a run cut at the contig end), an insertion has no anchor.
        let cigar = cig(&[(4, 0), (1, 1)]);
        let r = view(16566, false, &cigar, &seq, &qual);
        let mut c = CollectSink::default();
        walk(&r, 16569, &mut c, &mut Vec::new());
        assert!(c.events.is_empty());
    }

    #[test]
    fn deleted_base_takes_quality_of_next_base_like_htslib() {
        let seq = pack(b"ACGT");
        let qual = vec![10, 35, 36, 37];
        let cigar = cig(&[(2, 0), (1, 2), (2, 0)]);
        let r = view(0, false, &cigar, &seq, &qual);
        let mut c = CollectSink::default();
        walk(&r, 16569, &mut c, &mut Vec::new());
        assert_eq!(
            c.obs[2],
            Obs {
                pos: 2,
                allele: DEL,
                q: 36
            },
            "the base after the deletion, as samtools mpileup"
        );
        assert_eq!(c.events[0].q, 35, "the event keeps the anchor's quality");
        let cigar = cig(&[(1, 2), (4, 0)]);
        let r = view(0, false, &cigar, &seq, &qual);
        let mut c = CollectSink::default();
        walk(&r, 16569, &mut c, &mut Vec::new());
        assert_eq!(
            c.obs[0],
            Obs {
                pos: 0,
                allele: DEL,
                q: 10
            }
        );
        assert!(c.events.is_empty(), "no anchor, no event");
    }

    #[test]
    fn codes_read_whole_bytes_as_one_at_a_time() {
        let ascii = b"ACGTNMACGTRACGTACY";
        let packed = pack(ascii);
        let quals = vec![30u8; ascii.len()];
        let cigar = cig(&[(ascii.len() as u32, 0)]);
        let r = view(0, false, &cigar, &packed, &quals);
        let mut out = Vec::new();
        for qpos in 0..ascii.len() {
            for n in 0..=(ascii.len() - qpos) {
                r.codes_into(qpos, n, &mut out);
                let want: Vec<u8> = (qpos..qpos + n).map(|i| r.code(i)).collect();
                assert_eq!(out, want, "qpos {qpos}, n {n}");
            }
        }
    }

    #[test]
    fn kept_runs_equal_bases_kept_one_at_a_time() {
        // A sink that keeps bases through the trait's one-at-a-time `bases`.
        struct OneByOne(CollectSink);
        impl Sink for OneByOne {
            fn base(&mut self, pos: u32, allele: u8, q: u8) {
                self.0.base(pos, allele, q);
            }
            fn deleted(&mut self, _: u32, _: u8) {}
            fn insertion(&mut self, _: u32, _: &[u8], _: u8) {}
            fn deletion(&mut self, _: u32, _: u32, _: u8) {}
        }
        let ascii = b"ACGTNMACGTRACGTACY";
        let packed = pack(ascii);
        let quals: Vec<u8> = (0..ascii.len() as u8).map(|i| 2 * i + 1).collect();
        let cigar = cig(&[(ascii.len() as u32, 0)]);
        let r = view(100, false, &cigar, &packed, &quals);
        for qpos in 0..ascii.len() {
            for n in 0..=(ascii.len() - qpos) {
                let mut fast = CollectSink::default();
                fast.bases(7, &r, qpos, n);
                let mut slow = OneByOne(CollectSink::default());
                slow.bases(7, &r, qpos, n);
                assert_eq!(fast.obs, slow.0.obs, "qpos {qpos}, n {n}");
                assert_eq!(fast.obs.len(), n);
            }
        }
    }

    #[test]
    fn two_bases_per_byte_equal_one_at_a_time() {
        // Every start parity and run length, every base code and a failing quality.
        let seq_ascii = b"ACGTNMACGTRACGTAC";
        let packed = pack(seq_ascii);
        let quals: Vec<u8> = (0..seq_ascii.len())
            .map(|i| [30u8, 12, 255, 40][i % 4])
            .collect();
        for qpos in 0..4usize {
            for n in 0..=(seq_ascii.len() - qpos) {
                for xm in [false, true] {
                    let mut fast = vec![HotRow::default(); n];
                    let seq = &packed[qpos >> 1..(qpos + n).div_ceil(2)];
                    let q = &quals[qpos..qpos + n];
                    if xm {
                        count_run::<true>(&mut fast, q, seq, qpos & 1, 1, 20);
                    } else {
                        count_run::<false>(&mut fast, q, seq, qpos & 1, 1, 20);
                    }
                    let mut slow = vec![HotRow::default(); n];
                    for i in 0..n {
                        let code = CODE_TO_ASCII
                            .iter()
                            .position(|&c| c == seq_ascii[qpos + i])
                            .unwrap_or(15);
                        let a = usize::from(CODE_TO_ALLELE[code]);
                        let cell = &mut slow[i][1];
                        if q[i] >= 20 && q[i] != 255 {
                            cell.n[a] += 1;
                            cell.qsum[a] += u32::from(q[i]);
                            cell.xm += u32::from(xm);
                        } else {
                            cell.n[LOWQ] += 1;
                        }
                    }
                    assert_eq!(fast, slow, "qpos {qpos}, n {n}, xm {xm}");
                }
            }
        }
    }

    #[test]
    fn direct_sink_filters_quality() {
        let seq = pack(b"ACGN");
        let qual = vec![30, 19, 255, 25];
        let cigar = cig(&[(4, 0)]);
        let r = view(100, true, &cigar, &seq, &qual);
        let mut block = Block::new(100);
        block.ensure(110);
        let mut indels = IndelMap::new();
        let mut s = direct(&mut block, &mut indels, 20, 1);
        walk(&r, 16569, &mut s, &mut Vec::new());
        let sites = block.to_sites();
        assert_eq!(sites[0].n[1][0], 1);
        assert_eq!(sites[0].qsum[1][0], 30);
        assert_eq!(sites[1].n[1][LOWQ], 1);
        assert_eq!(
            sites[2].n[1][LOWQ], 1,
            "quality 255 means unknown and counts as low"
        );
        assert_eq!(sites[3].n[1][4], 1, "N counted");
        assert_eq!(sites[0].n[0], [0; 8], "forward strand untouched");
        assert_eq!(sites.iter().map(|s| s.depth()).sum::<u32>(), 2);
    }

    /// A small deterministic generator for the tests below.
    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    /// Per base: the trait's default `bases`, one [`DirectSink::base`] call per aligned
    /// base (no bulk counting).
    struct PerBase<'a>(DirectSink<'a>);

    impl Sink for PerBase<'_> {
        fn base(&mut self, pos: u32, allele: u8, q: u8) {
            self.0.base(pos, allele, q);
        }
        fn deleted(&mut self, pos: u32, q: u8) {
            self.0.deleted(pos, q);
        }
        fn insertion(&mut self, anchor: u32, seq: &[u8], q: u8) {
            self.0.insertion(anchor, seq, q);
        }
        fn deletion(&mut self, anchor: u32, len: u32, q: u8) {
            self.0.deletion(anchor, len, q);
        }
    }

    #[test]
    fn aligner_output_bulk_equals_per_base() {
        // ART reads aligned by bwa mem (test-data/README.md): substitution errors,
        // indels, soft clips, and ART's qualities, many under any usual threshold.
        use rust_htslib::bam::Read as _;
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-data/aligner/art60x.bam");
        for min_bq in [13u8, 20, 30] {
            let mut reader = rust_htslib::bam::Reader::from_path(&path).unwrap();
            let (mut bulk, mut slow) = (Block::new(0), Block::new(0));
            bulk.ensure(16569);
            slow.ensure(16569);
            let (mut ib, mut is) = (IndelMap::new(), IndelMap::new());
            let (mut buf, mut reads) = (Vec::new(), 0);
            for r in reader.records() {
                let rec = r.unwrap();
                if rec.flags() & 0x4 != 0 || rec.tid() < 0 {
                    continue;
                }
                reads += 1;
                let v = view(
                    rec.pos() as u32,
                    rec.is_reverse(),
                    rec.raw_cigar(),
                    rec.seq().encoded,
                    rec.qual(),
                );
                let s = usize::from(v.rev);
                walk(
                    &v,
                    16569,
                    &mut direct(&mut bulk, &mut ib, min_bq, s),
                    &mut buf,
                );
                let mut per_base = PerBase(direct(&mut slow, &mut is, min_bq, s));
                walk(&v, 16569, &mut per_base, &mut buf);
            }
            assert!(reads > 6000);
            let (b, sl) = (bulk.to_sites(), slow.to_sites());
            let lowq: u32 = sl.iter().map(|x| x.lowq()).sum();
            let alt: u32 = sl
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let r = usize::from(super::super::refcodes::REF_ALLELE[i]);
                    x.depth() - (0..2).map(|st| x.n[st][r]).sum::<u32>()
                })
                .sum();
            assert!(
                lowq > 1000 && alt > 100,
                "Q{min_bq}: {lowq} low, {alt} non-rCRS"
            );
            assert!(b == sl, "Q{min_bq}: bulk and per-base counts differ");
            assert_eq!(ib, is, "Q{min_bq}: indel events");
        }
    }

    #[test]
    fn bulk_fast_path_equals_per_base_counting() {
        // Runs at every start parity of read and genome, of every length up to 70, that
        // mostly agree with rCRS, with mismatches, IUPAC codes, `=`, low and unknown
        // qualities sprinkled in; near both genome ends and across m.3107 (rCRS `N`).
        let rcrs = crate::reference::rcrs();
        let mut next = xorshift(42);
        for case in 0..4000u32 {
            let n = (next() % 71) as usize;
            let lead = (next() % 3) as usize; // query bases before the run
            let pos = match case % 4 {
                0 => (next() % 120) as usize,
                1 => 16569 - n - (next() % 40) as usize % (16570 - n),
                2 => 3080 + (next() % 40) as usize,
                _ => (next() % (16570 - n as u64)) as usize,
            }
            .min(16569 - n);
            let exception_rate = [0u64, 2, 10, 50][(case % 4) as usize];
            let mut ascii = Vec::new();
            let mut qual = Vec::new();
            for i in 0..lead + n {
                let r = next();
                let base = if i >= lead && r % 100 >= exception_rate {
                    rcrs[pos + i - lead]
                } else {
                    b"ACGTN=RY"[(r >> 8) as usize % 8]
                };
                ascii.push(base);
                qual.push(if (r >> 16) % 100 < exception_rate {
                    [0u8, 10, 19, 255][(r >> 24) as usize % 4]
                } else {
                    20 + ((r >> 32) % 22) as u8
                });
            }
            let seq = pack(&ascii);
            let (qs, sq) = (&qual[lead..], &seq[lead >> 1..(lead + n).div_ceil(2)]);
            let mut slow = vec![HotRow::default(); n];
            count_run::<false>(&mut slow, qs, sq, lead & 1, 1, 20);
            let mut block = Block::new(pos as u32);
            block.ensure((pos + n) as u32);
            count_bulk(&mut block, 0, pos, qs, sq, lead & 1, 1, 20);
            let mut want = Block::new(pos as u32);
            want.ensure((pos + n) as u32);
            want.rows.copy_from_slice(&slow);
            assert_eq!(
                block.to_sites(),
                want.to_sites(),
                "case {case}: pos {pos}, n {n}, lead {lead}"
            );
        }
    }
}
