//! `mitosieve track` on a passage series made by the project's own simulator from
//! `test-data/passages.toml` (generated into a temporary directory, never committed):
//! clone `drift` whose m.3243A>G rises 1% → 3% → 8% over passages 5, 10 and 15, clone
//! `stable` at 2% throughout with m.5460G>A appearing (5%) at passage 15 only, and clone
//! `clean` without heteroplasmy at passages 5 and 15. All at 2,000x.
#![cfg(feature = "cli")]

use mitosieve::select::{read_selection, Selection, Verdict};
use mitosieve::track::{read_track, Flag, TrackSet, Trajectory};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mitosieve(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mitosieve"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the mitosieve binary runs")
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (clone, passage, file) of the series.
const SERIES: &[(&str, &str, &str)] = &[
    ("drift", "5", "drift_p5"),
    ("drift", "10", "drift_p10"),
    ("drift", "15", "drift_p15"),
    ("stable", "5", "stable_p5"),
    ("stable", "10", "stable_p10"),
    ("stable", "15", "stable_p15"),
    ("clean", "5", "clean_p5"),
    ("clean", "15", "clean_p15"),
];

fn write_sheet(path: &Path, file_of: impl Fn(&str, &str, &str) -> String) {
    let mut text =
        String::from("# passage series of test-data/passages.toml\nclone\tpassage\tpath\n");
    for (c, p, f) in SERIES {
        text.push_str(&format!("{c}\t{p}\t{}\n", file_of(c, p, f)));
    }
    std::fs::write(path, text).unwrap();
}

fn trajectory<'a>(t: &'a TrackSet, clone: &str, variant: &str) -> &'a Trajectory {
    t.clones
        .iter()
        .find(|c| c.clone == clone)
        .unwrap_or_else(|| panic!("clone {clone} not in the track"))
        .trajectories
        .iter()
        .find(|t| t.variant == variant)
        .unwrap_or_else(|| panic!("{variant} not tracked in {clone}"))
}

fn verdict<'a>(sel: &'a Selection, clone: &str) -> &'a mitosieve::select::CloneVerdict {
    sel.clones.iter().find(|c| c.clone == clone).unwrap()
}

fn tsv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(header, mitosieve::track::TRACK_COLUMNS);
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(cells.len(), header.len(), "{l}");
            header
                .iter()
                .zip(cells)
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn passage_series_drift_stable_new_variant_and_the_drift_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = tmp.path().join("passages");
    let spec = root().join("test-data/passages.toml");
    let out = mitosieve(
        &[
            "simulate",
            "--spec",
            spec.to_str().unwrap(),
            "-o",
            sim.to_str().unwrap(),
            "--quiet",
        ],
        tmp.path(),
    );
    ok(&out, "simulate");
    // The shipped sheet, beside the BAMs (its paths are relative to it).
    let sheet = sim.join("sheet.tsv");
    std::fs::copy(root().join("test-data/passages.sheet.tsv"), &sheet).unwrap();

    // 1. Default policy (maximum 5%, drift allowance 2 points).
    let out = mitosieve(&["track", "passages/sheet.tsv", "-o", "t1"], tmp.path());
    ok(&out, "track");
    // Results (trajectories, verdicts) on stdout, messages on stderr.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("DRIFT_UP"), "{stdout}");
    assert!(
        stdout.contains("clone  ") && stdout.contains("verdict"),
        "{stdout}"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("DRIFT_UP"));
    let t1 = tmp.path().join("t1");
    for f in [
        "track.tsv",
        "track.json",
        "selection.tsv",
        "selection.json",
        "policy.resolved.toml",
        "report.html",
        "calls.json",
        "calls.vcf.gz",
    ] {
        assert!(t1.join(f).is_file(), "{f} missing");
    }
    let track = read_track(&t1.join("track.json")).unwrap();
    let d = trajectory(&track, "drift", "m.3243A>G");
    assert!(d.has(Flag::DriftUp), "drift clone flags {:?}", d.flags);
    assert!(d.has(Flag::CrossedLimit), "drift clone flags {:?}", d.flags);
    assert!(d.exceeds_drift_limit);
    let afs: Vec<f64> = d.points.iter().map(|p| p.af).collect();
    assert!(
        (0.005..0.02).contains(&afs[0])
            && (0.02..0.045).contains(&afs[1])
            && (0.065..0.1).contains(&afs[2]),
        "{afs:?}"
    );
    assert!(d.slope.unwrap() > 0.004, "{:?}", d.slope);
    let s = trajectory(&track, "stable", "m.3243A>G");
    assert_eq!(s.flags, vec![Flag::Stable], "stable clone");
    assert!(!s.exceeds_drift_limit);
    let n = trajectory(&track, "stable", "m.5460G>A");
    assert!(n.has(Flag::NewVariant), "{:?}", n.flags);
    assert!(!n.points[0].called && n.points[2].called);
    assert!(
        track
            .clones
            .iter()
            .find(|c| c.clone == "clean")
            .unwrap()
            .trajectories
            .is_empty(),
        "nothing tracked in the clean clone"
    );
    // No other clone or variant is flagged NEW_VARIANT or DRIFT (no false positives).
    for c in &track.clones {
        for t in &c.trajectories {
            let expected = (c.clone.as_str(), t.variant.as_str());
            if expected != ("drift", "m.3243A>G") && expected != ("stable", "m.5460G>A") {
                assert_eq!(t.flags, vec![Flag::Stable], "{expected:?}");
            }
        }
    }
    // track.tsv says the same, with every column.
    let rows = tsv_rows(&t1.join("track.tsv"));
    let row = |c: &str, v: &str| {
        rows.iter()
            .find(|r| r["clone"] == c && r["variant"] == v)
            .unwrap_or_else(|| panic!("{c} {v} not in track.tsv"))
    };
    assert_eq!(row("drift", "m.3243A>G")["flags"], "DRIFT_UP,CROSSED_LIMIT");
    assert_eq!(row("drift", "m.3243A>G")["exceeds_drift_limit"], "yes");
    assert_eq!(row("drift", "m.3243A>G")["max_load"], "0.0500");
    assert_eq!(row("stable", "m.3243A>G")["flags"], "STABLE");
    assert!(row("stable", "m.5460G>A")["flags"].contains("NEW_VARIANT"));
    assert_eq!(row("stable", "m.5460G>A")["target"], "no");
    assert_eq!(row("drift", "m.3243A>G")["slope_unit"], "per_passage");
    assert_eq!(row("drift", "m.3243A>G")["first_passage"], "5");
    assert_eq!(row("drift", "m.3243A>G")["last_passage"], "15");

    // The selection at the last passage: drift FAIL with the drift reason first.
    let sel = read_selection(&t1.join("selection.json")).unwrap();
    let v = verdict(&sel, "drift");
    assert_eq!(v.verdict, Verdict::Fail);
    assert!(
        v.reasons[0].starts_with("drift: m.3243A>G rose from"),
        "{:?}",
        v.reasons
    );
    assert_eq!(verdict(&sel, "stable").verdict, Verdict::Pass);
    assert!(verdict(&sel, "stable")
        .reasons
        .iter()
        .any(|r| r.contains("new during expansion") && r.contains("m.5460G>A")));
    assert_eq!(verdict(&sel, "clean").verdict, Verdict::Pass);
    // The report has a trajectory panel per clone, with the policy line.
    let html = std::fs::read_to_string(t1.join("report.html")).unwrap();
    assert!(html.contains("id=\"passages\""));
    for c in ["drift", "stable", "clean"] {
        assert!(
            html.contains(&format!("data-plot=\"trajectory\" data-clone=\"{c}\"")),
            "no trajectory plot for {c}"
        );
    }
    assert!(html.contains("data-max=\"0.05\""), "policy line");
    assert!(html.contains("data-flags=\"DRIFT_UP CROSSED_LIMIT\""));

    // 2. From the counts files the first run wrote (no BAM read again), with a 15%
    // maximum: the drift clone is below the maximum at its last passage but still
    // FAILs, by the drift rule alone; CROSSED_LIMIT no longer applies.
    let sheet2 = t1.join("counts/sheet.tsv");
    write_sheet(&sheet2, |c, p, _| format!("{c}_{p}.counts.tsv.gz"));
    std::fs::write(
        tmp.path().join("policy15.toml"),
        "[targets]\nmax_load = 0.15\n",
    )
    .unwrap();
    let out = mitosieve(
        &[
            "track",
            "t1/counts/sheet.tsv",
            "-o",
            "t2",
            "--policy",
            "policy15.toml",
            "-q",
        ],
        tmp.path(),
    );
    ok(&out, "track from counts");
    let t2 = tmp.path().join("t2");
    let track2 = read_track(&t2.join("track.json")).unwrap();
    let d2 = trajectory(&track2, "drift", "m.3243A>G");
    assert_eq!(d2.flags, vec![Flag::DriftUp]);
    assert_eq!(
        d2.points
            .iter()
            .map(|p| (p.alt_count, p.depth))
            .collect::<Vec<_>>(),
        d.points
            .iter()
            .map(|p| (p.alt_count, p.depth))
            .collect::<Vec<_>>(),
        "counts files give the same numbers as the BAMs"
    );
    let sel2 = read_selection(&t2.join("selection.json")).unwrap();
    let v2 = verdict(&sel2, "drift");
    assert_eq!(v2.verdict, Verdict::Fail);
    assert!(v2.reasons[0].starts_with("drift:"), "{:?}", v2.reasons);
    assert!(
        !v2.reasons.iter().any(|r| r.contains("exceeds the maximum")),
        "only the drift rule fails it: {:?}",
        v2.reasons
    );
    assert_eq!(verdict(&sel2, "stable").verdict, Verdict::Pass);

    // 3. A looser drift allowance (10 points): the same clone PASSes.
    std::fs::write(
        tmp.path().join("loose.toml"),
        "[targets]\nmax_load = 0.15\n[drift]\nmax_increase = 0.10\n",
    )
    .unwrap();
    let out = mitosieve(
        &[
            "track",
            "t1/counts/sheet.tsv",
            "-o",
            "t3",
            "--policy",
            "loose.toml",
            "-q",
        ],
        tmp.path(),
    );
    ok(&out, "track with a loose drift rule");
    let sel3 = read_selection(&tmp.path().join("t3/selection.json")).unwrap();
    let v3 = verdict(&sel3, "drift");
    assert_eq!(v3.verdict, Verdict::Pass, "{:?}", v3.reasons);
    assert!(v3
        .reasons
        .iter()
        .any(|r| r.starts_with("all tracked targets within the allowed drift")));

    // 4. `select --track`: the drift rule on a selection made by `select` from the
    // calls of the last passage. With a 15% maximum the drift clone PASSes without the
    // track and FAILs by the drift rule with it.
    let out = mitosieve(
        &[
            "select",
            "t1/calls.json",
            "-o",
            "s_plain",
            "--policy",
            "policy15.toml",
            "-q",
        ],
        tmp.path(),
    );
    ok(&out, "select without the track");
    let plain = read_selection(&tmp.path().join("s_plain/selection.json")).unwrap();
    assert_eq!(verdict(&plain, "drift").verdict, Verdict::Pass);
    let out = mitosieve(
        &[
            "select",
            "t1/calls.json",
            "-o",
            "s_track",
            "--policy",
            "policy15.toml",
            "--track",
            "t1/track.json",
            "-q",
        ],
        tmp.path(),
    );
    ok(&out, "select --track");
    let tracked = read_selection(&tmp.path().join("s_track/selection.json")).unwrap();
    let v4 = verdict(&tracked, "drift");
    assert_eq!(v4.verdict, Verdict::Fail, "{:?}", v4.reasons);
    assert!(v4.reasons[0].starts_with("drift:"), "{:?}", v4.reasons);
    let html = std::fs::read_to_string(tmp.path().join("s_track/report.html")).unwrap();
    assert!(
        html.contains("id=\"passages\""),
        "trajectory panel in the report"
    );
    // A track that is not a track file: exit 1, the file named, no output directory.
    std::fs::write(tmp.path().join("bad.json"), "{not json").unwrap();
    let out = mitosieve(
        &[
            "select",
            "t1/calls.json",
            "-o",
            "s_bad",
            "--track",
            "bad.json",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
    assert!(!tmp.path().join("s_bad").exists());
    // `run --track` reads the track before counting: a bad one fails at once.
    let out = mitosieve(
        &[
            "run",
            "passages/drift_p15.bam",
            "-o",
            "r_bad",
            "--track",
            "bad.json",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
    assert!(!tmp.path().join("r_bad").exists());
}

#[test]
fn sheet_errors_fail_before_counting() {
    let tmp = tempfile::tempdir().unwrap();
    let sheet = tmp.path().join("sheet.tsv");
    std::fs::write(
        &sheet,
        "clone\tpassage\tpath\nc1\t5\tnone.bam\nc1\tlate\tnone2.bam\n",
    )
    .unwrap();
    let out = mitosieve(&["track", "sheet.tsv", "-o", "out"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sheet.tsv:3:") && err.contains("late"),
        "{err}"
    );
    assert!(!tmp.path().join("out").exists(), "nothing written");
    // A missing input names the sheet line.
    std::fs::write(&sheet, "clone\tpassage\tpath\nc1\t5\tnone.bam\n").unwrap();
    let out = mitosieve(&["track", "sheet.tsv", "-o", "out"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sheet.tsv:2") && err.contains("none.bam"),
        "{err}"
    );
    // A bad drift setting is a usage error.
    let out = mitosieve(
        &["track", "sheet.tsv", "-o", "out", "--drift-alpha", "2"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
}
