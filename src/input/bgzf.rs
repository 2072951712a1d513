//! Reading a BAM's reads without htslib's reading thread: the compressed BGZF blocks are
//! read in segments of a few megabytes, the blocks of a segment are inflated in
//! parallel on the rayon pool (libdeflate, each block's CRC32 and length checked), and
//! records are read in place from the inflated bytes ([`RawRecord`]: nothing is copied
//! into htslib's layout), with the checks `bam_read1` makes.
//!
//! Why: with htslib, one thread reads and parses every record while others inflate;
//! counting then needs a second hand-off. Here inflating the next segment overlaps with
//! counting the current one on the same pool, which is what lets `count` run close to
//! `samtools view -c` (see the README, "Speed").
//!
//! Only BAM on a little-endian machine takes this path; CRAM and SAM go through htslib.

use super::record::{aux_value, find_aux, Alignment, AuxValue};
use crate::error::{Error, Result};
use rayon::prelude::*;
use rust_htslib::bam::Record;
use std::cell::RefCell;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Compressed bytes read per segment (about 80 blocks; twice that is in memory while
/// one segment is counted and the next inflated).
pub(crate) const SEGMENT_BYTES: usize = 2 << 20;

/// A segment ends once its blocks inflate to this many bytes, whatever their compressed
/// size: reads that compress well (real, binned qualities; amplicon-deep duplicates)
/// inflate 10-50 fold, and a segment of 2 MB compressed would hold up to 100 MB
/// (aligner output inflates about sixfold, so its segments end at the cap too).
pub(crate) const SEGMENT_INFLATED_BYTES: usize = 4 * SEGMENT_BYTES;

/// Fixed BGZF header: gzip header with one `BC` extra subfield holding the block size.
const HEADER: usize = 18;
/// CRC32 and ISIZE.
const FOOTER: usize = 8;
/// Buffer of the reader under [`BlockReader`] (a few blocks per `read` call).
const READ_BUFFER: usize = 256 << 10;

/// Largest inflated block.
const MAX_ISIZE: usize = 1 << 16;

/// One whole block inside a segment.
#[derive(Clone, Copy, Debug)]
struct Span {
    /// Start in the segment's compressed bytes.
    at: usize,
    /// Whole block length (BSIZE + 1).
    len: usize,
    /// Inflated length (ISIZE).
    out_len: usize,
    /// File offset of the block (for messages).
    offset: u64,
}

/// Whole compressed blocks read from the file, ready to inflate.
#[derive(Debug, Default)]
pub(crate) struct Segment {
    bytes: Vec<u8>,
    blocks: Vec<Span>,
    out_len: usize,
}

impl Segment {
    /// Inflated size of the segment.
    pub fn inflated_len(&self) -> usize {
        self.out_len
    }
}

/// Reads whole BGZF blocks from a file offset on, a segment at a time.
///
/// Blocks are read one by one (header, then the rest of the block) through a buffered
/// reader, so a segment ends exactly where its size or inflated cap says, with no bytes
/// read ahead to carry over; segment buffers given back with [`BlockReader::recycle`]
/// are reused, so reading allocates nothing once the first segments are in flight.
#[derive(Debug)]
pub(crate) struct BlockReader {
    file: BufReader<File>,
    path: PathBuf,
    /// File offset of the next block.
    offset: u64,
    /// Compressed bytes to read per segment.
    segment_bytes: usize,
    /// Most inflated bytes per segment (at least one block).
    inflated_cap: usize,
    /// Buffers of segments already inflated, for reuse.
    spare: Vec<(Vec<u8>, Vec<Span>)>,
    done: bool,
}

fn le16(b: &[u8], i: usize) -> usize {
    usize::from(u16::from_le_bytes([b[i], b[i + 1]]))
}

#[inline(always)]
fn le32(b: &[u8], i: usize) -> u32 {
    match b.get(i..i + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => panic!("le32 past the end of {} bytes at {i}", b.len()),
    }
}

/// A damaged block, named by its file offset.
fn block_error(path: &Path, offset: u64, what: &str) -> Error {
    Error::corrupt(
        path,
        format!("corrupt BGZF block at byte {offset}: {what}; the file is truncated or corrupt"),
    )
}

impl BlockReader {
    /// Read blocks from file offset `start` (a block start) on, to the end of the file
    /// or until the caller stops asking, about `segment_bytes` compressed bytes (at
    /// least one block, at most [`SEGMENT_INFLATED_BYTES`] inflated, scaled down with
    /// `segment_bytes`) per segment.
    pub fn open(path: &Path, start: u64, segment_bytes: usize) -> Result<Self> {
        let io = |e| Error::io(path, "cannot read", e);
        let mut file = File::open(path).map_err(io)?;
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        Ok(BlockReader {
            file: BufReader::with_capacity(READ_BUFFER, file),
            path: path.to_owned(),
            offset: start,
            segment_bytes: segment_bytes.max(1),
            inflated_cap: segment_bytes
                .saturating_mul(SEGMENT_INFLATED_BYTES / SEGMENT_BYTES)
                .max(MAX_ISIZE),
            spare: Vec::new(),
            done: false,
        })
    }

    fn corrupt(&self, offset: u64, what: &str) -> Error {
        block_error(&self.path, offset, what)
    }

    fn ends_inside(&self, offset: u64) -> Error {
        Error::corrupt(
            &self.path,
            format!(
                "the file ends inside a BGZF block at byte {offset}; the file is truncated or corrupt"
            ),
        )
    }

    /// Give the buffers of an inflated segment back for the next ones.
    pub fn recycle(&mut self, seg: Segment) {
        if self.spare.len() < 2 {
            self.spare.push((seg.bytes, seg.blocks));
        }
    }

    /// The next segment of whole blocks; `None` after the last.
    pub fn next_segment(&mut self) -> Result<Option<Segment>> {
        if self.done {
            return Ok(None);
        }
        let (mut bytes, mut blocks) = self.spare.pop().unwrap_or_default();
        bytes.clear();
        blocks.clear();
        let mut out_len = 0usize;
        let io = |e| Error::io(&self.path, "cannot read", e);
        while bytes.len() < self.segment_bytes && out_len < self.inflated_cap {
            let at = bytes.len();
            let offset = self.offset + at as u64;
            // Header and block appended straight to the segment (no zero-filling first).
            match (&mut self.file)
                .take(HEADER as u64)
                .read_to_end(&mut bytes)
                .map_err(io)?
            {
                0 => {
                    self.done = true;
                    break;
                }
                HEADER => {}
                _ => return Err(self.ends_inside(offset)),
            }
            let h = &bytes[at..at + HEADER];
            if h[0] != 31 || h[1] != 139 || h[2] != 8 || h[3] & 4 == 0 {
                return Err(self.corrupt(offset, "not a gzip block header"));
            }
            if le16(h, 10) != 6 || h[12] != b'B' || h[13] != b'C' || le16(h, 14) != 2 {
                return Err(self.corrupt(offset, "no BGZF block size field"));
            }
            let len = le16(h, 16) + 1;
            if len < HEADER + FOOTER {
                return Err(self.corrupt(offset, "block size too small"));
            }
            let rest = (len - HEADER) as u64;
            if (&mut self.file)
                .take(rest)
                .read_to_end(&mut bytes)
                .map_err(io)?
                < len - HEADER
            {
                return Err(self.ends_inside(offset));
            }
            let isize = le32(&bytes, at + len - 4) as usize;
            if isize > MAX_ISIZE {
                return Err(self.corrupt(offset, "inflated size over 64 KiB"));
            }
            blocks.push(Span {
                at,
                len,
                out_len: isize,
                offset,
            });
            out_len += isize;
        }
        self.offset += bytes.len() as u64;
        if blocks.is_empty() {
            self.done = true;
            return Ok(None);
        }
        Ok(Some(Segment {
            bytes,
            blocks,
            out_len,
        }))
    }
}

thread_local! {
    static DECOMPRESSOR: RefCell<libdeflater::Decompressor> =
        RefCell::new(libdeflater::Decompressor::new());
}

/// Inflate every block of `seg` into `out[..seg.inflated_len()]`, in parallel on the
/// rayon pool or, with `parallel` false, on this thread.
pub(crate) fn inflate(seg: &Segment, out: &mut Vec<u8>, path: &Path, parallel: bool) -> Result<()> {
    if out.len() < seg.out_len {
        // Exactly what the segment needs: a doubling growth would hold twice the cap.
        out.reserve_exact(seg.out_len - out.len());
        out.resize(seg.out_len, 0);
    }
    let mut rest = &mut out[..seg.out_len];
    let mut jobs = Vec::with_capacity(seg.blocks.len());
    for b in &seg.blocks {
        let (dst, tail) = rest.split_at_mut(b.out_len);
        jobs.push((b, dst));
        rest = tail;
    }
    let one = |(b, dst): (&Span, &mut [u8])| -> Result<()> {
        let block = &seg.bytes[b.at..b.at + b.len];
        let corrupt = |what: &str| block_error(path, b.offset, what);
        let n = DECOMPRESSOR
            .with(|d| {
                d.borrow_mut()
                    .deflate_decompress(&block[HEADER..b.len - FOOTER], dst)
            })
            .map_err(|e| corrupt(&format!("cannot inflate ({e:?})")))?;
        if n != b.out_len {
            return Err(corrupt("inflated size differs from the block's ISIZE"));
        }
        if libdeflater::crc32(dst) != le32(block, b.len - 8) {
            return Err(corrupt("CRC32 mismatch"));
        }
        Ok(())
    };
    if parallel {
        jobs.into_par_iter().try_for_each(one)
    } else {
        jobs.into_iter().try_for_each(one)
    }
}

/// Why a record could not be decoded.
pub(crate) type DecodeError = &'static str;

/// A record whose CIGAR htslib keeps in a `CG` tag (more than 65,535 operations): the
/// caller reads the input through htslib instead.
pub(crate) const NEEDS_HTSLIB: DecodeError = "CIGAR stored in a CG tag";

/// Splits inflated bytes into records, carrying a record cut by a segment end over to
/// the next segment.
#[derive(Debug, Default)]
pub(crate) struct RecordCursor {
    /// Bytes of an incomplete record from the previous segment.
    partial: Vec<u8>,
    /// Inflated bytes still to skip (the offset of the first record in its block).
    skip: usize,
    /// The CIGAR of the record at hand ([`parse`]).
    cigar: Vec<u32>,
}

impl RecordCursor {
    pub fn new(skip: usize) -> Self {
        RecordCursor {
            skip,
            ..Default::default()
        }
    }

    /// Decode the records of `data` (the next inflated bytes) into `rec` (htslib's
    /// layout), calling `f` on each, until `f` returns `Ok(false)` (then `Ok(false)` is
    /// returned).
    pub fn feed<F>(
        &mut self,
        data: &[u8],
        rec: &mut Record,
        f: &mut F,
    ) -> std::result::Result<bool, CursorError>
    where
        F: FnMut(&Record) -> Result<bool>,
    {
        struct All<'f, F> {
            rec: &'f mut Record,
            f: &'f mut F,
        }
        impl<F: FnMut(&Record) -> Result<bool>> Take for All<'_, F> {
            fn record(&mut self, raw: &RawRecord<'_>) -> std::result::Result<bool, CursorError> {
                raw.copy_into(self.rec).map_err(CursorError::Decode)?;
                (self.f)(self.rec).map_err(CursorError::Count)
            }
            fn other(&mut self, _: i32, _: i64) -> Result<bool> {
                Ok(true)
            }
        }
        self.feed_share(data, Share::ALL, &mut All { rec, f })
    }

    /// Go through the records of `data` (the next inflated bytes) for one share of the
    /// reads: a record whose read name falls in `share` is read in place ([`parse`]) and
    /// given to [`Take::record`]; any other only gives its contig and position to
    /// [`Take::other`] (so that every share sees the same order checks and the same
    /// end). Both mates of a pair, having one name, fall in the same share. Stops when
    /// `t` returns `Ok(false)` (then `Ok(false)` is returned).
    pub fn feed_share<T: Take>(
        &mut self,
        mut data: &[u8],
        share: Share,
        t: &mut T,
    ) -> std::result::Result<bool, CursorError> {
        let cigar = &mut self.cigar;
        // `next`: the bytes after this record (the next record, maybe cut), for
        // [`Take::ahead`].
        let mut take = |bytes: &[u8], next: &[u8]| -> std::result::Result<bool, CursorError> {
            t.ahead(next);
            if share.n > 1 && !share.holds(bytes) {
                let (tid, pos) = (le32(bytes, 4) as i32, i64::from(le32(bytes, 8) as i32));
                return t.other(tid, pos).map_err(CursorError::Count);
            }
            t.record(&parse(bytes, cigar).map_err(CursorError::Decode)?)
        };
        let skip = self.skip.min(data.len());
        self.skip -= skip;
        data = &data[skip..];
        if !self.partial.is_empty() {
            // Complete the record cut by the previous segment end.
            if self.partial.len() < 4 {
                let take = (4 - self.partial.len()).min(data.len());
                self.partial.extend_from_slice(&data[..take]);
                data = &data[take..];
                if self.partial.len() < 4 {
                    return Ok(true);
                }
            }
            let total = record_len(&self.partial).map_err(CursorError::Decode)?;
            let want = (total - self.partial.len()).min(data.len());
            self.partial.extend_from_slice(&data[..want]);
            data = &data[want..];
            if self.partial.len() < total {
                return Ok(true);
            }
            let go = take(&self.partial, data)?;
            self.partial.clear();
            if !go {
                return Ok(false);
            }
        }
        while data.len() >= 4 {
            let total = record_len(data).map_err(CursorError::Decode)?;
            if data.len() < total {
                break;
            }
            let (this, next) = data.split_at(total);
            if !take(this, next)? {
                return Ok(false);
            }
            data = &data[total..];
        }
        self.partial.extend_from_slice(data);
        Ok(true)
    }

    /// Whether a record was left incomplete at the end of the input.
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }
}

/// Receives the records of [`RecordCursor::feed_share`]; `Ok(false)`: no later record
/// is needed.
pub(crate) trait Take {
    /// A record of this share, read in place.
    fn record(&mut self, rec: &RawRecord<'_>) -> std::result::Result<bool, CursorError>;
    /// A record of another share: its contig and position only.
    fn other(&mut self, tid: i32, pos: i64) -> Result<bool>;
    /// Called before each record with the bytes that follow it (the next record from
    /// its `block_size`, possibly cut short, possibly empty): a chance to bring what
    /// the next record will need into cache while this one is handled. A hint only.
    #[inline]
    fn ahead(&mut self, _next: &[u8]) {}
}

/// One of `n` shares of the reads, dealt by read name: `k` in `0..n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Share {
    pub k: u32,
    pub n: u32,
}

impl Share {
    /// Every read.
    pub const ALL: Share = Share { k: 0, n: 1 };

    /// Whether the record `bytes` (whole, from its `block_size`; at least 36 bytes)
    /// belongs to this share: a hash of its read name (up to its first NUL) modulo `n`.
    #[inline]
    pub fn holds(self, bytes: &[u8]) -> bool {
        let l_qname = usize::from(bytes[12]);
        let name = &bytes[36..(36 + l_qname).min(bytes.len())];
        let name = match name {
            [n @ .., 0] => n,
            n => n,
        };
        // Constant time whatever the name's length: its first and last eight bytes and
        // its length (read names differ in their ends: tile:x:y, a serial number).
        let word = |b: &[u8]| {
            let mut w = [0u8; 8];
            w[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(w)
        };
        let (head, tail) = (
            word(&name[..name.len().min(8)]),
            word(&name[name.len().saturating_sub(8)..]),
        );
        let h = (head.rotate_left(29) ^ tail ^ name.len() as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            >> 32;
        // h * n / 2^32: a share in 0..n without a division.
        ((h * u64::from(self.n)) >> 32) as u32 == self.k
    }
}

/// Length of the record that starts `bytes` (its `block_size` plus 4), refused before
/// any byte of it is gathered when it cannot be valid (as `bam_read1` refuses it).
fn record_len(bytes: &[u8]) -> std::result::Result<usize, DecodeError> {
    let block_len = le32(bytes, 0) as usize;
    if block_len < 32 {
        return Err("record shorter than its fixed fields");
    }
    if block_len > i32::MAX as usize {
        return Err("record too long");
    }
    Ok(4 + block_len)
}

/// What stopped [`RecordCursor::feed`].
#[derive(Debug)]
pub(crate) enum CursorError {
    /// A record is invalid (or needs htslib, [`NEEDS_HTSLIB`]).
    Decode(DecodeError),
    /// The callback failed.
    Count(Error),
}

const BAM_FUNMAP: u16 = 4;
const CIGAR_SOFT_CLIP: u32 = 4;

/// htslib's `hts_reg2bin(beg, end, 14, 5)`: the BAI bin of a zero-based half-open
/// interval (SAM spec §5.3). Also used by the simulator's BAM writer.
pub(crate) fn reg2bin(beg: i64, end: i64) -> u16 {
    let end = end - 1;
    let (mut l, mut s, mut t) = (5, 14, ((1i64 << 15) - 1) / 7);
    while l > 0 {
        if beg >> s == end >> s {
            return (t + (beg >> s)) as u16;
        }
        l -= 1;
        s += 3;
        t -= 1 << (l * 3);
    }
    0
}

/// A BAM record read in place from inflated bytes: the fields `bam_read1` would copy
/// into htslib's layout, as slices of the bytes (the CIGAR copied out, as it may not
/// be four-byte aligned there). Made by [`parse`], with `bam_read1`'s checks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawRecord<'a> {
    /// The 32 bytes of fixed fields after `block_size`.
    fixed: &'a [u8; 32],
    /// The read name as stored (with its NUL, or without when the file left it out).
    name: &'a [u8],
    cigar: &'a [u32],
    seq: &'a [u8],
    qual: &'a [u8],
    aux: &'a [u8],
}

impl RawRecord<'_> {
    #[inline(always)]
    fn field(&self, i: usize) -> u32 {
        le32(self.fixed, 4 * i)
    }
}

impl Alignment for RawRecord<'_> {
    #[inline]
    fn tid(&self) -> i32 {
        self.field(0) as i32
    }
    #[inline]
    fn pos(&self) -> i64 {
        i64::from(self.field(1) as i32)
    }
    #[inline]
    fn flags(&self) -> u16 {
        (self.field(3) >> 16) as u16
    }
    #[inline]
    fn mapq(&self) -> u8 {
        (self.field(2) >> 8) as u8
    }
    #[inline]
    fn mtid(&self) -> i32 {
        self.field(5) as i32
    }
    #[inline]
    fn mpos(&self) -> i64 {
        i64::from(self.field(6) as i32)
    }
    #[inline]
    fn insert_size(&self) -> i64 {
        i64::from(self.field(7) as i32)
    }
    #[inline]
    fn qname(&self) -> &[u8] {
        match self.name {
            [n @ .., 0] => n,
            n => n,
        }
    }
    #[inline]
    fn raw_cigar(&self) -> &[u32] {
        self.cigar
    }
    #[inline]
    fn seq_encoded(&self) -> &[u8] {
        self.seq
    }
    #[inline]
    fn seq_len(&self) -> usize {
        self.qual.len()
    }
    #[inline]
    fn qual(&self) -> &[u8] {
        self.qual
    }
    fn aux_value(&self, tag: &[u8; 2]) -> Option<AuxValue<'_>> {
        find_aux(self.aux, tag).map(|(ty, v)| aux_value(ty, v))
    }
}

/// Read one whole BAM record (`bytes` starts with its `block_size`) in place, with the
/// checks htslib's `bam_read1` makes; its CIGAR is copied into `cigar`.
#[inline]
pub(crate) fn parse<'a>(
    bytes: &'a [u8],
    cigar: &'a mut Vec<u32>,
) -> std::result::Result<RawRecord<'a>, DecodeError> {
    if bytes.len() < 36 || le32(bytes, 0) as usize != bytes.len() - 4 {
        return Err("record shorter than its fixed fields");
    }
    let Ok(fixed) = <&[u8; 32]>::try_from(&bytes[4..36]) else {
        unreachable!("36 bytes or more")
    };
    let x = |i: usize| le32(fixed, 4 * i);
    let l_qname = (x(2) & 0xff) as usize;
    if l_qname < 1 {
        return Err("empty read name");
    }
    let n_cigar = (x(3) & 0xffff) as usize;
    let flag = (x(3) >> 16) as u16;
    let l_qseq = x(4) as i32;
    if l_qseq < 0 {
        return Err("negative sequence length");
    }
    let l_seq = l_qseq as usize;
    let var = &bytes[36..];
    let packed = l_seq.div_ceil(2);
    if n_cigar * 4 + l_qname + packed + l_seq > var.len() {
        return Err("fields longer than the record");
    }
    let (name, rest) = var.split_at(l_qname);
    let (cig, rest) = rest.split_at(4 * n_cigar);
    let (seq, rest) = rest.split_at(packed);
    let (qual, aux) = rest.split_at(l_seq);
    cigar.clear();
    cigar.extend(cig.chunks_exact(4).map(|c| le32(c, 0)));
    if n_cigar > 0 {
        let first = cigar[0];
        if x(0) as i32 >= 0
            && x(1) as i32 >= 0
            && first & 0xf == CIGAR_SOFT_CLIP
            && (first >> 4) as usize == l_seq
            && find_aux(aux, b"CG").is_some()
        {
            return Err(NEEDS_HTSLIB);
        }
        if l_seq > 0 && flag & BAM_FUNMAP == 0 && super::record::query_len(cigar) != l_seq as u64 {
            return Err("CIGAR and query sequence lengths differ");
        }
    }
    Ok(RawRecord {
        fixed,
        name,
        cigar,
        seq,
        qual,
        aux,
    })
}

/// Reference bases a raw CIGAR consumes (M, D, N, =, X).
fn ref_len(cigar: &[u32]) -> i64 {
    cigar
        .iter()
        // BAM_CIGAR_TYPE: bit 2 consumes the reference.
        .filter(|&&op| (0x3C1A7u32 >> ((op & 0xf) << 1)) & 2 != 0)
        .map(|&op| i64::from(op >> 4))
        .sum()
}

impl RawRecord<'_> {
    /// Copy into `rec` in htslib's layout, as `bam_read1` would have filled it (the
    /// read name padded with NULs to a multiple of four, the bin recomputed).
    pub(crate) fn copy_into(&self, rec: &mut Record) -> std::result::Result<(), DecodeError> {
        let l_qname = self.name.len();
        let l_extranul = (4 - l_qname % 4) % 4;
        // A name without its NUL gets one (htslib's fixup_missing_qname_nul).
        let (name_len, pad) = if self.name[l_qname - 1] == 0 {
            (l_qname, l_extranul)
        } else if l_extranul > 0 {
            (l_qname + 1, l_extranul - 1)
        } else {
            (l_qname + 1, 3)
        };
        let rest = [self.seq, self.qual, self.aux];
        let cigar_len = 4 * self.cigar.len();
        let l_data = name_len + pad + cigar_len + rest.iter().map(|r| r.len()).sum::<usize>();
        if l_data > i32::MAX as usize {
            return Err("record too long");
        }
        let b = rec.inner_mut();
        if (b.m_data as usize) < l_data {
            let cap = l_data.next_power_of_two().max(64);
            // SAFETY: `data` is null or was allocated with malloc/realloc (by htslib or
            // rust-htslib, which frees it with libc::free); on failure it is untouched.
            let p = unsafe { libc::realloc(b.data.cast(), cap) };
            if p.is_null() {
                return Err("out of memory for a record");
            }
            b.data = p.cast();
            b.m_data = u32::try_from(cap).map_err(|_| "record too long")?;
        }
        // SAFETY: `data` holds at least `m_data >= l_data` bytes (above).
        let data = unsafe { std::slice::from_raw_parts_mut(b.data, l_data) };
        data[..l_qname].copy_from_slice(self.name);
        data[l_qname..name_len + pad].fill(0);
        let mut at = name_len + pad;
        for (dst, op) in data[at..at + cigar_len].chunks_exact_mut(4).zip(self.cigar) {
            dst.copy_from_slice(&op.to_le_bytes());
        }
        at += cigar_len;
        for r in rest {
            data[at..at + r.len()].copy_from_slice(r);
            at += r.len();
        }
        b.l_data = l_data as i32;
        let flag = self.flags();
        let c = &mut b.core;
        c.tid = self.tid();
        c.pos = self.pos();
        c.qual = self.mapq();
        c.l_qname = (name_len + pad) as u16;
        c.l_extranul = pad as u8;
        c.flag = flag;
        c.n_cigar = self.cigar.len() as u32;
        c.l_qseq = self.qual.len() as i32;
        c.mtid = self.mtid();
        c.mpos = self.mpos();
        c.isize_ = self.insert_size();
        c.bin = if self.cigar.is_empty() {
            (self.field(2) >> 16) as u16
        } else {
            let rlen = match ref_len(self.cigar) {
                0 => 1,
                _ if flag & BAM_FUNMAP != 0 => 1,
                n => n,
            };
            reg2bin(c.pos, c.pos + rlen)
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_htslib::bam::{self, Read as _};

    /// A BAM of 3000 varied records written by htslib: its path, the records as htslib
    /// reads them back, and the virtual offset of the first.
    fn varied_bam(dir: &Path) -> (PathBuf, Vec<Record>, u64) {
        // Reads with names of every length modulo 4 (NUL padding), clips, indels, mates
        // and tags, written by htslib; read back by htslib and by this module.
        let path = dir.join("r.bam");
        let mut header = bam::header::Header::new();
        let mut sq = bam::header::HeaderRecord::new(b"SQ");
        sq.push_tag(b"SN", "chrM").push_tag(b"LN", 16569);
        header.push_record(&sq);
        let mut want = Vec::new();
        {
            let mut w = bam::Writer::from_path(&path, &header, bam::Format::Bam).unwrap();
            for i in 0..3000i64 {
                let name = "r".repeat(1 + (i % 9) as usize) + &i.to_string();
                let cigar = bam::record::CigarString(vec![
                    bam::record::Cigar::SoftClip(3),
                    bam::record::Cigar::Match(20 + (i % 7) as u32),
                    bam::record::Cigar::Del(2),
                    bam::record::Cigar::Ins(1),
                    bam::record::Cigar::Match(10),
                ]);
                let n = 34 + (i % 7) as usize;
                let seq: Vec<u8> = (0..n).map(|k| b"ACGTN"[(k + i as usize) % 5]).collect();
                let qual: Vec<u8> = (0..n).map(|k| (k as u8 * 7 + i as u8) % 42).collect();
                let mut r = bam::Record::new();
                r.set(name.as_bytes(), Some(&cigar), &seq, &qual);
                r.set_tid(0);
                r.set_pos(i * 5);
                r.set_flags(if i % 3 == 0 { 0x63 } else { 0x10 });
                r.set_mapq((i % 61) as u8);
                r.set_mtid(if i % 3 == 0 { 0 } else { -1 });
                r.set_mpos(if i % 3 == 0 { i * 5 + 100 } else { -1 });
                r.set_insert_size(if i % 3 == 0 { 150 } else { 0 });
                r.push_aux(b"NM", bam::record::Aux::U8((i % 4) as u8))
                    .unwrap();
                if i % 2 == 0 {
                    r.push_aux(b"RG", bam::record::Aux::String("g1")).unwrap();
                }
                if i % 5 == 0 {
                    r.push_aux(b"XA", bam::record::Aux::Char(b'x')).unwrap();
                    r.push_aux(b"XB", bam::record::Aux::ArrayI16((&[-3i16, 7][..]).into()))
                        .unwrap();
                    r.push_aux(b"XS", bam::record::Aux::I16(-42)).unwrap();
                    r.push_aux(b"XF", bam::record::Aux::Float(0.5)).unwrap();
                }
                w.write(&r).unwrap();
            }
        }
        let mut reader = bam::Reader::from_path(&path).unwrap();
        let start = reader.tell() as u64;
        for r in reader.records() {
            want.push(r.unwrap());
        }
        (path, want, start)
    }

    #[test]
    fn records_decode_as_htslib_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let (path, want, start) = varied_bam(dir.path());
        let mut blocks = BlockReader::open(&path, start >> 16, 1).unwrap();
        let mut cursor = RecordCursor::new((start & 0xffff) as usize);
        let (mut rec, mut got, mut buf) = (Record::new(), Vec::new(), Vec::new());
        while let Some(seg) = blocks.next_segment().unwrap() {
            inflate(&seg, &mut buf, &path, true).unwrap();
            let r = cursor.feed(&buf[..seg.inflated_len()], &mut rec, &mut |r: &Record| {
                got.push(r.clone());
                Ok(true)
            });
            assert!(r.unwrap());
        }
        assert!(!cursor.has_partial());
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{}", String::from_utf8_lossy(w.qname()));
            assert_eq!(g.qname(), w.qname());
            assert_eq!(g.inner().core.l_qname, w.inner().core.l_qname);
            assert_eq!(g.inner().core.n_cigar, w.inner().core.n_cigar);
            assert_eq!(g.inner().core.l_qseq, w.inner().core.l_qseq);
        }
    }

    #[test]
    fn records_read_in_place_give_what_htslib_records_give() {
        // Every accessor the counting core uses, on the record read in place and on the
        // record htslib reads, through the one trait.
        let dir = tempfile::tempdir().unwrap();
        let (path, want, start) = varied_bam(dir.path());
        struct Check<'w> {
            want: &'w [Record],
            seen: usize,
        }
        impl Take for Check<'_> {
            fn record(&mut self, g: &RawRecord<'_>) -> std::result::Result<bool, CursorError> {
                let w = &self.want[self.seen];
                self.seen += 1;
                let name = String::from_utf8_lossy(Alignment::qname(w)).into_owned();
                assert_eq!(Alignment::tid(g), Alignment::tid(w), "{name}");
                assert_eq!(Alignment::pos(g), Alignment::pos(w), "{name}");
                assert_eq!(Alignment::flags(g), Alignment::flags(w), "{name}");
                assert_eq!(Alignment::mapq(g), Alignment::mapq(w), "{name}");
                assert_eq!(Alignment::mtid(g), Alignment::mtid(w), "{name}");
                assert_eq!(Alignment::mpos(g), Alignment::mpos(w), "{name}");
                assert_eq!(Alignment::insert_size(g), Alignment::insert_size(w));
                assert_eq!(Alignment::qname(g), Alignment::qname(w));
                assert_eq!(Alignment::raw_cigar(g), Alignment::raw_cigar(w), "{name}");
                assert_eq!(Alignment::seq_encoded(g), Alignment::seq_encoded(w));
                assert_eq!(Alignment::seq_len(g), Alignment::seq_len(w), "{name}");
                assert_eq!(Alignment::qual(g), Alignment::qual(w), "{name}");
                for i in 0..Alignment::seq_len(w) {
                    assert_eq!(g.base(i), w.base(i), "{name} base {i}");
                }
                for tag in [b"NM", b"RG", b"XA", b"XB", b"XS", b"XF", b"MC"] {
                    assert_eq!(g.aux_value(tag), w.aux_value(tag), "{name} {tag:?}");
                }
                Ok(true)
            }
            fn other(&mut self, _: i32, _: i64) -> Result<bool> {
                unreachable!("one share holds every read")
            }
        }
        let mut blocks = BlockReader::open(&path, start >> 16, 1).unwrap();
        let mut cursor = RecordCursor::new((start & 0xffff) as usize);
        let mut check = Check {
            want: &want,
            seen: 0,
        };
        let mut buf = Vec::new();
        while let Some(seg) = blocks.next_segment().unwrap() {
            inflate(&seg, &mut buf, &path, true).unwrap();
            let data = &buf[..seg.inflated_len()];
            assert!(cursor.feed_share(data, Share::ALL, &mut check).unwrap());
        }
        assert_eq!(check.seen, want.len());
        assert!(want
            .iter()
            .any(|w| w.aux_value(b"XB") == Some(AuxValue::Other)));
        assert!(want
            .iter()
            .any(|w| w.aux_value(b"XA") == Some(AuxValue::Char(b'x'))));
    }

    #[test]
    fn bins_match_htslib() {
        // Values from htslib's hts_reg2bin(beg, end, 14, 5).
        assert_eq!(reg2bin(0, 1), 4681);
        assert_eq!(reg2bin(16_000, 16_150), 4681);
        assert_eq!(reg2bin(16_384, 16_450), 4682);
        assert_eq!(reg2bin(16_300, 16_450), 585);
        assert_eq!(reg2bin(0, 16_384), 4681);
        assert_eq!(reg2bin(16_383, 16_385), 585);
        assert_eq!(reg2bin(16_384, 16_569), 4682);
    }

    #[test]
    fn cg_tag_is_found_among_others() {
        let mut aux = Vec::new();
        aux.extend_from_slice(b"NMC\x02");
        aux.extend_from_slice(b"MDZ10A5\0");
        aux.extend_from_slice(b"CGBI\x01\0\0\0\x50\x01\0\0");
        assert!(find_aux(&aux, b"CG").is_some());
        assert!(find_aux(&aux[..12], b"CG").is_none());
    }
}
