//! A slow, obviously-correct counting oracle, written independently of
//! `src/count/walker.rs`, `src/count/overlap.rs` and `src/count/unit.rs`.
//!
//! Every read is expanded into a list of per-position observations the way htslib's
//! pileup (`bam_plp_auto`, `resolve_cigar2` in htslib's `sam.c`) sees it:
//! - `M`/`=`/`X`: one base per reference position, with its own quality;
//! - `D`: every deleted position gets the quality of the query base at the deletion's
//!   query offset (`p->qpos = s->y`), i.e. the first read base *after* the deletion
//!   (0 when the deletion ends the read);
//! - `N`: nothing; `I`, `S`: consume read bases; `H`, `P`: nothing;
//! - an indel event is seen at the last base of an `M`/`=`/`X` operation when the next
//!   operation is `D` (consecutive `D`s merged) or `I` (consecutive `I`s merged, `P`s
//!   skipped), and is counted when that anchor base passes the quality threshold.
//!
//! Independent mode counts every passing read. Fragment mode groups passing reads by
//! read name, **without looking at flags or mate positions**, and where two reads of
//! one name cover a position applies the documented rule (agree: one observation with
//! the higher quality, on that read's strand, read 1 on a tie; disagree: higher quality
//! wins, tie becomes `N`; indel junctions likewise, a tie keeps no event).
//!
//! Observations at or past the contig end are dropped, as are events anchored at the
//! last contig base (there is no junction after it on a linear reference).

use mitosieve::count::{Counts, IndelKey, SiteCounts, INS, LOWQ};
use rust_htslib::bam::record::{Cigar, Record};
use rust_htslib::bam::{self, Read};
use std::collections::HashMap;
use std::path::Path;

/// Allele index of a deleted base.
pub const DEL: u8 = 5;
/// Allele index of N.
pub const N: u8 = 4;

const FLAG_PAIRED: u16 = 0x1;
const FLAG_UNMAPPED: u16 = 0x4;
const FLAG_MATE_UNMAPPED: u16 = 0x8;
const FLAG_REVERSE: u16 = 0x10;
const FLAG_FIRST: u16 = 0x40;

/// Which reads count (the flags mirror `samtools mpileup --ff`).
#[derive(Clone, Debug)]
pub struct OracleConfig {
    /// Minimum mapping quality.
    pub min_mapq: u8,
    /// Minimum base quality (255 never passes).
    pub min_bq: u8,
    /// Minimum number of M/=/X bases.
    pub min_aligned_len: u32,
    /// Reads with any of these flags are dropped (unmapped always is).
    pub drop_flags: u16,
}

impl Default for OracleConfig {
    /// `--min-aligned-len 0`, otherwise mitosieve's defaults (= the mpileup command).
    fn default() -> Self {
        OracleConfig {
            min_mapq: 20,
            min_bq: 20,
            min_aligned_len: 0,
            drop_flags: 0x100 | 0x200 | 0x400 | 0x800,
        }
    }
}

/// What one read says.
#[derive(Clone, Debug)]
pub struct ReadObs {
    /// Flag 0x40.
    pub first: bool,
    /// Strand index (0 forward, 1 reverse).
    pub strand: usize,
    /// Paired, mate mapped, mate on another contig.
    pub mate_other_contig: bool,
    /// (zero-based position, allele 0..=5, quality), increasing positions.
    pub obs: Vec<(u32, u8, u8)>,
    /// (zero-based anchor, event, anchor quality).
    pub events: Vec<(u32, IndelKey, u8)>,
}

/// Whether a read counts.
pub fn passes(rec: &Record, cfg: &OracleConfig, tid: i32) -> bool {
    if rec.tid() != tid || rec.flags() & (FLAG_UNMAPPED | cfg.drop_flags) != 0 {
        return false;
    }
    if rec.mapq() < cfg.min_mapq {
        return false;
    }
    let aligned: u32 = rec
        .cigar()
        .iter()
        .map(|c| match c {
            Cigar::Match(l) | Cigar::Equal(l) | Cigar::Diff(l) => *l,
            _ => 0,
        })
        .sum();
    aligned >= cfg.min_aligned_len
}

fn allele_of(b: u8) -> u8 {
    match b {
        b'A' => 0,
        b'C' => 1,
        b'G' => 2,
        b'T' => 3,
        _ => N,
    }
}

/// Expand one read into observations (see the module docs).
pub fn expand(rec: &Record, contig_len: u32) -> ReadObs {
    let cigar: Vec<Cigar> = rec.cigar().iter().copied().collect();
    let seq = rec.seq().as_bytes();
    let qual = rec.qual();
    let flags = rec.flags();
    let len = u64::from(contig_len);
    let mut r = ReadObs {
        first: flags & FLAG_FIRST != 0,
        strand: usize::from(flags & FLAG_REVERSE != 0),
        mate_other_contig: flags & FLAG_PAIRED != 0
            && flags & FLAG_MATE_UNMAPPED == 0
            && rec.mtid() >= 0
            && rec.mtid() != rec.tid(),
        obs: Vec::new(),
        events: Vec::new(),
    };
    let mut rpos = rec.pos() as u64;
    let mut qpos = 0usize;
    for (k, op) in cigar.iter().enumerate() {
        match *op {
            Cigar::Match(l) | Cigar::Equal(l) | Cigar::Diff(l) => {
                let l = l as usize;
                for i in 0..l {
                    let p = rpos + i as u64;
                    if p < len {
                        r.obs
                            .push((p as u32, allele_of(seq[qpos + i]), qual[qpos + i]));
                    }
                }
                if l > 0 {
                    let anchor = rpos + l as u64 - 1;
                    // An insertion after the contig's last base is still reported
                    // there (htslib's pileup does); a deletion there deletes nothing.
                    if anchor < len {
                        if let Some(key) = event_after(&cigar, k, &seq, qpos + l) {
                            if anchor + 1 < len || matches!(key, IndelKey::Ins(_)) {
                                r.events.push((anchor as u32, key, qual[qpos + l - 1]));
                            }
                        }
                    }
                }
                rpos += l as u64;
                qpos += l;
            }
            Cigar::Ins(l) | Cigar::SoftClip(l) => qpos += l as usize,
            Cigar::Del(l) => {
                let q = qual.get(qpos).copied().unwrap_or(0);
                for i in 0..u64::from(l) {
                    if rpos + i < len {
                        r.obs.push(((rpos + i) as u32, DEL, q));
                    }
                }
                rpos += u64::from(l);
            }
            Cigar::RefSkip(l) => rpos += u64::from(l),
            Cigar::HardClip(_) | Cigar::Pad(_) => {}
        }
    }
    r
}

/// Start and last aligned reference base (zero-based, clipped to the contig) of a
/// primary alignment that covers at least one reference base; `None` for secondary and
/// supplementary records.
pub fn primary_span(rec: &Record, contig_len: u32) -> Option<(u32, u32)> {
    if rec.flags() & (0x100 | 0x800) != 0 {
        return None;
    }
    let start = rec.pos();
    let end = rec.cigar().end_pos().min(i64::from(contig_len));
    (end > start).then(|| (start as u32, (end - 1) as u32))
}

/// The indel event that follows CIGAR operation `k` (htslib's look-ahead), with
/// `qpos` the query offset right after operation `k`.
fn event_after(cigar: &[Cigar], k: usize, seq: &[u8], qpos: usize) -> Option<IndelKey> {
    let ins_base = |b: u8| match b {
        b'A' | b'C' | b'G' | b'T' => b,
        _ => b'N',
    };
    match cigar.get(k + 1)? {
        Cigar::Del(_) => {
            let total: u32 = cigar[k + 1..]
                .iter()
                .map_while(|c| match c {
                    Cigar::Del(l) => Some(*l),
                    _ => None,
                })
                .sum();
            Some(IndelKey::Del(total))
        }
        Cigar::Ins(_) | Cigar::Pad(_) => {
            let mut bases = Vec::new();
            let mut q = qpos;
            for c in &cigar[k + 1..] {
                match c {
                    Cigar::Ins(l) => {
                        bases.extend(seq[q..q + *l as usize].iter().map(|&b| ins_base(b)));
                        q += *l as usize;
                    }
                    Cigar::Pad(_) => {}
                    _ => break,
                }
            }
            (!bases.is_empty()).then_some(IndelKey::Ins(bases))
        }
        _ => None,
    }
}

/// Accumulates observations into counts, applying the base-quality threshold.
pub struct Acc {
    sites: Vec<SiteCounts>,
    indels: mitosieve::count::IndelMap,
    min_bq: u8,
}

impl Acc {
    /// Empty counts.
    pub fn new(min_bq: u8) -> Self {
        Acc {
            sites: vec![SiteCounts::default(); super::MT_LEN],
            indels: Default::default(),
            min_bq,
        }
    }

    fn pass(&self, q: u8) -> bool {
        q >= self.min_bq && q != 255
    }

    /// One observation.
    pub fn obs(&mut self, pos: u32, allele: u8, q: u8, strand: usize, mate_other: bool) {
        let pass = self.pass(q);
        let s = &mut self.sites[pos as usize];
        if pass {
            s.n[strand][allele as usize] += 1;
            if allele < 5 {
                s.qsum[strand][allele as usize] += u64::from(q);
            }
            s.mate_other_contig += u32::from(mate_other);
        } else {
            s.n[strand][LOWQ] += 1;
        }
    }

    /// One indel event.
    pub fn event(&mut self, anchor: u32, key: &IndelKey, q: u8, strand: usize) {
        if !self.pass(q) {
            return;
        }
        if matches!(key, IndelKey::Ins(_)) {
            self.sites[anchor as usize].n[strand][INS] += 1;
        }
        self.indels.entry((anchor, key.clone())).or_insert([0, 0])[strand] += 1;
    }

    /// A counted primary read starting at `start` whose last aligned base is `last`
    /// (zero-based): the read-start and read-end columns, counted per read in both modes.
    pub fn read_span(&mut self, start: u32, last: u32) {
        self.sites[start as usize].read_starts += 1;
        self.sites[last as usize].read_ends += 1;
    }

    /// A read on its own.
    pub fn single(&mut self, r: &ReadObs) {
        for &(p, a, q) in &r.obs {
            self.obs(p, a, q, r.strand, r.mate_other_contig);
        }
        for (a, k, q) in &r.events {
            self.event(*a, k, *q, r.strand);
        }
    }

    /// Two reads of one fragment (`x` seen first in the file).
    pub fn pair(&mut self, x: &ReadObs, y: &ReadObs) {
        // Read 1 is "a" (wins ties); if that does not decide, the one seen first.
        let (a, b) = if y.first && !x.first { (y, x) } else { (x, y) };
        let (mut i, mut j) = (0, 0);
        while i < a.obs.len() || j < b.obs.len() {
            let pa = a.obs.get(i).map_or(u32::MAX, |o| o.0);
            let pb = b.obs.get(j).map_or(u32::MAX, |o| o.0);
            if pa < pb {
                let (p, al, q) = a.obs[i];
                self.obs(p, al, q, a.strand, false);
                i += 1;
            } else if pb < pa {
                let (p, al, q) = b.obs[j];
                self.obs(p, al, q, b.strand, false);
                j += 1;
            } else {
                let ((p, aa, qa), (_, ab, qb)) = (a.obs[i], b.obs[j]);
                if aa == ab {
                    if qb > qa {
                        self.obs(p, ab, qb, b.strand, false);
                    } else {
                        self.obs(p, aa, qa, a.strand, false);
                    }
                } else if qa > qb {
                    self.obs(p, aa, qa, a.strand, false);
                } else if qb > qa {
                    self.obs(p, ab, qb, b.strand, false);
                } else {
                    self.obs(p, N, qa, a.strand, false);
                }
                i += 1;
                j += 1;
            }
        }
        let mut anchors: Vec<u32> = a.events.iter().chain(&b.events).map(|e| e.0).collect();
        anchors.sort_unstable();
        anchors.dedup();
        for anchor in anchors {
            let chosen = match (junction(a, anchor), junction(b, anchor)) {
                (Some((ea, _)), None) => ea.map(|e| (a.strand, e)),
                (None, Some((eb, _))) => eb.map(|e| (b.strand, e)),
                (Some((ea, qa)), Some((eb, qb))) => {
                    let same = ea.map(|e| &e.1) == eb.map(|e| &e.1);
                    if same {
                        if qb > qa {
                            eb.map(|e| (b.strand, e))
                        } else {
                            ea.map(|e| (a.strand, e))
                        }
                    } else if qa > qb {
                        ea.map(|e| (a.strand, e))
                    } else if qb > qa {
                        eb.map(|e| (b.strand, e))
                    } else {
                        None
                    }
                }
                (None, None) => None,
            };
            if let Some((strand, e)) = chosen {
                self.event(e.0, &e.1, e.2, strand);
            }
        }
    }

    /// The counts.
    pub fn finish(self) -> Counts {
        Counts::from_parts(self.sites, self.indels, Default::default()).expect("16569 sites")
    }
}

/// What a read says about the junction after `anchor`: `None` when it does not see it
/// (no base there, a deleted base there, or it ends there without an event); else its
/// event there (if any) and the anchor base quality.
#[allow(clippy::type_complexity)]
fn junction(r: &ReadObs, anchor: u32) -> Option<(Option<&(u32, IndelKey, u8)>, u8)> {
    let k = r.obs.binary_search_by_key(&anchor, |o| o.0).ok()?;
    let (_, allele, q) = r.obs[k];
    if allele == DEL {
        return None;
    }
    let ev = r.events.iter().find(|e| e.0 == anchor);
    let next = r.obs.binary_search_by_key(&(anchor + 1), |o| o.0).is_ok();
    if ev.is_none() && !next {
        return None;
    }
    Some((ev, q))
}

/// The oracle's answer for one input.
pub struct OracleCounts {
    /// Every passing read counted on its own.
    pub independent: Counts,
    /// Reads grouped by name.
    pub fragment: Counts,
    /// Per position: distinct names of passing reads with an observation (a base or a
    /// deleted base, of any quality) there.
    pub names_covering: Vec<u32>,
    /// Per position: distinct names whose best observation there (the highest quality
    /// among its reads) passes the base-quality threshold.
    pub names_passing: Vec<u32>,
    /// Passing reads.
    pub reads: u64,
    /// Names with two passing reads.
    pub pairs: u64,
}

/// Find the rCRS contig (16,569 bp, a usual mt name).
pub fn mt_tid(header: &bam::HeaderView) -> i32 {
    (0..header.target_count())
        .find(|&t| {
            let name = String::from_utf8_lossy(header.tid2name(t)).to_string();
            header.target_len(t) == Some(super::MT_LEN as u64)
                && ["chrM", "MT", "M", "rCRS", "NC_012920", "NC_012920.1"].contains(&name.as_str())
        })
        .expect("an rCRS contig") as i32
}

fn open(path: &Path, reference: Option<&Path>) -> bam::Reader {
    let mut r = bam::Reader::from_path(path).expect("open input");
    if let Some(f) = reference {
        r.set_reference(f).expect("set reference");
    }
    r
}

/// Count `path` (BAM, or CRAM with `reference`) both ways by streaming the whole file.
pub fn count_file(path: &Path, reference: Option<&Path>, cfg: &OracleConfig) -> OracleCounts {
    let contig_len = super::MT_LEN as u32;
    // Pass 1: how many passing reads carry each name.
    let mut reader = open(path, reference);
    let tid = mt_tid(reader.header());
    let mut per_name: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut rec = Record::new();
    while let Some(r) = reader.read(&mut rec) {
        r.expect("read record");
        if passes(&rec, cfg, tid) {
            *per_name.entry(rec.qname().to_vec()).or_default() += 1;
        }
    }
    // Pass 2: count.
    let mut ind = Acc::new(cfg.min_bq);
    let mut frag = Acc::new(cfg.min_bq);
    let mut cover = vec![0u32; super::MT_LEN];
    let mut passing = vec![0u32; super::MT_LEN];
    // Count each name once per position it covers, by its best quality there.
    let mut tally = |reads: &[&ReadObs]| {
        let mut best: Vec<(u32, u8)> = reads
            .iter()
            .flat_map(|r| r.obs.iter().map(|o| (o.0, o.2)))
            .collect();
        best.sort_unstable();
        for (i, &(p, q)) in best.iter().enumerate() {
            if best.get(i + 1).is_some_and(|n| n.0 == p) {
                continue; // a higher quality at the same position follows
            }
            cover[p as usize] += 1;
            passing[p as usize] += u32::from(q >= cfg.min_bq && q != 255);
        }
    };
    let mut pending: HashMap<Vec<u8>, ReadObs> = HashMap::new();
    let (mut reads, mut pairs) = (0, 0);
    let mut reader = open(path, reference);
    while let Some(r) = reader.read(&mut rec) {
        r.expect("read record");
        if !passes(&rec, cfg, tid) {
            continue;
        }
        reads += 1;
        let obs = expand(&rec, contig_len);
        if let Some((start, last)) = primary_span(&rec, contig_len) {
            ind.read_span(start, last);
            frag.read_span(start, last);
        }
        ind.single(&obs);
        match per_name[rec.qname()] {
            1 => {
                tally(&[&obs]);
                frag.single(&obs);
            }
            2 => match pending.remove(rec.qname()) {
                Some(earlier) => {
                    pairs += 1;
                    tally(&[&earlier, &obs]);
                    frag.pair(&earlier, &obs);
                }
                None => {
                    pending.insert(rec.qname().to_vec(), obs);
                }
            },
            n => panic!(
                "{}: {n} passing reads named {}; the fragment oracle handles at most 2",
                path.display(),
                String::from_utf8_lossy(rec.qname())
            ),
        }
    }
    assert!(pending.is_empty());
    OracleCounts {
        independent: ind.finish(),
        fragment: frag.finish(),
        names_covering: cover,
        names_passing: passing,
        reads,
        pairs,
    }
}
