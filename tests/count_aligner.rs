//! `mitosieve count` on aligner output (issue 14): `test-data/aligner/art60x.bam`, ART
//! HiSeq 2500 reads aligned by `bwa mem` (recipe in `test-data/README.md`): aligner tags
//! (`NM MD MC AS XS`), ART's quality strings with many bases under the threshold, ART's
//! substitution errors, overlapping mates.
//!
//! - the fast path (bulk counting, the reads dealt to parallel counters by name at two
//!   and three threads) equals the slow per-base oracle (`tests/common/oracle.rs`) in
//!   both overlap modes, and htslib window readers byte for byte;
//! - a BAM whose header has the GRCh38 contigs (and thousands more, like hs38DH) with
//!   reads on several of them gives the counts of the mt-only BAM, indexed (the jump to
//!   the mt contig) or not.

mod common;

use common::oracle::{self, OracleConfig};
use common::*;
use mitosieve::count::Counts;
use rust_htslib::bam::{self, Read};
use std::path::{Path, PathBuf};

fn aligner_bam() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test-data/aligner/art60x.bam")
}

/// The counts file's rows (everything after the `##` header lines).
fn body(path: &Path) -> String {
    counts_text(path)
        .lines()
        .filter(|l| !l.starts_with("##"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn sites_only(c: &Counts) -> Counts {
    Counts::from_parts(c.sites().to_vec(), Default::default(), Default::default()).unwrap()
}

#[test]
fn aligner_output_fast_path_equals_per_base_oracle() {
    let input = aligner_bam();
    // What makes the file realistic is there.
    let mut reader = bam::Reader::from_path(&input).unwrap();
    let (mut records, mut bases, mut low) = (0u64, 0u64, 0u64);
    for r in reader.records() {
        let r = r.unwrap();
        records += 1;
        for tag in [&b"NM"[..], b"MD", b"MC", b"AS", b"XS"] {
            if r.flags() & 0x4 == 0 {
                assert!(r.aux(tag).is_ok(), "{} lacks {tag:?}", records);
            }
        }
        bases += r.qual().len() as u64;
        low += r.qual().iter().filter(|&&q| q < 20).count() as u64;
    }
    assert!(records > 6000, "{records} records");
    let low_share = low as f64 / bases as f64;
    assert!(
        low_share > 0.02,
        "{:.1}% of the bases under Q20: ART's profile has more",
        100.0 * low_share
    );

    let tmp = tempfile::tempdir().unwrap();
    let base = ["--min-aligned-len", "0", "--quiet"];
    let run = |tag: &str, extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        count_one(tmp.path(), tag, &input, &args);
        counts_files(&tmp.path().join(tag)).remove(0)
    };
    let o = oracle::count_file(&input, None, &OracleConfig::default());
    for (mode, want) in [("fragment", &o.fragment), ("independent", &o.independent)] {
        let one = run(
            &format!("{mode}_t1"),
            &["--overlaps", mode, "--threads", "1"],
        );
        let got = read_counts(&one);
        assert_counts_eq(&sites_only(&got.counts), &sites_only(want), mode);
        assert_events_match_file(&got.counts, &events_of(want), mode);
        let lowq: u64 = got.counts.sites().iter().map(|s| u64::from(s.lowq())).sum();
        assert!(
            lowq > 10_000,
            "{mode}: only {lowq} low-quality bases counted"
        );
        for (tag, extra) in [
            ("t2", &["--threads", "2"][..]),
            ("t3", &["--threads", "3"][..]),
            ("window", &["--threads", "2", "--window", "700"][..]),
        ] {
            let mut args = vec!["--overlaps", mode];
            args.extend_from_slice(extra);
            let other = run(&format!("{mode}_{tag}"), &args);
            assert!(
                body(&one) == body(&other),
                "{mode}: --threads 1 and {extra:?} counts differ"
            );
        }
    }
}

/// GRCh38's primary contigs with their lengths, chrM among them in hs38DH's order.
const GRCH38: &[(&str, u64)] = &[
    ("chr1", 248_956_422),
    ("chr2", 242_193_529),
    ("chr3", 198_295_559),
    ("chr4", 190_214_555),
    ("chr5", 181_538_259),
    ("chr6", 170_805_979),
    ("chr7", 159_345_973),
    ("chr8", 145_138_636),
    ("chr9", 138_394_717),
    ("chr10", 133_797_422),
    ("chr11", 135_086_622),
    ("chr12", 133_275_309),
    ("chr13", 114_364_328),
    ("chr14", 107_043_718),
    ("chr15", 101_991_189),
    ("chr16", 90_338_345),
    ("chr17", 83_257_441),
    ("chr18", 80_373_285),
    ("chr19", 58_617_616),
    ("chr20", 64_444_167),
    ("chr21", 46_709_983),
    ("chr22", 50_818_468),
    ("chrX", 156_040_895),
    ("chrY", 57_227_415),
    ("chrM", 16_569),
];

#[test]
fn whole_genome_header_gives_the_mt_only_counts() {
    let input = aligner_bam();
    let tmp = tempfile::tempdir().unwrap();
    // Header: the 25 primary contigs, then 3,341 more (as many as hs38DH's unplaced,
    // alt, decoy and HLA contigs together).
    let mut header = bam::Header::new();
    let mut names: Vec<(String, u64)> = GRCH38.iter().map(|&(n, l)| (n.to_string(), l)).collect();
    names.extend((0..3341).map(|i| (format!("chrUn_extra{i}"), 50_000)));
    for (n, l) in &names {
        let mut sq = bam::header::HeaderRecord::new(b"SQ");
        sq.push_tag(b"SN", n).push_tag(b"LN", l);
        header.push_record(&sq);
    }
    let mut rg = bam::header::HeaderRecord::new(b"RG");
    rg.push_tag(b"ID", "art60x").push_tag(b"SM", "art60x");
    header.push_record(&rg);
    let tid_of = |name: &str| names.iter().position(|(n, _)| n == name).unwrap() as i32;
    let mt = tid_of("chrM");
    // The mt reads, and copies of them (the same names: pairs on other contigs) on
    // contigs before and after chrM.
    let mut reader = bam::Reader::from_path(&input).unwrap();
    let mut records = Vec::new();
    for r in reader.records() {
        let r = r.unwrap();
        for tid in [tid_of("chr1"), tid_of("chr17"), tid_of("chrX"), mt, mt + 7] {
            let mut c = r.clone();
            if r.tid() >= 0 {
                c.set_tid(tid);
            }
            if r.mtid() >= 0 {
                c.set_mtid(tid);
            }
            records.push(c);
        }
    }
    let wg = tmp.path().join("wholegenome.bam");
    write_bam(&wg, &header, records, true, true);
    let unindexed = tmp.path().join("wholegenome_noindex.bam");
    std::fs::copy(&wg, &unindexed).unwrap();

    let count = |tag: &str, path: &Path, threads: &str| {
        count_one(tmp.path(), tag, path, &["--quiet", "--threads", threads]);
        counts_files(&tmp.path().join(tag)).remove(0)
    };
    let want = body(&count("mt_only", &input, "1"));
    for threads in ["1", "2"] {
        for (tag, path) in [("wg", &wg), ("wg_noindex", &unindexed)] {
            let got = body(&count(&format!("{tag}_t{threads}"), path, threads));
            assert!(
                got == want,
                "{tag} at {threads} threads: counts differ from the mt-only BAM's"
            );
        }
    }
    let s = summary_of(&tmp.path().join("wg_t2"), "art60x");
    let m = summary_of(&tmp.path().join("mt_only"), "art60x");
    assert_eq!(s["reads"], m["reads"], "reads seen, used and dropped");
}
