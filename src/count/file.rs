//! The counts file, `<clone>.counts.tsv.gz`: mitosieve's interchange format between
//! `count` and `call` (and between the scatter and gather steps of a cluster workflow).
//!
//! BGZF-compressed text; `##` lines carry the format version, the clone, the reference
//! and the settings that shaped the counts; a `#` line names the columns; then one row per
//! position 1..16569. Every column is documented in the README.
//!
//! [`write`](fn@write) and [`read`] round-trip exactly; [`read`] refuses other format versions,
//! other references and damaged files with an error that names the file and line.
//!
//! ```
//! use mitosieve::count::file::{read, render, write, CountsHeader, FORMAT_VERSION};
//! use mitosieve::count::{CountConfig, CountSettings, Counts, FWD, REV};
//! use mitosieve::reference::RCRS_MD5;
//!
//! let mut counts = Counts::new();
//! counts.sites_mut()[3242].n[FWD][2] = 7; // 7 forward G at m.3243 (0-based 3242)
//! counts.sites_mut()[3242].n[REV][0] = 5; // 5 reverse A
//! let header = CountsHeader {
//!     format_version: FORMAT_VERSION,
//!     mitosieve_version: mitosieve::VERSION.into(),
//!     clone: "clone01".into(),
//!     input: "clone01.bam".into(),
//!     contig: "chrM".into(),
//!     reference_md5: RCRS_MD5.into(),
//!     settings: CountSettings::from_config(&CountConfig::default()),
//! };
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("clone01.counts.tsv.gz");
//! write(&path, &header, &counts)?;
//! let back = read(&path)?;
//! assert_eq!((back.header, back.counts), (header.clone(), counts.clone()));
//!
//! let text = render(&header, &counts);
//! assert!(text.starts_with("##mitosieve-counts=1\n"));
//! assert!(text.lines().any(|l| l.starts_with("3243\tA\t0\t5\t0\t0\t7\t0\t")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::counts::{Counts, IndelKey, IndelMap, SiteCounts, FWD, INS, LOWQ, REV};
use super::summary::CountSettings;
use crate::error::{Error, Result};
use crate::output::{AtomicFile, BgzfWriter};
use crate::reference::{rcrs, MT_LENGTH, RCRS_MD5};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read as _};
use std::path::Path;

/// Version of the counts format written by this build; `call` refuses other versions.
pub const FORMAT_VERSION: u32 = 1;

/// At most this many indel events are listed per position (most frequent first).
pub const MAX_INDELS_LISTED: usize = 16;

/// Longest line the reader accepts: rows are short, but an insertion event is listed
/// with its sequence, which a long read can make long.
const MAX_LINE: u64 = 64 << 20;

/// Most `##` lines other than deletion evidence.
const MAX_META_LINES: usize = 10_000;

/// Text from a file, quoted, escaped and shortened for an error message.
fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(60).flat_map(char::escape_debug).collect();
    if s.chars().nth(60).is_some() {
        out.push_str("...");
    }
    format!("'{out}'")
}

/// Column names, in order.
pub const COLUMNS: &[&str] = &[
    "pos",
    "ref",
    "A_fwd",
    "A_rev",
    "C_fwd",
    "C_rev",
    "G_fwd",
    "G_rev",
    "T_fwd",
    "T_rev",
    "N_fwd",
    "N_rev",
    "del_fwd",
    "del_rev",
    "ins_fwd",
    "ins_rev",
    "lowq_fwd",
    "lowq_rev",
    "depth",
    "bq_A_fwd",
    "bq_A_rev",
    "bq_C_fwd",
    "bq_C_rev",
    "bq_G_fwd",
    "bq_G_rev",
    "bq_T_fwd",
    "bq_T_rev",
    "bq_N_fwd",
    "bq_N_rev",
    "mate_other_contig",
    "read_starts",
    "read_ends",
    "indels",
];

/// What a counts file says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountsHeader {
    /// Format version.
    pub format_version: u32,
    /// mitosieve version that wrote it.
    pub mitosieve_version: String,
    /// Clone name.
    pub clone: String,
    /// The input it was counted from.
    pub input: String,
    /// Contig name in that input.
    pub contig: String,
    /// MD5 of the reference sequence (always rCRS's).
    pub reference_md5: String,
    /// Settings that shaped the counts.
    pub settings: CountSettings,
}

impl CountsHeader {
    /// The header for a freshly counted clone.
    pub fn for_clone(c: &super::CloneCounts) -> Self {
        Self::new(
            &c.name,
            &c.summary.input,
            &c.summary.contig,
            c.summary.settings.clone(),
        )
    }

    /// The header of clone `clone` counted by this version of mitosieve from `input`
    /// (whose mitochondrial contig is `contig`) with `settings`.
    pub fn new(clone: &str, input: &str, contig: &str, settings: CountSettings) -> Self {
        CountsHeader {
            format_version: FORMAT_VERSION,
            mitosieve_version: crate::VERSION.to_string(),
            clone: clone.to_string(),
            input: input.to_string(),
            contig: contig.to_string(),
            reference_md5: RCRS_MD5.to_string(),
            settings,
        }
    }
}

/// A counts file read back.
#[derive(Clone, Debug)]
pub struct CountsFile {
    /// Its header.
    pub header: CountsHeader,
    /// Its counts.
    pub counts: Counts,
}

/// Render the counts as text (uncompressed).
pub fn render(header: &CountsHeader, counts: &Counts) -> String {
    let mut out = String::with_capacity(2 << 20);
    let settings = serde_json::to_string(&header.settings).unwrap_or_default();
    let _ = writeln!(out, "##mitosieve-counts={}", header.format_version);
    let _ = writeln!(out, "##mitosieve_version={}", header.mitosieve_version);
    let _ = writeln!(out, "##clone={}", header.clone);
    let _ = writeln!(out, "##input={}", header.input);
    let _ = writeln!(out, "##contig={}", header.contig);
    let _ = writeln!(
        out,
        "##reference=rCRS;length={MT_LENGTH};md5={}",
        header.reference_md5
    );
    let _ = writeln!(out, "##settings={settings}");
    for l in counts.junctions().header_lines() {
        out.push_str(&l);
        out.push('\n');
    }
    out.push('#');
    out.push_str(&COLUMNS.join("\t"));
    out.push('\n');
    let by_anchor = counts.indels_by_anchor();
    let mut num = itoa::Buffer::new();
    for (i, s) in counts.sites().iter().enumerate() {
        out.push_str(num.format(i + 1));
        out.push('\t');
        out.push(rcrs()[i] as char);
        let mut field = |n: u64| {
            out.push('\t');
            out.push_str(num.format(n));
        };
        for a in 0..6 {
            field(u64::from(s.n[FWD][a]));
            field(u64::from(s.n[REV][a]));
        }
        for n in [
            s.n[FWD][INS],
            s.n[REV][INS],
            s.n[FWD][LOWQ],
            s.n[REV][LOWQ],
            s.depth(),
        ] {
            field(u64::from(n));
        }
        for a in 0..5 {
            field(s.qsum[FWD][a]);
            field(s.qsum[REV][a]);
        }
        for n in [s.mate_other_contig, s.read_starts, s.read_ends] {
            field(u64::from(n));
        }
        out.push('\t');
        let events = &by_anchor[i];
        if events.is_empty() {
            out.push('.');
        } else {
            for (k, (key, c)) in events.iter().take(MAX_INDELS_LISTED).enumerate() {
                if k > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{}:{}:{}", key.notation(), c[0], c[1]);
            }
        }
        out.push('\n');
    }
    out
}

/// Write a counts file (BGZF), atomically.
pub fn write(path: &Path, header: &CountsHeader, counts: &Counts) -> Result<()> {
    let text = render(header, counts);
    let file = AtomicFile::create(path)?;
    let mut w = BgzfWriter::new(file);
    w.write_all_parallel(text.as_bytes())
        .map_err(|e| Error::io(path, "cannot write", e))?;
    let file = w.finish().map_err(|e| Error::io(path, "cannot write", e))?;
    file.commit()
}

/// Read a counts file (BGZF, gzip or plain text).
pub fn read(path: &Path) -> Result<CountsFile> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, "cannot open", e))?;
    let mut head = [0u8; 2];
    let gz = {
        use std::io::Read;
        let mut probe = std::fs::File::open(path).map_err(|e| Error::io(path, "cannot open", e))?;
        probe
            .read(&mut head)
            .map_err(|e| Error::io(path, "cannot read", e))?
            == 2
            && head == [0x1f, 0x8b]
    };
    let reader: Box<dyn BufRead> = if gz {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(f)))
    } else {
        Box::new(BufReader::new(f))
    };
    parse(path, reader)
}

/// Read a counts file held in memory (BGZF, gzip or plain text); `path` only names it
/// in errors.
pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<CountsFile> {
    let reader: Box<dyn BufRead + '_> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(bytes)))
    } else {
        Box::new(bytes)
    };
    parse(path, reader)
}

fn parse(path: &Path, reader: Box<dyn BufRead + '_>) -> Result<CountsFile> {
    let perr = |line: usize, d: String| Error::parse(path, line, d);
    let mut meta: Vec<(String, String)> = Vec::new();
    let mut sites = vec![SiteCounts::default(); MT_LENGTH as usize];
    let mut indels = IndelMap::new();
    let mut junctions = crate::deletion::JunctionEvidence::default();
    let mut header_seen = false;
    let mut rows = 0usize;
    let mut reader = reader;
    let mut buf = Vec::new();
    let mut ln = 0usize;
    loop {
        // One line at a time, at most MAX_LINE bytes: a damaged or hostile file cannot
        // make the reader hold more than that.
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| {
                Error::corrupt(
                    path,
                    format!(
                        "cannot read line {} (truncated or corrupt compressed data?): {e}",
                        ln + 1
                    ),
                )
            })?;
        if n == 0 {
            break;
        }
        ln += 1;
        if buf.len() as u64 > MAX_LINE {
            return Err(perr(
                ln,
                format!("line longer than {MAX_LINE} bytes: not a mitosieve counts file"),
            ));
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        let line = std::str::from_utf8(&buf)
            .map_err(|_| perr(ln, "not UTF-8 text: not a mitosieve counts file".into()))?;
        if ln == 1 && !line.starts_with("##mitosieve-counts=") {
            return Err(perr(
                ln,
                "not a mitosieve counts file (first line must be ##mitosieve-counts=<version>)"
                    .into(),
            ));
        }
        if let Some(m) = line.strip_prefix("##") {
            let (k, v) = m
                .split_once('=')
                .ok_or_else(|| perr(ln, format!("malformed header line {}", shown(line))))?;
            if !junctions.parse_header_line(k, v).map_err(|e| perr(ln, e))? {
                if meta.len() >= MAX_META_LINES {
                    return Err(perr(ln, format!("more than {MAX_META_LINES} header lines")));
                }
                meta.push((k.to_string(), v.to_string()));
            }
            continue;
        }
        if let Some(h) = line.strip_prefix('#') {
            if h.split('\t').ne(COLUMNS.iter().copied()) {
                return Err(perr(
                    ln,
                    "unexpected column names (written by another format version?)".into(),
                ));
            }
            header_seen = true;
            continue;
        }
        if !header_seen {
            return Err(perr(ln, "data before the #pos column line".into()));
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != COLUMNS.len() {
            return Err(perr(
                ln,
                format!("{} columns, expected {}", f.len(), COLUMNS.len()),
            ));
        }
        rows += 1;
        let pos: usize = f[0]
            .parse()
            .map_err(|_| perr(ln, format!("bad position {}", shown(f[0]))))?;
        if pos != rows || pos > MT_LENGTH as usize {
            return Err(perr(
                ln,
                format!("position {pos} out of order (expected {rows})"),
            ));
        }
        if f[1].as_bytes() != [rcrs()[pos - 1]] {
            return Err(perr(
                ln,
                format!("reference base {} at {pos} is not rCRS's", shown(f[1])),
            ));
        }
        let num = |i: usize| -> Result<u64> {
            f[i].parse::<u64>().map_err(|_| {
                perr(
                    ln,
                    format!("column {} is not a count: {}", COLUMNS[i], shown(f[i])),
                )
            })
        };
        let small = |i: usize| -> Result<u32> {
            u32::try_from(num(i)?).map_err(|_| perr(ln, format!("column {} too large", COLUMNS[i])))
        };
        let s = &mut sites[pos - 1];
        for a in 0..6 {
            s.n[FWD][a] = small(2 + 2 * a)?;
            s.n[REV][a] = small(3 + 2 * a)?;
        }
        s.n[FWD][INS] = small(14)?;
        s.n[REV][INS] = small(15)?;
        s.n[FWD][LOWQ] = small(16)?;
        s.n[REV][LOWQ] = small(17)?;
        // Sums over strands and alleles must fit the counters that hold them.
        let depth: u64 =
            s.n.iter()
                .flat_map(|n| &n[..6])
                .map(|&c| u64::from(c))
                .sum();
        for (what, sum) in [
            ("depth", depth),
            ("ins", u64::from(s.n[FWD][INS]) + u64::from(s.n[REV][INS])),
            (
                "lowq",
                u64::from(s.n[FWD][LOWQ]) + u64::from(s.n[REV][LOWQ]),
            ),
        ] {
            if sum > u64::from(u32::MAX) {
                return Err(perr(ln, format!("{what} {sum} is too large")));
            }
        }
        if depth != num(18)? {
            return Err(perr(
                ln,
                format!(
                    "depth {} does not equal the sum of its alleles ({depth})",
                    f[18]
                ),
            ));
        }
        for a in 0..5 {
            s.qsum[FWD][a] = num(19 + 2 * a)?;
            s.qsum[REV][a] = num(20 + 2 * a)?;
            if s.qsum[FWD][a].checked_add(s.qsum[REV][a]).is_none() {
                return Err(perr(
                    ln,
                    format!("quality sums of {} too large", COLUMNS[19 + 2 * a]),
                ));
            }
        }
        s.mate_other_contig = small(29)?;
        s.read_starts = small(30)?;
        s.read_ends = small(31)?;
        if f[32] != "." {
            if f[32].split(',').nth(MAX_INDELS_LISTED).is_some() {
                return Err(perr(
                    ln,
                    format!("more than {MAX_INDELS_LISTED} indel events listed"),
                ));
            }
            for ev in f[32].split(',') {
                let mut parts = ev.rsplitn(3, ':');
                let (rev, fwd, key) = (parts.next(), parts.next(), parts.next());
                let (Some(rev), Some(fwd), Some(key)) = (rev, fwd, key) else {
                    return Err(perr(ln, format!("malformed indel event {}", shown(ev))));
                };
                let key = IndelKey::parse(key)
                    .ok_or_else(|| perr(ln, format!("malformed indel {}", shown(key))))?;
                let c = [
                    fwd.parse()
                        .map_err(|_| perr(ln, format!("malformed indel count {}", shown(ev))))?,
                    rev.parse()
                        .map_err(|_| perr(ln, format!("malformed indel count {}", shown(ev))))?,
                ];
                indels.insert(((pos - 1) as u32, key), c);
            }
        }
    }
    if rows != MT_LENGTH as usize {
        return Err(Error::corrupt(
            path,
            format!("{rows} positions, expected {MT_LENGTH} (truncated file?)"),
        ));
    }
    let get = |k: &str| meta.iter().find(|(m, _)| m == k).map(|(_, v)| v.clone());
    let need = |k: &str| {
        get(k).ok_or_else(|| Error::parse(path, 0, format!("header line ##{k}= is missing")))
    };
    let format_version: u32 = need("mitosieve-counts")?
        .parse()
        .map_err(|_| Error::parse(path, 1, "bad format version"))?;
    if format_version != FORMAT_VERSION {
        return Err(Error::Incompatible {
            path: path.to_owned(),
            detail: format!(
                "counts format version {format_version}, but this mitosieve reads version {FORMAT_VERSION}; recount with this version"
            ),
        });
    }
    let reference = need("reference")?;
    let reference_md5 = reference
        .split(';')
        .find_map(|f| f.strip_prefix("md5="))
        .unwrap_or("")
        .to_string();
    if reference_md5 != RCRS_MD5 {
        return Err(Error::Incompatible {
            path: path.to_owned(),
            detail: format!("reference md5 {reference_md5} is not rCRS ({RCRS_MD5})"),
        });
    }
    let settings: CountSettings = serde_json::from_str(&need("settings")?)
        .map_err(|e| Error::parse(path, 0, format!("##settings is not valid: {e}")))?;
    let clone = need("clone")?;
    if crate::input::sanitize_clone_name(&clone).original.is_some() {
        // mitosieve writes only safe names: this one was edited, or forged.
        return Err(Error::parse(
            path,
            0,
            format!(
                "clone name {clone:?} is not safe as a file or sample name \
                 (letters, digits, '.', '_', '-', '+' only, not starting with '.'); fix the ##clone= line"
            ),
        ));
    }
    let header = CountsHeader {
        format_version,
        mitosieve_version: need("mitosieve_version")?,
        clone,
        input: get("input").unwrap_or_default(),
        contig: get("contig").unwrap_or_default(),
        reference_md5,
        settings,
    };
    let counts = Counts::from_parts(sites, indels, junctions).expect("16569 sites");
    Ok(CountsFile { header, counts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::CountConfig;

    fn header() -> CountsHeader {
        CountsHeader {
            format_version: FORMAT_VERSION,
            mitosieve_version: "test".into(),
            clone: "c1".into(),
            input: "c1.bam".into(),
            contig: "chrM".into(),
            reference_md5: RCRS_MD5.into(),
            settings: CountSettings::from_config(&CountConfig::default()),
        }
    }

    #[test]
    fn round_trip() {
        let mut counts = Counts::new();
        {
            let sites = counts.sites_mut();
            sites[0].n[FWD][0] = 7;
            sites[0].qsum[FWD][0] = 210;
            sites[16568].n[REV][5] = 3;
            sites[100].n[REV][LOWQ] = 2;
            sites[100].mate_other_contig = 1;
            sites[100].read_starts = 4;
            sites[250].read_ends = 4;
        }
        counts.add_indel(99, IndelKey::Ins(b"CA".to_vec()), [2, 1]);
        counts.add_indel(99, IndelKey::Del(4), [0, 5]);
        let mut j = crate::deletion::JunctionEvidence::default();
        j.add_junction(
            crate::deletion::JunctionKey {
                left: 8468,
                right: 13446,
                kind: crate::deletion::JunctionKind::Split,
            },
            0,
            3,
        );
        counts.add_junctions(j);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c1.counts.tsv.gz");
        write(&p, &header(), &counts).unwrap();
        let back = read(&p).unwrap();
        assert_eq!(back.header, header());
        assert_eq!(back.counts, counts);
    }

    #[test]
    fn refuses_other_versions_and_truncation() {
        let text = render(&header(), &Counts::new());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.tsv");
        std::fs::write(
            &p,
            text.replace("##mitosieve-counts=1", "##mitosieve-counts=9"),
        )
        .unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.contains("version 9"), "{e}");
        let cut: String = text.lines().take(5000).map(|l| format!("{l}\n")).collect();
        std::fs::write(&p, cut).unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        std::fs::write(&p, "hello\n").unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.contains(":1: not a mitosieve counts file"), "{e}");
    }
}
