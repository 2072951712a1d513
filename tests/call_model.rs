//! The decisions of the caller on synthetic counts, through the library: the parts of
//! the model that the public truth sets do not exercise. None of them has a recurrent
//! site-specific artefact, so the sibling-clone background (issue 3: "a recurrent
//! sequencing artefact at one site is not called in every clone") is shown here, next
//! to the strand filters, the homoplasmy threshold and the "not detected" bound.
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
    let i = pos as usize - 1;
    let r = Allele::from_ascii(rcrs()[i]).expect("rCRS base");
    let a = Allele::from_ascii(alt).expect("base");
    assert_ne!(r, a);
    let s = &mut c.sites_mut()[i];
    for (strand, k) in [(FWD, fwd), (REV, rev)] {
        s.n[strand][r as usize] -= k;
        s.qsum[strand][r as usize] -= Q * u64::from(k);
        s.n[strand][a as usize] += k;
        s.qsum[strand][a as usize] += Q * u64::from(k);
    }
}

fn run(clones: &[Counts]) -> CallSet {
    let names: Vec<String> = (1..=clones.len()).map(|i| format!("clone{i:02}")).collect();
    let samples: Vec<(&str, &Counts)> = names.iter().map(String::as_str).zip(clones).collect();
    call(&samples, &CallConfig::default()).expect("call")
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

/// A recurrent artefact at 2.5% in six clones is explained by the sibling background and
/// not called in any of them, while the clone that carries the allele at 10% is called.
/// The same 2.5% in one clone only (siblings clean) is a PASS heteroplasmy.
#[test]
fn sibling_background_rejects_recurrent_artefacts_but_not_private_variants() {
    let (recurrent, private) = (2_000, 6_000);
    let (ra, pa) = (alt_base(recurrent), alt_base(private));
    let mut clones: Vec<Counts> = (0..7).map(|_| clone()).collect();
    for c in clones.iter_mut().take(6) {
        put(c, recurrent, ra, 13, 12); // 25 of 1,000
    }
    put(&mut clones[6], recurrent, ra, 50, 50); // 100 of 1,000
    put(&mut clones[2], private, pa, 13, 12);
    let set = run(&clones);

    let alt = (ra as char).to_string();
    let at = calls_at(&set, recurrent, &alt).expect("a record for the 10% clone");
    for (i, c) in at.iter().enumerate().take(6) {
        assert!(
            !passing_het(c) && c.genotype != Genotype::Hom,
            "clone {} at the recurrent artefact: {c:?}",
            i + 1
        );
        assert!(
            c.filters.iter().any(|f| f == "background"),
            "the rejection says why: {c:?}"
        );
        assert!(c.background_clones >= 3, "{c:?}");
        assert!((c.background - 0.025).abs() < 0.01, "{c:?}");
    }
    assert!(passing_het(&at[6]), "the 10% clone is called: {:?}", at[6]);

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
        .filter(|v| v.pos.get() != recurrent && v.pos.get() != private)
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

/// GT 1/1 at or above the homoplasmy threshold (95%).
#[test]
fn homoplasmy_threshold() {
    let hom = 7_000;
    let mut clones: Vec<Counts> = (0..4).map(|_| clone()).collect();
    put(&mut clones[1], hom, alt_base(hom), 490, 490); // 98%
    let set = run(&clones);
    let at = calls_at(&set, hom, &(alt_base(hom) as char).to_string()).expect("record");
    let c = &at[1];
    assert_eq!(
        (c.genotype, c.filters.is_empty()),
        (Genotype::Hom, true),
        "{c:?}"
    );
    assert!((c.af - 0.98).abs() < 1e-9);
    for i in [0, 2, 3] {
        assert_eq!(at[i].genotype, Genotype::Ref, "{:?}", at[i]);
    }
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
/// still not called (below the 1% minimum), and the bound covers the observation.
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
        m3243[0].lod >= 0.01 && m3243[0].lod < 0.05,
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
