//! Junction evidence gathered during counting (one collector per work unit, merged by
//! addition like the counts).

use super::DeletionSpan;
use crate::reference::{rcrs, MT_LENGTH};
use rustc_hash::FxHashMap as HashMap;
use std::sync::OnceLock;

/// Bases a read must align on each side of a junction (and a wild-type read on each
/// side of a breakpoint) to count.
pub const JUNCTION_FLANK: u32 = 15;

/// Mate pairs further apart than this (outer distance, bp) are discordant.
pub const DISCORDANT_INSERT: i64 = 1_200;

/// Bin width of discordant-pair ends.
const DISCORDANT_BIN: u32 = 50;

/// How a junction was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JunctionKind {
    /// A split read (`SA` tag).
    Split,
    /// A soft clip whose sequence matches rCRS across the gap.
    Clip,
}

impl JunctionKind {
    fn code(self) -> &'static str {
        match self {
            JunctionKind::Split => "split",
            JunctionKind::Clip => "clip",
        }
    }
}

/// A junction joining the last base `left` to the base `right` (zero-based), seen in
/// reads of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JunctionKey {
    /// Last reference base before the junction (zero-based).
    pub left: u32,
    /// First reference base after it (zero-based).
    pub right: u32,
    /// How it was seen.
    pub kind: JunctionKind,
}

impl JunctionKey {
    /// The deletion this junction implies (`None` when `right` is not beyond `left`:
    /// a junction across the origin or a tandem duplication).
    pub fn deletion(&self) -> Option<DeletionSpan> {
        (self.right > self.left + 1).then(|| DeletionSpan {
            start: self.left + 2,
            end: self.right,
        })
    }
}

/// Junction reads, non-deletion junctions and discordant pairs of one clone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JunctionEvidence {
    junctions: HashMap<JunctionKey, [u32; 2]>,
    /// Junctions that go backwards (origin of the circular genome, duplications).
    pub non_deletion: u32,
    /// Discordant forward–reverse pairs: (left mate end bin, right mate start bin) → pairs.
    discordant: HashMap<(u32, u32), u32>,
}

/// A 15-mer found more than once in rCRS (in [`kmer_index`]).
const REPEATED: u32 = u32::MAX;

/// 15-mer index of rCRS for placing clipped sequence: its position, or [`REPEATED`].
fn kmer_index() -> &'static HashMap<u32, u32> {
    static INDEX: OnceLock<HashMap<u32, u32>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let r = rcrs();
        let mut m: HashMap<u32, u32> = HashMap::default();
        for i in 0..=r.len() - JUNCTION_FLANK as usize {
            if let Some(k) = pack(&r[i..i + JUNCTION_FLANK as usize]) {
                m.entry(k).and_modify(|p| *p = REPEATED).or_insert(i as u32);
            }
        }
        m
    })
}

fn pack(s: &[u8]) -> Option<u32> {
    let mut k = 0u32;
    for &b in s {
        let c = match b {
            b'A' => 0,
            b'C' => 1,
            b'G' => 2,
            b'T' => 3,
            _ => return None,
        };
        k = (k << 2) | c;
    }
    Some(k)
}

/// The unique rCRS position of a 15-mer.
fn place(kmer: &[u8]) -> Option<u32> {
    match *kmer_index().get(&pack(kmer)?)? {
        REPEATED => None,
        one => Some(one),
    }
}

/// An alignment segment of a read: reference span and where it sits in the read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    ref_start: u32,
    ref_end: u32, // exclusive
    query_start: u32,
    query_end: u32, // exclusive, in reference-oriented read coordinates
}

fn segment_of(pos: u32, ops: impl Iterator<Item = (u32, u8)>) -> Segment {
    let (mut rlen, mut q, mut qstart, mut seen_align) = (0u32, 0u32, 0u32, false);
    let mut qend = 0;
    for (len, op) in ops {
        match op {
            b'M' | b'=' | b'X' => {
                if !seen_align {
                    qstart = q;
                    seen_align = true;
                }
                rlen = rlen.saturating_add(len);
                q = q.saturating_add(len);
                qend = q;
            }
            b'I' => {
                q = q.saturating_add(len);
                qend = q;
            }
            b'D' | b'N' => rlen = rlen.saturating_add(len),
            b'S' | b'H' => q = q.saturating_add(len),
            _ => {}
        }
    }
    Segment {
        ref_start: pos,
        ref_end: pos.saturating_add(rlen),
        query_start: qstart,
        query_end: qend,
    }
}

fn raw_ops(cigar: &[u32]) -> impl Iterator<Item = (u32, u8)> + '_ {
    cigar
        .iter()
        .map(|c| (c >> 4, b"MIDNSHP=X"[((c & 0xf) as usize).min(8)]))
}

/// Whether every length of a text CIGAR fits in 32 bits (then [`text_ops`] reads it).
fn text_cigar_fits(cigar: &str) -> bool {
    let mut n = 0u32;
    cigar.bytes().all(|b| {
        if b.is_ascii_digit() {
            match n
                .checked_mul(10)
                .and_then(|m| m.checked_add(u32::from(b - b'0')))
            {
                Some(m) => n = m,
                None => return false,
            }
        } else {
            n = 0;
        }
        true
    })
}

/// The operations of a text CIGAR (lengths checked by [`text_cigar_fits`]).
fn text_ops(cigar: &str) -> impl Iterator<Item = (u32, u8)> + '_ {
    let mut n = 0u32;
    cigar.bytes().filter_map(move |b| {
        if b.is_ascii_digit() {
            n = n.wrapping_mul(10).wrapping_add(u32::from(b - b'0'));
            None
        } else {
            let op = (n, b);
            n = 0;
            Some(op)
        }
    })
}

impl JunctionEvidence {
    /// All junctions with their reads per strand.
    pub fn junctions(&self) -> impl Iterator<Item = (&JunctionKey, &[u32; 2])> {
        self.junctions.iter()
    }

    /// Add a junction read.
    pub fn add_junction(&mut self, key: JunctionKey, strand: usize, n: u32) {
        self.junctions.entry(key).or_insert([0, 0])[strand.min(1)] += n;
    }

    /// Add another collector's evidence.
    pub fn merge(&mut self, other: JunctionEvidence) {
        for (k, c) in other.junctions {
            let e = self.junctions.entry(k).or_insert([0, 0]);
            e[0] += c[0];
            e[1] += c[1];
        }
        self.non_deletion += other.non_deletion;
        for (k, c) in other.discordant {
            *self.discordant.entry(k).or_insert(0) += c;
        }
    }

    /// Discordant pairs whose left mate ends before the deletion and whose right mate
    /// starts after it, with a plausible fragment once the deletion is removed.
    pub fn discordant_supporting(&self, span: DeletionSpan) -> u32 {
        let (s, e) = (span.start.saturating_sub(1), span.end); // zero-based first deleted, first after
        self.discordant
            .iter()
            .filter(|((lb, rb), _)| {
                let left_end = lb * DISCORDANT_BIN;
                let right_start = rb * DISCORDANT_BIN;
                left_end <= s + DISCORDANT_BIN
                    && right_start + DISCORDANT_BIN >= e
                    && i64::from(right_start) - i64::from(left_end) - i64::from(span.len())
                        < DISCORDANT_INSERT
            })
            .map(|(_, c)| *c)
            .sum()
    }

    /// Look at one counted read (primary, passing the filters) for junction evidence.
    /// Cheap for the common read: only clipped reads are looked at closely (their `SA`
    /// tag, their clipped sequence), and only forward reads with a far reverse mate are
    /// recorded as discordant pairs.
    pub(crate) fn observe_record<R: crate::input::record::Alignment>(
        &mut self,
        rec: &R,
        contig: &str,
    ) {
        let pos = rec.pos().max(0) as u32;
        let flags = rec.flags();
        let mate =
            (flags & 0x1 != 0 && flags & 0x8 == 0 && rec.mtid() == rec.tid() && rec.mpos() >= 0)
                .then(|| (rec.mpos() as u32, rec.insert_size(), flags & 0x20 != 0));
        let cigar = rec.raw_cigar();
        let clipped = Self::clipped(cigar);
        if !clipped && mate.is_none_or(|(_, tlen, _)| tlen <= DISCORDANT_INSERT) {
            return; // the common read: nothing to see
        }
        let sa = match clipped.then(|| rec.aux_value(b"SA")) {
            Some(Some(crate::input::record::AuxValue::Str(s))) => Some(s),
            _ => None,
        };
        self.observe(
            pos,
            cigar,
            flags & 0x10 != 0,
            sa,
            contig,
            &|i: usize| rec.base(i),
            rec.seq_len(),
            mate,
        );
    }

    fn clipped(cigar: &[u32]) -> bool {
        matches!(cigar.first().map(|c| c & 0xf), Some(4 | 5))
            || matches!(cigar.last().map(|c| c & 0xf), Some(4 | 5))
    }

    #[allow(clippy::too_many_arguments)]
    fn observe(
        &mut self,
        pos: u32,
        cigar: &[u32],
        reverse: bool,
        sa: Option<&str>,
        contig: &str,
        base: &dyn Fn(usize) -> u8,
        seq_len: usize,
        mate: Option<(u32, i64, bool)>,
    ) {
        let strand = usize::from(reverse);
        // Discordant pair: this read is the forward left mate of a forward–reverse pair.
        if let Some((mpos, tlen, mate_reverse)) = mate {
            if !reverse && mate_reverse && mpos > pos && tlen > DISCORDANT_INSERT {
                let seg = segment_of(pos, raw_ops(cigar));
                let key = (seg.ref_end / DISCORDANT_BIN, mpos / DISCORDANT_BIN);
                *self.discordant.entry(key).or_insert(0) += 1;
            }
        }
        if !Self::clipped(cigar) {
            return;
        }
        let me = segment_of(pos, raw_ops(cigar));
        if me.ref_end <= me.ref_start {
            return;
        }
        // Split read: a supplementary alignment on the same contig and strand.
        if let Some(sa) = sa {
            for entry in sa.split(';').filter(|e| !e.is_empty()) {
                // rname,pos,strand,CIGAR,mapQ,NM
                let mut f = entry.split(',');
                let (Some(rname), Some(p1), Some(sa_strand), Some(sa_cigar)) =
                    (f.next(), f.next(), f.next(), f.next())
                else {
                    continue;
                };
                if rname != contig {
                    continue;
                }
                let Ok(p1) = p1.parse::<u32>() else {
                    continue;
                };
                if p1 == 0 || (sa_strand == "-") != reverse || !text_cigar_fits(sa_cigar) {
                    continue;
                }
                let other = segment_of(p1 - 1, text_ops(sa_cigar));
                if self.add_split(&me, &other, strand) {
                    return;
                }
            }
        }
        // Soft clips matched across a gap (the sequence decoded only for a clip long
        // enough to place).
        let flank = JUNCTION_FLANK as usize;
        let aligned = (me.ref_end - me.ref_start) as usize;
        // Soft-clip lengths at either end (0 where the end is not soft-clipped).
        let soft = |op: Option<&u32>| {
            op.filter(|c| *c & 0xf == 4)
                .map_or(0, |c| (c >> 4) as usize)
        };
        let (clip_first, clip_last) = (soft(cigar.first()), soft(cigar.last()));
        if aligned < flank || (clip_last < flank && clip_first < flank) {
            return;
        }
        // The `flank` read bases from `from` (only those are decoded).
        let kmer = |from: usize| -> [u8; JUNCTION_FLANK as usize] {
            std::array::from_fn(|k| base(from + k))
        };
        if clip_last >= flank {
            let qend = me.query_end as usize;
            if qend + flank <= seq_len {
                if let Some(q) = place(&kmer(qend)) {
                    self.add(me.ref_end - 1, q, JunctionKind::Clip, strand);
                }
            }
        }
        if clip_first >= flank {
            let qs = me.query_start as usize;
            if qs >= flank && qs <= seq_len {
                if let Some(q) = place(&kmer(qs - flank)) {
                    self.add(
                        q + JUNCTION_FLANK - 1,
                        me.ref_start,
                        JunctionKind::Clip,
                        strand,
                    );
                }
            }
        }
    }

    fn add_split(&mut self, me: &Segment, other: &Segment, strand: usize) -> bool {
        let flank = JUNCTION_FLANK;
        if other.ref_end.saturating_sub(other.ref_start) < flank
            || me.ref_end - me.ref_start < flank
        {
            return false;
        }
        // Order the two parts as they sit in the read.
        let (a, b) = if me.query_start <= other.query_start {
            (me, other)
        } else {
            (other, me)
        };
        // Bases of the read that both parts claim (micro-homology) move the junction.
        let overlap = a.query_end.saturating_sub(b.query_start);
        let left = a.ref_end - 1;
        let right = b.ref_start.saturating_add(overlap);
        self.add(left, right, JunctionKind::Split, strand);
        true
    }

    fn add(&mut self, left: u32, right: u32, kind: JunctionKind, strand: usize) {
        if right > left.saturating_add(1) && right < MT_LENGTH {
            self.add_junction(JunctionKey { left, right, kind }, strand, 1);
        } else {
            self.non_deletion += 1;
        }
    }

    /// Header lines for the counts file (`##junction=…`, `##discordant=…`,
    /// `##non_deletion_junctions=…`), in a stable order.
    pub fn header_lines(&self) -> Vec<String> {
        let mut j: Vec<_> = self.junctions.iter().collect();
        j.sort();
        let mut out: Vec<String> = j
            .into_iter()
            .map(|(k, c)| {
                format!(
                    "##junction={},{},{},{},{}",
                    k.left + 1,
                    k.right + 1,
                    k.kind.code(),
                    c[0],
                    c[1]
                )
            })
            .collect();
        let mut d: Vec<_> = self.discordant.iter().collect();
        d.sort();
        out.extend(d.into_iter().map(|((l, r), c)| {
            format!(
                "##discordant={},{},{}",
                l * DISCORDANT_BIN,
                r * DISCORDANT_BIN,
                c
            )
        }));
        out.push(format!("##non_deletion_junctions={}", self.non_deletion));
        out
    }

    /// Read one header line written by [`JunctionEvidence::header_lines`]; `Ok(false)`
    /// when the line is about something else.
    pub fn parse_header_line(&mut self, key: &str, value: &str) -> Result<bool, String> {
        let nums = |v: &str| -> Result<Vec<String>, String> {
            Ok(v.split(',').map(str::to_string).collect())
        };
        let num = |s: &str| {
            s.parse::<u32>()
                .map_err(|_| format!("'{s}' is not a number"))
        };
        match key {
            "junction" => {
                let f = nums(value)?;
                if f.len() != 5 {
                    return Err(format!("junction needs 5 fields, got '{value}'"));
                }
                let kind = match f[2].as_str() {
                    "split" => JunctionKind::Split,
                    "clip" => JunctionKind::Clip,
                    k => return Err(format!("unknown junction kind '{k}'")),
                };
                let (l, r) = (num(&f[0])?, num(&f[1])?);
                if l == 0 || r == 0 {
                    return Err("junction positions are 1-based".into());
                }
                let e = self
                    .junctions
                    .entry(JunctionKey {
                        left: l - 1,
                        right: r - 1,
                        kind,
                    })
                    .or_insert([0, 0]);
                e[0] += num(&f[3])?;
                e[1] += num(&f[4])?;
                Ok(true)
            }
            "discordant" => {
                let f = nums(value)?;
                if f.len() != 3 {
                    return Err(format!("discordant needs 3 fields, got '{value}'"));
                }
                let key = (num(&f[0])? / DISCORDANT_BIN, num(&f[1])? / DISCORDANT_BIN);
                *self.discordant.entry(key).or_insert(0) += num(&f[2])?;
                Ok(true)
            }
            "non_deletion_junctions" => {
                self.non_deletion += num(value)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cig(s: &str) -> Vec<u32> {
        let code = |c: u8| b"MIDNSHP=X".iter().position(|&x| x == c).unwrap() as u32;
        assert!(text_cigar_fits(s));
        text_ops(s).map(|(n, c)| n << 4 | code(c)).collect()
    }

    #[test]
    fn split_read_across_the_common_deletion() {
        // 100 bases before the deletion (ending at 8469, 1-based), 50 after (from 13447).
        let mut ev = JunctionEvidence::default();
        let pos = 8469 - 100; // zero-based start so that the last aligned base is 8469 (1-based)
        ev.observe(
            pos,
            &cig("100M50S"),
            false,
            Some("chrM,13447,+,100S50M,60,0;"),
            "chrM",
            &|_| b'N',
            0,
            None,
        );
        let (k, c) = ev.junctions().next().unwrap();
        assert_eq!(c, &[1, 0]);
        assert_eq!(k.deletion(), Some(super::super::COMMON_DELETION));
    }

    #[test]
    fn clip_matched_across_the_gap() {
        let r = rcrs();
        // Read: 40 bases ending at 1-based 8469, then 30 bases from 13447.
        let mut seq = r[8429..8469].to_vec();
        seq.extend_from_slice(&r[13446..13476]);
        let mut ev = JunctionEvidence::default();
        ev.observe(
            8429,
            &cig("40M30S"),
            true,
            None,
            "chrM",
            &|i| seq[i],
            seq.len(),
            None,
        );
        let (k, c) = ev.junctions().next().unwrap();
        assert_eq!(c, &[0, 1]);
        assert_eq!(k.kind, JunctionKind::Clip);
        assert_eq!(
            k.deletion().unwrap().normalize().0,
            super::super::COMMON_DELETION
        );
    }

    #[test]
    fn origin_spanning_reads_are_not_deletions() {
        // Aligned at the end of the genome, the clip maps to its start.
        let r = rcrs();
        let mut seq = r[16469..16569].to_vec();
        seq.extend_from_slice(&r[0..40]);
        let mut ev = JunctionEvidence::default();
        ev.observe(
            16469,
            &cig("100M40S"),
            false,
            Some("chrM,1,+,100S40M,60,0;"),
            "chrM",
            &|i| seq[i],
            seq.len(),
            None,
        );
        assert_eq!(ev.junctions().count(), 0);
        assert_eq!(ev.non_deletion, 1);
    }

    #[test]
    fn header_lines_round_trip() {
        let mut ev = JunctionEvidence::default();
        ev.add_junction(
            JunctionKey {
                left: 8468,
                right: 13446,
                kind: JunctionKind::Split,
            },
            1,
            4,
        );
        ev.non_deletion = 2;
        ev.discordant.insert((160, 270), 3);
        let mut back = JunctionEvidence::default();
        for l in ev.header_lines() {
            let (k, v) = l.trim_start_matches("##").split_once('=').unwrap();
            assert!(back.parse_header_line(k, v).unwrap());
        }
        assert_eq!(back, ev);
    }
}
