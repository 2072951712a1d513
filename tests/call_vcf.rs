//! The VCF written by `mitosieve call` is valid for the standard tools: `bcftools view`
//! reads it, `bcftools norm -c e -f rCRS` finds every REF right and leaves every record
//! where it is (so our indels are left-aligned exactly like bcftools'), `bcftools query`
//! returns the values of `calls.tsv`, and the tabix index answers region queries.
//!
//! Needs `$MITOSIEVE_TEST_DATA` (`../shared/data`) and `bcftools` + `tabix` on the PATH
//! (Debian/Ubuntu packages `bcftools` and `tabix`); prints a SKIP line otherwise (and
//! fails in CI, `CI=true`).
#![cfg(feature = "cli")]

mod common;

use common::{have_tool, need, test_data};
use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Test data and tools, or `None` after a SKIP line.
fn setup(test: &str) -> Option<PathBuf> {
    let data = test_data(test)?;
    let tools = ["bcftools", "tabix"]
        .iter()
        .all(|t| have_tool(test, t, "apt-get install bcftools tabix"));
    tools.then_some(data)
}

fn bams(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "bam"))
        .collect();
    v.sort();
    v
}

fn call(inputs: &[PathBuf], out: &Path) -> PathBuf {
    let o = Command::new(env!("CARGO_BIN_EXE_mitosieve"))
        .arg("call")
        .args(inputs)
        .arg("-o")
        .arg(out)
        .arg("--quiet")
        .output()
        .expect("run mitosieve");
    assert!(
        o.status.success(),
        "mitosieve call failed ({:?}):\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    out.join("calls.vcf.gz")
}

fn bcftools(args: &[&std::ffi::OsStr]) -> Output {
    Command::new("bcftools")
        .args(args)
        .output()
        .expect("run bcftools")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Run bcftools and return stdout; panics (with stderr) unless it exits 0.
fn bcftools_ok(args: &[&std::ffi::OsStr], what: &str) -> (String, String) {
    let o = bcftools(args);
    assert!(
        o.status.success(),
        "bcftools {what} failed ({:?}):\n{}",
        o.status.code(),
        text(&o.stderr)
    );
    (text(&o.stdout), text(&o.stderr))
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

fn gunzip(path: &Path) -> String {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(f)
        .read_to_string(&mut s)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    s
}

/// `bcftools view` reads the whole file and `bcftools norm -c e -f <ref>` neither finds a
/// REF mismatch nor moves, splits or drops a record. Returns the number of records.
fn assert_view_and_norm(vcf: &Path, reference: &Path) -> usize {
    let (body, _) = bcftools_ok(&[os("view"), os("-H"), vcf.as_os_str()], "view");
    let records = body.lines().count();
    assert!(records > 0, "{}: no records", vcf.display());
    let (normed, stderr) = bcftools_ok(
        &[
            os("norm"),
            os("-c"),
            os("e"),
            os("-f"),
            reference.as_os_str(),
            vcf.as_os_str(),
        ],
        "norm -c e",
    );
    assert!(
        !stderr.contains("REF_MISMATCH") && !normed.contains("REF_MISMATCH"),
        "bcftools norm reports a REF mismatch:\n{stderr}"
    );
    // "Lines   total/split/realigned/skipped:	N/0/0/0" (bcftools 1.16; newer versions
    // add joined/mismatch_removed/dup_removed): nothing may be split, joined, realigned or
    // removed; only symbolic records (large deletions, `<DEL>`) may be skipped.
    let summary = stderr
        .lines()
        .find(|l| l.starts_with("Lines"))
        .unwrap_or_else(|| panic!("no summary from bcftools norm:\n{stderr}"));
    let (names, values) = summary
        .trim_start_matches("Lines")
        .trim()
        .split_once(':')
        .unwrap_or_else(|| panic!("unexpected norm summary {summary}"));
    let figures: HashMap<&str, usize> = names
        .split('/')
        .zip(values.trim().split('/'))
        .map(|(k, v)| (k.trim(), v.trim().parse().expect("norm summary number")))
        .collect();
    let symbolic = body
        .lines()
        .filter(|l| l.split('\t').nth(4).is_some_and(|alt| alt.starts_with('<')))
        .count();
    assert_eq!(
        figures.get("total"),
        Some(&records),
        "norm saw every record: {summary}"
    );
    for (k, v) in &figures {
        match *k {
            "total" => {}
            "skipped" => assert!(*v <= symbolic, "norm skipped records: {summary}"),
            _ => assert_eq!(
                *v, 0,
                "bcftools norm changed records (our indels must already be left-aligned and \
                 REF must match): {summary}"
            ),
        }
    }
    let body_in: Vec<&str> = body.lines().collect();
    let body_out: Vec<&str> = normed.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        body_in, body_out,
        "bcftools norm must leave every record as it is"
    );
    records
}

/// sim_clones: the VCF passes `bcftools view` / `norm -c e`, `bcftools query` returns the
/// values of calls.tsv for every clone and record, the index answers `-r chrM:3243`,
/// and the header carries the source and the command line.
#[test]
fn sim_clones_vcf_is_valid_and_agrees_with_the_table() {
    let Some(data) = setup("sim_clones VCF") else {
        return;
    };
    let reference = need(&data, "reference/rCRS.chrM.fa");
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("calls");
    let vcf = call(&bams(&need(&data, "sim_clones")), &out);
    let tbi = out.join("calls.vcf.gz.tbi");
    assert!(tbi.is_file(), "no tabix index {}", tbi.display());

    let records = assert_view_and_norm(&vcf, &reference);

    // Header: source, command line, the contig with its length.
    let (header, _) = bcftools_ok(&[os("view"), os("-h"), vcf.as_os_str()], "view -h");
    for want in [
        "##fileformat=VCFv4.3",
        "##source=mitosieve",
        "##mitosieveCommand=",
        "##contig=<ID=chrM,length=16569",
    ] {
        assert!(
            header.lines().any(|l| l.starts_with(want)),
            "header lacks {want}:\n{header}"
        );
    }
    let command = header
        .lines()
        .find(|l| l.starts_with("##mitosieveCommand="))
        .unwrap_or_default();
    assert!(
        command.contains("call") && command.contains("clone01.bam"),
        "the command line names the subcommand and the inputs: {command}"
    );

    // bcftools query gives the values of calls.tsv, row for row.
    let (query, _) = bcftools_ok(
        &[
            os("query"),
            os("-f"),
            os("[%SAMPLE\t%POS\t%REF\t%ALT\t%GT\t%AF\t%FT\n]"),
            vcf.as_os_str(),
        ],
        "query",
    );
    let tsv = std::fs::read_to_string(out.join("calls.tsv")).expect("calls.tsv");
    let mut lines = tsv.lines();
    let cols: HashMap<&str, usize> = lines
        .next()
        .expect("header")
        .split('\t')
        .enumerate()
        .map(|(i, c)| (c, i))
        .collect();
    let table: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    // Symbolic records (`<DEL>`, large deletions) are in deletions.tsv, not calls.tsv.
    let queried: Vec<Vec<&str>> = query
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|q| !q[3].starts_with('<'))
        .collect();
    assert_eq!(
        queried.len(),
        table.len(),
        "one query row per calls.tsv row ({records} records × 7 clones)"
    );
    assert_eq!(queried.len() % 7, 0);
    // calls.tsv is ordered by variant then clone, like the query's records × samples.
    for (q, t) in queried.iter().zip(&table) {
        let get = |c: &str| t[cols[c]];
        let ctx = format!("query {q:?} vs calls.tsv {t:?}");
        assert_eq!(q[0], get("clone"), "{ctx}");
        assert_eq!(q[1], get("pos"), "{ctx}");
        assert_eq!(q[2], get("ref"), "{ctx}");
        assert_eq!(q[3], get("alt"), "{ctx}");
        assert_eq!(q[4], get("gt"), "{ctx}");
        let af_vcf: f64 = q[5].parse().expect("AF");
        let af_tsv: f64 = get("af").parse().expect("af");
        assert!((af_vcf - af_tsv).abs() <= 1e-6, "{ctx}");
        // FT is `.` for a clone without usable reads, like the filter column.
        assert_eq!(q[6], get("filter"), "{ctx}");
    }
    // The example of the issue: clone04 carries m.3243A>G at 10%.
    let c04 = queried
        .iter()
        .find(|q| q[0] == "clone04" && q[1] == "3243" && q[3] == "G")
        .expect("clone04 3243 A>G in the VCF");
    assert_eq!((c04[2], c04[4], c04[6]), ("A", "0/1", "PASS"));
    let af: f64 = c04[5].parse().unwrap();
    assert!((af - 0.10).abs() < 0.02, "clone04 m.3243A>G AF {af}");

    // The index answers a region query.
    let (region, _) = bcftools_ok(
        &[
            os("view"),
            os("-H"),
            os("-r"),
            os("chrM:3243"),
            vcf.as_os_str(),
        ],
        "view -r chrM:3243",
    );
    let at_3243: Vec<&str> = region.lines().collect();
    assert!(
        !at_3243.is_empty() && at_3243.iter().all(|l| l.split('\t').nth(1) == Some("3243")),
        "region query returned {at_3243:?}"
    );
    let o = Command::new("tabix")
        .arg(&vcf)
        .arg("chrM:3243-3243")
        .output()
        .expect("run tabix");
    assert!(o.status.success(), "tabix: {}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().count(), at_3243.len());

    // What we wrote is what bcftools read (no record silently dropped).
    let raw = gunzip(&vcf);
    assert_eq!(raw.lines().filter(|l| !l.starts_with('#')).count(), records);
}

/// rCRS from the test data, index 0 = position 1.
fn rcrs(data: &Path) -> Vec<u8> {
    let path = need(data, "reference/rCRS.chrM.fa");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let seq: Vec<u8> = text
        .lines()
        .filter(|l| !l.starts_with('>'))
        .flat_map(|l| l.trim().bytes())
        .collect();
    assert_eq!(seq.len(), 16_569);
    seq
}

/// A sorted, indexed BAM of single-end 150-bp reads starting at 250 over the C tracts
/// 303-309 and 311-315 (`AACCCCCCCTCCCCCG`, 301-316), whose indels are written at the
/// RIGHT end of the tracts, as an aligner that does not left-align would: 20 reads
/// delete the C at 309 (`59M1D91M`), 20 insert a C after 315 (`66M1I83M`), half of each
/// on the reverse strand.
fn right_aligned_indel_bam(dir: &Path, reference: &[u8]) -> PathBuf {
    use rust_htslib::bam::{self, Read as _};
    let r = |from: usize, to: usize| text(&reference[from - 1..to]); // 1-based, closed
    let mut sam = String::from(
        "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chrM\tLN:16569\n@RG\tID:fx\tSM:fixture\n",
    );
    let qual = "I".repeat(150);
    for i in 0..40 {
        let flag = if i % 2 == 0 { 0 } else { 16 };
        let (cigar, seq) = if i < 20 {
            ("59M1D91M", format!("{}{}", r(250, 308), r(310, 400)))
        } else {
            ("66M1I83M", format!("{}C{}", r(250, 315), r(316, 398)))
        };
        assert_eq!(seq.len(), 150);
        sam.push_str(&format!(
            "read{i}\t{flag}\tchrM\t250\t60\t{cigar}\t*\t0\t0\t{seq}\t{qual}\tRG:Z:fx\n"
        ));
    }
    let sam_path = dir.join("fixture.sam");
    std::fs::write(&sam_path, sam).expect("write SAM");
    let mut reader = bam::Reader::from_path(&sam_path).expect("htslib reads the SAM");
    let header = bam::Header::from_template(reader.header());
    let out = dir.join("fixture.bam");
    {
        let mut w = bam::Writer::from_path(&out, &header, bam::Format::Bam).expect("create BAM");
        for rec in reader.records() {
            w.write(&rec.expect("SAM record"))
                .expect("write BAM record");
        }
    }
    bam::index::build(&out, None, bam::index::Type::Bai, 1).expect("index BAM");
    out
}

/// Indels that the aligner wrote at the right end of a homopolymer come out
/// left-aligned (`302 AC>A`, `310 T>TC`), and `bcftools norm` agrees: it moves nothing.
#[test]
fn right_aligned_indels_are_left_aligned_like_bcftools_norm() {
    let Some(data) = setup("left-alignment VCF") else {
        return;
    };
    let reference = rcrs(&data);
    assert_eq!(&reference[300..316], b"AACCCCCCCTCCCCCG", "rCRS 301-316");
    let tmp = tempfile::tempdir().expect("temp dir");
    let bam = right_aligned_indel_bam(tmp.path(), &reference);
    let vcf = call(&[bam], &tmp.path().join("calls"));
    assert_view_and_norm(&vcf, &need(&data, "reference/rCRS.chrM.fa"));
    let (query, _) = bcftools_ok(
        &[
            os("query"),
            os("-f"),
            os("%POS\t%REF\t%ALT[\t%GT\t%AD]\n"),
            vcf.as_os_str(),
        ],
        "query",
    );
    let indels: Vec<Vec<&str>> = query
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        // Small indels only (the symbolic <DEL> of the common-deletion target is
        // reported in every run).
        .filter(|f| f[1].len() != f[2].len() && !f[2].starts_with('<'))
        .collect();
    let found: Vec<(&str, &str, &str, &str)> =
        indels.iter().map(|f| (f[0], f[1], f[2], f[4])).collect();
    assert_eq!(
        found,
        [("302", "AC", "A", "20,20"), ("310", "T", "TC", "20,20")],
        "the two events, left-aligned, 20 of 40 reads each:\n{query}"
    );
}

/// Indels in homopolymers (NA12878 302-316) and an `MT` contig (1000 Genomes BAMs): the
/// VCF passes `bcftools norm -c e` against the matching reference without a record
/// being moved.
#[test]
fn indels_and_mt_contig_pass_bcftools_norm() {
    let Some(data) = setup("indels / MT contig VCF") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let na = call(
        &[need(&data, "gatk_na12878/NA12878.chrM_1-1150.bam")],
        &tmp.path().join("na12878"),
    );
    let raw = gunzip(&na);
    let indels = raw
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            f[3].len() != f[4].len()
        })
        .count();
    assert!(indels > 0, "NA12878 has indel records in the 302-316 tract");
    assert_view_and_norm(&na, &need(&data, "reference/rCRS.chrM.fa"));

    let mt = call(
        &bams(&need(&data, "mutserve_1000g")),
        &tmp.path().join("mutserve"),
    );
    let (header, _) = bcftools_ok(&[os("view"), os("-h"), mt.as_os_str()], "view -h");
    assert!(
        header.contains("##contig=<ID=MT,length=16569"),
        "the VCF keeps the input's contig name MT:\n{header}"
    );
    assert_view_and_norm(&mt, &need(&data, "reference/rCRS.MT.fa"));
    let (region, _) = bcftools_ok(
        &[os("view"), os("-H"), os("-r"), os("MT:263"), mt.as_os_str()],
        "view -r MT:263",
    );
    assert!(
        region.lines().any(|l| l.split('\t').nth(1) == Some("263")),
        "MT:263 (263A>G in both samples) from the index: {region:?}"
    );
}
