//! Correctness oracle for `mitosieve count` on real third-party BAM/CRAM files
//! (`$MITOSIEVE_TEST_DATA`, i.e. `../shared/data`).
//!
//! For each file, with the read-length filter off (`--min-aligned-len 0`):
//! - `--overlaps independent`: every per-position, per-strand count of A, C, G, T, N and
//!   deleted bases, the insertion-event tally and every indel event equal what
//!   `samtools mpileup -A -B -x -d 0 -Q 20 -q 20 --ff
//!   UNMAP,SECONDARY,QCFAIL,DUP,SUPPLEMENTARY` reports; the low-quality tally equals
//!   mpileup's `-Q 0` count minus its `-Q 20` count;
//! - the same counts, and also the base-quality sums and the mate-on-another-contig
//!   column, equal a slow Rust oracle (`tests/common/oracle.rs`) that does not use
//!   samtools or mitosieve's counting code;
//! - `--overlaps fragment` (the default) equals the oracle's fragment counts, which group
//!   reads by name alone, so no fragment is ever counted twice at a position: depth ≤
//!   distinct read names covering the position, depth + lowq = distinct names with a
//!   base or deletion there, and depth = distinct names whose best-quality observation
//!   there passes the threshold;
//! - a small `--window` gives byte-identical output.
//!
//! CRAM input with `--reference` gives the same counts as the BAM it was made from.

mod common;

use common::oracle::{self, OracleConfig};
use common::*;
use mitosieve::count::{Counts, FWD, INS, LOWQ, REV};
use std::path::Path;

/// Compare the per-position cells (not the indel list) and the indel list (truncated at
/// 16 per position in the file) of counts read from a file with complete counts.
fn assert_file_matches(file: &Counts, full: &Counts, ctx: &str) {
    let sites = |c: &Counts| {
        Counts::from_parts(c.sites().to_vec(), Default::default(), Default::default()).unwrap()
    };
    assert_counts_eq(&sites(file), &sites(full), ctx);
    assert_events_match_file(file, &events_of(full), ctx);
}

/// Compare independent-mode counts with samtools mpileup at base quality 20 and 0.
fn assert_matches_mpileup(c: &Counts, input: &Path, reference: Option<&Path>, ctx: &str) {
    let q20 = mpileup(input, "chrM", 20, reference);
    let q0 = mpileup(input, "chrM", 0, reference);
    let mut diffs = Vec::new();
    let mut total = 0u64;
    for (i, s) in c.sites().iter().enumerate() {
        for strand in [FWD, REV] {
            let tag = if strand == FWD { "fwd" } else { "rev" };
            for (a, name) in ["A", "C", "G", "T", "N", "del"].iter().enumerate() {
                total += u64::from(q20.n[i][strand][a]);
                if s.n[strand][a] != q20.n[i][strand][a] {
                    diffs.push(format!(
                        "pos {} {name}_{tag}: mitosieve {} mpileup {}",
                        i + 1,
                        s.n[strand][a],
                        q20.n[i][strand][a]
                    ));
                }
            }
            if s.n[strand][INS] != q20.n[i][strand][6] {
                diffs.push(format!(
                    "pos {} ins_{tag}: mitosieve {} mpileup {}",
                    i + 1,
                    s.n[strand][INS],
                    q20.n[i][strand][6]
                ));
            }
            let all: u32 = q0.n[i][strand][..6].iter().sum();
            let good: u32 = q20.n[i][strand][..6].iter().sum();
            if s.n[strand][LOWQ] != all - good {
                diffs.push(format!(
                    "pos {} lowq_{tag}: mitosieve {} mpileup -Q0 minus -Q20 {}",
                    i + 1,
                    s.n[strand][LOWQ],
                    all - good
                ));
            }
        }
    }
    if !diffs.is_empty() {
        let n = diffs.len();
        diffs.truncate(20);
        panic!(
            "{ctx}: {n} cells differ from samtools mpileup:\n{}",
            diffs.join("\n")
        );
    }
    assert!(
        total > 0,
        "{ctx}: mpileup reported nothing; wrong contig name?"
    );
    assert_events_match_file(c, &q20.events, &format!("{ctx} vs mpileup"));
}

/// The whole check for one real file; `window` is a small window size to split pairs.
fn check<'a>(test: &str, rel: &str, window: &'a str, overlapping_mates: bool) {
    let Some(input) = data_file(test, rel) else {
        return;
    };
    let started = std::time::Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let base = ["--min-aligned-len", "0", "--quiet", "--threads", "2"];
    let with = |extra: &[&'a str]| -> Vec<&'a str> {
        base.iter().chain(extra).copied().collect::<Vec<_>>()
    };

    let ind = count_one(
        tmp.path(),
        "independent",
        &input,
        &with(&["--overlaps", "independent"]),
    );
    let frag = count_one(tmp.path(), "fragment", &input, &with(&[]));
    let frag_w = count_one(
        tmp.path(),
        "fragment_w",
        &input,
        &with(&["--window", window]),
    );
    let ind_w = count_one(
        tmp.path(),
        "independent_w",
        &input,
        &with(&["--overlaps", "independent", "--window", window]),
    );
    for (a, b) in [("fragment", "fragment_w"), ("independent", "independent_w")] {
        let fa = counts_files(&tmp.path().join(a));
        let fb = counts_files(&tmp.path().join(b));
        assert!(
            std::fs::read(&fa[0]).unwrap() == std::fs::read(&fb[0]).unwrap(),
            "{test}: {a} and {b} (--window {window}) counts files differ"
        );
    }
    drop((frag_w, ind_w));

    // samtools first: it is the reference the issue names.
    if have_samtools(test) {
        assert_matches_mpileup(&ind.counts, &input, None, test);
    }

    // The slow Rust oracle.
    let o = oracle::count_file(&input, None, &OracleConfig::default());
    assert_file_matches(
        &ind.counts,
        &o.independent,
        &format!("{test} independent vs oracle"),
    );
    assert_file_matches(
        &frag.counts,
        &o.fragment,
        &format!("{test} fragment vs oracle"),
    );

    // Reads used agree with the oracle's filter.
    for dir in ["independent", "fragment"] {
        let clone = &ind.header.clone;
        let s = summary_of(&tmp.path().join(dir), clone);
        assert_eq!(s["reads"]["used"], o.reads, "{test} {dir}: reads used");
        assert_eq!(s["reads"]["dropped"]["invalid"], 0, "{test}: invalid reads");
    }

    // Fragment mode never counts a fragment twice; spelled out.
    let mut shared = 0u64;
    for (i, s) in frag.counts.sites().iter().enumerate() {
        let names = o.names_covering[i];
        assert!(
            s.depth() <= names,
            "{test}: depth {} at {} exceeds the {names} read names covering it",
            s.depth(),
            i + 1
        );
        assert_eq!(
            s.depth() + s.lowq(),
            names,
            "{test}: at {} every fragment covering the position is one observation",
            i + 1
        );
        assert_eq!(
            s.depth(),
            o.names_passing[i],
            "{test}: at {} depth is the number of fragments whose best base passes",
            i + 1
        );
        let ind_site = &ind.counts.sites()[i];
        shared += u64::from(ind_site.depth() + ind_site.lowq() - s.depth() - s.lowq());
    }
    if overlapping_mates {
        assert!(
            o.pairs > 0 && shared > 0,
            "{test}: the file has no overlapping mates, so fragment mode is not exercised"
        );
    } else {
        assert_eq!(shared, 0, "{test}: mates were expected not to overlap");
    }

    note(&format!(
        "{test}: {} reads, {} name pairs, {shared} observations shared by overlapping mates; {:.1}s",
        o.reads,
        o.pairs,
        started.elapsed().as_secs_f64()
    ));
}

#[test]
fn oracle_gatk_na12878() {
    // Real NA12878 WGS, chrM:1-1150 at ~1,570x, 24 read groups, duplicates marked.
    check(
        "oracle_gatk_na12878",
        "gatk_na12878/NA12878.chrM_1-1150.bam",
        "97",
        true,
    );
}

#[test]
fn oracle_mitohpc_sample_a() {
    // Simulated 2x151 at ~100x, 3,366-contig hs38DH header, reads on other contigs;
    // wgsim's long fragments: mates never overlap, so fragment = independent here.
    check(
        "oracle_mitohpc_sample_a",
        "mitohpc_sim/bams/sample_A.bam",
        "1000",
        false,
    );
}

#[test]
fn oracle_sim_clone04() {
    // ART 2x150 at ~1,500x over the whole genome.
    check("oracle_sim_clone04", "sim_clones/clone04.bam", "2000", true);
}

#[test]
fn oracle_tenx_scatac_cra_v2() {
    // 10x scATAC: chrM:1-218 at ~23,000x (no depth cap anywhere), short fragments whose
    // mates overlap; a 50 bp window splits most pairs across work units.
    check(
        "oracle_tenx_scatac_cra_v2",
        "mgatk_singlecell/tenx_scatac/cra_v2.bam",
        "50",
        true,
    );
}

/// Count a CRAM and the BAM it was made from; the counts files must be identical but for
/// the `##input=` line, and so must the read tallies.
fn check_cram(test: &str, bam: &str, cram: &str, fasta: &str) {
    let Some([bam, cram, fasta]) =
        data_files(test, &[bam, cram, fasta]).map(|v| <[_; 3]>::try_from(v).unwrap())
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let fasta_s = fasta.to_str().unwrap();
    for (mode, window) in [("fragment", "3000"), ("independent", "16569")] {
        let args = ["--quiet", "--overlaps", mode, "--window", window];
        let b = tmp.path().join(format!("bam_{mode}"));
        assert_ok(&run_count(&[&bam], &b, &args), "BAM");
        let c = tmp.path().join(format!("cram_{mode}"));
        let mut cargs = args.to_vec();
        cargs.extend(["--reference", fasta_s]);
        assert_ok(&run_count(&[&cram], &c, &cargs), "CRAM");
        let (fb, fc) = (counts_files(&b), counts_files(&c));
        assert_eq!((fb.len(), fc.len()), (1, 1));
        let strip = |t: String| -> String {
            t.lines()
                .filter(|l| !l.starts_with("##input="))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (tb, tc) = (strip(counts_text(&fb[0])), strip(counts_text(&fc[0])));
        assert!(tb.lines().count() > 16_569);
        if tb != tc {
            let first = tb
                .lines()
                .zip(tc.lines())
                .find(|(x, y)| x != y)
                .map(|(x, y)| format!("BAM : {x}\nCRAM: {y}"));
            panic!("{test} ({mode}): CRAM and BAM counts differ; first difference:\n{first:?}");
        }
        let clone = read_counts(&fb[0]).header.clone;
        let (sb, sc) = (summary_of(&b, &clone), summary_of(&c, &clone));
        assert_eq!(sb["reads"], sc["reads"], "{test}: read tallies");
        assert_eq!(sc["input_format"], "CRAM");
        assert!(sb["reads"]["used"].as_u64().unwrap() > 1000);
    }
    // And the oracle reading the CRAM itself agrees with the fragment counts.
    let frag = read_counts(&counts_files(&tmp.path().join("cram_fragment"))[0]);
    let o = oracle::count_file(
        &cram,
        Some(&fasta),
        &OracleConfig {
            min_aligned_len: 30,
            ..OracleConfig::default()
        },
    );
    assert_file_matches(
        &frag.counts,
        &o.fragment,
        &format!("{test}: CRAM vs oracle"),
    );
}

#[test]
fn cram_equals_bam_mitohpc_sample_a() {
    // The derived CRAM holds the chrM reads of sample_A.bam (`samtools view -C ... chrM`);
    // reads on the other 3,365 contigs are not counted from either file.
    check_cram(
        "cram_equals_bam_mitohpc_sample_a",
        "mitohpc_sim/bams/sample_A.bam",
        "mitohpc_sim/derived_cram/sample_A.chrM_reads.cram",
        "reference/rCRS.chrM.fa",
    );
}

#[test]
fn cram_equals_bam_gatk_na12878() {
    check_cram(
        "cram_equals_bam_gatk_na12878",
        "gatk_na12878/NA12878.chrM_1-1150.bam",
        "gatk_na12878/NA12878.chrM_1-1150.cram",
        "gatk_na12878/Homo_sapiens_assembly38.mt_only.fasta",
    );
}
