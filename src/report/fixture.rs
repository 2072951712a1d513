//! A small synthetic run for the report's unit tests: three clones (one with a hostile
//! name), one pathogenic target carried at 30% by one clone, one filtered
//! heteroplasmy, a coverage dip; the selection is made by the real [`select`].

use crate::call::{
    CallConfig, CallReport, CallSet, Genotype, SampleCall, SampleSummary, Target, TargetResult,
    TargetStatus, Variant, VariantKind,
};
use crate::deletion::{DeletionCall, COMMON_DELETION};
use crate::model::Interval;
use crate::reference::Position;
use crate::select::{select, Policy, Selection};

/// A clone name that would run script if it were not escaped.
pub const HOSTILE: &str = "<script>alert(1)</script>\"'&x";

fn sample_call(af: f64, depth: u32, genotype: Genotype, filters: &[&str]) -> SampleCall {
    let alt = (af * depth as f64).round() as u32;
    SampleCall {
        genotype,
        depth,
        ref_count: depth - alt,
        alt_count: alt,
        ref_fwd: (depth - alt) / 2,
        ref_rev: depth - alt - (depth - alt) / 2,
        alt_fwd: alt / 2,
        alt_rev: alt - alt / 2,
        af,
        af_ci: Interval {
            lo: (af - 0.02).max(0.0),
            hi: (af + 0.02).min(1.0),
        },
        upper_bound: (af + 0.015).min(1.0),
        lod: 0.004,
        background: 0.001,
        background_clones: 2,
        background_source: crate::call::BackgroundSource::ErrorFloor,
        sibling_level: 0.0,
        technical_share: 0.0,
        above_background: genotype.is_variant(),
        llr: 10.0,
        strand_bias: 0.1,
        qual: 50.0,
        filters: filters.iter().map(|s| s.to_string()).collect(),
        model: None,
    }
}

fn target(pos: u32, r: char, a: char, locus: &str, disease: &str) -> Target {
    Target {
        pos: Position::new(pos).unwrap(),
        ref_base: r,
        alt_base: a,
        locus: locus.into(),
        disease: disease.into(),
        class: "P".into(),
    }
}

/// The clone names of [`calls`].
pub fn names() -> Vec<String> {
    vec!["clone_a".into(), HOSTILE.into(), "clone_c".into()]
}

/// The common deletion in clone `sample`: called at 30% or quantified at 0.
fn common_deletion(sample: &str, af: f64) -> DeletionCall {
    let called = af > 0.0;
    DeletionCall {
        sample: sample.into(),
        span: COMMON_DELETION,
        name: COMMON_DELETION.name(),
        length: COMMON_DELETION.len(),
        repeat: 13,
        junction_reads: if called { 300 } else { 0 },
        split_reads: if called { 200 } else { 0 },
        clipped_reads: if called { 100 } else { 0 },
        junction_fwd: if called { 150 } else { 0 },
        junction_rev: if called { 150 } else { 0 },
        spanning_left: 700,
        spanning_right: 700,
        discordant_pairs: 0,
        coverage_ratio: if called { 0.7 } else { 1.0 },
        af,
        af_ci: Interval {
            lo: (af - 0.03).max(0.0),
            hi: af + 0.03,
        },
        upper_bound: af + 0.025,
        target: true,
        called,
    }
}

/// A call report of three clones; without large-deletion results when `deletions` is
/// false (calls made before deletion detection existed).
pub fn calls_with(deletions: bool) -> CallReport {
    let mut c = calls();
    if !deletions {
        c.calls.deletions.clear();
    }
    c
}

/// A call report of three clones.
pub fn calls() -> CallReport {
    let names = names();
    let melas = target(3243, 'A', 'G', "MT-TL1", "MELAS");
    let v3243 = Variant {
        pos: melas.pos,
        ref_allele: "A".into(),
        alt_allele: "G".into(),
        kind: VariantKind::Snv,
        name: "m.3243A>G".into(),
        locus: "MT-TL1".into(),
        pathogenic: Some(melas.clone()),
        artefact_site: None,
        qual: 50.0,
        filters: vec!["PASS".into()],
        calls: vec![
            sample_call(0.001, 1500, Genotype::Ref, &[]),
            sample_call(0.30, 1500, Genotype::Het, &[]),
            sample_call(0.0, 1500, Genotype::Ref, &[]),
        ],
    };
    let v302 = Variant {
        pos: Position::new(302).unwrap(),
        ref_allele: "A".into(),
        alt_allele: "C".into(),
        kind: VariantKind::Snv,
        name: "m.302A>C".into(),
        locus: "MT-DLOOP".into(),
        pathogenic: None,
        artefact_site: Some("homopolymer".into()),
        qual: 20.0,
        filters: vec!["strand_bias".into()],
        calls: vec![
            sample_call(0.04, 1500, Genotype::Het, &["strand_bias"]),
            sample_call(0.0, 1500, Genotype::Ref, &[]),
            sample_call(0.0, 1500, Genotype::Ref, &[]),
        ],
    };
    let v263 = Variant {
        pos: Position::new(263).unwrap(),
        ref_allele: "A".into(),
        alt_allele: "G".into(),
        kind: VariantKind::Snv,
        name: "m.263A>G".into(),
        locus: "MT-DLOOP".into(),
        pathogenic: None,
        artefact_site: None,
        qual: 99.0,
        filters: vec!["PASS".into()],
        calls: (0..3)
            .map(|_| sample_call(1.0, 1500, Genotype::Hom, &[]))
            .collect(),
    };
    let targets = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let c = &v3243.calls[i];
            TargetResult {
                sample: n.clone(),
                target: "m.3243A>G".into(),
                pos: melas.pos,
                locus: "MT-TL1".into(),
                disease: "MELAS".into(),
                class: "P".into(),
                status: if c.genotype == Genotype::Het {
                    TargetStatus::Detected
                } else {
                    TargetStatus::NotDetected
                },
                depth: c.depth,
                alt_count: c.alt_count,
                af: c.af,
                af_ci: c.af_ci,
                upper_bound: c.upper_bound,
                lod: c.lod,
                background: c.background,
                background_source: c.background_source,
                genotype: c.genotype,
                filters: vec![],
                statement: String::new(),
            }
        })
        .collect();
    let summaries = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut bins = vec![1500f32; 166];
            if i == 2 {
                for b in &mut bins[85..135] {
                    *b = 1050.0;
                }
            }
            SampleSummary {
                sample: n.clone(),
                mean_depth: 1450.0,
                breadth: 0.999,
                heteroplasmies: 1,
                homoplasmies: 1,
                filtered: 0,
                coverage_bins: bins,
            }
        })
        .collect();
    CallReport {
        command_line: "mitosieve call a.bam <b>.bam -o out".into(),
        count_settings: None,
        contig: "chrM".into(),
        inputs: vec!["a.bam".into()],
        calls: CallSet {
            mitosieve_version: crate::VERSION.into(),
            samples: names,
            config: CallConfig::default(),
            catalogue: "test-catalogue (unit test)".into(),
            variants: vec![v263, v302, v3243],
            targets,
            summaries,
            deletions: vec![
                common_deletion("clone_a", 0.0),
                common_deletion(HOSTILE, 0.0),
                common_deletion("clone_c", 0.3),
            ],
        },
    }
}

/// The selection of [`calls`] under the default policy.
pub fn selection(calls: &CallReport) -> Selection {
    let mut s = select(calls, &Policy::default(), None).expect("select");
    s.command_line = "mitosieve select out -o sel".into();
    s
}
