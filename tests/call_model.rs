//! The decisions of the caller on synthetic counts, through the library: the parts of
//! the model that the public truth sets do not exercise. None of them has a recurrent
//! site-specific artefact or a variant shared by every clone of a plate, so the
//! technical error model is shown here (a recurrent strand-specific or low-quality
//! artefact is not called; a patient's variant in every clone is), next to the strand
//! filters, the homoplasmy rule, the four target states with their exact sentences and
//! the "not detected" bound.
//!
//! Every clone has 1,000 usable reads (500 per strand, base quality 30) at every
//! position; only the listed sites carry other alleles. No test data needed.

use mitosieve::call::{call, CallConfig, CallSet, Genotype, SampleCall, TargetStatus};
use mitosieve::count::{Allele, Counts, FWD, REV};
use mitosieve::reference::rcrs;
use mitosieve::Position;

const Q: u64 = 30;
const PER_STRAND: u32 = 500;

/// A clone with 500 + 500 reference reads at every position.
fn clone() -> Counts {
    let mut c = Counts::new();
    let r = rcrs();
    for (i, s) in c.sites_mut().iter_mut().enumerate() {
        let Some(a) = Allele::from_ascii(r[i]).filter(|a| *a != Allele::N) else {
            continue;
        };
        for strand in [FWD, REV] {
            s.n[strand][a as usize] = PER_STRAND;
            s.qsum[strand][a as usize] = Q * u64::from(PER_STRAND);
        }
    }
    c
}

/// Replace `fwd` + `rev` reference reads at `pos` by `alt`.
fn put(c: &mut Counts, pos: u32, alt: u8, fwd: u32, rev: u32) {
    put_q(c, pos, alt, fwd, rev, Q);
}

/// Replace `fwd` + `rev` reference reads at `pos` by `alt` bases of quality `q`.
fn put_q(c: &mut Counts, pos: u32, alt: u8, fwd: u32, rev: u32, q: u64) {
    let i = pos as usize - 1;
    let r = Allele::from_ascii(rcrs()[i]).expect("rCRS base");
    let a = Allele::from_ascii(alt).expect("base");
    assert_ne!(r, a);
    let s = &mut c.sites_mut()[i];
    for (strand, k) in [(FWD, fwd), (REV, rev)] {
        s.n[strand][r as usize] -= k;
        s.qsum[strand][r as usize] -= Q * u64::from(k);
        s.n[strand][a as usize] += k;
        s.qsum[strand][a as usize] += q * u64::from(k);
    }
}

fn run(clones: &[Counts]) -> CallSet {
    run_with(clones, &CallConfig::default())
}

fn run_with(clones: &[Counts], config: &CallConfig) -> CallSet {
    let names: Vec<String> = (1..=clones.len()).map(|i| format!("clone{i:02}")).collect();
    let samples: Vec<(&str, &Counts)> = names.iter().map(String::as_str).zip(clones).collect();
    call(&samples, config).expect("call")
}

/// The calls of every clone for `pos` `alt`, or `None` when no record was written.
fn calls_at(set: &CallSet, pos: u32, alt: &str) -> Option<Vec<SampleCall>> {
    set.variants
        .iter()
        .find(|v| v.pos.get() == pos && v.alt_allele == alt)
        .map(|v| v.calls.clone())
}

fn passing_het(c: &SampleCall) -> bool {
    c.genotype == Genotype::Het && c.filters.is_empty()
}

fn rcrs_base(pos: u32) -> u8 {
    rcrs()[pos as usize - 1]
}

/// An alternative base at `pos` (not the rCRS base).
fn alt_base(pos: u32) -> u8 {
    let r = rcrs_base(pos);
    *b"ACGT".iter().find(|&&b| b != r).expect("an alternative")
}

/// The technical error model on a plate of seven clones:
/// * a recurrent artefact on the forward strand only (25 of 500 forward reads, none of
///   the reverse) in six clones is explained by the siblings' strand excess and not
///   called, while the seventh clone, which carries the allele at 10% on both strands,
///   is called;
/// * a recurrent artefact on both strands but with base quality 8 (the major allele's
///   is 30) in all seven clones is not called;
/// * a patient's variant at 2.5% on both strands with normal quality in **every**
///   clone is called in every clone: the siblings' level alone is no evidence of error;
/// * a private 2.5% variant in one clone is called there and nowhere else.
#[test]
fn technical_artefacts_are_rejected_and_shared_variants_called() {
    let (strand_site, lowq_site, shared, private) = (2_000, 2_500, 3_243, 6_000);
    let (sa, la, pa) = (
        alt_base(strand_site),
        alt_base(lowq_site),
        alt_base(private),
    );
    let mut clones: Vec<Counts> = (0..7).map(|_| clone()).collect();
    for c in clones.iter_mut().take(6) {
        put(c, strand_site, sa, 25, 0); // 25 of 1,000, forward only
    }
    put(&mut clones[6], strand_site, sa, 50, 50); // 100 of 1,000
    for c in clones.iter_mut() {
        put_q(c, lowq_site, la, 13, 12, 8); // 25 of 1,000 at quality 8
        put(c, shared, b'G', 13, 12); // 25 of 1,000: the patient's m.3243A>G
    }
    put(&mut clones[2], private, pa, 13, 12);
    let set = run(&clones);

    let at =
        calls_at(&set, strand_site, &(sa as char).to_string()).expect("a record for the 10% clone");
    for (i, c) in at.iter().enumerate().take(6) {
        assert_eq!(c.genotype, Genotype::Ref, "clone {}: {c:?}", i + 1);
        assert!(
            c.filters.iter().any(|f| f == "background"),
            "the rejection says why: {c:?}"
        );
        assert_eq!(c.background_source.as_str(), "siblings", "{c:?}");
        assert!(c.background_clones >= 5, "{c:?}");
        assert!(c.technical_share > 0.75, "{c:?}");
        // 5% of this clone's 500 forward reads, less two standard errors of the
        // siblings' strand difference: about 2%.
        assert!(c.background > 0.015 && c.background < 0.026, "{c:?}");
    }
    assert!(passing_het(&at[6]), "the 10% clone is called: {:?}", at[6]);

    // The low-quality artefact has no record at all (nothing was called).
    if let Some(at) = calls_at(&set, lowq_site, &(la as char).to_string()) {
        assert!(at.iter().all(|c| !c.genotype.is_variant()), "{at:?}");
    }

    let at = calls_at(&set, shared, "G").expect("a record for m.3243A>G");
    for (i, c) in at.iter().enumerate() {
        assert!(passing_het(c), "clone {}: shared variant {c:?}", i + 1);
        assert!((c.af - 0.025).abs() < 1e-9);
        assert!(c.technical_share < 0.2, "{c:?}");
        assert!(c.background < 0.002, "{c:?}");
    }
    let melas: Vec<_> = set
        .targets
        .iter()
        .filter(|t| t.target == "m.3243A>G")
        .collect();
    assert!(melas.iter().all(|t| t.status == TargetStatus::Detected));

    let alt = (pa as char).to_string();
    let at = calls_at(&set, private, &alt).expect("a record for the private variant");
    assert!(passing_het(&at[2]), "private 2.5% variant: {:?}", at[2]);
    assert!((at[2].af - 0.025).abs() < 1e-9);
    for (i, c) in at.iter().enumerate() {
        if i != 2 {
            assert_eq!(c.genotype, Genotype::Ref, "clone {}: {c:?}", i + 1);
        }
    }
    // Nothing else anywhere.
    let others: Vec<_> = set
        .variants
        .iter()
        .filter(|v| ![strand_site, shared, private].contains(&v.pos.get()))
        .filter(|v| v.calls.iter().any(|c| c.genotype.is_variant()))
        .map(|v| v.name.clone())
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

/// Minor-allele reads on one strand only are not a PASS heteroplasmy, and the filter
/// says why; the same count split over both strands is.
#[test]
fn one_strand_evidence_is_filtered() {
    let (one_strand, both) = (4_000, 4_500);
    let mut clones: Vec<Counts> = (0..4).map(|_| clone()).collect();
    put(&mut clones[0], one_strand, alt_base(one_strand), 50, 0);
    put(&mut clones[0], both, alt_base(both), 25, 25);
    let set = run(&clones);
    let c = &calls_at(
        &set,
        one_strand,
        &(alt_base(one_strand) as char).to_string(),
    )
    .expect("a record")[0];
    assert_eq!(c.genotype, Genotype::Het, "{c:?}");
    assert!(!c.filters.is_empty(), "{c:?}");
    assert!(
        c.filters
            .iter()
            .any(|f| f == "strand_bias" || f == "few_alt_reads_per_strand"),
        "{c:?}"
    );
    let c = &calls_at(&set, both, &(alt_base(both) as char).to_string()).expect("a record")[0];
    assert!(passing_het(c), "{c:?}");
}

/// With the ALT as the major allele, the call is heteroplasmic when the reference
/// allele is a credible heteroplasmy (as mutserve reports it) and homoplasmic only when
/// it is not: 98.4% ALT with 16 reference reads on both strands is `0/1` at AF 0.984;
/// 99.8% ALT with 2 reference reads is `1/1`.
#[test]
fn minor_reference_allele_makes_a_heteroplasmy() {
    let (het, hom) = (7_000, 7_100);
    let mut clones: Vec<Counts> = (0..4).map(|_| clone()).collect();
    put(&mut clones[1], het, alt_base(het), 492, 492); // 98.4%
    put(&mut clones[1], hom, alt_base(hom), 499, 499); // 99.8%
    let set = run(&clones);
    let at = calls_at(&set, het, &(alt_base(het) as char).to_string()).expect("record");
    let c = &at[1];
    assert_eq!(
        (c.genotype, c.filters.is_empty()),
        (Genotype::Het, true),
        "{c:?}"
    );
    assert!((c.af - 0.984).abs() < 1e-9);
    assert_eq!((c.ref_count, c.alt_count), (16, 984));
    for i in [0, 2, 3] {
        assert_eq!(at[i].genotype, Genotype::Ref, "{:?}", at[i]);
    }
    let c = &calls_at(&set, hom, &(alt_base(hom) as char).to_string()).expect("record")[1];
    assert_eq!(
        (c.genotype, c.filters.is_empty()),
        (Genotype::Hom, true),
        "{c:?}"
    );
    assert!((c.af - 0.998).abs() < 1e-9);
}

/// Below the threshold, with the reference allele a clear minor allele (12% of 1,000
/// reads, both strands, Q30), the call is heteroplasmic (0/1), by the documented rule
/// "1/1 when AF >= 0.95 or no other allele is a significant heteroplasmy".
///
/// BUG (reported, not fixed here): when no sibling carries the ALT, the background of
/// the minor ("not ALT") allele is learned from siblings whose not-ALT fraction is
/// ~100% (src/call/evaluate.rs, `sibling_background(&not_alt_pairs, ..)`), so the 12%
/// is "explained" and the clone is called 1/1. The same happens on real data:
/// `mitosieve call` of sim_clones clone01, 02, 06 and 07 calls clone06's m.3243A>G at
/// 84% homoplasmic (fixed: the background of an allele comes only from clones where
/// it is a minor allele).
#[test]
fn high_heteroplasmy_in_one_clone_is_not_homoplasmic() {
    let het = 7_500;
    let mut clones: Vec<Counts> = (0..4).map(|_| clone()).collect();
    put(&mut clones[1], het, alt_base(het), 440, 440); // 88%
    let set = run(&clones);
    let c = &calls_at(&set, het, &(alt_base(het) as char).to_string()).expect("record")[1];
    assert!((c.af - 0.88).abs() < 1e-9);
    assert_eq!(
        (c.genotype, c.filters.is_empty()),
        (Genotype::Het, true),
        "{c:?}"
    );
}

/// A pathogenic target with no alt read is "not detected" with the exact one-sided 95%
/// bound (1 − 0.05^(1/n) for 0 of n) and a detection limit; at 3 of 1,000 reads it is
/// not significant against the technical background (0.05% of 1,000 = 0.5 reads
/// expected), and the bound covers the observation.
#[test]
fn targets_not_detected_with_exact_bounds() {
    let mut clones: Vec<Counts> = (0..3).map(|_| clone()).collect();
    put(&mut clones[1], 3243, b'G', 2, 1);
    let set = run(&clones);
    let m3243: Vec<_> = set
        .targets
        .iter()
        .filter(|t| t.target == "m.3243A>G")
        .collect();
    assert_eq!(m3243.len(), 3);
    assert_eq!(m3243[0].pos, Position::new(3243).unwrap());
    let n = 1000f64;
    let exact = 1.0 - 0.05f64.powf(1.0 / n);
    assert_eq!(m3243[0].status, TargetStatus::NotDetected);
    assert_eq!((m3243[0].depth, m3243[0].alt_count), (1000, 0));
    assert!(
        (m3243[0].upper_bound - exact).abs() < 1e-6,
        "{} vs {exact}",
        m3243[0].upper_bound
    );
    assert!(
        m3243[0].lod >= 0.005 && m3243[0].lod < 0.05,
        "{}",
        m3243[0].lod
    );
    assert!(m3243[0].statement.contains("not detected"));
    assert!(
        m3243[0].statement.contains("0.30%"),
        "{}",
        m3243[0].statement
    );
    assert_eq!(m3243[1].status, TargetStatus::NotDetected);
    assert_eq!(m3243[1].alt_count, 3);
    assert!(m3243[1].upper_bound > 0.003 && m3243[1].upper_bound < 0.01);
}

/// The four states of a target, each with its exact sentence, with a 1% calling
/// threshold, in clones of one plate with 1,000 usable reads (Q30, both strands):
/// * m.3243A>G in 30 reads → `detected`;
/// * m.3243A>G in 0 reads and in 2 reads → `not_detected` (2 reads are consistent with
///   the technical background, 0.5 reads expected, and the sentence says they were
///   seen);
/// * 12 usable reads at m.3243 → `low_depth`;
/// * m.1555A>G in 15 of 1,626 reads (0.92%) → significant against the technical
///   background (0.8 reads expected, p ≈ 3e-10) but under 1%: `below_threshold`, with the
///   fraction and its interval.
///
/// The intervals are Clopper–Pearson (R: `binom.test(30, 1000)` gives 2.03%–4.26%,
/// `binom.test(15, 1626)` 0.52%–1.52%).
#[test]
fn target_states_with_their_sentences() {
    let mut clones: Vec<Counts> = (0..5).map(|_| clone()).collect();
    put(&mut clones[0], 3243, b'G', 15, 15);
    put(&mut clones[3], 3243, b'G', 1, 1);
    // Clone 5: 12 usable reads at 3243.
    let s = &mut clones[4].sites_mut()[3242];
    for strand in [FWD, REV] {
        s.n[strand][Allele::A as usize] = 6;
        s.qsum[strand][Allele::A as usize] = 6 * Q;
    }
    // Clone 2: 1,626 usable reads at 1555, 15 of them G.
    let s = &mut clones[1].sites_mut()[1554];
    for (strand, g) in [(FWD, 8), (REV, 7)] {
        s.n[strand][Allele::A as usize] = 813 - g;
        s.qsum[strand][Allele::A as usize] = u64::from(813 - g) * Q;
        s.n[strand][Allele::G as usize] = g;
        s.qsum[strand][Allele::G as usize] = u64::from(g) * Q;
    }
    let config = CallConfig {
        min_af: 0.01,
        ..CallConfig::default()
    };
    let set = run_with(&clones, &config);
    let state = |target: &str, clone: usize| {
        let t = set
            .targets
            .iter()
            .filter(|t| t.target == target)
            .nth(clone)
            .expect("a target row");
        (t.status, t.statement.as_str())
    };
    assert_eq!(
        state("m.3243A>G", 0),
        (
            TargetStatus::Detected,
            "m.3243A>G detected at 3.0% (95% CI 2.0%–4.3%, 30 of 1,000 usable reads)"
        )
    );
    assert_eq!(
        state("m.1555A>G", 1),
        (
            TargetStatus::BelowThreshold,
            "m.1555A>G seen at 0.92% (95% CI 0.52%–1.5%, 15 of 1,626 usable reads), below the 1% calling threshold"
        )
    );
    assert_eq!(
        state("m.3243A>G", 2),
        (
            TargetStatus::NotDetected,
            "m.3243A>G not detected (0 of 1,000 usable reads); < 0.30% at 95%, detection limit 1.0%"
        )
    );
    assert_eq!(
        state("m.3243A>G", 3),
        (
            TargetStatus::NotDetected,
            "m.3243A>G not detected above the technical background (2 of 1,000 usable reads, 0.20%; background 0.05% from the error floor); < 0.63% at 95%, detection limit 1.0%"
        )
    );
    assert_eq!(
        state("m.3243A>G", 4),
        (
            TargetStatus::LowDepth,
            "m.3243A>G not assessable: 12 usable reads (minimum 20), 0 with the allele; < 22% at 95%"
        )
    );
    // The same states in targets.tsv.
    let tsv = mitosieve::call::table::targets_tsv(&set);
    let states: Vec<&str> = tsv
        .lines()
        .filter(|l| l.contains("\tm.3243A>G\t"))
        .map(|l| l.split('\t').nth(6).unwrap_or(""))
        .collect();
    assert_eq!(
        states,
        [
            "detected",
            "not_detected",
            "not_detected",
            "not_detected",
            "low_depth"
        ]
    );
    assert!(tsv.contains("\tm.1555A>G\t1555\tMT-RNR1\t"));
    assert!(tsv
        .lines()
        .any(|l| l.starts_with("clone02\tm.1555A>G\t") && l.contains("\tbelow_threshold\t")));
    // Below the threshold is no call: GT 0/0, with the reason as the sample's filter.
    let c = &calls_at(&set, 1555, "G").expect("record")[1];
    assert_eq!(c.genotype, Genotype::Ref);
    assert_eq!(c.filters, vec!["below_min_af".to_string()]);
    assert!(c.above_background);
}

/// A catalogue target is a hypothesis named before the data are seen, so it is tested
/// against the technical background at `target_alpha` (1e-3, ~0.05 over the catalogue),
/// not at the genome-wide `alpha` (1e-6, ~0.05 over 16,569 × 3 substitutions). 7 of
/// 1,000 reads (4 + 3, 0.7%) against a 0.05% background (p ≈ 1.2e-5, beta-binomial
/// with ρ = 1e-4: scipy `betabinom.sf(6, 1000, 4.9995, 9994.0)`) is detected at m.3243A>G
/// and not called at a position outside the catalogue; with `target_alpha` set to
/// the genome-wide level the target is back to `not_detected`.
#[test]
fn targets_are_tested_at_the_catalogue_level() {
    let mut clones: Vec<Counts> = (0..4).map(|_| clone()).collect();
    // m.3243A>G, and the same evidence for an A>G at a position that names no target.
    let catalogue = mitosieve::call::Catalogue::builtin();
    let other = (2000..3000)
        .find(|&p| {
            let pos = mitosieve::reference::Position::new(p).expect("position");
            rcrs_base(p) == b'A' && catalogue.find(pos, 'G').is_none()
        })
        .expect("an A outside the catalogue");
    put(&mut clones[0], 3243, b'G', 4, 3);
    put(&mut clones[0], other, b'G', 4, 3);
    let set = run_with(&clones, &CallConfig::default());
    let t = set
        .targets
        .iter()
        .find(|t| t.target == "m.3243A>G" && t.sample == "clone01")
        .expect("target row");
    assert_eq!(t.status, TargetStatus::Detected, "{}", t.statement);
    assert_eq!(
        t.statement,
        "m.3243A>G detected at 0.70% (95% CI 0.28%–1.4%, 7 of 1,000 usable reads)"
    );
    // Outside the catalogue the same reads are no call (no record is written).
    let called = calls_at(&set, other, "G").is_some_and(|c| c[0].genotype.is_variant());
    assert!(!called, "m.{other}A>G is no target: not called");
    // At the genome-wide level the target is not detected, and the sentence says the
    // reads were seen.
    let strict = CallConfig {
        target_alpha: 1e-6,
        ..CallConfig::default()
    };
    let set = run_with(&clones, &strict);
    let t = set
        .targets
        .iter()
        .find(|t| t.target == "m.3243A>G" && t.sample == "clone01")
        .expect("target row");
    assert_eq!(t.status, TargetStatus::NotDetected);
    assert!(
        t.statement.contains("7 of 1,000 usable reads"),
        "{}",
        t.statement
    );
}

/// Verdicts agree with the numbers beside them: a target or a large deletion whose whole
/// 95% interval lies above its maximum is FAIL whatever its call status (here a target
/// `not_detected` because its reads were attributed to technical error, and a deletion
/// not called), and PASS needs the upper bound below the maximum.
#[test]
fn an_interval_above_the_maximum_fails_whatever_the_call_status() {
    use mitosieve::call::CallReport;
    use mitosieve::model::Interval;
    use mitosieve::select::{select, Policy, Verdict};
    let clones: Vec<Counts> = (0..3).map(|_| clone()).collect();
    let mut report = CallReport {
        command_line: "test".into(),
        count_settings: None,
        contig: "chrM".into(),
        inputs: vec![],
        calls: run(&clones),
    };
    // clone01: m.3243A>G reads at 8% (95% CI 6.3%–9.9%) that the caller attributed to a
    // technical signal (not_detected).
    let t = report
        .calls
        .targets
        .iter_mut()
        .find(|t| t.sample == "clone01" && t.target == "m.3243A>G")
        .unwrap();
    t.status = TargetStatus::NotDetected;
    t.af = 0.08;
    t.af_ci = Interval {
        lo: 0.063,
        hi: 0.099,
    };
    t.upper_bound = 0.095;
    // clone02: a deletion not called, but its interval lies above the 1% maximum.
    let d = report
        .calls
        .deletions
        .iter_mut()
        .find(|d| d.sample == "clone02")
        .expect("the common deletion is quantified in every clone");
    d.called = false;
    d.af = 0.03;
    d.af_ci = Interval { lo: 0.02, hi: 0.04 };
    d.upper_bound = 0.038;
    let sel = select(&report, &Policy::default(), None).unwrap();
    let v = |name: &str| sel.clones.iter().find(|c| c.clone == name).unwrap();
    assert_eq!(
        v("clone01").verdict,
        Verdict::Fail,
        "{:?}",
        v("clone01").reasons
    );
    assert!(
        v("clone01").reasons[0].starts_with(
            "m.3243A>G at 8.0% (95% CI 6.3%–9.9%, not above the technical background) exceeds the maximum 5.0%"
        ),
        "{:?}",
        v("clone01").reasons
    );
    assert_eq!(
        v("clone02").verdict,
        Verdict::Fail,
        "{:?}",
        v("clone02").reasons
    );
    assert!(
        v("clone02").reasons[0].starts_with("deletion m.8470_13446del at 3.0%"),
        "{:?}",
        v("clone02").reasons
    );
    // clone03 is untouched: 1,000 reads bound every target below 5%, but no deletion
    // below 1% (reads across breakpoints are few in these counts).
    assert_ne!(
        v("clone03").verdict,
        Verdict::Fail,
        "{:?}",
        v("clone03").reasons
    );
}
