//! Helpers shared by the integration tests of `mitosieve count`: the binary, the real
//! test data (`$MITOSIEVE_TEST_DATA`), SAM text turned into sorted and indexed BAM,
//! running the binary, reading counts files, `samtools mpileup` parsing, and a slow
//! counting oracle ([`oracle`]) that is written independently of `src/count/walker.rs`.
//!
//! Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub mod oracle;

use mitosieve::count::file::{self, CountsFile};
use mitosieve::count::{Counts, IndelKey, SiteCounts, FWD, REV};
use rust_htslib::bam::{self, Read};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Length of rCRS.
pub const MT_LEN: usize = 16_569;

/// The `mitosieve` binary built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mitosieve"))
}

/// Print a line that the test harness does not capture (so a SKIP is always visible).
pub fn note(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// Whether the tests run in CI (`CI=true`, as `.ci/run` sets it): there a test never
/// skips, so a green CI means every test ran.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Skip (part of) `test` because of `why`: a SKIP line that the harness does not
/// capture, and the caller returns. In CI the test fails instead.
pub fn skip(test: &str, why: &str) {
    assert!(
        !in_ci(),
        "{test}: {why}; in CI (CI=true) no test may skip: install what is missing (see .ci/run) or set MITOSIEVE_TEST_DATA"
    );
    note(&format!("SKIP {test}: {why}"));
}

/// The public test data directory from `$MITOSIEVE_TEST_DATA` (`../shared/data` in CI).
///
/// `None` (after a SKIP line naming `test`) when the variable is not set or does not
/// name a directory, as on a fresh clone with nothing beside it; in CI both fail.
pub fn test_data(test: &str) -> Option<PathBuf> {
    let Some(v) = std::env::var_os("MITOSIEVE_TEST_DATA") else {
        skip(
            test,
            "MITOSIEVE_TEST_DATA not set (the public-data tests need ../shared/data)",
        );
        return None;
    };
    let p = PathBuf::from(v);
    if !p.is_dir() {
        skip(
            test,
            &format!(
                "MITOSIEVE_TEST_DATA is set to {} but that is not a directory",
                p.display()
            ),
        );
        return None;
    }
    Some(p)
}

/// A path under the data directory that must exist (the directory is there, so a
/// missing file is a failure, not a skip).
pub fn need(data: &Path, rel: &str) -> PathBuf {
    let p = data.join(rel);
    assert!(
        p.exists(),
        "MITOSIEVE_TEST_DATA is set but {} is missing",
        p.display()
    );
    p
}

/// A file under the test data directory: `None` (after a SKIP line naming `test`) when
/// the data directory is not there; panics when it is but the file is missing.
pub fn data_file(test: &str, rel: &str) -> Option<PathBuf> {
    data_files(test, &[rel]).map(|mut v| v.remove(0))
}

/// Several files under the test data directory (one SKIP line when it is not there).
pub fn data_files(test: &str, rels: &[&str]) -> Option<Vec<PathBuf>> {
    let dir = test_data(test)?;
    Some(rels.iter().map(|rel| need(&dir, rel)).collect())
}

/// An executable named `name` on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Whether `tool --version` runs; otherwise a SKIP line for `test` naming how to
/// install it (`install`), and `false` (in CI: a failure).
pub fn have_tool(test: &str, tool: &str, install: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip(test, &format!("{tool} not found on PATH ({install})"));
    }
    ok
}

/// Whether `samtools` can be run; prints a SKIP line naming `test` when it cannot.
pub fn have_samtools(test: &str) -> bool {
    have_tool(
        &format!("{test} (samtools part)"),
        "samtools",
        "apt-get install samtools",
    )
}

/// Turn fixture text into SAM: blank lines and `//` comments (to the end of the line)
/// are removed, and runs of spaces between fields become tabs. Fixture fields must
/// therefore not contain spaces or `//`.
pub fn sam_text(fixture: &str) -> String {
    let mut out = String::new();
    for line in fixture.lines() {
        let line = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        out.push_str(&fields.join("\t"));
        out.push('\n');
    }
    out
}

/// Write `fixture` (see [`sam_text`]) as `<dir>/<name>.bam`, sorted by coordinate and
/// indexed (`.bai`), using htslib through rust-htslib (no samtools needed).
pub fn sam_to_bam(dir: &Path, name: &str, fixture: &str) -> PathBuf {
    sam_to_bam_with(dir, name, fixture, true, true)
}

/// Like [`sam_to_bam`], optionally without sorting (records keep the fixture's order)
/// and without an index.
pub fn sam_to_bam_with(dir: &Path, name: &str, fixture: &str, sort: bool, index: bool) -> PathBuf {
    let sam = dir.join(format!("{name}.sam"));
    std::fs::write(&sam, sam_text(fixture)).expect("write SAM");
    let mut reader = bam::Reader::from_path(&sam).expect("htslib reads the fixture SAM");
    let header = bam::Header::from_template(reader.header());
    let mut records = Vec::new();
    for r in reader.records() {
        records.push(r.unwrap_or_else(|e| panic!("fixture {name}: bad SAM record: {e}")));
    }
    std::fs::remove_file(&sam).expect("remove SAM");
    let out = dir.join(format!("{name}.bam"));
    write_bam(&out, &header, records, sort, index);
    out
}

/// Write records as BAM (sorted by contig and position when `sort`), optionally indexed.
pub fn write_bam(
    out: &Path,
    header: &bam::Header,
    mut records: Vec<bam::Record>,
    sort: bool,
    index: bool,
) {
    if sort {
        // Stable: records at the same position keep their order. Unplaced reads last.
        records.sort_by_key(|r| (r.tid() as u32, r.pos()));
    }
    {
        let mut w = bam::Writer::from_path(out, header, bam::Format::Bam).expect("create BAM");
        for r in &records {
            w.write(r).expect("write BAM record");
        }
    } // dropping the writer writes the BGZF EOF block
    if index {
        bam::index::build(out, None, bam::index::Type::Bai, 1).expect("index BAM");
    }
}

/// Run the binary with `args`, from a neutral working directory.
pub fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(bin())
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run mitosieve")
}

/// `mitosieve count <inputs> -o <outdir> <extra...>`.
pub fn run_count(inputs: &[&Path], outdir: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec!["count".as_ref()];
    args.extend(inputs.iter().map(|p| p.as_os_str()));
    args.push("-o".as_ref());
    args.push(outdir.as_os_str());
    args.extend(extra.iter().map(|s| std::ffi::OsStr::new(*s)));
    run(&args)
}

/// Stderr of a run as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Panic with the command's stderr unless it succeeded.
pub fn assert_ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: mitosieve failed ({:?}):\n{}",
        o.status.code(),
        stderr(o)
    );
}

/// Read a counts file with the library's reader.
pub fn read_counts(path: &Path) -> CountsFile {
    file::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The counts file of `clone` in `outdir`.
pub fn counts_of(outdir: &Path, clone: &str) -> CountsFile {
    read_counts(&mitosieve::count::counts_path(outdir, clone))
}

/// The summary JSON of `clone` in `outdir`.
pub fn summary_of(outdir: &Path, clone: &str) -> serde_json::Value {
    let p = mitosieve::count::summary_path(outdir, clone);
    let text =
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
    serde_json::from_str(&text).expect("summary is JSON")
}

/// Count one input with the binary (plus `extra` flags) into a fresh directory under
/// `tmp`, and return the only counts file written.
pub fn count_one(tmp: &Path, tag: &str, input: &Path, extra: &[&str]) -> CountsFile {
    let out = tmp.join(tag);
    let o = run_count(&[input], &out, extra);
    assert_ok(&o, tag);
    let files = counts_files(&out);
    assert_eq!(
        files.len(),
        1,
        "{tag}: expected one counts file, got {files:?}"
    );
    read_counts(&files[0])
}

/// The `*.counts.tsv.gz` files in a directory (sorted).
pub fn counts_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.to_string_lossy().ends_with(".counts.tsv.gz"))
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Names in a directory that start with the temporary-file prefix.
pub fn temp_files(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| {
                e.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|n| n.starts_with(mitosieve::output::TEMP_PREFIX))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The uncompressed text of a counts file without its `##input=` line (which names the
/// input path), for byte-for-byte comparisons of runs on different inputs.
pub fn counts_text(path: &Path) -> String {
    let f = std::fs::File::open(path).expect("open counts");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(f), &mut text)
        .expect("counts file is gzip");
    text
}

/// Names of the 16 per-position cells compared by [`assert_counts_eq`].
pub const CELL_NAMES: [&str; 16] = [
    "A_fwd", "C_fwd", "G_fwd", "T_fwd", "N_fwd", "del_fwd", "ins_fwd", "lowq_fwd", "A_rev",
    "C_rev", "G_rev", "T_rev", "N_rev", "del_rev", "ins_rev", "lowq_rev",
];

/// Compare two counts completely (every cell, quality sums, mate column, indel events),
/// reporting the first few differences by position.
/// Junction evidence for large deletions is not compared here (see the deletion tests).
pub fn assert_counts_eq(got: &Counts, want: &Counts, ctx: &str) {
    let mut diffs = Vec::new();
    for (i, (g, w)) in got.sites().iter().zip(want.sites()).enumerate() {
        if g != w {
            diffs.push(format!(
                "pos {}: got {}\n          want {}",
                i + 1,
                site_str(g),
                site_str(w)
            ));
        }
    }
    let ev = |c: &Counts| -> BTreeMap<(u32, IndelKey), [u32; 2]> {
        c.indels()
            .iter()
            .filter(|(_, v)| v[0] + v[1] > 0)
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    };
    let (eg, ew) = (ev(got), ev(want));
    for k in eg.keys().chain(ew.keys()) {
        if eg.get(k) != ew.get(k) {
            diffs.push(format!(
                "indel {} at anchor {}: got {:?} want {:?}",
                k.1.notation(),
                k.0 + 1,
                eg.get(k),
                ew.get(k)
            ));
        }
    }
    diffs.dedup();
    if diffs.is_empty() {
        return;
    }
    let n = diffs.len();
    diffs.truncate(12);
    panic!(
        "{ctx}: counts differ ({n} differences); first:\n{}",
        diffs.join("\n")
    );
}

fn site_str(s: &SiteCounts) -> String {
    let mut parts = Vec::new();
    for (strand, tag) in [(FWD, "+"), (REV, "-")] {
        for (i, name) in ["A", "C", "G", "T", "N", "del", "ins", "lowq"]
            .iter()
            .enumerate()
        {
            if s.n[strand][i] > 0 {
                parts.push(format!("{name}{tag}{}", s.n[strand][i]));
            }
        }
        for (i, name) in ["A", "C", "G", "T", "N"].iter().enumerate() {
            if s.qsum[strand][i] > 0 {
                parts.push(format!("bq_{name}{tag}{}", s.qsum[strand][i]));
            }
        }
    }
    if s.mate_other_contig > 0 {
        parts.push(format!("xm{}", s.mate_other_contig));
    }
    if s.read_starts > 0 {
        parts.push(format!("starts{}", s.read_starts));
    }
    if s.read_ends > 0 {
        parts.push(format!("ends{}", s.read_ends));
    }
    if parts.is_empty() {
        "(empty)".into()
    } else {
        parts.join(" ")
    }
}

/// Allele counts (A, C, G, T, N, deletion) per strand, insertion events per strand and
/// indel events, as reported by `samtools mpileup` for one contig.
#[derive(Debug, Default)]
pub struct Mpileup {
    /// `n[pos0][strand][allele]`: A, C, G, T, N, deletion, insertion events.
    pub n: Vec<[[u32; 7]; 2]>,
    /// Indel events: (zero-based anchor, key) → [fwd, rev].
    pub events: BTreeMap<(u32, IndelKey), [u32; 2]>,
}

/// Run `samtools mpileup -A -B -x -d 0 -Q <min_bq> -q 20 --ff
/// UNMAP,SECONDARY,QCFAIL,DUP,SUPPLEMENTARY -r <region>` (with `--reference` for CRAM)
/// and parse its pileup column. `--reverse-del` only changes how a deleted base of a
/// reverse read is printed (`#` instead of `*`), so deletions get a strand too.
pub fn mpileup(input: &Path, region: &str, min_bq: u8, reference: Option<&Path>) -> Mpileup {
    let mut cmd = Command::new("samtools");
    cmd.args([
        "mpileup",
        "-A",
        "-B",
        "-x",
        "-d",
        "0",
        "-q",
        "20",
        "--reverse-del",
    ])
    .args(["-Q", &min_bq.to_string()])
    .args(["--ff", "UNMAP,SECONDARY,QCFAIL,DUP,SUPPLEMENTARY"])
    .args(["-r", region]);
    if let Some(r) = reference {
        cmd.arg("--reference").arg(r);
    }
    cmd.arg(input).stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().expect("run samtools mpileup");
    let mut m = Mpileup {
        n: vec![[[0; 7]; 2]; MT_LEN],
        events: BTreeMap::new(),
    };
    let out = BufReader::with_capacity(1 << 20, child.stdout.take().expect("stdout"));
    for line in out.split(b'\n') {
        let line = line.expect("read mpileup output");
        if line.is_empty() {
            continue;
        }
        let f: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
        assert!(f.len() >= 6, "unexpected mpileup line");
        let pos: usize = std::str::from_utf8(f[1]).unwrap().parse().unwrap();
        let depth: usize = std::str::from_utf8(f[3]).unwrap().parse().unwrap();
        if pos == 0 || pos > MT_LEN || depth == 0 {
            // Depth 0 prints "*" as the base column: nothing to count.
            continue;
        }
        parse_pileup_column(f[4], (pos - 1) as u32, &mut m);
    }
    let status = child.wait().expect("samtools exits");
    assert!(
        status.success(),
        "samtools mpileup failed on {}",
        input.display()
    );
    m
}

/// Parse one pileup column: upper case = forward, lower case = reverse, `*`/`#` deleted
/// base, `^X` read start with its mapping quality character, `$` read end, `+N<seq>` /
/// `-N<seq>` indel after this base, `>`/`<` reference skip, `.`/`,` a `=` base (no
/// reference given, so they only come from `=` in the read, which mitosieve counts as N).
pub fn parse_pileup_column(col: &[u8], pos0: u32, m: &mut Mpileup) {
    let row = &mut m.n[pos0 as usize];
    let mut i = 0;
    while i < col.len() {
        let c = col[i];
        match c {
            b'^' => i += 2, // read start + mapping quality character
            b'$' => i += 1,
            b'>' | b'<' => i += 1,
            b'*' => {
                row[FWD][5] += 1;
                i += 1;
            }
            b'#' => {
                row[REV][5] += 1;
                i += 1;
            }
            b'.' => {
                row[FWD][4] += 1;
                i += 1;
            }
            b',' => {
                row[REV][4] += 1;
                i += 1;
            }
            b'+' | b'-' => {
                let mut j = i + 1;
                let mut len = 0usize;
                while col[j].is_ascii_digit() {
                    len = len * 10 + usize::from(col[j] - b'0');
                    j += 1;
                }
                let s = &col[j..j + len];
                let rev = s.iter().any(|b| b.is_ascii_lowercase());
                let strand = usize::from(rev);
                let key = if c == b'+' {
                    row[strand][6] += 1;
                    IndelKey::Ins(
                        s.iter()
                            .map(|b| match b.to_ascii_uppercase() {
                                x @ (b'A' | b'C' | b'G' | b'T') => x,
                                _ => b'N',
                            })
                            .collect(),
                    )
                } else {
                    IndelKey::Del(len as u32)
                };
                m.events.entry((pos0, key)).or_insert([0, 0])[strand] += 1;
                i = j + len;
            }
            _ if c.is_ascii_alphabetic() => {
                let strand = usize::from(c.is_ascii_lowercase());
                let a = match c.to_ascii_uppercase() {
                    b'A' => 0,
                    b'C' => 1,
                    b'G' => 2,
                    b'T' => 3,
                    _ => 4, // N and IUPAC codes
                };
                row[strand][a] += 1;
                i += 1;
            }
            _ => panic!(
                "unexpected character {:?} in pileup column at position {}",
                c as char,
                pos0 + 1
            ),
        }
    }
}

/// The events of a counts file as a sorted map (zero counts dropped).
pub fn events_of(c: &Counts) -> BTreeMap<(u32, IndelKey), [u32; 2]> {
    c.indels()
        .iter()
        .filter(|(_, v)| v[0] + v[1] > 0)
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

/// A counts file keeps at most this many indel events per position.
pub const MAX_LISTED: usize = mitosieve::count::file::MAX_INDELS_LISTED;

/// Compare the indel events read back from a counts file with complete ones (from an
/// oracle): positions with more than [`MAX_LISTED`] distinct events keep only the most
/// frequent ones (ties by notation), so there only those are compared.
pub fn assert_events_match_file(
    file: &Counts,
    full: &BTreeMap<(u32, IndelKey), [u32; 2]>,
    ctx: &str,
) {
    let mut by_anchor: BTreeMap<u32, Vec<(IndelKey, [u32; 2])>> = BTreeMap::new();
    for ((a, k), c) in full {
        by_anchor.entry(*a).or_default().push((k.clone(), *c));
    }
    let mut expected = BTreeMap::new();
    for (a, mut v) in by_anchor {
        // Most frequent first, then by the key's order (the file's documented order).
        v.sort_by(|x, y| {
            (y.1[0] + y.1[1])
                .cmp(&(x.1[0] + x.1[1]))
                .then_with(|| x.0.cmp(&y.0))
        });
        for (k, c) in v.into_iter().take(MAX_LISTED) {
            expected.insert((a, k), c);
        }
    }
    let got = events_of(file);
    if got != expected {
        let mut diffs = Vec::new();
        for k in got.keys().chain(expected.keys()) {
            if got.get(k) != expected.get(k) {
                diffs.push(format!(
                    "{}{}: got {:?} want {:?}",
                    k.0 + 1,
                    k.1.notation(),
                    got.get(k),
                    expected.get(k)
                ));
            }
        }
        diffs.sort();
        diffs.dedup();
        let n = diffs.len();
        diffs.truncate(12);
        panic!("{ctx}: indel events differ ({n}):\n{}", diffs.join("\n"));
    }
}

/// Per-position cells of [`CELL_NAMES`] of a site.
pub fn cells(s: &SiteCounts) -> [u32; 16] {
    let mut c = [0; 16];
    c[..8].copy_from_slice(&s.n[FWD]);
    c[8..].copy_from_slice(&s.n[REV]);
    c
}

/// Assert that `counts` holds exactly the cells listed in `spec` and zero everywhere
/// else. `spec` has one `POS CELL COUNT` per line (`//` comments allowed), where CELL is
/// one of [`CELL_NAMES`]; a position range `FROM-TO` sets the cell at every position.
pub fn assert_cells(counts: &Counts, spec: &str, ctx: &str) {
    let mut want = vec![[0u32; 16]; MT_LEN];
    for line in spec.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 3, "bad spec line '{line}'");
        let (from, to) = match f[0].split_once('-') {
            Some((a, b)) => (a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap()),
            None => {
                let p = f[0].parse::<usize>().unwrap();
                (p, p)
            }
        };
        let cell = CELL_NAMES
            .iter()
            .position(|c| *c == f[1])
            .unwrap_or_else(|| panic!("unknown cell {}", f[1]));
        let n: u32 = f[2].parse().unwrap();
        for p in from..=to {
            want[p - 1][cell] += n;
        }
    }
    let mut diffs = Vec::new();
    for (i, s) in counts.sites().iter().enumerate() {
        let got = cells(s);
        for (k, name) in CELL_NAMES.iter().enumerate() {
            if got[k] != want[i][k] {
                diffs.push(format!(
                    "pos {} {name}: got {} want {}",
                    i + 1,
                    got[k],
                    want[i][k]
                ));
            }
        }
    }
    if !diffs.is_empty() {
        let n = diffs.len();
        diffs.truncate(20);
        panic!("{ctx}: {n} cells differ:\n{}", diffs.join("\n"));
    }
}

/// Assert that the indel events are exactly `want` (1-based anchor, notation, fwd, rev).
pub fn assert_events(counts: &Counts, want: &[(u32, &str, u32, u32)], ctx: &str) {
    let got: BTreeMap<(u32, String), [u32; 2]> = events_of(counts)
        .into_iter()
        .map(|((a, k), c)| ((a + 1, k.notation()), c))
        .collect();
    let want: BTreeMap<(u32, String), [u32; 2]> = want
        .iter()
        .map(|&(a, k, f, r)| ((a, k.to_string()), [f, r]))
        .collect();
    assert_eq!(got, want, "{ctx}: indel events");
}

/// A BAM header with one contig, chrM of 16,569 bp (rCRS).
pub fn chrm_header() -> bam::Header {
    let mut header = bam::Header::new();
    header.push_record(
        bam::header::HeaderRecord::new(b"SQ")
            .push_tag(b"SN", "chrM")
            .push_tag(b"LN", 16569),
    );
    header
}
