//! Reading alignment files: checking them, finding the mitochondrial contig, naming the
//! clones, and opening one reader per work unit.

use crate::error::{Error, Result};
use crate::reference::{self, HG19_CHRM_LENGTH, MT_CONTIG_NAMES, MT_LENGTH, RCRS_MD5};
use rust_htslib::bam::{self, Read};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

pub(crate) mod bgzf;
mod names;
pub mod record;
pub use names::{sanitize_clone_name, SanitizedName};

/// Container format of an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Format {
    /// BAM.
    Bam,
    /// CRAM.
    Cram,
    /// Plain-text SAM.
    Sam,
}

/// How one multiplexed file is split into clones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitBy {
    /// One clone per read group ID (`RG` tag).
    ReadGroup,
    /// One clone per sample (`SM` of the read's read group).
    Sample,
    /// One clone per value of a two-letter tag, e.g. the cell barcode `CB`.
    Tag(String),
}

impl std::str::FromStr for SplitBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rg" => Ok(SplitBy::ReadGroup),
            "sm" => Ok(SplitBy::Sample),
            _ => match s.strip_prefix("tag:") {
                Some(t) if t.len() == 2 && t.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                    Ok(SplitBy::Tag(t.to_string()))
                }
                _ => Err(format!(
                    "'{s}' is not a split: use rg, sm or tag:XX with a two-letter tag (e.g. tag:CB)"
                )),
            },
        }
    }
}

impl fmt::Display for SplitBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitBy::ReadGroup => f.write_str("rg"),
            SplitBy::Sample => f.write_str("sm"),
            SplitBy::Tag(t) => write!(f, "tag:{t}"),
        }
    }
}

/// Options that decide how an input is opened.
#[derive(Clone, Debug, Default)]
pub struct InputOptions {
    /// Use this contig instead of detecting the mitochondrial one.
    pub contig: Option<String>,
    /// FASTA reference for CRAM input.
    pub reference: Option<PathBuf>,
    /// Split the file into clones.
    pub split_by: Option<SplitBy>,
}

/// Where a clone's name came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// The `SM` field of the file's read groups.
    ReadGroupSample,
    /// The file name without its extension.
    FileName,
    /// A read group ID (`--split-by rg`).
    ReadGroupId,
    /// A read group's sample (`--split-by sm`).
    SplitSample,
    /// A tag value (`--split-by tag:XX`).
    Tag(String),
}

/// What mitosieve learned about an input before counting.
#[derive(Clone, Debug)]
pub struct InputInfo {
    /// The file as given.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Whether an index was found (otherwise the file is streamed).
    pub indexed: bool,
    /// Target id of the mitochondrial contig.
    pub tid: u32,
    /// Its name in this file.
    pub contig: String,
    /// Read groups in the header: (ID, SM).
    pub read_groups: Vec<(String, Option<String>)>,
    /// Clone name when the file is not split.
    pub clone_name: String,
    /// Where that name came from.
    pub name_source: NameSource,
    /// Things the user should know (e.g. no index).
    pub warnings: Vec<String>,
    /// FASTA reference for CRAM.
    pub reference: Option<PathBuf>,
}

const FORMAT_SAM: u32 = 3;
const FORMAT_BAM: u32 = 4;
const FORMAT_CRAM: u32 = 6;

/// Check an input and find its mitochondrial contig.
pub fn inspect(path: &Path, opts: &InputOptions) -> Result<InputInfo> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, "cannot open", e))?;
    if meta.is_dir() {
        return Err(Error::NotAlignment {
            path: path.to_owned(),
            detail: "it is a directory".into(),
        });
    }
    let reader = bam::Reader::from_path(path).map_err(|_| Error::NotAlignment {
        path: path.to_owned(),
        detail: describe_content(path),
    })?;
    let fmt = unsafe { &*rust_htslib::htslib::hts_get_format(reader.htsfile()) };
    let format = match fmt.format {
        FORMAT_BAM => Format::Bam,
        FORMAT_CRAM => Format::Cram,
        FORMAT_SAM => Format::Sam,
        _ => {
            return Err(Error::NotAlignment {
                path: path.to_owned(),
                detail: describe_content(path),
            })
        }
    };
    if format == Format::Bam {
        let hts = unsafe { &*reader.htsfile() };
        let eof = unsafe { rust_htslib::htslib::bgzf_check_EOF(hts.fp.bgzf) };
        if eof == 0 {
            return Err(Error::corrupt(
                path,
                "truncated: the BGZF end-of-file marker is missing (an incomplete copy or download?); \
                 `samtools quickcheck` confirms it",
            ));
        }
    }
    let header = reader.header();
    let header_text = String::from_utf8_lossy(header.as_bytes()).into_owned();
    if format == Format::Sam && header.target_count() == 0 {
        return Err(Error::NotAlignment {
            path: path.to_owned(),
            detail: "text without a SAM header (@SQ lines)".into(),
        });
    }
    let (tid, contig) = find_mt_contig(path, header, &header_text, opts.contig.as_deref())?;

    let mut warnings = Vec::new();
    let reference = match format {
        Format::Cram => {
            let Some(fasta) = &opts.reference else {
                return Err(Error::Reference {
                    path: path.to_owned(),
                    detail: "CRAM input needs --reference <FASTA>, the reference it was compressed against".into(),
                });
            };
            check_cram_reference(path, fasta, &contig, &header_text)?;
            Some(fasta.clone())
        }
        _ => None,
    };
    let indexed = match format {
        Format::Sam => false,
        _ => {
            let mut r = bam::IndexedReader::from_path(path);
            if let (Ok(r), Some(fasta)) = (&mut r, &reference) {
                let _ = r.set_reference(fasta);
            }
            r.is_ok()
        }
    };
    if indexed && format == Format::Bam {
        check_bam_index(path, tid)?;
    }
    if !indexed {
        warnings.push(format!(
            "{}: no index found; reading the whole file (index it with `samtools index` to jump to {contig})",
            path.display()
        ));
    }

    let read_groups = parse_read_groups(&header_text);
    let (clone_name, name_source) =
        default_clone_name(path, &read_groups, opts.split_by.is_some())?;
    Ok(InputInfo {
        path: path.to_owned(),
        format,
        indexed,
        tid,
        contig,
        read_groups,
        clone_name,
        name_source,
        warnings,
        reference,
    })
}

/// A short description of what a non-alignment file seems to be.
fn describe_content(path: &Path) -> String {
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    if n == 0 {
        return "the file is empty".into();
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return "gzip data that htslib cannot read as BAM (truncated, corrupt or another gzipped format)".into();
    }
    if head.starts_with(b"CRAM") {
        return "a CRAM file htslib cannot read (truncated or corrupt?)".into();
    }
    if head.starts_with(b"@")
        && head.contains(&b'\n')
        && !head.starts_with(b"@HD")
        && !head.starts_with(b"@SQ")
    {
        return "it looks like FASTQ (unaligned reads); align them to rCRS first".into();
    }
    if head.starts_with(b">") {
        return "it looks like FASTA".into();
    }
    let printable = head
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    if printable {
        let first_line: String = String::from_utf8_lossy(head)
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(40)
            .collect();
        return format!("it is text starting with '{first_line}'");
    }
    "unrecognised binary content".into()
}

fn sq_field<'a>(header_text: &'a str, contig: &str, field: &str) -> Option<&'a str> {
    header_text
        .lines()
        .filter(|l| l.starts_with("@SQ\t"))
        .find(|l| l.split('\t').any(|f| f.strip_prefix("SN:") == Some(contig)))
        .and_then(|l| l.split('\t').find_map(|f| f.strip_prefix(field)))
}

/// Find the rCRS contig: by `--contig`, else by name and length.
fn find_mt_contig(
    path: &Path,
    header: &bam::HeaderView,
    header_text: &str,
    wanted: Option<&str>,
) -> Result<(u32, String)> {
    let names: Vec<String> = header
        .target_names()
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    let len_of = |tid: usize| header.target_len(tid as u32).unwrap_or(0);
    let tid = match wanted {
        Some(w) => names
            .iter()
            .position(|n| n == w)
            .ok_or_else(|| Error::NoMtContig {
                path: path.to_owned(),
                wanted: format!("'{w}' (from --contig)"),
                seen: list_some(&names),
            })?,
        None => {
            let by_name: Vec<usize> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| MT_CONTIG_NAMES.iter().any(|m| m.eq_ignore_ascii_case(n)))
                .map(|(i, _)| i)
                .collect();
            if let Some(&i) = by_name.iter().find(|&&i| len_of(i) == u64::from(MT_LENGTH)) {
                i
            } else if let Some(&i) = by_name.first() {
                i // wrong length: reported below with the reason
            } else if let Some(i) = (0..names.len()).find(|&i| {
                len_of(i) == u64::from(MT_LENGTH)
                    && sq_field(header_text, &names[i], "M5:")
                        .is_some_and(|m| m.eq_ignore_ascii_case(RCRS_MD5))
            }) {
                i // unusual name, but the header says it is rCRS
            } else {
                return Err(Error::NoMtContig {
                    path: path.to_owned(),
                    wanted: MT_CONTIG_NAMES.join(", "),
                    seen: list_some(&names),
                });
            }
        }
    };
    let contig = names[tid].clone();
    let len = len_of(tid);
    if len == u64::from(HG19_CHRM_LENGTH) {
        return Err(Error::Hg19ChrM {
            path: path.to_owned(),
            contig,
        });
    }
    if len != u64::from(MT_LENGTH) {
        return Err(Error::NotRcrs {
            path: path.to_owned(),
            contig,
            detail: format!(
                "is {len} bp, not the 16,569 bp of rCRS; mitosieve reports rCRS coordinates only"
            ),
        });
    }
    if let Some(m5) = sq_field(header_text, &contig, "M5:") {
        if !m5.eq_ignore_ascii_case(RCRS_MD5) {
            return Err(Error::NotRcrs {
                path: path.to_owned(),
                contig,
                detail: format!("has sequence md5 {m5} in the header, not rCRS ({RCRS_MD5})"),
            });
        }
    }
    Ok((tid as u32, contig))
}

fn list_some(names: &[String]) -> String {
    if names.is_empty() {
        return "no contigs".into();
    }
    let shown: Vec<&str> = names.iter().take(6).map(String::as_str).collect();
    if names.len() > 6 {
        format!("{} and {} more", shown.join(", "), names.len() - 6)
    } else {
        shown.join(", ")
    }
}

/// Check that a CRAM's reference FASTA holds rCRS under the contig's name.
fn check_cram_reference(path: &Path, fasta: &Path, contig: &str, header_text: &str) -> Result<()> {
    let reader = bio::io::fasta::Reader::from_file(fasta).map_err(|e| Error::Reference {
        path: fasta.to_owned(),
        detail: format!("cannot read the reference FASTA: {e}"),
    })?;
    for rec in reader.records() {
        let rec = rec.map_err(|e| Error::Reference {
            path: fasta.to_owned(),
            detail: format!("cannot read the reference FASTA: {e}"),
        })?;
        if rec.id() != contig {
            continue;
        }
        let seq: Vec<u8> = rec.seq().to_ascii_uppercase();
        let md5 = reference::md5_hex(&seq);
        let expected = sq_field(header_text, contig, "M5:").unwrap_or(RCRS_MD5);
        if !md5.eq_ignore_ascii_case(expected) {
            return Err(Error::Reference {
                path: path.to_owned(),
                detail: format!(
                    "the reference {} has a different '{contig}' (md5 {md5}) from the one the CRAM was made with (md5 {expected}); \
                     give the matching reference",
                    fasta.display()
                ),
            });
        }
        return Ok(());
    }
    Err(Error::Reference {
        path: path.to_owned(),
        detail: format!(
            "the reference {} has no sequence named '{contig}'",
            fasta.display()
        ),
    })
}

/// (ID, SM) of every `@RG` line.
pub fn parse_read_groups(header_text: &str) -> Vec<(String, Option<String>)> {
    header_text
        .lines()
        .filter(|l| l.starts_with("@RG\t"))
        .filter_map(|l| {
            let id = l.split('\t').find_map(|f| f.strip_prefix("ID:"))?;
            let sm = l.split('\t').find_map(|f| f.strip_prefix("SM:"));
            Some((id.to_string(), sm.map(str::to_string)))
        })
        .collect()
}

fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "clone".into());
    for ext in [".bam", ".cram", ".sam"] {
        if let Some(s) = name.strip_suffix(ext) {
            if !s.is_empty() {
                return s.to_string();
            }
        }
    }
    name
}

fn default_clone_name(
    path: &Path,
    read_groups: &[(String, Option<String>)],
    split: bool,
) -> Result<(String, NameSource)> {
    let mut samples: Vec<&str> = read_groups
        .iter()
        .filter_map(|(_, s)| s.as_deref())
        .collect();
    samples.sort_unstable();
    samples.dedup();
    match samples.as_slice() {
        [one] => Ok((one.to_string(), NameSource::ReadGroupSample)),
        [] => Ok((file_stem(path), NameSource::FileName)),
        many if !split => Err(Error::Config(format!(
            "{}: read groups name {} samples ({}); count them apart with --split-by sm, or together by renaming",
            path.display(),
            many.len(),
            many.iter()
                .take(5)
                .map(|s| s.escape_debug().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        _ => Ok((file_stem(path), NameSource::FileName)),
    }
}

/// Where the reads of the mt contig start in a BAM, as a BGZF virtual offset: through
/// the index (the first chunk of the contig), or right after the header (no index).
/// `None`: the index lists no read on the contig.
pub(crate) fn bam_mt_start(info: &InputInfo) -> Result<Option<u64>> {
    let hts = |e| Error::Hts {
        path: info.path.clone(),
        source: e,
    };
    if !info.indexed {
        let r = bam::Reader::from_path(&info.path).map_err(hts)?;
        return Ok(Some(r.tell() as u64));
    }
    Ok(index_mt_span(&info.path, info.tid)?.map(|(start, _)| start))
}

/// The smallest start and the largest end (BGZF virtual offsets) of the chunks the
/// BAM index at `path` lists for contig `tid`; `None` when it lists none.
fn index_mt_span(path: &Path, tid: u32) -> Result<Option<(u64, u64)>> {
    let hts = |e| Error::Hts {
        path: path.to_owned(),
        source: e,
    };
    let idx = bam::IndexedReader::from_path(path).map_err(hts)?;
    // SAFETY: the index pointer lives as long as `idx`; the iterator is checked for
    // null, read only within its `n_off` bounds and destroyed here.
    let span = unsafe {
        let itr = rust_htslib::htslib::sam_itr_queryi(
            idx.index().inner_ptr(),
            tid as i32,
            0,
            i64::from(MT_LENGTH),
        );
        if itr.is_null() {
            None
        } else {
            let n = usize::try_from((*itr).n_off).unwrap_or(0);
            let span = if n > 0 && !(*itr).off.is_null() {
                let chunks = std::slice::from_raw_parts((*itr).off, n);
                let start = chunks.iter().map(|o| o.u).min();
                let end = chunks.iter().map(|o| o.v).max();
                start.zip(end)
            } else {
                None
            };
            rust_htslib::htslib::hts_itr_destroy(itr);
            span
        }
    };
    Ok(span)
}

/// The index file htslib would use for `path` (`X.bam.bai`, `X.bam.csi`, `X.bai`,
/// `X.crai`), if one exists.
fn index_file(path: &Path) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    for ext in ["bai", "csi", "crai"] {
        let mut p = path.as_os_str().to_owned();
        p.push(".");
        p.push(ext);
        candidates.push(PathBuf::from(p));
        candidates.push(path.with_extension(ext));
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// Refuse a BAM index that belongs to another file (as after re-sorting or rewriting
/// a BAM without re-indexing it): the first read the index points to for the mt
/// contig must be a valid record on that contig. Without this check a stale index
/// reads as a corrupt BAM, or silently yields no reads.
fn check_bam_index(path: &Path, tid: u32) -> Result<()> {
    let index = index_file(path);
    let stale = |what: String| {
        let named = index
            .as_ref()
            .map_or_else(|| "its index".to_owned(), |i| i.display().to_string());
        let older = index
            .as_ref()
            .and_then(|i| {
                Some((
                    i.metadata().ok()?.modified().ok()?,
                    path.metadata().ok()?.modified().ok()?,
                ))
            })
            .is_some_and(|(i, d)| i < d);
        Error::StaleIndex {
            path: path.to_owned(),
            detail: format!(
                "{named} {what}{}; it was probably made for an earlier version of the file (re-sorted or rewritten without re-indexing). Re-index it with `samtools index {}`",
                if older { ", and it is older than the BAM" } else { "" },
                path.display()
            ),
        }
    };
    let Some((start, end)) = index_mt_span(path, tid)? else {
        return Ok(());
    };
    let len = path.metadata().map_or(u64::MAX, |m| m.len());
    if end >> 16 > len {
        return Err(stale(format!(
            "lists reads up to byte {} of a {len}-byte file",
            end >> 16
        )));
    }
    if !is_block_start(path, end >> 16, len) {
        return Err(stale(format!(
            "says the mt contig's reads end in a compressed block at byte {}, where this file has no block",
            end >> 16
        )));
    }
    match first_record_tid(path, start) {
        Ok(Some(t)) if t == tid as i32 => Ok(()),
        Ok(Some(t)) => Err(stale(format!(
            "points to a read on contig #{t} where the mt contig's reads should start"
        ))),
        Ok(None) => Err(stale("points past the end of the file".into())),
        Err(e) => Err(stale(format!(
            "points to byte {}, where this file has no valid read ({e})",
            start >> 16
        ))),
    }
}

/// Whether a BGZF block starts at byte `offset` of the file at `path` (or `offset` is
/// its end).
fn is_block_start(path: &Path, offset: u64, len: u64) -> bool {
    use std::io::{Seek, SeekFrom};
    if offset == len {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| {
            f.seek(SeekFrom::Start(offset))?;
            f.read_exact(&mut magic)
        })
        .is_ok_and(|()| magic == [0x1f, 0x8b, 8, 4])
}

/// The contig (tid) of the record at BGZF virtual offset `voffset` of the BAM at
/// `path`; `None` when the offset lies past the end of the file.
fn first_record_tid(path: &Path, voffset: u64) -> std::result::Result<Option<i32>, String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    let (coffset, uoffset) = (voffset >> 16, (voffset & 0xffff) as usize);
    if coffset >= len {
        return Ok(None);
    }
    // A few 128-KiB segments at most: the record may start near a block end.
    let mut blocks = bgzf::BlockReader::open(path, coffset, 1 << 17).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut cursor = bgzf::RecordCursor::new(uoffset);
    let mut rec = bam::Record::new();
    let mut tid = None;
    for _ in 0..4 {
        let Some(seg) = blocks.next_segment().map_err(|e| e.to_string())? else {
            break;
        };
        bgzf::inflate(&seg, &mut buf, path, false).map_err(|e| e.to_string())?;
        let mut take = |r: &bam::Record| {
            tid = Some(r.tid());
            Ok(false)
        };
        match cursor.feed(&buf[..seg.inflated_len()], &mut rec, &mut take) {
            Ok(_) if tid.is_some() => break,
            Ok(_) => {}
            Err(bgzf::CursorError::Decode(e)) => return Err(e.to_string()),
            Err(bgzf::CursorError::Count(e)) => return Err(e.to_string()),
        }
    }
    Ok(tid)
}

/// One reader over an input through htslib: indexed (jumping to a region) or streamed.
/// (BAM input is read by [`bgzf`] unless `--window` asks for window readers.)
pub(crate) enum AlignmentReader {
    Indexed(bam::IndexedReader),
    Stream(bam::Reader),
}

impl AlignmentReader {
    /// Open `info` for the zero-based half-open region `[start, end)` of its mt contig
    /// (indexed), or the whole file (not indexed). `threads`: decoding threads of
    /// htslib's own (0 or 1: none; CRAM slices and BGZF blocks are decoded in parallel
    /// with more). `need_nm`: the `NM` tag is read (a `--max-nm` filter); otherwise a
    /// CRAM's `MD` and `NM`, which htslib rebuilds against the reference for every
    /// read, are not.
    pub fn open(
        info: &InputInfo,
        start: u32,
        end: u32,
        threads: usize,
        need_nm: bool,
    ) -> Result<Self> {
        let hts = |e| Error::Hts {
            path: info.path.clone(),
            source: e,
        };
        let mut reader = if info.indexed {
            let mut r = bam::IndexedReader::from_path(&info.path).map_err(hts)?;
            if let Some(fasta) = &info.reference {
                r.set_reference(fasta).map_err(hts)?;
            }
            r.fetch((info.tid as i32, i64::from(start), i64::from(end)))
                .map_err(hts)?;
            AlignmentReader::Indexed(r)
        } else {
            let mut r = bam::Reader::from_path(&info.path).map_err(hts)?;
            if let Some(fasta) = &info.reference {
                r.set_reference(fasta).map_err(hts)?;
            }
            AlignmentReader::Stream(r)
        };
        if threads > 1 {
            match &mut reader {
                AlignmentReader::Indexed(r) => r.set_threads(threads),
                AlignmentReader::Stream(r) => r.set_threads(threads),
            }
            .map_err(hts)?;
        }
        if info.format == Format::Cram && !need_nm {
            let fp = match &reader {
                AlignmentReader::Indexed(r) => r.htsfile(),
                AlignmentReader::Stream(r) => r.htsfile(),
            };
            // SAFETY: `fp` is the open htsFile of `reader`; CRAM_OPT_DECODE_MD takes
            // one int. A failure leaves htslib's default (MD/NM rebuilt), which only
            // costs time.
            unsafe {
                rust_htslib::htslib::hts_set_opt(
                    fp,
                    rust_htslib::htslib::hts_fmt_option_CRAM_OPT_DECODE_MD,
                    0 as std::os::raw::c_int,
                );
            }
        }
        Ok(reader)
    }

    /// Read the next record; `None` at the end.
    #[inline]
    pub fn read(&mut self, rec: &mut bam::Record) -> Option<rust_htslib::errors::Result<()>> {
        match self {
            AlignmentReader::Indexed(r) => r.read(rec),
            AlignmentReader::Stream(r) => r.read(rec),
        }
    }
}
