//! `mitosieve run` / `select` on the simulated clone plate (`sim_clones/`): every verdict
//! and its reasons, an INCONCLUSIVE clone with a depth estimate, and bad policy files.
//!
//! Why the expected verdicts are right: `sim_clones/truth.tsv` (see the data README)
//! gives clone01 16093T>C 12% and 9055G>A 3% (not pathogenic targets) and clone02
//! m.3243A>G 0.4% (below 5% even at its upper bound), so both PASS; clone03 carries
//! m.5650G>A at 25%, clone04 m.3243A>G at 10%, clone05 m.3243A>G 45% and m.12315G>A 6%,
//! clone06 m.3243A>G 85% — all above the default 5% maximum; clone07 comes from another
//! donor (19 homoplasmic differences, e.g. 73A>G, 4216T>C, 10398A>G, 16069C>T).

mod common;

use common::{bin, data_file, note};
use mitosieve::select::{read_selection, Selection, Verdict};
use std::path::{Path, PathBuf};
use std::process::Command;

fn sim_clones(test: &str) -> Option<Vec<PathBuf>> {
    let dir = data_file(test, "sim_clones")?;
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("sim_clones readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bam"))
        .collect();
    v.sort();
    assert_eq!(v.len(), 7, "sim_clones holds 7 BAMs");
    Some(v)
}

fn run_plate(out: &Path, bams: &[PathBuf], extra: &[&str]) -> Selection {
    let o = Command::new(bin())
        .arg("run")
        .args(bams)
        .arg("-o")
        .arg(out)
        .args(["--quiet", "--threads", "2"])
        .args(extra)
        .output()
        .expect("run mitosieve");
    assert!(
        o.status.success(),
        "mitosieve run failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    read_selection(&out.join("selection.json")).expect("selection.json")
}

fn clone<'a>(s: &'a Selection, name: &str) -> &'a mitosieve::select::CloneVerdict {
    s.clones
        .iter()
        .find(|c| c.clone == name)
        .unwrap_or_else(|| panic!("{name} missing"))
}

fn has_reason(c: &mitosieve::select::CloneVerdict, needle: &str) -> bool {
    c.reasons.iter().any(|r| r.contains(needle))
}

#[test]
fn sim_clones_default_policy_verdicts_and_reasons() {
    let Some(bams) = sim_clones("sim_clones_default_policy_verdicts_and_reasons") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let s = run_plate(tmp.path(), &bams, &[]);
    for c in &s.clones {
        note(&format!(
            "{} {} {:?} {}",
            c.clone,
            c.verdict.as_str(),
            c.rank,
            c.reasons.join(" | ")
        ));
    }
    let c1 = clone(&s, "clone01");
    let c2 = clone(&s, "clone02");
    assert_eq!(
        (c1.verdict, c1.rank),
        (Verdict::Pass, Some(1)),
        "{:?}",
        c1.reasons
    );
    assert_eq!(
        (c2.verdict, c2.rank),
        (Verdict::Pass, Some(2)),
        "{:?}",
        c2.reasons
    );
    assert!(c1.max_target_upper_bound < c2.max_target_upper_bound);
    assert!(has_reason(c2, "all ") && has_reason(c2, "targets below their maximum"));

    let c3 = clone(&s, "clone03");
    assert_eq!(c3.verdict, Verdict::Fail);
    assert!(
        has_reason(c3, "m.5650G>A at") && has_reason(c3, "exceeds the maximum 5.0%"),
        "{:?}",
        c3.reasons
    );
    assert!(
        !has_reason(c3, "m.3243A>G at"),
        "3243 at 2% is below the maximum: {:?}",
        c3.reasons
    );

    let c4 = clone(&s, "clone04");
    assert_eq!(c4.verdict, Verdict::Fail);
    assert!(has_reason(c4, "m.3243A>G at"), "{:?}", c4.reasons);

    let c5 = clone(&s, "clone05");
    assert_eq!(c5.verdict, Verdict::Fail);
    assert!(
        has_reason(c5, "m.3243A>G at") && has_reason(c5, "m.12315G>A at"),
        "{:?}",
        c5.reasons
    );

    let c6 = clone(&s, "clone06");
    assert_eq!(c6.verdict, Verdict::Fail);
    assert!(has_reason(c6, "m.3243A>G at"), "{:?}", c6.reasons);
    assert!(
        has_reason(c6, "deletion m.8470_13446del at") && has_reason(c6, "exceeds the maximum 1.0%"),
        "{:?}",
        c6.reasons
    );
    for name in [
        "clone01", "clone02", "clone03", "clone04", "clone05", "clone07",
    ] {
        assert!(
            !has_reason(clone(&s, name), "deletion m."),
            "{name}: no deletion reason"
        );
    }

    let c7 = clone(&s, "clone07");
    assert_eq!(c7.verdict, Verdict::Fail);
    assert!(has_reason(c7, "identity:"), "{:?}", c7.reasons);
    for v in [
        "+m.73A>G",
        "+m.4216T>C",
        "+m.10398A>G",
        "+m.16069C>T",
        "+m.16126T>C",
    ] {
        assert!(
            c7.identity_differences.iter().any(|d| d == v),
            "{v} not listed: {:?}",
            c7.identity_differences
        );
    }
    for name in [
        "clone01", "clone02", "clone03", "clone04", "clone05", "clone06",
    ] {
        assert!(
            clone(&s, name).identity_differences.is_empty(),
            "{name} matches the donor"
        );
    }
    // Every output of the chain is there; the policy is written back.
    for f in [
        "calls.vcf.gz",
        "calls.vcf.gz.tbi",
        "calls.tsv",
        "targets.tsv",
        "calls.json",
        "selection.tsv",
        "selection.json",
        "policy.resolved.toml",
        "report.html",
    ] {
        assert!(tmp.path().join(f).is_file(), "{f} missing");
    }
    let resolved = std::fs::read_to_string(tmp.path().join("policy.resolved.toml")).unwrap();
    assert!(resolved.contains("max_load = 0.05"), "{resolved}");
    let tsv = std::fs::read_to_string(tmp.path().join("selection.tsv")).unwrap();
    assert!(
        tsv.lines()
            .nth(1)
            .unwrap()
            .starts_with("clone01\tPASS\t1\t"),
        "{tsv}"
    );
}

#[test]
fn borderline_policy_gives_inconclusive_with_a_depth_estimate() {
    let Some(bams) = sim_clones("borderline_policy_gives_inconclusive_with_a_depth_estimate")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // clone03 carries m.3243A>G at ~2% (1,500x): with a 2% maximum on that target alone
    // its interval straddles the maximum.
    let policy = tmp.path().join("borderline.toml");
    std::fs::write(
        &policy,
        "[targets]\ninclude = [\"m.3243A>G\"]\nmax_load = 0.02\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let s = run_plate(&out, &bams[..5], &["--policy", policy.to_str().unwrap()]);
    let c3 = clone(&s, "clone03");
    assert_eq!(c3.verdict, Verdict::Inconclusive, "{:?}", c3.reasons);
    let t = c3
        .targets
        .iter()
        .find(|t| t.target == "m.3243A>G")
        .expect("target listed");
    assert!(t.af < 0.02 && t.upper_bound >= 0.02, "{t:?}");
    let needed = t.depth_needed.expect("a depth estimate");
    assert!(
        needed > u64::from(t.depth),
        "more reads than now: {needed} vs {}",
        t.depth
    );
    assert!(
        has_reason(c3, "usable reads would settle it"),
        "{:?}",
        c3.reasons
    );
    assert_eq!(clone(&s, "clone01").verdict, Verdict::Pass);
    assert_eq!(clone(&s, "clone04").verdict, Verdict::Fail);
}

fn select_with_policy(calls_dir: &Path, policy_text: &str) -> (bool, String) {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p.toml");
    std::fs::write(&p, policy_text).unwrap();
    let out = tmp.path().join("sel");
    let o = Command::new(bin())
        .arg("select")
        .arg(calls_dir)
        .arg("--policy")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    if !o.status.success() {
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(!out.join("selection.json").exists(), "no output on error");
    }
    (o.status.success(), err)
}

#[test]
fn bad_policy_files_name_the_line() {
    let Some(bams) = sim_clones("bad_policy_files_name_the_line") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(bin())
        .arg("call")
        .args(&bams[..3])
        .arg("-o")
        .arg(tmp.path())
        .args(["--quiet"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let (ok, err) = select_with_policy(tmp.path(), "[targets]\nmax_load = 0.05\nmax_lod = 0.1\n");
    assert!(
        !ok && err.contains("p.toml:3:") && err.contains("max_lod"),
        "{err}"
    );
    let (ok, err) = select_with_policy(
        tmp.path(),
        "[coverage]\nmin_mean_depth = 100\nmin_breadth = \"most\"\n",
    );
    assert!(!ok && err.contains("p.toml:3:"), "{err}");
    let (ok, err) = select_with_policy(tmp.path(), "# a comment\n[deletions]\nmax_load = 1.5\n");
    assert!(
        !ok && err.contains("p.toml:3:") && err.contains("outside 0–1"),
        "{err}"
    );
    let (ok, err) = select_with_policy(tmp.path(), "[targets]\ninclude = \"everything\"\n");
    assert!(!ok && err.contains("p.toml:2:"), "{err}");
    let (ok, err) = select_with_policy(tmp.path(), "[identity]\nmixture = \"fail\"\n");
    assert!(ok, "{err}");
}
