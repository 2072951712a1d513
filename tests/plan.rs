//! `mitosieve plan` through the real binary: the depth table, its files, and the depth
//! that would settle each inconclusive clone of an earlier run (the bundled plate under
//! the default policy: clone01's common deletion is bounded at 2.0% by 150 reads across
//! its breakpoints, against a 1% maximum).
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mitosieve(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mitosieve"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the mitosieve binary runs")
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// (true load, usable depth, probability) rows of the table.
fn rows(text: &str) -> Vec<(f64, u64, f64)> {
    text.lines()
        .skip_while(|l| !l.starts_with("true_load"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (
                c[0].parse().unwrap(),
                c[1].parse().unwrap(),
                c[2].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn depth_table_grows_with_the_load_and_meets_the_power() {
    let tmp = tempfile::tempdir().unwrap();
    let text = ok(
        &mitosieve(&["plan", "--max-load", "0.05", "-o", "p"], tmp.path()),
        "plan",
    );
    let r = rows(&text);
    assert_eq!(r.len(), 6, "{text}");
    for w in r.windows(2) {
        assert!(w[1].1 > w[0].1, "depth grows with the true load: {r:?}");
    }
    assert!(r.iter().all(|&(_, _, p)| p >= 0.95), "{r:?}");
    // Zero load, no error: the first depth whose zero-read bound is below 5% (~59).
    assert!((50..=70).contains(&r[0].1), "{r:?}");
    for f in ["plan.tsv", "plan.json", "plan.svg"] {
        assert!(tmp.path().join("p").join(f).is_file(), "{f}");
    }
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("p/plan.tsv")).unwrap(),
        text,
        "plan.tsv is what was printed"
    );
    // A stricter maximum needs more depth at every load.
    let strict = rows(&ok(
        &mitosieve(
            &["plan", "--max-load", "0.02", "--loads", "0,0.01"],
            tmp.path(),
        ),
        "plan 2%",
    ));
    assert!(strict[0].1 > r[0].1 && strict[1].1 > r[2].1, "{strict:?}");
}

#[test]
fn from_run_lists_what_would_settle_an_inconclusive_clone() {
    let tmp = tempfile::tempdir().unwrap();
    let plate: Vec<PathBuf> = (1..=5)
        .map(|i| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("test-data/plate/clone0{i}.bam"))
        })
        .collect();
    let mut args = vec!["run", "-q", "-o", "screen"];
    args.extend(plate.iter().map(|p| p.to_str().unwrap()));
    ok(&mitosieve(&args, tmp.path()), "run");
    let text = ok(
        &mitosieve(&["plan", "--from-run", "screen"], tmp.path()),
        "plan --from-run",
    );
    assert!(
        text.contains("median background at the targets of 5 clone(s)"),
        "{text}"
    );
    let listed: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("# inconclusive clones"))
        .skip(2)
        .collect();
    assert_eq!(listed.len(), 1, "{text}");
    let c: Vec<&str> = listed[0].split('\t').collect();
    assert_eq!(&c[..2], ["clone01", "m.8470_13446del"]);
    let (now, needed): (u64, u64) = (c[2].parse().unwrap(), c[3].parse().unwrap());
    assert!(needed > now, "{listed:?}");
    // The same number as the selection's reason.
    let sel = std::fs::read_to_string(tmp.path().join("screen/selection.tsv")).unwrap();
    assert!(
        sel.contains(&format!("about {needed} reads across the breakpoints")),
        "{sel}"
    );
    // A run directory without calls: exit 1, named.
    let o = mitosieve(&["plan", "--from-run", "nowhere"], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nowhere"));
}
