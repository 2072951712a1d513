//! The patient's plate: every clone carries the patient's own variant, at similar low
//! levels, so the sibling clones are no panel of normals. Plates made by `mitosieve
//! simulate` from the recipes in `test-data/shared-variant/` (into a temporary
//! directory; nothing but the recipes is committed), run through the real binary:
//!
//! * (a) `low.toml`: 7 clones with m.3243A>G at 1.5–2.5%, none free of it → detected in
//!   all 7, fractions within max(1 pp, 3 SE) of the truth;
//! * (b) `high.toml`: 6 clones at 5.5–8% → detected; every clone whose 95% interval lies
//!   above the 5% maximum FAILs, none PASSes;
//! * (c) `artefact.toml`: m.3243A>G in 2 of 7 clones, and recurrent strand-specific,
//!   lower-quality artefacts in every clone (one of them at the m.1555A>G target, above
//!   the calling threshold) → the artefacts are not called, the variant is;
//! * (d) `passages.toml`: a passage series in which every library carries the variant →
//!   the stable clone is tracked and `STABLE`, the drifting one `DRIFT_UP`.
//!
//! No external data needed (about 2,000x per clone, a few seconds per plate).
#![cfg(feature = "cli")]

use mitosieve::call::{read_report, TargetStatus};
use mitosieve::select::{read_selection, Verdict};
use mitosieve::track::{read_track, Flag};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn recipe(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test-data/shared-variant")
        .join(name)
}

fn mitosieve(args: &[&str], dir: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_mitosieve"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the mitosieve binary runs");
    assert!(
        out.status.success(),
        "mitosieve {args:?} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Simulate a recipe into `dir/name/`; returns the BAMs in clone order and the truth
/// (clone → expected fraction of m.3243A>G).
fn simulate(dir: &Path, spec: &str, name: &str) -> (Vec<String>, HashMap<String, f64>) {
    let spec = recipe(spec);
    mitosieve(
        &[
            "simulate",
            "--spec",
            spec.to_str().unwrap(),
            "-o",
            name,
            "--quiet",
        ],
        dir,
    );
    let truth = std::fs::read_to_string(dir.join(name).join("truth.tsv")).unwrap();
    let mut clones = Vec::new();
    let mut expected = HashMap::new();
    for l in truth.lines().skip(1) {
        let f: Vec<&str> = l.split('\t').collect();
        if !clones.iter().any(|c: &String| c == f[0]) {
            clones.push(f[0].to_string());
        }
        if f[1] == "snv" && f[2] == "3243" {
            expected.insert(f[0].to_string(), f[5].parse::<f64>().unwrap());
        }
    }
    let bams = clones.iter().map(|c| format!("{name}/{c}.bam")).collect();
    (bams, expected)
}

fn run_plate(dir: &Path, bams: &[String], out: &str) {
    let mut args = vec!["run"];
    args.extend(bams.iter().map(String::as_str));
    args.extend(["-o", out, "--quiet"]);
    mitosieve(&args, dir);
}

/// (a) Every clone carries m.3243A>G at 1.5–2.5%: detected in all seven, with the
/// fraction within max(1 percentage point, 3 binomial SE) of the simulated one.
#[test]
fn a_variant_in_every_clone_at_a_low_level_is_detected_in_every_clone() {
    let tmp = tempfile::tempdir().unwrap();
    let (bams, truth) = simulate(tmp.path(), "low.toml", "low");
    assert_eq!(bams.len(), 7);
    run_plate(tmp.path(), &bams, "screen");
    let report = read_report(&tmp.path().join("screen/calls.json")).unwrap();
    let melas: Vec<_> = report
        .calls
        .targets
        .iter()
        .filter(|t| t.target == "m.3243A>G")
        .collect();
    assert_eq!(melas.len(), 7);
    for t in melas {
        let want = truth[&t.sample];
        assert_eq!(
            t.status,
            TargetStatus::Detected,
            "{}: {}",
            t.sample,
            t.statement
        );
        assert!(
            t.statement.starts_with("m.3243A>G detected at "),
            "{}",
            t.statement
        );
        let se = (want * (1.0 - want) / f64::from(t.depth)).sqrt();
        let tol = (3.0 * se).max(0.01);
        assert!(
            (t.af - want).abs() <= tol,
            "{}: af {} vs {want} (tolerance {tol})",
            t.sample,
            t.af
        );
        assert!(t.af_ci.contains(t.af));
        // The background is technical (no sibling level taken as error).
        assert!(
            t.background < 0.003,
            "{}: background {}",
            t.sample,
            t.background
        );
    }
    // The VCF agrees: one m.3243A>G record, 0/1 PASS in every clone.
    let v = report
        .calls
        .variants
        .iter()
        .find(|v| v.name == "m.3243A>G")
        .expect("a record");
    assert!(v
        .calls
        .iter()
        .all(|c| c.genotype == mitosieve::call::Genotype::Het && c.filters.is_empty()));
}

/// (b) Every clone at 5.5–8%: every one detected; a clone whose 95% interval lies wholly
/// above the 5% maximum FAILs; no clone PASSes.
#[test]
fn clones_above_the_maximum_fail_even_when_every_clone_carries_the_variant() {
    let tmp = tempfile::tempdir().unwrap();
    let (bams, _) = simulate(tmp.path(), "high.toml", "high");
    assert_eq!(bams.len(), 6);
    run_plate(tmp.path(), &bams, "screen");
    let report = read_report(&tmp.path().join("screen/calls.json")).unwrap();
    let sel = read_selection(&tmp.path().join("screen/selection.json")).unwrap();
    let mut failed = 0;
    for t in report
        .calls
        .targets
        .iter()
        .filter(|t| t.target == "m.3243A>G")
    {
        assert_eq!(t.status, TargetStatus::Detected, "{}", t.statement);
        let v = sel.clones.iter().find(|c| c.clone == t.sample).unwrap();
        assert_ne!(v.verdict, Verdict::Pass, "{}: {:?}", t.sample, v.reasons);
        if t.af_ci.lo > 0.05 {
            assert_eq!(v.verdict, Verdict::Fail, "{}: {:?}", t.sample, v.reasons);
            assert!(
                v.reasons[0].contains("m.3243A>G at") && v.reasons[0].contains("exceeds"),
                "{:?}",
                v.reasons
            );
            failed += 1;
        }
    }
    assert!(failed >= 4, "only {failed} clones lie wholly above 5%");
}

/// (c) Recurrent strand-specific, lower-quality artefacts in every clone (one at the
/// m.1555A>G target at 1.5% of the reads) beside m.3243A>G in two clones: the artefacts
/// are not called, the variant is, and m.1555A>G is "not detected above the technical
/// background" with the reads that were seen.
#[test]
fn recurrent_strand_specific_artefacts_are_not_called_and_the_variant_is() {
    let tmp = tempfile::tempdir().unwrap();
    let (bams, truth) = simulate(tmp.path(), "artefact.toml", "artefact");
    run_plate(tmp.path(), &bams, "screen");
    let report = read_report(&tmp.path().join("screen/calls.json")).unwrap();
    let set = &report.calls;
    for pos in [1555, 6419] {
        for v in set.variants.iter().filter(|v| v.pos.get() == pos) {
            assert!(
                v.calls.iter().all(|c| !c.genotype.is_variant()),
                "artefact at {pos} called: {:?}",
                v.calls
            );
        }
    }
    for t in set.targets.iter().filter(|t| t.target == "m.1555A>G") {
        assert_eq!(t.status, TargetStatus::NotDetected, "{}", t.statement);
        assert!(
            t.alt_count > 10,
            "the artefact is in the reads: {}",
            t.statement
        );
        assert!(
            t.statement
                .starts_with("m.1555A>G not detected above the technical background ("),
            "{}",
            t.statement
        );
        assert_eq!(t.background_source.as_str(), "siblings");
    }
    for t in set.targets.iter().filter(|t| t.target == "m.3243A>G") {
        let carrier = truth.contains_key(&t.sample);
        assert_eq!(
            t.status == TargetStatus::Detected,
            carrier,
            "{}: {}",
            t.sample,
            t.statement
        );
    }
    // No heteroplasmy anywhere else.
    let others: Vec<String> = set
        .variants
        .iter()
        .filter(|v| v.name != "m.3243A>G")
        .flat_map(|v| {
            v.calls
                .iter()
                .zip(&set.samples)
                .filter(|(c, _)| c.genotype == mitosieve::call::Genotype::Het)
                .map(move |(c, s)| format!("{s} {} {:?}", v.name, c.filters))
        })
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

/// (d) A passage series in which every library carries m.3243A>G: the stable clone (2%
/// at every passage) is tracked and STABLE, the drifting one (1% → 3% → 8%) DRIFT_UP,
/// and neither is a NEW_VARIANT (both are seen at the first passage).
#[test]
fn a_stable_clone_is_tracked_when_every_library_carries_the_variant() {
    let tmp = tempfile::tempdir().unwrap();
    simulate(tmp.path(), "passages.toml", "passages");
    std::fs::copy(
        recipe("passages.sheet.tsv"),
        tmp.path().join("passages/sheet.tsv"),
    )
    .unwrap();
    mitosieve(
        &["track", "passages/sheet.tsv", "-o", "track", "--quiet"],
        tmp.path(),
    );
    let track = read_track(&tmp.path().join("track/track.json")).unwrap();
    let traj = |clone: &str| {
        track
            .clones
            .iter()
            .find(|c| c.clone == clone)
            .unwrap_or_else(|| panic!("{clone} not in the track"))
            .trajectories
            .iter()
            .find(|t| t.variant == "m.3243A>G")
            .unwrap_or_else(|| panic!("m.3243A>G not tracked in {clone}"))
            .clone()
    };
    let stable = traj("stable");
    assert!(stable.flags.contains(&Flag::Stable), "{:?}", stable.flags);
    assert!(
        !stable.flags.contains(&Flag::NewVariant),
        "{:?}",
        stable.flags
    );
    assert!(
        stable.points.iter().all(|p| p.called),
        "{:?}",
        stable.points
    );
    let drift = traj("drift");
    assert!(drift.flags.contains(&Flag::DriftUp), "{:?}", drift.flags);
    assert!(
        !drift.flags.contains(&Flag::NewVariant),
        "{:?}",
        drift.flags
    );
    let tsv = std::fs::read_to_string(tmp.path().join("track/track.tsv")).unwrap();
    assert!(
        tsv.lines()
            .any(|l| l.starts_with("stable\tm.3243A>G\t") && l.contains("\tSTABLE\t")),
        "{tsv}"
    );
}
