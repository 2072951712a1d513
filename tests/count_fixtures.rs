//! SAM text fixtures for `mitosieve count`, each read commented with the case it
//! covers, and the exact counts worked out by hand.
//!
//! Quality characters used: `I` = 40, `?` = 30, `5` = 20 (the default threshold),
//! `4` = 19, `+` = 10, `#` = 2.
//!
//! Where samtools is installed the hand-worked expectations of the unpaired and paired
//! fixtures are also checked against `samtools mpileup` (independent mode), and always
//! against the slow oracle of `tests/common/oracle.rs`.

mod common;

use common::oracle::{self, OracleConfig};
use common::*;
use mitosieve::count::{Allele, FWD, REV};
use mitosieve::Position;
use rust_htslib::bam;
use rust_htslib::bam::record::{Cigar, CigarString};
use std::path::Path;

const HEADER: &str = "
@HD VN:1.6 SO:coordinate
@SQ SN:chrM LN:16569
@RG ID:fx SM:fixture
";

fn pos(p: u32) -> Position {
    Position::new(p).unwrap()
}

/// Every CIGAR operation, quality edge cases, IUPAC codes, reads at both ends.
const CIGAR_READS: &str = "
// M: eight aligned bases, forward strand.
m_op      0  chrM 101   60 8M       * 0 0 ACGTACGT IIIIIIII
// = and X (sequence match / mismatch) count like M; reverse strand.
eqx_op    16 chrM 201   60 3=1X4=   * 0 0 ACGTACGT IIIIIIII
// I: GG inserted after 304, the anchor; not on the reference.
ins_op    0  chrM 301   60 4M2I4M   * 0 0 ACGTGGACGT IIIIIIIIII
// D: 405-406 deleted (reverse strand), the -2 event anchored at 404.
del_op    16 chrM 401   60 4M2D4M   * 0 0 ACGTACGT IIIIIIII
// N: the 100-bp reference skip 505-604 counts nothing at all.
skip_op   0  chrM 501   60 4M100N4M * 0 0 ACGTACGT IIIIIIII
// S: three clipped bases before and two after are not counted.
soft_op   0  chrM 701   60 3S5M2S   * 0 0 TTTACGTAGG IIIIIIIIII
// H: hard-clipped bases are not in SEQ.
hard_op   16 chrM 801   60 5H5M3H   * 0 0 ACGTA IIIII
// P: padding consumes nothing; the TT insertion after it is anchored at 903.
pad_op    0  chrM 901   60 3M1P2I3M * 0 0 ACGTTACG IIIIIIII
// Base quality: 19 and 2 go to lowq; 20 (the threshold) counts.
lowq      0  chrM 1001  60 6M       * 0 0 ACGTAC I4I5#I
// A deleted base takes the quality of the read base after it (htslib): here 40, so
// 1104 counts as deleted; the anchor 1103 has quality 10, so it is lowq and the -1
// event is not counted.
del_q_ok  0  chrM 1101  60 3M1D3M   * 0 0 ACGTAC II+III
// Base after the deletion has quality 10: 1204 (deleted) and 1205 go to lowq; the
// anchor 1203 has 40, so the -1 event counts.
del_q_low 0  chrM 1201  60 3M1D3M   * 0 0 ACGTAC III+II
// IUPAC codes (R, Y) count as N, like N itself.
iupac     16 chrM 1301  60 5M       * 0 0 ARNYC IIIII
// An inserted IUPAC base is written N in the event.
ins_iupac 0  chrM 1401  60 2M1I2M   * 0 0 ACRGT IIIII
// A leading deletion (no base before it): quality of the base after it, no event.
lead_del  0  chrM 1501  60 2D4M     * 0 0 ACGT IIII
// Starts at position 1 (after a soft clip).
at_start  0  chrM 1     60 5S10M    * 0 0 GGGGGACGTACGTAC IIIIIIIIIIIIIII
// Ends exactly at 16569, reverse strand.
at_end    16 chrM 16560 60 10M      * 0 0 ACGTACGTAC IIIIIIIIII
// Runs 6 bases past the contig end: T at 16565-16569 counts, the Gs are dropped.
past_end  0  chrM 16565 60 11M      * 0 0 TTTTTGGGGGG IIIIIIIIIII
";

/// The counts of [`CIGAR_READS`], position by position.
const CIGAR_EXPECTED: &str = "
101 A_fwd 1
102 C_fwd 1
103 G_fwd 1
104 T_fwd 1
105 A_fwd 1
106 C_fwd 1
107 G_fwd 1
108 T_fwd 1
// eqx_op
201 A_rev 1
202 C_rev 1
203 G_rev 1
204 T_rev 1
205 A_rev 1
206 C_rev 1
207 G_rev 1
208 T_rev 1
// ins_op
301 A_fwd 1
302 C_fwd 1
303 G_fwd 1
304 T_fwd 1
304 ins_fwd 1
305 A_fwd 1
306 C_fwd 1
307 G_fwd 1
308 T_fwd 1
// del_op
401 A_rev 1
402 C_rev 1
403 G_rev 1
404 T_rev 1
405-406 del_rev 1
407 A_rev 1
408 C_rev 1
409 G_rev 1
410 T_rev 1
// skip_op
501 A_fwd 1
502 C_fwd 1
503 G_fwd 1
504 T_fwd 1
605 A_fwd 1
606 C_fwd 1
607 G_fwd 1
608 T_fwd 1
// soft_op
701 A_fwd 1
702 C_fwd 1
703 G_fwd 1
704 T_fwd 1
705 A_fwd 1
// hard_op
801 A_rev 1
802 C_rev 1
803 G_rev 1
804 T_rev 1
805 A_rev 1
// pad_op
901 A_fwd 1
902 C_fwd 1
903 G_fwd 1
903 ins_fwd 1
904 A_fwd 1
905 C_fwd 1
906 G_fwd 1
// lowq
1001 A_fwd 1
1002 lowq_fwd 1
1003 G_fwd 1
1004 T_fwd 1
1005 lowq_fwd 1
1006 C_fwd 1
// del_q_ok
1101 A_fwd 1
1102 C_fwd 1
1103 lowq_fwd 1
1104 del_fwd 1
1105 T_fwd 1
1106 A_fwd 1
1107 C_fwd 1
// del_q_low
1201 A_fwd 1
1202 C_fwd 1
1203 G_fwd 1
1204 lowq_fwd 1
1205 lowq_fwd 1
1206 A_fwd 1
1207 C_fwd 1
// iupac
1301 A_rev 1
1302-1304 N_rev 1
1305 C_rev 1
// ins_iupac
1401 A_fwd 1
1402 C_fwd 1
1402 ins_fwd 1
1403 G_fwd 1
1404 T_fwd 1
// lead_del
1501-1502 del_fwd 1
1503 A_fwd 1
1504 C_fwd 1
1505 G_fwd 1
1506 T_fwd 1
// at_start
1 A_fwd 1
2 C_fwd 1
3 G_fwd 1
4 T_fwd 1
5 A_fwd 1
6 C_fwd 1
7 G_fwd 1
8 T_fwd 1
9 A_fwd 1
10 C_fwd 1
// at_end
16560 A_rev 1
16561 C_rev 1
16562 G_rev 1
16563 T_rev 1
16564 A_rev 1
16565 C_rev 1
16566 G_rev 1
16567 T_rev 1
16568 A_rev 1
16569 C_rev 1
// past_end
16565-16569 T_fwd 1
";

const CIGAR_EVENTS: &[(u32, &str, u32, u32)] = &[
    (304, "+GG", 1, 0),
    (404, "-2", 0, 1),
    (903, "+TT", 1, 0),
    (1203, "-1", 1, 0),
    (1402, "+N", 1, 0),
];

fn fixture(dir: &Path, name: &str, reads: &str) -> std::path::PathBuf {
    sam_to_bam(dir, name, &format!("{HEADER}{reads}"))
}

#[test]
fn every_cigar_operation_and_edge() {
    let tmp = tempfile::tempdir().unwrap();
    let bam = fixture(tmp.path(), "cigar", CIGAR_READS);
    for mode in ["fragment", "independent"] {
        // Unpaired reads: both strategies give the same counts.
        let c = count_one(
            tmp.path(),
            mode,
            &bam,
            &["--quiet", "--min-aligned-len", "0", "--overlaps", mode],
        );
        assert_eq!(c.header.clone, "fixture", "clone named from @RG SM");
        assert_cells(&c.counts, CIGAR_EXPECTED, mode);
        assert_events(&c.counts, CIGAR_EVENTS, mode);
        let s = c.counts.site(pos(1004));
        assert_eq!(
            s.qsum[FWD][Allele::T as usize],
            20,
            "quality sums per allele"
        );
        assert_eq!(s.mean_quality(Allele::T), Some(20.0));
        let s = c.counts.site(pos(1303));
        assert_eq!(s.qsum[REV][Allele::N as usize], 40);
        assert_eq!(c.counts.site(pos(1104)).depth(), 1);
        assert_eq!(c.counts.site(pos(1204)).depth(), 0);
        let sum = summary_of(&tmp.path().join(mode), "fixture");
        assert_eq!(sum["reads"]["seen"], 17);
        assert_eq!(sum["reads"]["used"], 17);
    }
    // The same numbers from samtools and from the oracle.
    let ind = count_one(
        tmp.path(),
        "again",
        &bam,
        &[
            "--quiet",
            "--min-aligned-len",
            "0",
            "--overlaps",
            "independent",
        ],
    );
    let o = oracle::count_file(&bam, None, &OracleConfig::default());
    assert_counts_eq(&ind.counts, &o.independent, "cigar fixture vs oracle");
    if have_samtools("every_cigar_operation_and_edge") {
        let m = mpileup(&bam, "chrM", 20, None);
        for (i, s) in ind.counts.sites().iter().enumerate() {
            for strand in [FWD, REV] {
                assert_eq!(
                    &s.n[strand][..6],
                    &m.n[i][strand][..6],
                    "mpileup at {}",
                    i + 1
                );
            }
        }
    }
}

/// Overlapping and non-overlapping mates. Flags: 99 = paired, proper, mate reverse,
/// read 1 (forward); 147 = paired, proper, reverse, read 2.
const PAIR_READS: &str = "
// Mates agree on 2006-2010; read 2's quality (40) beats read 1's (30) there, so those
// five positions count once, on read 2's (reverse) strand, with quality 40.
agree        99  chrM 2001 60 10M    = 2006 15  ACGTACGTAC  ??????????   MC:Z:10M
agree        147 chrM 2006 60 10M    = 2001 -15 CGTACGGGGG  IIIIIIIIII   MC:Z:10M
// Mates disagree on 2106-2110 (A vs C). 2106-2107: read 1 (40) beats read 2 (30);
// 2108: 40 vs 40, a tie, becomes N (read 1's strand); 2109-2110: read 2 (40) wins.
disagree     99  chrM 2101 60 10M    = 2106 15  AAAAAAAAAA  IIIIIIII??
disagree     147 chrM 2106 60 10M    = 2101 -15 CCCCCCCCCC  ??IIIIIIII
// Read 1 has a G inserted after 2205 (anchor quality 40); read 2 crosses that junction
// without it (30): read 1 wins and the insertion counts once; the shared bases agree
// and go to read 1 (40 > 30).
ins_differ   99  chrM 2201 60 5M1I5M = 2203 11  ACGTAGCGTAC IIIIIIIIIII
ins_differ   147 chrM 2203 60 9M     = 2201 -11 GTACGTACG   ?????????
// Both mates start at 2301. Read 1 (30) deletes 2306-2307; read 2 (40) reads GG there
// and wins every shared position: all on the reverse strand, no deletion, no event.
del_differ   99  chrM 2301 60 5M2D5M = 2301 12  ACGTAACGTA  ??????????
del_differ   147 chrM 2301 60 12M    = 2301 -12 ACGTAGGACGTA IIIIIIIIIIII
// Equal qualities, read 2 first in the file: the bases agree (one observation each, on
// read 1's forward strand); only read 1 has the T insertion after 2405, a tie: no event.
tie_ins      147 chrM 2401 60 10M    = 2401 -10 ACGTACGTAC  ??????????
tie_ins      99  chrM 2401 60 5M1I5M = 2401 10  ACGTATCGTAC ???????????
// Both mates low where they overlap (10 and 19): one lowq observation there, on the
// strand of the better one (read 2).
lowq_pair    99  chrM 2501 60 6M     = 2504 9   ACGTAC      ++++++
lowq_pair    147 chrM 2504 60 6M     = 2501 -9  TACGGG      444444
// Read 2 has MAPQ 10 and is dropped: read 1 counts on its own.
mate_lowmapq 99  chrM 2601 60 6M     = 2603 8   ACGTAC      IIIIII
mate_lowmapq 147 chrM 2603 10 6M     = 2601 -8  GTACGG      IIIIII
// Read 2 is not in the file (a subset BAM): read 1 counts on its own.
mate_missing 99  chrM 2701 60 6M     = 2703 8   ACGTAC      IIIIII
// Mates 200 bp apart do not overlap: each counts as usual.
apart        99  chrM 2801 60 5M     = 3001 205 ACGTA       IIIII        MC:Z:5M
apart        147 chrM 3001 60 5M     = 2801 -205 ACGTA      IIIII        MC:Z:5M
";

const PAIR_FRAGMENT: &str = "
// agree
2001 A_fwd 1
2002 C_fwd 1
2003 G_fwd 1
2004 T_fwd 1
2005 A_fwd 1
2006 C_rev 1
2007 G_rev 1
2008 T_rev 1
2009 A_rev 1
2010 C_rev 1
2011-2015 G_rev 1
// disagree
2101-2107 A_fwd 1
2108 N_fwd 1
2109-2115 C_rev 1
// ins_differ
2201 A_fwd 1
2202 C_fwd 1
2203 G_fwd 1
2204 T_fwd 1
2205 A_fwd 1
2205 ins_fwd 1
2206 C_fwd 1
2207 G_fwd 1
2208 T_fwd 1
2209 A_fwd 1
2210 C_fwd 1
2211 G_rev 1
// del_differ
2301 A_rev 1
2302 C_rev 1
2303 G_rev 1
2304 T_rev 1
2305 A_rev 1
2306-2307 G_rev 1
2308 A_rev 1
2309 C_rev 1
2310 G_rev 1
2311 T_rev 1
2312 A_rev 1
// tie_ins
2401 A_fwd 1
2402 C_fwd 1
2403 G_fwd 1
2404 T_fwd 1
2405 A_fwd 1
2406 C_fwd 1
2407 G_fwd 1
2408 T_fwd 1
2409 A_fwd 1
2410 C_fwd 1
// lowq_pair
2501-2503 lowq_fwd 1
2504-2509 lowq_rev 1
// mate_lowmapq
2601 A_fwd 1
2602 C_fwd 1
2603 G_fwd 1
2604 T_fwd 1
2605 A_fwd 1
2606 C_fwd 1
// mate_missing
2701 A_fwd 1
2702 C_fwd 1
2703 G_fwd 1
2704 T_fwd 1
2705 A_fwd 1
2706 C_fwd 1
// apart
2801 A_fwd 1
2802 C_fwd 1
2803 G_fwd 1
2804 T_fwd 1
2805 A_fwd 1
3001 A_rev 1
3002 C_rev 1
3003 G_rev 1
3004 T_rev 1
3005 A_rev 1
";

/// The same reads, every read on its own (`--overlaps independent`).
const PAIR_INDEPENDENT: &str = "
// agree
2001 A_fwd 1
2002 C_fwd 1
2003 G_fwd 1
2004 T_fwd 1
2005 A_fwd 1
2006 C_fwd 1
2007 G_fwd 1
2008 T_fwd 1
2009 A_fwd 1
2010 C_fwd 1
2006 C_rev 1
2007 G_rev 1
2008 T_rev 1
2009 A_rev 1
2010 C_rev 1
2011-2015 G_rev 1
// disagree
2101-2110 A_fwd 1
2106-2115 C_rev 1
// ins_differ
2201 A_fwd 1
2202 C_fwd 1
2203 G_fwd 1
2204 T_fwd 1
2205 A_fwd 1
2205 ins_fwd 1
2206 C_fwd 1
2207 G_fwd 1
2208 T_fwd 1
2209 A_fwd 1
2210 C_fwd 1
2203 G_rev 1
2204 T_rev 1
2205 A_rev 1
2206 C_rev 1
2207 G_rev 1
2208 T_rev 1
2209 A_rev 1
2210 C_rev 1
2211 G_rev 1
// del_differ
2301 A_fwd 1
2302 C_fwd 1
2303 G_fwd 1
2304 T_fwd 1
2305 A_fwd 1
2306-2307 del_fwd 1
2308 A_fwd 1
2309 C_fwd 1
2310 G_fwd 1
2311 T_fwd 1
2312 A_fwd 1
2301 A_rev 1
2302 C_rev 1
2303 G_rev 1
2304 T_rev 1
2305 A_rev 1
2306-2307 G_rev 1
2308 A_rev 1
2309 C_rev 1
2310 G_rev 1
2311 T_rev 1
2312 A_rev 1
// tie_ins
2401 A_fwd 1
2402 C_fwd 1
2403 G_fwd 1
2404 T_fwd 1
2405 A_fwd 1
2405 ins_fwd 1
2406 C_fwd 1
2407 G_fwd 1
2408 T_fwd 1
2409 A_fwd 1
2410 C_fwd 1
2401 A_rev 1
2402 C_rev 1
2403 G_rev 1
2404 T_rev 1
2405 A_rev 1
2406 C_rev 1
2407 G_rev 1
2408 T_rev 1
2409 A_rev 1
2410 C_rev 1
// lowq_pair
2501-2506 lowq_fwd 1
2504-2509 lowq_rev 1
// mate_lowmapq (read 2 dropped)
2601 A_fwd 1
2602 C_fwd 1
2603 G_fwd 1
2604 T_fwd 1
2605 A_fwd 1
2606 C_fwd 1
// mate_missing
2701 A_fwd 1
2702 C_fwd 1
2703 G_fwd 1
2704 T_fwd 1
2705 A_fwd 1
2706 C_fwd 1
// apart
2801 A_fwd 1
2802 C_fwd 1
2803 G_fwd 1
2804 T_fwd 1
2805 A_fwd 1
3001 A_rev 1
3002 C_rev 1
3003 G_rev 1
3004 T_rev 1
3005 A_rev 1
";

#[test]
fn overlapping_mates_count_once_in_any_window() {
    let tmp = tempfile::tempdir().unwrap();
    let bam = fixture(tmp.path(), "pairs", PAIR_READS);
    for (mode, spec, events) in [
        ("fragment", PAIR_FRAGMENT, vec![(2205, "+G", 1, 0)]),
        (
            "independent",
            PAIR_INDEPENDENT,
            vec![(2205, "+G", 1, 0), (2305, "-2", 1, 0), (2405, "+T", 1, 0)],
        ),
    ] {
        let mut first: Option<Vec<u8>> = None;
        // Windows of 7 bp split every overlapping pair between work units (the mate
        // starts in a later window); 50 splits some; 150 and 16569 split none.
        for window in ["7", "50", "150", "16569"] {
            for threads in ["1", "2"] {
                let tag = format!("{mode}_w{window}_t{threads}");
                let c = count_one(
                    tmp.path(),
                    &tag,
                    &bam,
                    &[
                        "--quiet",
                        "--min-aligned-len",
                        "0",
                        "--overlaps",
                        mode,
                        "--window",
                        window,
                        "--threads",
                        threads,
                    ],
                );
                assert_cells(&c.counts, spec, &tag);
                assert_events(&c.counts, &events, &tag);
                let bytes = std::fs::read(counts_files(&tmp.path().join(&tag))[0].clone()).unwrap();
                match &first {
                    None => first = Some(bytes),
                    Some(f) => assert!(*f == bytes, "{tag}: output differs from window 7"),
                }
                let s = summary_of(&tmp.path().join(&tag), "fixture");
                assert_eq!(s["reads"]["seen"], 17, "{tag}");
                assert_eq!(s["reads"]["used"], 16, "{tag}");
                assert_eq!(s["reads"]["dropped"]["low_mapq"], 1, "{tag}");
            }
        }
    }
    // The quality kept for an agreeing overlap is the better mate's, not a sum.
    let c = count_one(
        tmp.path(),
        "q",
        &bam,
        &["--quiet", "--min-aligned-len", "0"],
    );
    assert_eq!(c.counts.site(pos(2006)).qsum[REV][Allele::C as usize], 40);
    assert_eq!(c.counts.site(pos(2006)).qsum[FWD][Allele::C as usize], 0);
    assert_eq!(c.counts.site(pos(2108)).qsum[FWD][Allele::N as usize], 40);
    // The oracle and samtools agree with the hand-worked numbers.
    let o = oracle::count_file(&bam, None, &OracleConfig::default());
    assert_counts_eq(&c.counts, &o.fragment, "pairs: fragment vs oracle");
    if have_samtools("overlapping_mates_count_once_in_any_window") {
        let ind = count_one(
            tmp.path(),
            "ind",
            &bam,
            &[
                "--quiet",
                "--min-aligned-len",
                "0",
                "--overlaps",
                "independent",
            ],
        );
        let m = mpileup(&bam, "chrM", 20, None);
        for (i, s) in ind.counts.sites().iter().enumerate() {
            for strand in [FWD, REV] {
                assert_eq!(
                    &s.n[strand][..6],
                    &m.n[i][strand][..6],
                    "mpileup at {}",
                    i + 1
                );
            }
        }
    }
}

/// One read of each kind the read filter knows, all on 3101-3140 (40 bp).
const FILTER_READS: &str = "
@SQ SN:chr1 LN:248956422
// Counted: a plain good read.
good          0    chrM 3101 60 40M      *    0    0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
// Unmapped (0x4), placed at its mate's position: dropped as unmapped.
unmapped      4    chrM 3101 0  *        *    0    0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
// Secondary (0x100).
secondary     256  chrM 3101 60 40M      *    0    0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
// Supplementary (0x800).
supplementary 2048 chrM 3101 60 40M      *    0    0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
// QC fail (0x200).
qcfail        512  chrM 3101 60 40M      *    0    0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
// Duplicate (0x400).
duplicate     1024 chrM 3101 60 40M      *    0    0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
// Duplicate and MAPQ 5: counted under the first reason that applies, duplicate.
dup_lowmapq   1024 chrM 3101 5  40M      *    0    0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
// MAPQ 19 < 20.
low_mapq      0    chrM 3101 19 40M      *    0    0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
// 29 aligned bases < 30 (clips do not count).
short         0    chrM 3101 60 10S29M1S *    0    0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
// Mate mapped to chr1 (a NUMT signal): kept and counted by default, and tallied.
mate_other    65   chrM 3101 60 40M      chr1 5000 0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII
// Edit distance 5 > --max-nm 4.
high_nm       0    chrM 3101 60 40M      *    0    0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII NM:i:5
// Edit distance 4 = --max-nm 4: kept.
nm_ok         0    chrM 3101 60 40M      *    0    0 ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII NM:i:4
";

/// A mapped record (flag 0, MAPQ 60) without any CIGAR operation: invalid. htslib's SAM
/// parser would turn it into an unmapped read, so it is made with rust-htslib directly.
/// (A CIGAR that disagrees with the sequence length cannot be stored: htslib refuses
/// to read such a record, and the run fails as on a corrupt file.)
fn invalid_record() -> bam::Record {
    let mut r = bam::Record::new();
    let seq = b"ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT";
    r.set(b"invalid", Some(&CigarString(vec![])), seq, &[40; 40]);
    r.set_tid(0);
    r.set_pos(3100);
    r.set_mapq(60);
    r.set_flags(0);
    r.set_mtid(-1);
    r.set_mpos(-1);
    r
}

fn filter_fixture(dir: &Path) -> std::path::PathBuf {
    let text = sam_text(&format!("{HEADER}{FILTER_READS}"));
    let sam = dir.join("filters.sam");
    std::fs::write(&sam, text).unwrap();
    let mut reader = bam::Reader::from_path(&sam).unwrap();
    let header = bam::Header::from_template(bam::Read::header(&reader));
    let mut records: Vec<bam::Record> = bam::Read::records(&mut reader)
        .map(|r| r.unwrap())
        .collect();
    records.push(invalid_record());
    let out = dir.join("filters.bam");
    write_bam(&out, &header, records, true, true);
    out
}

#[test]
fn every_drop_reason_is_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let bam = filter_fixture(tmp.path());
    let dropped = |s: &serde_json::Value, r: &str| s["reads"]["dropped"][r].as_u64().unwrap();

    // Defaults plus --max-nm 4.
    let out = tmp.path().join("default");
    assert_ok(
        &run_count(&[&bam], &out, &["--quiet", "--max-nm", "4"]),
        "default",
    );
    let s = summary_of(&out, "fixture");
    assert_eq!(s["reads"]["seen"], 13, "12 SAM reads + the invalid one");
    assert_eq!(dropped(&s, "invalid"), 1);
    assert_eq!(dropped(&s, "unmapped"), 1);
    assert_eq!(dropped(&s, "secondary"), 1);
    assert_eq!(dropped(&s, "supplementary"), 1);
    assert_eq!(dropped(&s, "qc_fail"), 1);
    assert_eq!(dropped(&s, "duplicate"), 2, "duplicate and dup_lowmapq");
    assert_eq!(dropped(&s, "low_mapq"), 1);
    assert_eq!(dropped(&s, "short"), 1);
    assert_eq!(dropped(&s, "mate_other_contig"), 0, "kept by default");
    assert_eq!(dropped(&s, "high_nm"), 1);
    assert_eq!(s["reads"]["dropped_total"], 10);
    assert_eq!(s["reads"]["used"], 3, "good, mate_other, nm_ok");
    assert_eq!(s["reads"]["mate_other_contig_kept"], 1);
    let c = counts_of(&out, "fixture");
    // ACGT repeated: 3101 A, 3102 C, 3103 G, 3104 T, ...; three reads, forward.
    let spec: String = (3101..=3140)
        .map(|p| format!("{p} {}_fwd 3\n", ["A", "C", "G", "T"][(p - 3101) % 4]))
        .collect();
    assert_cells(&c.counts, &spec, "default filters");
    for p in 3101..=3140 {
        assert_eq!(c.counts.site(pos(p)).mate_other_contig, 1, "at {p}");
    }

    // Dropping mates on other contigs.
    let out = tmp.path().join("drop_mate");
    assert_ok(
        &run_count(
            &[&bam],
            &out,
            &["--quiet", "--max-nm", "4", "--drop-mate-other-contig"],
        ),
        "drop mate",
    );
    let s = summary_of(&out, "fixture");
    assert_eq!(dropped(&s, "mate_other_contig"), 1);
    assert_eq!(s["reads"]["used"], 2);
    assert_eq!(s["reads"]["mate_other_contig_kept"], 0);
    assert_eq!(s["reads"]["dropped_total"], 11);
    let c = counts_of(&out, "fixture");
    assert_eq!(c.counts.site(pos(3120)).depth(), 2);
    assert_eq!(c.counts.site(pos(3120)).mate_other_contig, 0);

    // Everything optional switched off: only the invalid and the unmapped read go.
    let out = tmp.path().join("keep_all");
    assert_ok(
        &run_count(
            &[&bam],
            &out,
            &[
                "--quiet",
                "--keep-duplicates",
                "--keep-secondary",
                "--keep-supplementary",
                "--keep-qcfail",
                "--min-mapq",
                "0",
                "--min-aligned-len",
                "0",
            ],
        ),
        "keep all",
    );
    let s = summary_of(&out, "fixture");
    assert_eq!(s["reads"]["used"], 11);
    assert_eq!(s["reads"]["dropped_total"], 2);
    assert_eq!(dropped(&s, "invalid"), 1);
    assert_eq!(dropped(&s, "unmapped"), 1);
    let c = counts_of(&out, "fixture");
    // `short` covers 3101-3129 only (its 10 clipped bases come first).
    assert_eq!(c.counts.site(pos(3101)).depth(), 11);
    assert_eq!(c.counts.site(pos(3129)).depth(), 11);
    assert_eq!(c.counts.site(pos(3130)).depth(), 10);
    assert_eq!(c.counts.site(pos(3140)).depth(), 10);
    assert_eq!(c.counts.site(pos(3141)).depth(), 0);
}

#[test]
fn base_quality_threshold_moves_bases_to_lowq() {
    let tmp = tempfile::tempdir().unwrap();
    // Qualities 40, 19, 40, 20, 2, 40 at 1001-1006 (the `lowq` read of the CIGAR set).
    let bam = fixture(
        tmp.path(),
        "lowq",
        "// six bases, qualities 40 19 40 20 2 40, reverse strand.
         lowq 16 chrM 1001 60 6M * 0 0 ACGTAC I4I5#I",
    );
    let c = count_one(
        tmp.path(),
        "q20",
        &bam,
        &["--quiet", "--min-aligned-len", "0"],
    );
    assert_cells(
        &c.counts,
        "1001 A_rev 1\n1002 lowq_rev 1\n1003 G_rev 1\n1004 T_rev 1\n1005 lowq_rev 1\n1006 C_rev 1",
        "--min-bq 20",
    );
    // --min-bq 30: the 20 joins the low ones; --min-bq 0: everything counts.
    let c = count_one(
        tmp.path(),
        "q30",
        &bam,
        &["--quiet", "--min-aligned-len", "0", "--min-bq", "30"],
    );
    assert_cells(
        &c.counts,
        "1001 A_rev 1\n1002 lowq_rev 1\n1003 G_rev 1\n1004 lowq_rev 1\n1005 lowq_rev 1\n1006 C_rev 1",
        "--min-bq 30",
    );
    let c = count_one(
        tmp.path(),
        "q0",
        &bam,
        &["--quiet", "--min-aligned-len", "0", "--min-bq", "0"],
    );
    assert_cells(
        &c.counts,
        "1001 A_rev 1\n1002 C_rev 1\n1003 G_rev 1\n1004 T_rev 1\n1005 A_rev 1\n1006 C_rev 1",
        "--min-bq 0",
    );
    let sum = summary_of(&tmp.path().join("q20"), "fixture");
    assert_eq!(sum["bases"]["low_quality"], 2);
    assert_eq!(sum["bases"]["counted"], 4);
}

#[test]
fn no_depth_cap_at_120000x() {
    // 120,000 reads of 40 bp, read i starts at 5001 + (i mod 10), so all cover
    // 5010-5040. Read i is reverse when i mod 3 = 0; its base at 5030 is G when
    // i mod 7 = 0, else A; every other base is C. All qualities 40.
    //   G at 5030: i = 0, 7, ..., 119994 -> 17,143 reads; reverse (i mod 21 = 0): 5,715;
    //   forward 11,428. Reverse reads: 40,000, so A reverse = 40,000 - 5,715 = 34,285;
    //   A forward = 80,000 - 11,428 = 68,572. Depth 120,000 (samtools' default cap is
    //   8,000; htslib's pileup default 8,000).
    let n: u32 = 120_000;
    let tmp = tempfile::tempdir().unwrap();
    let header = chrm_header();
    let mut records = Vec::with_capacity(n as usize);
    for i in 0..n {
        let start = 5000 + i64::from(i % 10); // zero-based
        let mut seq = vec![b'C'; 40];
        seq[(5029 - start) as usize] = if i % 7 == 0 { b'G' } else { b'A' };
        let mut r = bam::Record::new();
        r.set(
            format!("deep{i}").as_bytes(),
            Some(&CigarString(vec![Cigar::Match(40)])),
            &seq,
            &[40; 40],
        );
        r.set_tid(0);
        r.set_pos(start);
        r.set_mapq(60);
        r.set_flags(if i % 3 == 0 { 16 } else { 0 });
        r.set_mtid(-1);
        r.set_mpos(-1);
        records.push(r);
    }
    let path = tmp.path().join("deep.bam");
    write_bam(&path, &header, records, true, true);
    for (tag, extra) in [
        ("w", vec!["--threads", "2"]),
        ("w7", vec!["--window", "7", "--threads", "2"]),
    ] {
        let mut args = vec!["--quiet"];
        args.extend(extra);
        let c = count_one(tmp.path(), tag, &path, &args);
        let s = c.counts.site(pos(5030));
        assert_eq!(s.allele_strand(Allele::G, FWD), 11_428, "{tag}");
        assert_eq!(s.allele_strand(Allele::G, REV), 5_715, "{tag}");
        assert_eq!(s.allele_strand(Allele::A, FWD), 68_572, "{tag}");
        assert_eq!(s.allele_strand(Allele::A, REV), 34_285, "{tag}");
        assert_eq!(s.depth(), 120_000, "{tag}");
        assert_eq!(s.qsum[FWD][Allele::A as usize], 68_572 * 40, "{tag}");
        for p in 5010..=5040 {
            assert_eq!(c.counts.site(pos(p)).depth(), 120_000, "{tag} at {p}");
        }
        // 5001 is covered only by i mod 10 = 0, 5049 only by i mod 10 = 9.
        assert_eq!(c.counts.site(pos(5001)).depth(), 12_000, "{tag}");
        assert_eq!(c.counts.site(pos(5049)).depth(), 12_000, "{tag}");
        assert_eq!(c.counts.site(pos(5050)).depth(), 0, "{tag}");
        let sum = summary_of(&tmp.path().join(tag), "deep");
        assert_eq!(sum["reads"]["used"], 120_000);
        assert_eq!(sum["depth"]["max"], 120_000);
    }
}

/// A multiplexed file: three read groups (two of sample s1), cell barcodes in CB.
const SPLIT_READS: &str = "
@RG ID:rg1 SM:s1
@RG ID:rg2 SM:s1
@RG ID:rg3 SM:s2
// rg1 / s1 / cell AAAC-1.
r1 0    chrM 4001 60 30M * 0 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA IIIIIIIIIIIIIIIIIIIIIIIIIIIIII RG:Z:rg1 CB:Z:AAAC-1
// rg1 / s1 / cell AAAC-1.
r2 0    chrM 4101 60 30M * 0 0 CCCCCCCCCCCCCCCCCCCCCCCCCCCCCC IIIIIIIIIIIIIIIIIIIIIIIIIIIIII RG:Z:rg1 CB:Z:AAAC-1
// rg2 / s1 / cell GGGT-1.
r3 0    chrM 4201 60 30M * 0 0 GGGGGGGGGGGGGGGGGGGGGGGGGGGGGG IIIIIIIIIIIIIIIIIIIIIIIIIIIIII RG:Z:rg2 CB:Z:GGGT-1
// rg3 / s2 / cell TTTT-1, which is not in the --groups list.
r4 16   chrM 4301 60 30M * 0 0 TTTTTTTTTTTTTTTTTTTTTTTTTTTTTT IIIIIIIIIIIIIIIIIIIIIIIIIIIIII RG:Z:rg3 CB:Z:TTTT-1
// No RG and no CB: unassigned under every split.
r5 0    chrM 4401 60 30M * 0 0 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA IIIIIIIIIIIIIIIIIIIIIIIIIIIIII
// rg3 / s2, no CB.
r6 0    chrM 4501 60 30M * 0 0 CCCCCCCCCCCCCCCCCCCCCCCCCCCCCC IIIIIIIIIIIIIIIIIIIIIIIIIIIIII RG:Z:rg3
// rg2 / s1 / cell GGGT-1, a duplicate: seen by its clone, dropped there.
r7 1024 chrM 4601 60 30M * 0 0 GGGGGGGGGGGGGGGGGGGGGGGGGGGGGG IIIIIIIIIIIIIIIIIIIIIIIIIIIIII RG:Z:rg2 CB:Z:GGGT-1
";

fn split_json(dir: &Path) -> serde_json::Value {
    let p = dir.join("split.bam.split.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| {
        panic!("{}: {e}", p.display());
    }))
    .unwrap()
}

fn clone_names(dir: &Path) -> Vec<String> {
    counts_files(dir)
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".counts.tsv.gz")
                .to_string()
        })
        .collect()
}

#[test]
fn split_by_read_group_sample_and_barcode() {
    let tmp = tempfile::tempdir().unwrap();
    let bam = fixture(tmp.path(), "split", SPLIT_READS);
    let seen_used = |dir: &Path, clone: &str| {
        let s = summary_of(dir, clone);
        (
            s["reads"]["seen"].as_u64().unwrap(),
            s["reads"]["used"].as_u64().unwrap(),
        )
    };

    // By read group.
    let out = tmp.path().join("rg");
    assert_ok(
        &run_count(&[&bam], &out, &["--quiet", "--split-by", "rg"]),
        "rg",
    );
    assert_eq!(clone_names(&out), ["rg1", "rg2", "rg3"]);
    assert_eq!(seen_used(&out, "rg1"), (2, 2));
    assert_eq!(seen_used(&out, "rg2"), (2, 1));
    assert_eq!(seen_used(&out, "rg3"), (2, 2));
    assert_cells(
        &counts_of(&out, "rg1").counts,
        "4001-4030 A_fwd 1\n4101-4130 C_fwd 1",
        "rg1",
    );
    assert_cells(&counts_of(&out, "rg2").counts, "4201-4230 G_fwd 1", "rg2");
    assert_cells(
        &counts_of(&out, "rg3").counts,
        "4301-4330 T_rev 1\n4501-4530 C_fwd 1",
        "rg3",
    );
    let j = split_json(&out);
    assert_eq!(j["split_by"], "rg");
    assert_eq!(j["clones"], 3);
    assert_eq!(j["unassigned"]["without_group"], 1, "r5");
    assert_eq!(j["unassigned"]["not_listed"], 0);
    assert_eq!(summary_of(&out, "rg1")["name_source"], "read_group_id");

    // By sample: rg1 and rg2 are both s1.
    let out = tmp.path().join("sm");
    assert_ok(
        &run_count(&[&bam], &out, &["--quiet", "--split-by", "sm"]),
        "sm",
    );
    assert_eq!(clone_names(&out), ["s1", "s2"]);
    assert_eq!(seen_used(&out, "s1"), (4, 3));
    assert_eq!(seen_used(&out, "s2"), (2, 2));
    assert_cells(
        &counts_of(&out, "s1").counts,
        "4001-4030 A_fwd 1\n4101-4130 C_fwd 1\n4201-4230 G_fwd 1",
        "s1",
    );
    assert_eq!(split_json(&out)["unassigned"]["without_group"], 1);

    // By cell barcode, with a whitelist that names a cell without reads.
    let groups = tmp.path().join("barcodes.txt");
    std::fs::write(&groups, "# cells to keep\nAAAC-1\nGGGT-1\n\nCCCC-1\n").unwrap();
    let out = tmp.path().join("cb");
    assert_ok(
        &run_count(
            &[&bam],
            &out,
            &["--split-by", "tag:CB", "--groups", groups.to_str().unwrap()],
        ),
        "cb",
    );
    assert_eq!(clone_names(&out), ["AAAC-1", "CCCC-1", "GGGT-1"]);
    assert_eq!(seen_used(&out, "AAAC-1"), (2, 2));
    assert_eq!(seen_used(&out, "GGGT-1"), (2, 1));
    assert_eq!(seen_used(&out, "CCCC-1"), (0, 0));
    assert_cells(
        &counts_of(&out, "AAAC-1").counts,
        "4001-4030 A_fwd 1\n4101-4130 C_fwd 1",
        "AAAC-1",
    );
    assert_cells(&counts_of(&out, "CCCC-1").counts, "", "CCCC-1 is all zero");
    let j = split_json(&out);
    assert_eq!(j["split_by"], "tag:CB");
    assert_eq!(j["unassigned"]["not_listed"], 1, "r4 (TTTT-1)");
    assert_eq!(j["unassigned"]["without_group"], 2, "r5, r6");
    assert!(
        summary_of(&out, "CCCC-1")["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("CCCC-1")),
        "an empty listed cell is reported"
    );

    // Without a whitelist every barcode is a clone.
    let out = tmp.path().join("cb_all");
    assert_ok(
        &run_count(&[&bam], &out, &["--quiet", "--split-by", "tag:CB"]),
        "cb all",
    );
    assert_eq!(clone_names(&out), ["AAAC-1", "GGGT-1", "TTTT-1"]);
    assert_eq!(split_json(&out)["unassigned"]["without_group"], 2);
}
