//! Property tests for `mitosieve count` on random small read sets: random CIGARs (M, =,
//! X, I, D, N, S), random mates that overlap or not (present, missing, filtered,
//! unmapped, on another contig), random base and mapping qualities, near either end of
//! the genome; half the reads random, half agreeing with rCRS but for a few mismatches
//! and low qualities (the counter's bulk fast path, with exceptions in it).
//!
//! (a) The counts file text and the read tallies are identical for 1, 2 or 3 threads
//!     and any window size, in both overlap modes.
//! (b) `--overlaps independent` equals the slow oracle of `tests/common/oracle.rs`
//!     exactly (every cell, quality sums, indel events), and so does `fragment` mode
//!     its fragment oracle (reads grouped by name alone).
//! (c) The two readers agree: `--window` runs read through htslib, the default plan
//!     through the project's own BGZF reader (`src/input/bgzf.rs`).
//!
//! The library is called directly (the binary adds only file writing, which the other
//! test files cover) to keep each case fast.

mod common;

use common::oracle::{self, OracleConfig};
use common::{assert_counts_eq, sam_to_bam, MT_LEN};
use mitosieve::count::file::{render, CountsHeader};
use mitosieve::count::{count, CountConfig, OverlapMode};
use mitosieve::filter::ReadFilter;
use proptest::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// One CIGAR: (op, length) pairs.
type Cig = Vec<(char, u32)>;

fn cigar() -> impl Strategy<Value = Cig> {
    (
        prop::option::weighted(0.3, 1u32..6),
        prop::collection::vec(
            (
                prop::sample::select(vec!['M', 'M', 'M', '=', 'X']),
                1u32..40,
            ),
            1..5,
        ),
        prop::collection::vec((prop::sample::select(vec!['I', 'D', 'D', 'N']), 1u32..4), 4),
        prop::option::weighted(0.3, 1u32..6),
    )
        .prop_map(|(lead, segs, seps, trail)| {
            let mut c = Vec::new();
            if let Some(s) = lead {
                c.push(('S', s));
            }
            for (i, seg) in segs.iter().enumerate() {
                if i > 0 {
                    let (op, len) = seps[i - 1];
                    c.push((op, if op == 'N' { len * 9 } else { len }));
                }
                c.push(*seg);
            }
            if let Some(s) = trail {
                c.push(('S', s));
            }
            c
        })
}

fn ref_span(c: &Cig) -> u32 {
    c.iter()
        .filter(|(op, _)| matches!(op, 'M' | '=' | 'X' | 'D' | 'N'))
        .map(|(_, l)| l)
        .sum()
}

fn cigar_text(c: &Cig) -> String {
    c.iter().map(|(op, l)| format!("{l}{op}")).collect()
}

/// How the reads of one fragment look.
#[derive(Clone, Debug)]
enum Kind {
    /// Two mates (read 2 may be missing from the file).
    Pair { r2_present: bool, delta: u32 },
    /// One unpaired read.
    Single,
    /// A paired read whose mate maps to chr1.
    MateElsewhere,
    /// A paired read whose mate is unmapped (that record placed beside it).
    MateUnmapped,
}

#[derive(Clone, Debug)]
struct Fragment {
    kind: Kind,
    start: u32,
    c1: Cig,
    c2: Cig,
    r1_rev: bool,
    mapq: (u8, u8),
    dup: bool,
    mc: bool,
    seed: u64,
}

fn fragment() -> impl Strategy<Value = Fragment> {
    let kind = prop_oneof![
        6 => (prop::bool::weighted(0.85), 0u32..220)
            .prop_map(|(r2_present, delta)| Kind::Pair { r2_present, delta }),
        2 => Just(Kind::Single),
        1 => Just(Kind::MateElsewhere),
        1 => Just(Kind::MateUnmapped),
    ];
    let mapq = prop::sample::select(vec![60u8, 60, 60, 60, 20, 19, 0]);
    (
        kind,
        0u32..400,
        cigar(),
        cigar(),
        any::<bool>(),
        (mapq.clone(), mapq),
        prop::bool::weighted(0.05),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(kind, start, c1, c2, r1_rev, mapq, dup, mc, seed)| Fragment {
                kind,
                start,
                c1,
                c2,
                r1_rev,
                mapq,
                dup,
                mc,
                seed,
            },
        )
}

/// Deterministic bases and qualities for a read with CIGAR `c` at zero-based `pos0`.
/// Half the reads are random bases and qualities (every base an exception to the
/// counter's fast path); the other half agree with rCRS at good qualities but for a few
/// mismatches, `N`s and low qualities (mostly the fast path, with exceptions in it).
fn seq_qual(seed: u64, c: &Cig, pos0: u32) -> (String, String) {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let rcrs = mitosieve::reference::rcrs();
    let clean = next() % 2 == 0;
    let quals = [2u8, 10, 19, 20, 21, 30, 40, 40, 40];
    let mut seq = String::new();
    let mut qual = String::new();
    let mut rpos = pos0 as usize;
    for &(op, len) in c {
        for _ in 0..len {
            let on_ref = matches!(op, 'M' | '=' | 'X');
            if matches!(op, 'D' | 'N') {
                rpos += 1;
                continue;
            }
            let r = next();
            let b = if clean && on_ref && rpos < rcrs.len() && r % 100 >= 3 {
                rcrs[rpos]
            } else {
                b"ACGTACGTACGTN"[(r % 13) as usize]
            };
            let q = if clean && (r >> 8) % 100 >= 3 {
                30 + ((r >> 16) % 12) as u8
            } else {
                quals[((r >> 8) % 9) as usize]
            };
            seq.push(b as char);
            qual.push((q + 33) as char);
            if on_ref {
                rpos += 1;
            }
        }
    }
    (seq, qual)
}

/// Place a read so that it ends at or before the contig end.
fn place(start: u32, c: &Cig) -> u32 {
    start.min(MT_LEN as u32 - ref_span(c))
}

/// One SAM line (fields separated by spaces, see `common::sam_text`).
#[allow(clippy::too_many_arguments)]
fn line(
    name: &str,
    flag: u16,
    pos0: u32,
    mapq: u8,
    c: &Cig,
    rnext: &str,
    pnext: u32,
    seed: u64,
    tags: &str,
) -> String {
    let (seq, qual) = seq_qual(seed, c, pos0);
    format!(
        "{name} {flag} chrM {} {mapq} {} {rnext} {pnext} 0 {seq} {qual} {tags}\n",
        pos0 + 1,
        cigar_text(c),
    )
}

/// The SAM text of a read set (`near_end`: reads near 16569 instead of 1).
fn sam(frags: &[Fragment], near_end: bool) -> String {
    let mut t = String::from(
        "@HD VN:1.6 SO:coordinate\n@SQ SN:chrM LN:16569\n@SQ SN:chr1 LN:248956422\n@RG ID:p SM:prop\n",
    );
    let base = if near_end { MT_LEN as u32 - 500 } else { 0 };
    for (i, f) in frags.iter().enumerate() {
        let name = format!("f{i}");
        let dup = if f.dup { 0x400 } else { 0 };
        let rev = if f.r1_rev { 0x10 } else { 0 };
        let p1 = place(base + f.start, &f.c1);
        match f.kind {
            Kind::Pair { r2_present, delta } => {
                let p2 = place(p1 + delta, &f.c2);
                let mc = |c: &Cig| {
                    if f.mc {
                        format!("MC:Z:{}", cigar_text(c))
                    } else {
                        String::new()
                    }
                };
                // Read 1: paired, proper, first; its strand bit and its mate's (opposite).
                let fl1 = 0x1 | 0x2 | 0x40 | (if f.r1_rev { 0x10 } else { 0x20 }) | dup;
                t += &line(
                    &name,
                    fl1,
                    p1,
                    f.mapq.0,
                    &f.c1,
                    "=",
                    p2 + 1,
                    f.seed,
                    &mc(&f.c2),
                );
                if r2_present {
                    let fl2 = 0x1 | 0x2 | 0x80 | (if f.r1_rev { 0x20 } else { 0x10 });
                    let seed2 = f.seed.rotate_left(17);
                    t += &line(
                        &name,
                        fl2,
                        p2,
                        f.mapq.1,
                        &f.c2,
                        "=",
                        p1 + 1,
                        seed2,
                        &mc(&f.c1),
                    );
                }
            }
            Kind::Single => {
                t += &line(&name, rev | dup, p1, f.mapq.0, &f.c1, "*", 0, f.seed, "");
            }
            Kind::MateElsewhere => {
                let fl = 0x1 | 0x40 | rev | dup;
                t += &line(&name, fl, p1, f.mapq.0, &f.c1, "chr1", 1000, f.seed, "");
            }
            Kind::MateUnmapped => {
                let fl = 0x1 | 0x8 | 0x40 | rev | dup;
                t += &line(&name, fl, p1, f.mapq.0, &f.c1, "=", p1 + 1, f.seed, "");
                // The unmapped mate, placed at read 1's position.
                let (seq, qual) = seq_qual(f.seed ^ 7, &vec![('S', 30)], p1);
                let _ = writeln!(
                    t,
                    "{name} {} chrM {} 0 * = {} 0 {seq} {qual}",
                    0x1 | 0x4 | 0x80,
                    p1 + 1,
                    p1 + 1
                );
            }
        }
    }
    t
}

fn config(mode: OverlapMode, threads: usize, window: Option<u32>) -> CountConfig {
    CountConfig {
        filter: ReadFilter {
            min_aligned_len: 0,
            ..ReadFilter::default()
        },
        overlaps: mode,
        threads,
        window,
        ..CountConfig::default()
    }
}

/// Count and render the one clone: (counts file text, read tally, counts).
fn run(bam: &Path, cfg: &CountConfig) -> (String, String, mitosieve::count::Counts) {
    let mut clones = count(&[bam.to_path_buf()], cfg).expect("count");
    assert_eq!(clones.len(), 1);
    let c = clones.pop().unwrap();
    let text = render(&CountsHeader::for_clone(&c), &c.counts);
    let tally = serde_json::to_string(&c.summary.reads).unwrap();
    (text, tally, c.counts)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 40,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn counts_do_not_depend_on_threads_or_windows_and_match_the_oracle(
        frags in prop::collection::vec(fragment(), 1..30),
        near_end in prop::bool::weighted(0.3),
        runs in prop::collection::vec((1usize..4, 20u32..4000), 3),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let bam = sam_to_bam(tmp.path(), "prop", &sam(&frags, near_end));
        let o = oracle::count_file(&bam, None, &OracleConfig::default());
        for mode in [OverlapMode::Independent, OverlapMode::Fragment] {
            let (text, tally, counts) = run(&bam, &config(mode, 1, Some(MT_LEN as u32)));
            let want = match mode {
                OverlapMode::Independent => &o.independent,
                OverlapMode::Fragment => &o.fragment,
            };
            assert_counts_eq(&counts, want, &format!("{mode} vs oracle"));
            for &(threads, window) in &runs {
                let (t2, tally2, _) = run(&bam, &config(mode, threads, Some(window)));
                prop_assert!(
                    t2 == text,
                    "{} counts differ with --threads {} --window {}", mode, threads, window
                );
                prop_assert_eq!(&tally2, &tally);
            }
            // The default window (chosen from the thread count) too.
            let (t3, _, _) = run(&bam, &config(mode, 3, None));
            prop_assert!(t3 == text, "{} counts differ with the default window", mode);
        }
    }
}
