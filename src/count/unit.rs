//! One work unit: the reads of one input that start in one genome window.
//!
//! A unit reads its window with its own reader, counts every read straight into a dense
//! block, and keeps aside only what needs another read: overlapping mates (reconciled in
//! the unit when both start in its window, or handed to the merge when the mate starts in
//! another window). Whatever the window size, every read is counted by exactly one unit
//! and every overlapping fragment is reconciled exactly once.

use super::block::Block;
use super::counts::IndelMap;
use super::overlap::{
    commit_pair, commit_single, reconcile_counted, CountedRun, MateObs, OverlapMode,
};
use super::walker::{
    allele_of, uncount, walk, CollectSink, DirectSink, EventObs, Obs, ReadView, RoutingSink,
};
use super::{CountConfig, Observer};
use crate::error::{Error, Result};
use crate::filter::{ReadTally, Verdict};
use crate::input::record::{Alignment, AuxValue};
use crate::input::{AlignmentReader, InputInfo, SplitBy};
use crate::reference::MT_LENGTH;
use rayon::prelude::*;
use rust_htslib::bam::record::Record;
use std::collections::{HashMap, HashSet};

/// The stash of waiting mates is hit by every overlapping pair: read names are hashed
/// with FxHash (rustc-hash), not SipHash.
type FxBuild = rustc_hash::FxBuildHasher;

use crate::filter::flags::{
    FIRST as FLAG_FIRST, MATE_UNMAPPED as FLAG_MATE_UNMAPPED, PAIRED as FLAG_PAIRED,
    REVERSE as FLAG_REVERSE, SECONDARY as FLAG_SECONDARY, SUPPLEMENTARY as FLAG_SUPPLEMENTARY,
};

/// Counts of one clone within one window: rows from `offset` on, grown as reads need.
#[derive(Debug, Default)]
pub(crate) struct GroupAcc {
    pub block: Block,
    pub indels: IndelMap,
    pub tally: ReadTally,
    pub junctions: crate::deletion::JunctionEvidence,
}

impl GroupAcc {
    fn new(offset: u32) -> Self {
        GroupAcc {
            block: Block::new(offset),
            ..Default::default()
        }
    }

    #[inline]
    fn ensure(&mut self, end: u32) {
        self.block.ensure(end.min(MT_LENGTH));
    }

    fn sink(&mut self, min_bq: u8, strand: usize, mate_other_contig: bool) -> DirectSink<'_> {
        DirectSink {
            block: &mut self.block,
            indels: &mut self.indels,
            min_bq,
            strand,
            mate_other_contig,
        }
    }
}

/// A mate whose partner starts in another window.
#[derive(Debug)]
pub(crate) struct PendingMate {
    pub qname: Vec<u8>,
    pub group: String,
    pub mate: MateObs,
}

/// Reads of a split input that were not assigned to any clone.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unassigned {
    /// Reads without the split tag (or whose read group has no `SM`).
    pub without_group: u64,
    /// Reads whose group is not in the `--groups` list.
    pub not_listed: u64,
}

/// What a unit hands to the merge.
#[derive(Debug, Default)]
pub(crate) struct UnitOutput {
    pub groups: Vec<(String, GroupAcc)>,
    /// Left mates whose overlapping partner starts in a later window.
    pub outgoing: Vec<PendingMate>,
    /// Right mates whose partner started in an earlier window and may overlap.
    pub incoming: Vec<PendingMate>,
    pub unassigned: Unassigned,
}

/// Assigns reads to clones.
#[derive(Debug)]
pub(crate) struct Grouper {
    split: Option<SplitBy>,
    /// Read group ID → sample, for `--split-by sm`.
    rg_sample: HashMap<Vec<u8>, Vec<u8>>,
    whitelist: Option<HashSet<Vec<u8>>>,
    single_name: String,
}

impl Grouper {
    /// Every read goes to the one clone of the file.
    pub fn is_single(&self) -> bool {
        self.split.is_none()
    }

    pub fn new(info: &InputInfo, split: Option<SplitBy>, whitelist: Option<&[String]>) -> Self {
        Grouper {
            split,
            rg_sample: info
                .read_groups
                .iter()
                .filter_map(|(id, sm)| {
                    sm.as_ref()
                        .map(|sm| (id.as_bytes().to_vec(), sm.as_bytes().to_vec()))
                })
                .collect(),
            whitelist: whitelist.map(|w| w.iter().map(|s| s.as_bytes().to_vec()).collect()),
            single_name: info.clone_name.clone(),
        }
    }

    /// The group key of a read, `Err(true)` when it has none, `Err(false)` when not listed.
    fn key<'r, R: Alignment>(&'r self, rec: &'r R, buf: &'r mut Vec<u8>) -> Result<&'r [u8], bool> {
        let key: &[u8] = match &self.split {
            None => return Ok(self.single_name.as_bytes()),
            Some(SplitBy::ReadGroup) => aux_bytes(rec, b"RG", buf).ok_or(true)?,
            Some(SplitBy::Sample) => {
                let rg = aux_bytes(rec, b"RG", buf).ok_or(true)?;
                self.rg_sample.get(rg).map(Vec::as_slice).ok_or(true)?
            }
            Some(SplitBy::Tag(t)) => {
                // Two characters (checked when parsed); any other finds no tag.
                let tag = <[u8; 2]>::try_from(t.as_bytes()).map_err(|_| true)?;
                aux_bytes(rec, &tag, buf).ok_or(true)?
            }
        };
        match &self.whitelist {
            Some(w) if !w.contains(key) => Err(false),
            _ => Ok(key),
        }
    }
}

/// A tag's value as bytes (strings as they are, integers in decimal).
fn aux_bytes<'r, R: Alignment>(
    rec: &'r R,
    tag: &[u8; 2],
    buf: &'r mut Vec<u8>,
) -> Option<&'r [u8]> {
    match rec.aux_value(tag)? {
        AuxValue::Str(s) => Some(s.as_bytes()),
        AuxValue::Char(c) => {
            buf.clear();
            buf.push(c);
            Some(buf.as_slice())
        }
        AuxValue::Int(n) => {
            buf.clear();
            buf.extend_from_slice(n.to_string().as_bytes());
            Some(buf.as_slice())
        }
        AuxValue::Other => None,
    }
}

/// A read name kept with a waiting mate: in place when short (no allocation, and no
/// pointer to follow when names are compared), else on the heap.
enum Name {
    Inline { len: u8, bytes: [u8; NAME_INLINE] },
    Heap(Box<[u8]>),
}

/// Longest read name kept in place (Illumina names are 20-60 bytes).
const NAME_INLINE: usize = 46;

impl Name {
    fn new(name: &[u8]) -> Self {
        match u8::try_from(name.len()) {
            Ok(len) if name.len() <= NAME_INLINE => {
                let mut bytes = [0u8; NAME_INLINE];
                bytes[..name.len()].copy_from_slice(name);
                Name::Inline { len, bytes }
            }
            _ => Name::Heap(name.into()),
        }
    }

    #[inline]
    fn as_slice(&self) -> &[u8] {
        match self {
            Name::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Name::Heap(b) => b,
        }
    }
}

/// A left mate kept until its overlapping partner arrives.
struct Stashed {
    /// Read name (the only copy: the expiry queue holds its hash).
    name: Name,
    hash: u64,
    group: usize,
    serial: u64,
    kept: Kept,
}

/// What a left mate leaves for its partner.
enum Kept {
    /// Its observations from the partner's start on, not yet counted.
    Obs(MateObs),
    /// The fast path: the mate was counted whole, as a read of its own; from the
    /// partner's start on its aligned bases are one M run, kept to take back what the
    /// reconciliation drops ([`reconcile_counted`]).
    Counted(CountedMate),
}

/// A counted left mate's bases from its partner's start on (see [`Kept::Counted`]).
struct CountedMate {
    first: bool,
    strand: usize,
    start: u32,
    /// Bases kept.
    n: usize,
    /// Their 4-bit base codes, one per byte, then their qualities: one buffer (from
    /// [`UnitState::bytes_pool`], given back when the mate is done with).
    data: Vec<u8>,
}

/// Ask the processor to bring `bytes` into cache (a hint: no effect on results).
#[inline(always)]
fn prefetch(bytes: &[u8]) {
    prefetch_range(bytes.as_ptr(), bytes.len());
}

/// Ask the processor to bring the `len` bytes from `start` into cache: every cache
/// line they touch (a hint: no effect on results).
#[inline(always)]
fn prefetch_range(start: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let first = start as usize & !63;
        let last = (start as usize).wrapping_add(len.max(1) - 1);
        let mut line = first;
        while line <= last {
            // SAFETY: a prefetch reads nothing architecturally and cannot fault, whatever
            // the address.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    line as *const i8,
                )
            };
            line += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (start, len);
}

impl CountedMate {
    fn codes(&self) -> &[u8] {
        &self.data[..self.n]
    }

    fn quals(&self) -> &[u8] {
        &self.data[self.n..]
    }

    fn run(&self) -> CountedRun<'_> {
        CountedRun {
            first: self.first,
            strand: self.strand,
            start: self.start,
            codes: self.codes(),
            quals: self.quals(),
        }
    }
}

impl Kept {
    /// Observation slots held (the memory bound's unit).
    fn slots(&self) -> usize {
        match self {
            Kept::Obs(m) => m.obs.capacity(),
            // Two bytes a base, an observation slot for each four (counted as one a
            // base: the bound stays as tight as for kept observations).
            Kept::Counted(c) => c.data.capacity() / 2,
        }
    }
}

/// Most observations (allocated slots) kept for mates waiting for their partner, per
/// counter: about 16 MB. At 100,000x (real amplicon reads, 2x151, overlapping mates) a counter keeps
/// about a tenth of this; past it, a new left mate is counted as a read of its own and
/// tallied ([`ReadTally::overlaps_counted_apart`]), so memory stays bounded at any depth.
const PENDING_OBS_CAP: usize = 2 << 20;

struct UnitState<'a> {
    cfg: &'a CountConfig,
    contig: String,
    contig_len: u32,
    start: u32,
    end: u32,
    groups: Vec<GroupAcc>,
    names: Vec<String>,
    index: HashMap<Vec<u8>, usize>,
    /// Kept left mates, found by read name (or by serial, from the expiry queue).
    stash: hashbrown::HashTable<Stashed>,
    hasher: FxBuild,
    /// Observation slots (capacity) held in `stash`.
    pending_obs: usize,
    /// Most observations `stash` may hold ([`PENDING_OBS_CAP`]; lower in tests).
    pending_cap: usize,
    /// Observation buffers of committed mates, reused.
    pool: Vec<CollectSink>,
    /// Byte buffers of counted mates ([`CountedMate::data`]), reused.
    bytes_pool: Vec<Vec<u8>>,
    /// Whether reads go to one clone only (no --split-by): no group lookup per read.
    single: bool,
    /// (serial, hash of the read name) of every kept mate, by the start of its partner:
    /// `expiry[p - start]` for a partner at `p` (sized to the window on first use).
    expiry: Vec<Vec<(u64, u64)>>,
    /// Partners starting before this position have all been given up on (or came).
    expired_to: u32,
    serial: u64,
    out: UnitOutput,
    ins_buf: Vec<u8>,
    key_buf: Vec<u8>,
    /// Base codes of a right mate's overlap (reused).
    code_buf: Vec<u8>,
}

fn view<R: Alignment>(rec: &R) -> ReadView<'_> {
    ReadView {
        pos: rec.pos() as u32,
        rev: rec.flags() & FLAG_REVERSE != 0,
        cigar: rec.raw_cigar(),
        seq: rec.seq_encoded(),
        qual: rec.qual(),
    }
}

/// Length on the reference of a CIGAR string in text form (the `MC` tag).
fn text_cigar_ref_len(cigar: &str) -> Option<u32> {
    let mut len = 0u32;
    let mut num = 0u32;
    for b in cigar.bytes() {
        match b {
            b'0'..=b'9' => num = num.checked_mul(10)?.checked_add(u32::from(b - b'0'))?,
            b'M' | b'D' | b'N' | b'=' | b'X' => {
                len = len.checked_add(num)?;
                num = 0;
            }
            b'I' | b'S' | b'H' | b'P' => num = 0,
            _ => return None,
        }
    }
    Some(len)
}

impl<'a> UnitState<'a> {
    fn group_index<R: Alignment>(&mut self, rec: &R, grouper: &Grouper) -> Option<usize> {
        if self.single && !self.groups.is_empty() {
            return Some(0);
        }
        let mut buf = std::mem::take(&mut self.key_buf);
        let r = match grouper.key(rec, &mut buf) {
            Ok(key) => Some(match self.index.get(key) {
                Some(&i) => i,
                None => {
                    let i = self.groups.len();
                    self.index.insert(key.to_vec(), i);
                    self.names.push(String::from_utf8_lossy(key).into_owned());
                    self.groups.push(GroupAcc::new(self.start));
                    i
                }
            }),
            Err(true) => {
                self.out.unassigned.without_group += 1;
                None
            }
            Err(false) => {
                self.out.unassigned.not_listed += 1;
                None
            }
        };
        self.key_buf = buf;
        r
    }

    /// Walk a read, counting it directly except in `lo..=hi`, which is kept (returned)
    /// for reconciliation with its mate.
    fn route(&mut self, g: usize, v: &ReadView<'_>, first: bool, lo: u32, hi: u32) -> MateObs {
        let mut keep = self.pool.pop().unwrap_or_default();
        let min_bq = self.cfg.filter.min_base_quality;
        let contig_len = self.contig_len;
        {
            let acc = &mut self.groups[g];
            let mut sink = RoutingSink {
                direct: acc.sink(min_bq, usize::from(v.rev), false),
                keep: &mut keep,
                lo,
                hi,
            };
            walk(v, contig_len, &mut sink, &mut self.ins_buf);
        }
        MateObs {
            first,
            strand: usize::from(v.rev),
            mate_other_contig: false,
            obs: std::mem::take(&mut keep.obs),
            events: std::mem::take(&mut keep.events),
        }
    }

    /// Count a right mate `v` (in group `g`) with its kept left mate as one fragment.
    fn commit_right(&mut self, g: usize, v: &ReadView<'_>, first: bool, left: Stashed) {
        let min_bq = self.cfg.filter.min_base_quality;
        if let Kept::Counted(c) = &left.kept {
            // The fast path: when this read's bases over the left mate's kept run are one
            // M run too, count it whole and take back what the reconciliation drops.
            let c_end = c.start + c.n as u32;
            match v.edge_run(false, self.contig_len) {
                Some((start, end, qpos, only)) if left.group == g && (end >= c_end || only) => {
                    // The kept bases were written many reads ago and are likely out of
                    // cache: fetch them while this read is walked.
                    prefetch(&c.data);
                    self.direct(g, v, false);
                    let (lo, hi) = (start.max(c.start), end.min(c_end));
                    if lo < hi {
                        let (q0, n) = (qpos + (lo - start) as usize, (hi - lo) as usize);
                        let mut codes = std::mem::take(&mut self.code_buf);
                        v.codes_into(q0, n, &mut codes);
                        let right = CountedRun {
                            first,
                            strand: usize::from(v.rev),
                            start: lo,
                            codes: &codes,
                            quals: &v.qual[q0..q0 + n],
                        };
                        reconcile_counted(&c.run(), &right, &mut self.groups[g].block, min_bq);
                        self.code_buf = codes;
                    }
                    if let Kept::Counted(c) = left.kept {
                        self.recycle_bytes(c.data);
                    }
                    return;
                }
                _ => {}
            }
        }
        let mate = self.uncounted(left.group, left.kept);
        // Keep only what the left mate can see: up to one past its last base.
        let left_last = mate
            .obs
            .last()
            .map_or(0, |o| o.pos)
            .max(mate.events.last().map_or(0, |e| e.anchor));
        let right = self.route(g, v, first, 0, left_last.saturating_add(1));
        let acc = &mut self.groups[left.group];
        commit_pair(&mate, &right, &mut acc.sink(min_bq, 0, false));
        self.recycle(mate);
        self.recycle(right);
    }

    /// Remove and return the kept mate with name hash `hash` that `is` picks.
    fn take_stashed(&mut self, hash: u64, is: impl Fn(&Stashed) -> bool) -> Option<Stashed> {
        let (s, _) = self.stash.find_entry(hash, is).ok()?.remove();
        self.pending_obs -= s.kept.slots();
        Some(s)
    }

    /// A kept mate as observations not yet counted: a counted one is taken back out of
    /// its group's block.
    fn uncounted(&mut self, group: usize, kept: Kept) -> MateObs {
        match kept {
            Kept::Obs(m) => m,
            Kept::Counted(c) => {
                let min_bq = self.cfg.filter.min_base_quality;
                let block = &mut self.groups[group].block;
                let mut obs = self.pool.pop().map(|p| p.obs).unwrap_or_default();
                for (i, (&code, &q)) in c.codes().iter().zip(c.quals()).enumerate() {
                    let pos = c.start + i as u32;
                    uncount(block, c.strand, pos, code, q, min_bq);
                    obs.push(Obs {
                        pos,
                        allele: allele_of(code),
                        q,
                    });
                }
                let mate = MateObs {
                    first: c.first,
                    strand: c.strand,
                    mate_other_contig: false,
                    obs,
                    events: Vec::new(),
                };
                self.recycle_bytes(c.data);
                mate
            }
        }
    }

    /// The fast path for a left mate whose partner starts at `mpos` (see
    /// [`Kept::Counted`]): `None` when its bases from `mpos` on are not one M run.
    fn counted_mate(&mut self, v: &ReadView<'_>, first: bool, mpos: u32) -> Option<CountedMate> {
        let (start, end, qpos, _) = v.edge_run(true, self.contig_len)?;
        if start > mpos || mpos >= end {
            return None;
        }
        let (qpos, n) = (qpos + (mpos - start) as usize, (end - mpos) as usize);
        let mut data = self.bytes_pool.pop().unwrap_or_default();
        data.reserve(2 * n);
        v.codes_into(qpos, n, &mut data);
        data.extend_from_slice(&v.qual[qpos..qpos + n]);
        Some(CountedMate {
            first,
            strand: usize::from(v.rev),
            start: mpos,
            n,
            data,
        })
    }

    /// Keep a counted mate's buffer for reuse.
    fn recycle_bytes(&mut self, mut data: Vec<u8>) {
        if self.bytes_pool.len() < 4096 {
            data.clear();
            self.bytes_pool.push(data);
        }
    }

    /// Give a committed mate's buffers back for reuse.
    fn recycle(&mut self, m: MateObs) {
        self.recycle_buffers(m.obs, m.events);
    }

    /// Keep observation buffers for reuse (those big enough for a read).
    fn recycle_buffers(&mut self, mut obs: Vec<Obs>, mut events: Vec<EventObs>) {
        if self.pool.len() < 4096 && obs.capacity() >= 64 {
            obs.clear();
            events.clear();
            self.pool.push(CollectSink { obs, events });
        }
    }

    fn direct(&mut self, g: usize, v: &ReadView<'_>, mate_other_contig: bool) {
        let min_bq = self.cfg.filter.min_base_quality;
        let contig_len = self.contig_len;
        let acc = &mut self.groups[g];
        let mut sink = acc.sink(min_bq, usize::from(v.rev), mate_other_contig);
        walk(v, contig_len, &mut sink, &mut self.ins_buf);
    }

    /// `next` is the next record in BAM layout (from its `block_size`, maybe cut
    /// short): if it may be a right mate whose left mate waits in the stash, bring that
    /// entry into cache now, while this record is counted (finding it costs a cache miss
    /// on deep data otherwise). Only the table's control bytes are read: the first slot
    /// whose hash tag matches is prefetched, not compared; a hint, no effect on counts.
    #[inline]
    pub(crate) fn prefetch_mate(&self, next: &[u8]) {
        if self.stash.is_empty() || next.len() < 36 {
            return;
        }
        let word = |i: usize| i32::from_le_bytes([next[i], next[i + 1], next[i + 2], next[i + 3]]);
        let flags = u16::from_le_bytes([next[18], next[19]]);
        let (tid, pos, mtid, mpos) = (word(4), word(8), word(24), word(28));
        if flags & FLAG_PAIRED == 0 || mtid != tid || mpos > pos || mpos < 0 {
            return;
        }
        let Some(name) = next.get(36..36 + usize::from(next[12])) else {
            return;
        };
        let name = match name {
            [n @ .., 0] => n,
            n => n,
        };
        let hash = std::hash::BuildHasher::hash_one(&self.hasher, name);
        if let Some(s) = self.stash.find(hash, |_| true) {
            prefetch_range(
                (s as *const Stashed).cast::<u8>(),
                std::mem::size_of::<Stashed>(),
            );
        }
    }

    fn process<R: Alignment>(&mut self, rec: &R, grouper: &Grouper) {
        let Some(g) = self.group_index(rec, grouper) else {
            return;
        };
        let acc = &mut self.groups[g];
        acc.tally.seen += 1;
        let mate_other_contig = match self.cfg.filter.check(rec, self.contig_len) {
            Verdict::Drop(reason) => {
                acc.tally.drop(reason);
                return;
            }
            Verdict::Keep { mate_other_contig } => mate_other_contig,
        };
        acc.tally.used += 1;
        acc.block.note_read();
        acc.tally.mate_other_contig_kept += u64::from(mate_other_contig);
        let v = view(rec);
        let flags = rec.flags();
        let ref_end = v.ref_end();
        let end = ref_end.min(self.contig_len);
        acc.ensure(end);
        // Evidence for large deletions, in the same pass: read starts and ends (reads
        // spanning a breakpoint intact), split/clipped reads and discordant pairs.
        if self.cfg.deletion_evidence
            && end > v.pos
            && flags & (FLAG_SECONDARY | FLAG_SUPPLEMENTARY) == 0
        {
            let (off, s) = (acc.block.offset, usize::from(v.rev));
            acc.block.rows[(v.pos - off) as usize][s].starts += 1;
            acc.block.rows[(end - 1 - off) as usize][s].ends += 1;
            acc.junctions.observe_record(rec, &self.contig);
        }
        let pairable = self.cfg.overlaps == OverlapMode::Fragment
            && flags & FLAG_PAIRED != 0
            && flags & (FLAG_MATE_UNMAPPED | FLAG_SECONDARY | FLAG_SUPPLEMENTARY) == 0
            && rec.mtid() == rec.tid()
            && rec.mpos() >= 0;
        if !pairable {
            self.direct(g, &v, mate_other_contig);
            return;
        }
        let mpos = rec.mpos() as u32;
        let first = flags & FLAG_FIRST != 0;
        let qname = rec.qname();
        let hash = std::hash::BuildHasher::hash_one(&self.hasher, qname);
        let is_right = mpos < v.pos
            || (mpos == v.pos
                && self
                    .stash
                    .find(hash, |s| s.name.as_slice() == qname)
                    .is_some());
        if is_right {
            if let Some(left) = self.take_stashed(hash, |s| s.name.as_slice() == qname) {
                self.commit_right(g, &v, first, left);
            } else if mpos >= self.start {
                // The mate is in this window and was not kept: no overlap, or filtered.
                self.direct(g, &v, false);
            } else {
                // The mate started in an earlier window: hand the overlap to the merge.
                let mate_end = match rec.aux_value(b"MC") {
                    Some(AuxValue::Str(mc)) => {
                        text_cigar_ref_len(mc).map(|l| mpos.saturating_add(l))
                    }
                    _ => None,
                };
                match mate_end {
                    Some(e) if e <= v.pos => self.direct(g, &v, false),
                    _ => {
                        let hi = mate_end.map_or(u32::MAX, |e| e); // last mate base + 1
                        let mate = self.route(g, &v, first, 0, hi);
                        self.out.incoming.push(PendingMate {
                            qname: qname.to_vec(),
                            group: self.names[g].clone(),
                            mate,
                        });
                    }
                }
            }
        } else if mpos < ref_end && self.pending_obs >= self.pending_cap {
            // The memory bound: count this pair as two reads.
            self.groups[g].tally.overlaps_counted_apart += 1;
            self.direct(g, &v, false);
        } else if mpos < ref_end {
            // The mate starts inside this read. When this read's bases from there on are
            // one M run, count it whole now and keep those bases to take back what the
            // reconciliation drops; else count what lies before the mate now and keep the
            // rest until the mate arrives.
            let kept = match self.counted_mate(&v, first, mpos) {
                Some(c) => {
                    self.direct(g, &v, false);
                    Kept::Counted(c)
                }
                None => {
                    let mut mate = self.route(g, &v, first, mpos, u32::MAX);
                    // Keep the walk's buffer itself when at most half of it is unused
                    // (no copy); else an exact copy, and the buffer goes back to the pool.
                    if mate.obs.capacity() > 2 * mate.obs.len() {
                        let kept = mate.obs.as_slice().to_vec();
                        let walked = std::mem::replace(&mut mate.obs, kept);
                        self.recycle_buffers(walked, Vec::new());
                    }
                    Kept::Obs(mate)
                }
            };
            self.serial += 1;
            if mpos < self.end {
                if self.expiry.is_empty() {
                    self.expiry
                        .resize_with((self.end - self.start) as usize, Vec::new);
                }
                self.expiry[(mpos - self.start) as usize].push((self.serial, hash));
            }
            // A second left mate of the same name replaces the first (which is then
            // not counted), as a map keyed by name would.
            if let Some(old) = self.take_stashed(hash, |s| s.name.as_slice() == qname) {
                let mate = self.uncounted(old.group, old.kept);
                self.recycle(mate);
            }
            self.pending_obs += kept.slots();
            self.stash.insert_unique(
                hash,
                Stashed {
                    name: Name::new(qname),
                    hash,
                    group: g,
                    serial: self.serial,
                    kept,
                },
                |s| s.hash,
            );
        } else {
            self.direct(g, &v, false);
        }
    }

    /// Count, on their own, kept mates whose partner should have arrived before `pos`.
    fn expire(&mut self, pos: u32) {
        let upto = pos.min(self.start + self.expiry.len() as u32);
        while self.expired_to < upto {
            let bucket = std::mem::take(&mut self.expiry[(self.expired_to - self.start) as usize]);
            self.expired_to += 1;
            for (serial, hash) in bucket {
                self.expire_one(serial, hash);
            }
        }
    }

    /// Count on its own the kept mate `serial` (name hash `hash`) if it still waits.
    fn expire_one(&mut self, serial: u64, hash: u64) {
        if let Some(s) = self.take_stashed(hash, |s| s.serial == serial) {
            match s.kept {
                Kept::Obs(m) => {
                    let min_bq = self.cfg.filter.min_base_quality;
                    commit_single(&m, &mut self.groups[s.group].sink(min_bq, 0, false));
                    self.recycle(m);
                }
                // A counted mate is counted already.
                Kept::Counted(c) => self.recycle_bytes(c.data),
            }
        }
    }

    fn finish(mut self) -> UnitOutput {
        self.expire(u32::MAX);
        for s in std::mem::take(&mut self.stash) {
            // Mates expected in later windows.
            let mate = self.uncounted(s.group, s.kept);
            self.out.outgoing.push(PendingMate {
                qname: s.name.as_slice().to_vec(),
                group: self.names[s.group].clone(),
                mate,
            });
        }
        self.out.outgoing.sort_by(|a, b| a.qname.cmp(&b.qname));
        self.out.groups = self.names.into_iter().zip(self.groups).collect();
        self.out
    }
}

impl<'a> UnitState<'a> {
    fn new(
        cfg: &'a CountConfig,
        info: &InputInfo,
        grouper: &Grouper,
        start: u32,
        end: u32,
    ) -> Self {
        UnitState {
            cfg,
            contig: info.contig.clone(),
            contig_len: MT_LENGTH,
            start,
            end,
            groups: Vec::new(),
            names: Vec::new(),
            index: HashMap::new(),
            stash: hashbrown::HashTable::new(),
            hasher: FxBuild::default(),
            pending_obs: 0,
            pending_cap: PENDING_OBS_CAP,
            pool: Vec::new(),
            bytes_pool: Vec::new(),
            single: grouper.is_single(),
            expiry: Vec::new(),
            expired_to: start,
            serial: 0,
            out: UnitOutput::default(),
            ins_buf: Vec::new(),
            key_buf: Vec::new(),
            code_buf: Vec::new(),
        }
    }
}

fn read_error(info: &InputInfo, previous: i64, e: rust_htslib::errors::Error) -> Error {
    Error::corrupt(
        &info.path,
        format!(
            "cannot read past {}:{} ({e}); the file is truncated or corrupt",
            info.contig,
            previous.max(0) + 1
        ),
    )
}

fn unsorted(info: &InputInfo, pos: i64, previous: i64) -> Error {
    Error::Unsorted {
        path: info.path.clone(),
        contig: info.contig.clone(),
        pos: (pos + 1) as u64,
        previous: (previous + 1) as u64,
    }
}

/// What [`Feed::admit`] decided about a record.
enum Admit {
    /// Count it (if it is in this share).
    Count,
    /// Not counted here.
    Skip,
    /// No later record is needed.
    Stop,
}

/// The steps every reader takes per record, in file order: skip reads of other contigs
/// and those that start before the window, stop after it, refuse unsorted input,
/// count, report progress.
struct Feed<'i> {
    info: &'i InputInfo,
    source: usize,
    start: u32,
    end: u32,
    /// Stop at the first read of another contig after the mt reads (a sorted,
    /// indexed BAM read from the contig's first block on).
    stop_after_contig: bool,
    seen: bool,
    previous: i64,
    reported: u64,
    since_report: u32,
}

impl<'i> Feed<'i> {
    fn new(info: &'i InputInfo, source: usize, start: u32, end: u32) -> Self {
        Feed {
            info,
            source,
            start,
            end,
            stop_after_contig: false,
            seen: false,
            previous: -1,
            reported: u64::from(start),
            since_report: 0,
        }
    }

    /// Take one record; `Ok(false)`: no later record is needed.
    #[inline]
    fn record<R: Alignment>(
        &mut self,
        st: &mut UnitState<'_>,
        rec: &R,
        grouper: &Grouper,
        observer: &dyn Observer,
    ) -> Result<bool> {
        match self.admit(st, rec.tid(), rec.pos(), observer)? {
            Admit::Count => {
                st.process(rec, grouper);
                Ok(true)
            }
            Admit::Skip => Ok(true),
            Admit::Stop => Ok(false),
        }
    }

    /// The checks and bookkeeping every record of the file goes through, whichever
    /// share counts it: contig, window, order, expiry of kept mates, progress.
    #[inline]
    fn admit(
        &mut self,
        st: &mut UnitState<'_>,
        tid: i32,
        pos: i64,
        observer: &dyn Observer,
    ) -> Result<Admit> {
        if tid != self.info.tid as i32 {
            return Ok(if self.stop_after_contig && self.seen {
                Admit::Stop
            } else {
                Admit::Skip
            });
        }
        self.seen = true;
        if pos < i64::from(self.start) {
            return Ok(Admit::Skip); // counted by the window that holds its start
        }
        if self.info.indexed && pos >= i64::from(self.end) {
            return Ok(Admit::Stop);
        }
        if pos < self.previous {
            return Err(unsorted(self.info, pos, self.previous));
        }
        if pos > self.previous {
            st.expire(pos as u32);
        }
        self.previous = pos;
        self.since_report += 1;
        if self.since_report == 1 << 14 {
            self.since_report = 0;
            let p = (pos as u64).min(u64::from(self.end));
            observer.progress(self.source, p.saturating_sub(self.reported));
            self.reported = self.reported.max(p);
        }
        Ok(Admit::Count)
    }

    fn finish(&self, observer: &dyn Observer) {
        observer.progress(
            self.source,
            u64::from(self.end).saturating_sub(self.reported),
        );
    }
}

/// Count the reads of `info` that start in `[start, end)`, read through htslib.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_unit(
    info: &InputInfo,
    source: usize,
    start: u32,
    end: u32,
    cfg: &CountConfig,
    grouper: &Grouper,
    observer: &dyn Observer,
) -> Result<UnitOutput> {
    let mut reader = AlignmentReader::open(info, start, end, 0, cfg.filter.max_nm.is_some())?;
    let mut st = UnitState::new(cfg, info, grouper, start, end);
    let mut feed = Feed::new(info, source, start, end);
    let mut rec = Record::new();
    while let Some(r) = reader.read(&mut rec) {
        r.map_err(|e| read_error(info, feed.previous, e))?;
        if !feed.record(&mut st, &rec, grouper, observer)? {
            break;
        }
    }
    feed.finish(observer);
    Ok(st.finish())
}

/// Count a whole BAM through [`crate::input::bgzf`]. With `parallel`, the next segment
/// of blocks is read and inflated (in parallel on the rayon pool) while this one is
/// counted, and the reads are dealt by read name to `shares` counters that go through
/// the segment side by side (so both mates of a pair meet in one counter); without
/// (as many inputs as threads, or more: the inputs are the parallel work, and memory
/// stays one input's buffers per thread), this thread does both in turn. One output
/// per share, added up by the merge. `Ok(None)`: the file holds a record only htslib
/// decodes (a CIGAR in a `CG` tag); count it with [`run_unit`] instead.
pub(crate) fn run_fast(
    info: &InputInfo,
    source: usize,
    cfg: &CountConfig,
    grouper: &Grouper,
    observer: &dyn Observer,
    parallel: bool,
    shares: u32,
) -> Result<Option<Vec<UnitOutput>>> {
    // Sequential reading needs no large segments to keep threads busy: an eighth
    // (about 12 blocks) keeps memory per input small when many are counted at once.
    let segment = crate::input::bgzf::SEGMENT_BYTES / if parallel { 1 } else { 8 };
    let shares = if parallel { shares.max(1) } else { 1 };
    run_fast_with(
        info, source, cfg, grouper, observer, segment, parallel, shares,
    )
}

/// One counter of [`run_fast`]: its share of the reads, its own record cursor over the
/// same inflated bytes, its own counts and kept mates.
struct Worker<'a, 'i> {
    share: crate::input::bgzf::Share,
    cursor: crate::input::bgzf::RecordCursor,
    st: UnitState<'a>,
    feed: Feed<'i>,
}

impl Worker<'_, '_> {
    /// Go through the records of `data`: those of this share are decoded and counted;
    /// every other one only passes [`Feed::admit`] (contig, order, expiry of kept mates,
    /// the end), so every counter stops, and fails, where a single reader would.
    fn feed(
        &mut self,
        data: &[u8],
        grouper: &Grouper,
        observer: &dyn Observer,
    ) -> std::result::Result<bool, crate::input::bgzf::CursorError> {
        let Worker {
            share,
            cursor,
            st,
            feed,
        } = self;
        struct Counter<'w, 'a, 'i, 'g> {
            feed: &'w mut Feed<'i>,
            st: &'w mut UnitState<'a>,
            grouper: &'g Grouper,
            observer: &'g dyn Observer,
        }
        impl crate::input::bgzf::Take for Counter<'_, '_, '_, '_> {
            #[inline]
            fn record(
                &mut self,
                rec: &crate::input::bgzf::RawRecord<'_>,
            ) -> std::result::Result<bool, crate::input::bgzf::CursorError> {
                self.feed
                    .record(self.st, rec, self.grouper, self.observer)
                    .map_err(crate::input::bgzf::CursorError::Count)
            }
            #[inline]
            fn ahead(&mut self, next: &[u8]) {
                self.st.prefetch_mate(next);
            }
            #[inline]
            fn other(&mut self, tid: i32, pos: i64) -> Result<bool> {
                let admit = self.feed.admit(self.st, tid, pos, self.observer)?;
                Ok(!matches!(admit, Admit::Stop))
            }
        }
        let mut counter = Counter {
            feed,
            st,
            grouper,
            observer,
        };
        cursor.feed_share(data, *share, &mut counter)
    }
}

/// [`run_fast`] reading about `segment_bytes` compressed bytes per segment.
#[allow(clippy::too_many_arguments)]
fn run_fast_with(
    info: &InputInfo,
    source: usize,
    cfg: &CountConfig,
    grouper: &Grouper,
    observer: &dyn Observer,
    segment_bytes: usize,
    parallel: bool,
    shares: u32,
) -> Result<Option<Vec<UnitOutput>>> {
    use crate::input::bgzf::{
        inflate, BlockReader, CursorError, RecordCursor, Share, NEEDS_HTSLIB,
    };
    let Some(start) = crate::input::bam_mt_start(info)? else {
        let mut feed = Feed::new(info, source, 0, MT_LENGTH);
        feed.stop_after_contig = info.indexed;
        feed.finish(observer);
        return Ok(Some(vec![
            UnitState::new(cfg, info, grouper, 0, MT_LENGTH).finish()
        ]));
    };
    let mut workers: Vec<Worker<'_, '_>> = (0..shares.max(1))
        .map(|k| {
            let mut feed = Feed::new(info, source, 0, MT_LENGTH);
            feed.stop_after_contig = info.indexed;
            Worker {
                share: Share {
                    k,
                    n: shares.max(1),
                },
                cursor: RecordCursor::new((start & 0xffff) as usize),
                st: UnitState::new(cfg, info, grouper, 0, MT_LENGTH),
                feed,
            }
        })
        .collect();
    let path = info.path.as_path();
    let damaged = |what: &str, feed: &Feed<'_>| {
        Error::corrupt(
            path,
            format!(
                "{what} after {}:{}; the file is truncated or corrupt",
                info.contig,
                feed.previous.max(0) + 1
            ),
        )
    };
    let mut blocks = BlockReader::open(path, start >> 16, segment_bytes)?;
    let (mut cur, mut next) = (Vec::new(), Vec::new());
    let read_next = |blocks: &mut BlockReader, buf: &mut Vec<u8>| -> Result<Option<usize>> {
        match blocks.next_segment()? {
            Some(seg) => {
                inflate(&seg, buf, path, parallel)?;
                let len = seg.inflated_len();
                blocks.recycle(seg);
                Ok(Some(len))
            }
            None => Ok(None),
        }
    };
    // Progress is reported by the first share only (every share sees every record).
    let silent = super::Silent;
    let count_all = |workers: &mut [Worker<'_, '_>], data: &[u8]| {
        if let [w] = workers {
            return w.feed(data, grouper, observer);
        }
        let results: Vec<_> = workers
            .par_iter_mut()
            .enumerate()
            .map(|(k, w)| w.feed(data, grouper, if k == 0 { observer } else { &silent }))
            .collect();
        // The same records reach every share: they agree on where to stop; an error
        // of any share stops the whole input.
        let mut go = true;
        for r in results {
            go &= r?;
        }
        Ok(go)
    };
    let mut cur_len = read_next(&mut blocks, &mut cur)?;
    while let Some(len) = cur_len {
        let (read, counted) = if parallel {
            rayon::join(
                || read_next(&mut blocks, &mut next),
                || count_all(&mut workers, &cur[..len]),
            )
        } else {
            let counted = count_all(&mut workers, &cur[..len]);
            let read = match counted {
                Ok(true) => read_next(&mut blocks, &mut next),
                _ => Ok(None),
            };
            (read, counted)
        };
        match counted {
            Ok(true) => {}
            // Past the contig: what lies beyond is not needed (nor its errors).
            Ok(false) => break,
            Err(CursorError::Decode(NEEDS_HTSLIB)) => return Ok(None),
            Err(CursorError::Decode(what)) => {
                return Err(damaged(
                    &format!("invalid record ({what})"),
                    &workers[0].feed,
                ))
            }
            Err(CursorError::Count(e)) => return Err(e),
        }
        cur_len = read?;
        std::mem::swap(&mut cur, &mut next);
        if cur_len.is_none() && workers[0].cursor.has_partial() {
            return Err(damaged("the file ends inside a record", &workers[0].feed));
        }
    }
    workers[0].feed.finish(observer);
    Ok(Some(workers.into_iter().map(|w| w.st.finish()).collect()))
}

/// Count records held in memory as one unit over the whole genome, skipping those
/// [`run_unit`] would refuse or skip (for the fuzz targets).
#[cfg(feature = "fuzzing")]
pub(crate) fn run_records(
    info: &InputInfo,
    cfg: &CountConfig,
    grouper: &Grouper,
    records: &[Record],
) -> UnitOutput {
    let mut st = UnitState::new(cfg, info, grouper, 0, MT_LENGTH);
    let mut previous: i64 = -1;
    for rec in records {
        let pos = rec.pos();
        if rec.tid() != info.tid as i32 || pos < previous || pos < 0 {
            continue;
        }
        if pos > previous {
            st.expire(pos as u32);
        }
        previous = pos;
        st.process(rec, grouper);
    }
    st.finish()
}

/// Reads per batch handed from the reading thread to the counting thread.
const BATCH_READS: usize = 4096;

/// Count one input read through htslib (CRAM, SAM) with two threads of its own: this
/// thread reads, and hands batches of records to a counting thread, so reading and
/// counting overlap; htslib decodes (CRAM slices, BGZF blocks) on `hts_threads`
/// threads of its own. The counting thread sees every record in file order,
/// exactly as [`run_unit`] would.
pub(crate) fn run_pipelined(
    info: &InputInfo,
    source: usize,
    cfg: &CountConfig,
    grouper: &Grouper,
    observer: &dyn Observer,
    hts_threads: usize,
) -> Result<UnitOutput> {
    use std::sync::mpsc::sync_channel;
    let need_nm = cfg.filter.max_nm.is_some();
    let mut reader = AlignmentReader::open(info, 0, MT_LENGTH, hts_threads, need_nm)?;
    let tid = info.tid as i32;
    let (full_tx, full_rx) = sync_channel::<(Vec<Record>, usize)>(4);
    let (empty_tx, empty_rx) = sync_channel::<Vec<Record>>(8);
    std::thread::scope(|scope| {
        let counter = scope.spawn(move || {
            let mut st = UnitState::new(cfg, info, grouper, 0, MT_LENGTH);
            let mut previous = -1i64;
            for (batch, n) in full_rx {
                for rec in &batch[..n] {
                    let pos = rec.pos();
                    if pos > previous {
                        st.expire(pos as u32);
                        previous = pos;
                    }
                    st.process(rec, grouper);
                }
                let _ = empty_tx.try_send(batch);
            }
            st.finish()
        });
        let read = (|| -> Result<()> {
            let mut batch: Vec<Record> = (0..BATCH_READS).map(|_| Record::new()).collect();
            let mut n = 0usize;
            let mut previous: i64 = -1;
            let mut reported = 0u64;
            while let Some(r) = reader.read(&mut batch[n]) {
                r.map_err(|e| read_error(info, previous, e))?;
                let rec = &batch[n];
                if rec.tid() != tid {
                    continue;
                }
                let pos = rec.pos();
                if pos < previous {
                    return Err(unsorted(info, pos, previous));
                }
                previous = pos;
                n += 1;
                if n == BATCH_READS {
                    let next = empty_rx
                        .try_recv()
                        .unwrap_or_else(|_| (0..BATCH_READS).map(|_| Record::new()).collect());
                    let full = std::mem::replace(&mut batch, next);
                    if full_tx.send((full, n)).is_err() {
                        break;
                    }
                    n = 0;
                    let p = (pos.max(0) as u64).min(u64::from(MT_LENGTH));
                    observer.progress(source, p.saturating_sub(reported));
                    reported = reported.max(p);
                }
            }
            if n > 0 {
                let _ = full_tx.send((batch, n));
            }
            observer.progress(source, u64::from(MT_LENGTH).saturating_sub(reported));
            Ok(())
        })();
        drop(full_tx);
        let out = counter
            .join()
            .map_err(|_| Error::Internal("the counting thread panicked".into()))?;
        read.map(|()| out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::{merge, Silent};
    use crate::input::{inspect, InputOptions};
    use std::io::{Read as _, Write as _};

    /// Counts of one input through htslib ([`run_unit`]) or the BGZF reader.
    fn counts_of(info: &InputInfo, segment: Option<usize>) -> crate::count::Counts {
        let cfg = CountConfig::default();
        let grouper = Grouper::new(info, None, None);
        let out = match segment {
            None => vec![run_unit(info, 0, 0, MT_LENGTH, &cfg, &grouper, &Silent).unwrap()],
            Some(seg) => {
                let shares = 1 + (seg % 3) as u32;
                run_fast_with(info, 0, &cfg, &grouper, &Silent, seg, seg % 2 == 0, shares)
                    .unwrap()
                    .expect("no CG tags here")
            }
        };
        let mut groups = merge(out, cfg.filter.min_base_quality).groups;
        assert_eq!(groups.len(), 1);
        groups.pop().unwrap().1 .0
    }

    #[test]
    fn bgzf_reader_equals_htslib_across_blocks_and_segments() {
        let dir = tempfile::tempdir().unwrap();
        let spec = crate::sim::SimSpec::from_toml_str(
            "seed = 3\n[[clones]]\nname = \"c\"\ndepth = 150\n\
             haplotypes = [{ fraction = 0.3, snvs = [\"3243A>G\"] }]\n",
        )
        .unwrap();
        let sim = crate::sim::simulate(&spec, &dir.path().join("sim"), 1).unwrap();
        let bam = sim.clones[0].bam.clone();
        // The same BAM cut into blocks regardless of record ends (as htsjdk writes):
        // records span blocks, and the first mt record starts inside a block.
        let mut raw = Vec::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&bam).unwrap())
            .read_to_end(&mut raw)
            .unwrap();
        let reblocked = dir.path().join("reblocked.bam");
        let mut w = crate::output::BgzfWriter::new(std::fs::File::create(&reblocked).unwrap());
        w.write_all(&raw).unwrap();
        w.finish().unwrap();
        rust_htslib::bam::index::build(&reblocked, None, rust_htslib::bam::index::Type::Bai, 1)
            .unwrap();
        let unindexed = dir.path().join("unindexed.bam");
        std::fs::copy(&reblocked, &unindexed).unwrap();
        let opts = InputOptions::default();
        let want = counts_of(&inspect(&bam, &opts).unwrap(), None);
        assert!(want.sites()[3242].depth() > 50);
        for path in [&bam, &reblocked, &unindexed] {
            let info = inspect(path, &opts).unwrap();
            for seg in [
                1,
                5_000,
                5_001,
                100_000,
                100_001,
                crate::input::bgzf::SEGMENT_BYTES,
            ] {
                let got = counts_of(&info, Some(seg));
                assert!(
                    got == want,
                    "{} with {seg}-byte segments differs",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn waiting_mates_are_bounded_and_counted_apart_past_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        // 2x150 reads of 150-250-bp fragments: most mates overlap.
        let spec = crate::sim::SimSpec::from_toml_str(
            "seed = 5\n[[clones]]\nname = \"c\"\ndepth = 200\nfragment_mean = 200\n\
             fragment_sd = 25\nhaplotypes = [{ fraction = 0.3, snvs = [\"3243A>G\"] }]\n",
        )
        .unwrap();
        let sim = crate::sim::simulate(&spec, &dir.path().join("sim"), 1).unwrap();
        let info = inspect(&sim.clones[0].bam, &InputOptions::default()).unwrap();
        let grouper = Grouper::new(&info, None, None);
        let run = |overlaps: OverlapMode, cap: usize| {
            let cfg = CountConfig {
                overlaps,
                ..CountConfig::default()
            };
            let mut reader = AlignmentReader::open(&info, 0, MT_LENGTH, 0, false).unwrap();
            let mut st = UnitState::new(&cfg, &info, &grouper, 0, MT_LENGTH);
            st.pending_cap = cap;
            let mut feed = Feed::new(&info, 0, 0, MT_LENGTH);
            let mut rec = Record::new();
            let mut peak = 0;
            while let Some(r) = reader.read(&mut rec) {
                r.unwrap();
                assert!(feed.record(&mut st, &rec, &grouper, &Silent).unwrap());
                peak = peak.max(st.pending_obs);
            }
            let mut groups = merge(vec![st.finish()], cfg.filter.min_base_quality).groups;
            let (counts, tally) = groups.pop().unwrap().1;
            let depth: u64 = counts.sites().iter().map(|s| u64::from(s.depth())).sum();
            (counts, tally, depth, peak)
        };
        let (fragment, t_fragment, d_fragment, peak_free) = run(OverlapMode::Fragment, usize::MAX);
        let (independent, _, d_independent, _) = run(OverlapMode::Independent, usize::MAX);
        assert_eq!(t_fragment.overlaps_counted_apart, 0);
        assert!(d_fragment < d_independent, "the mates overlap");
        // No room at all: every overlapping pair counts as two reads, as `independent`.
        let (none, t_none, _, peak_none) = run(OverlapMode::Fragment, 0);
        assert!(none == independent);
        assert_eq!(peak_none, 0);
        assert!(t_none.overlaps_counted_apart > 1000);
        // A bound under the free peak: held to it (plus the last mate kept), pairs past it
        // counted apart, the rest reconciled.
        let cap = peak_free / 4;
        let (some, t_some, d_some, peak_some) = run(OverlapMode::Fragment, cap);
        assert!(peak_some <= cap + 300, "{peak_some} kept, bound {cap}");
        assert!(t_some.overlaps_counted_apart > 0);
        assert!(t_some.overlaps_counted_apart < t_none.overlaps_counted_apart);
        assert!(d_fragment < d_some && d_some < d_independent);
        assert!(some != fragment);
    }

    #[test]
    fn lookahead_reads_only_the_bytes_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let spec = crate::sim::SimSpec::from_toml_str(
            "seed = 7\n[[clones]]\nname = \"c\"\ndepth = 40\nfragment_mean = 200\n\
             fragment_sd = 25\nhaplotypes = []\n",
        )
        .unwrap();
        let sim = crate::sim::simulate(&spec, &dir.path().join("sim"), 1).unwrap();
        let info = inspect(&sim.clones[0].bam, &InputOptions::default()).unwrap();
        let grouper = Grouper::new(&info, None, None);
        let cfg = CountConfig::default();
        let mut reader = AlignmentReader::open(&info, 0, MT_LENGTH, 0, false).unwrap();
        let mut st = UnitState::new(&cfg, &info, &grouper, 0, MT_LENGTH);
        let mut feed = Feed::new(&info, 0, 0, MT_LENGTH);
        let mut rec = Record::new();
        for _ in 0..200 {
            reader.read(&mut rec).unwrap().unwrap();
            assert!(feed.record(&mut st, &rec, &grouper, &Silent).unwrap());
        }
        assert!(!st.stash.is_empty(), "left mates wait");
        // A right mate (paired, mate on the same contig, mate start before its own) in
        // BAM layout from block_size, with a name of `l_qname` bytes: every cut of it,
        // and a name length past the bytes, is looked at without reading past them.
        let mut full = vec![0u8; 36];
        full[8..12].copy_from_slice(&500i32.to_le_bytes());
        full[12] = 5;
        full[18..20].copy_from_slice(&1u16.to_le_bytes());
        full[28..32].copy_from_slice(&400i32.to_le_bytes());
        full.extend_from_slice(b"r1/a\0");
        for cut in 0..=full.len() {
            st.prefetch_mate(&full[..cut]);
        }
        full[12] = 255;
        st.prefetch_mate(&full);
    }

    #[test]
    fn mate_cigar_length() {
        assert_eq!(text_cigar_ref_len("150M"), Some(150));
        assert_eq!(text_cigar_ref_len("5S20M3I10M2D30M"), Some(62));
        assert_eq!(text_cigar_ref_len("*"), None);
    }
}
