//! Writing BAM by hand: records encoded straight into bytes (SAM spec §4.2) and
//! compressed with htslib's BGZF writer, whose close reports errors (rust-htslib's
//! writers close in `Drop` and lose them). Blocks are cut as htslib cuts them (a record
//! never straddles two blocks when it fits in one), so the bytes are what `samtools`
//! would write, independent of the number of compression threads.

use crate::error::{Error, Result};
use crate::input::bgzf::reg2bin;
use rust_htslib::htslib;
use std::ffi::CString;
use std::path::{Path, PathBuf};

/// CIGAR operation codes (SAM spec).
pub(crate) const CIGAR_M: u32 = 0;
pub(crate) const CIGAR_S: u32 = 4;
pub(crate) const CIGAR_H: u32 = 5;

/// A BGZF file being written through htslib's `bgzf`, with compression threads. Not
/// [`crate::output::BgzfWriter`] (pure Rust, one thread, for the small text outputs):
/// simulated BAMs run to hundreds of MB, which htslib compresses in parallel, and the
/// committed test plate is byte-for-byte this writer's output.
pub(crate) struct HtsBgzfWriter {
    fp: *mut htslib::BGZF,
    path: PathBuf,
}

impl HtsBgzfWriter {
    /// Create `path` (compression level 6), with `threads` extra compression threads.
    pub(crate) fn create(path: &Path, threads: usize) -> Result<Self> {
        let c_path = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| {
            Error::Input(format!("{}: the path contains a NUL byte", path.display()))
        })?;
        // SAFETY: both arguments are valid NUL-terminated strings.
        let fp = unsafe { htslib::bgzf_open(c_path.as_ptr(), c"w6".as_ptr()) };
        if fp.is_null() {
            return Err(Error::io(
                path,
                "cannot create",
                std::io::Error::last_os_error(),
            ));
        }
        let w = HtsBgzfWriter {
            fp,
            path: path.to_owned(),
        };
        if threads > 0 {
            let n = i32::try_from(threads).unwrap_or(i32::MAX);
            // SAFETY: fp is an open BGZF handle owned by `w`.
            if unsafe { htslib::bgzf_mt(w.fp, n, 256) } != 0 {
                return Err(w.failed("cannot start compression threads"));
            }
        }
        Ok(w)
    }

    fn failed(&self, what: &str) -> Error {
        Error::io(
            &self.path,
            "cannot write",
            std::io::Error::other(what.to_string()),
        )
    }

    /// Write bytes as they come (may straddle blocks).
    pub(crate) fn write(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: fp is open; data is a valid slice.
        let n = unsafe { htslib::bgzf_write(self.fp, data.as_ptr().cast(), data.len()) };
        if n < 0 || n as usize != data.len() {
            return Err(self.failed("BGZF write failed (disk full?)"));
        }
        Ok(())
    }

    /// Write one encoded record, starting a new block first if it would not fit in the
    /// current one (as htslib's `bam_write1` does).
    pub(crate) fn write_record(&mut self, record: &[u8]) -> Result<()> {
        let len = isize::try_from(record.len()).unwrap_or(isize::MAX);
        // SAFETY: fp is open.
        if unsafe { htslib::bgzf_flush_try(self.fp, len) } < 0 {
            return Err(self.failed("BGZF flush failed (disk full?)"));
        }
        self.write(record)
    }

    /// Close the current block.
    pub(crate) fn flush(&mut self) -> Result<()> {
        // SAFETY: fp is open.
        if unsafe { htslib::bgzf_flush(self.fp) } != 0 {
            return Err(self.failed("BGZF flush failed (disk full?)"));
        }
        Ok(())
    }

    /// Write the last block and the end-of-file marker, and close.
    pub(crate) fn close(mut self) -> Result<()> {
        let fp = std::mem::replace(&mut self.fp, std::ptr::null_mut());
        // SAFETY: fp was open and is closed exactly once (Drop sees null).
        if unsafe { htslib::bgzf_close(fp) } != 0 {
            return Err(self.failed("closing the BGZF file failed (disk full?)"));
        }
        Ok(())
    }
}

impl Drop for HtsBgzfWriter {
    fn drop(&mut self) {
        if !self.fp.is_null() {
            // SAFETY: fp is open and not used again. The file is abandoned (an error
            // is already being returned), so the close result does not matter.
            unsafe {
                htslib::bgzf_close(self.fp);
            }
        }
    }
}

/// The binary BAM header: magic, SAM header text, and one reference.
pub(crate) fn header_bytes(text: &str, contig: &str, length: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + contig.len() + 32);
    out.extend_from_slice(b"BAM\x01");
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(contig.len() as u32 + 1).to_le_bytes());
    out.extend_from_slice(contig.as_bytes());
    out.push(0);
    out.extend_from_slice(&length.to_le_bytes());
    out
}

/// 4-bit code of a base (`=ACMGRSVTWYHKDBN`); anything unknown is N.
fn base_code(b: u8) -> u8 {
    match b {
        b'A' => 1,
        b'C' => 2,
        b'G' => 4,
        b'T' => 8,
        _ => 15,
    }
}

/// Fields of one alignment record (single reference, tid 0; mate on the same contig).
pub(crate) struct RecordFields<'a> {
    pub qname: &'a [u8],
    pub flags: u16,
    /// 0-based leftmost aligned position.
    pub pos: u32,
    /// Reference bases covered.
    pub ref_len: u32,
    pub mapq: u8,
    /// Encoded CIGAR operations (`len << 4 | op`).
    pub cigar: &'a [u32],
    /// 0-based position of the mate's primary alignment.
    pub mate_pos: u32,
    pub tlen: i32,
    pub seq: &'a [u8],
    /// Phred qualities without offset.
    pub qual: &'a [u8],
    /// Encoded optional fields.
    pub tags: &'a [u8],
}

/// Append one record (with its `block_size` prefix) to `out`.
pub(crate) fn encode_record(out: &mut Vec<u8>, r: &RecordFields<'_>) {
    let l_seq = r.seq.len();
    let block =
        32 + r.qname.len() + 1 + 4 * r.cigar.len() + l_seq.div_ceil(2) + l_seq + r.tags.len();
    out.reserve(block + 4);
    out.extend_from_slice(&(block as u32).to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // refID
    out.extend_from_slice(&(r.pos as i32).to_le_bytes());
    out.push((r.qname.len() + 1) as u8);
    out.push(r.mapq);
    // (An alignment of no reference length is binned as one of length 1.)
    let bin = reg2bin(i64::from(r.pos), i64::from(r.pos + r.ref_len.max(1)));
    out.extend_from_slice(&bin.to_le_bytes());
    out.extend_from_slice(&(r.cigar.len() as u16).to_le_bytes());
    out.extend_from_slice(&r.flags.to_le_bytes());
    out.extend_from_slice(&(l_seq as u32).to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // next refID
    out.extend_from_slice(&(r.mate_pos as i32).to_le_bytes());
    out.extend_from_slice(&r.tlen.to_le_bytes());
    out.extend_from_slice(r.qname);
    out.push(0);
    for c in r.cigar {
        out.extend_from_slice(&c.to_le_bytes());
    }
    for pair in r.seq.chunks(2) {
        let hi = base_code(pair[0]) << 4;
        let lo = pair.get(1).map_or(0, |&b| base_code(b));
        out.push(hi | lo);
    }
    out.extend_from_slice(r.qual);
    out.extend_from_slice(r.tags);
}

/// Append a `Z` (string) optional field.
pub(crate) fn tag_string(out: &mut Vec<u8>, tag: &[u8; 2], value: &[u8]) {
    out.extend_from_slice(tag);
    out.push(b'Z');
    out.extend_from_slice(value);
    out.push(0);
}

/// Append an integer optional field in the smallest type that holds it (as htslib and
/// bwa do).
pub(crate) fn tag_uint(out: &mut Vec<u8>, tag: &[u8; 2], value: u32) {
    out.extend_from_slice(tag);
    if let Ok(v) = u8::try_from(value) {
        out.push(b'C');
        out.push(v);
    } else if let Ok(v) = u16::try_from(value) {
        out.push(b'S');
        out.extend_from_slice(&v.to_le_bytes());
    } else {
        out.push(b'I');
        out.extend_from_slice(&value.to_le_bytes());
    }
}

/// The length of the record at the start of `blob` (including its `block_size`).
pub(crate) fn record_len(blob: &[u8]) -> Option<usize> {
    let size: [u8; 4] = blob.get(..4)?.try_into().ok()?;
    Some(4 + u32::from_le_bytes(size) as usize)
}

/// Check that a finished BGZF file ends with the end-of-file block.
pub(crate) fn check_eof(path: &Path) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, "cannot reopen", e))?;
    let mut tail = [0u8; 28];
    f.seek(SeekFrom::End(-28))
        .and_then(|_| f.read_exact(&mut tail))
        .map_err(|e| Error::io(path, "cannot read back", e))?;
    if tail != crate::output::BGZF_EOF {
        return Err(Error::corrupt(
            path,
            "written BAM lacks its end-of-file block (was the disk full?)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_tags_use_the_smallest_type() {
        let mut v = Vec::new();
        tag_uint(&mut v, b"NM", 3);
        tag_uint(&mut v, b"XX", 300);
        assert_eq!(v, [b'N', b'M', b'C', 3, b'X', b'X', b'S', 44, 1]);
    }
}
