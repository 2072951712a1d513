//! Output folders and streams as a user meets them (issue 15), on the bundled plate
//! (`test-data/plate`, no external data):
//!
//! * a rerun into a used folder is refused (exit 1, naming the earlier run); with
//!   `--overwrite` the earlier run's files are removed first, so the folder holds one
//!   run's outputs only; a user's own file there is never touched;
//! * two runs started at once into one folder: one writes, the other stops at the lock
//!   (or at the first run's outputs); never a mix;
//! * results on stdout (the verdict table, text or TSV), messages on stderr; `--quiet`
//!   silences only the messages;
//! * a policy naming a target that is not in the catalogue is refused before any work,
//!   naming the line and the closest entry;
//! * a single clone: a warning about the missing sibling background and an identity
//!   check that says it was not made;
//! * a failed run leaves no empty folders.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn plate(n: usize) -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-data/plate");
    (1..=n)
        .map(|i| {
            dir.join(format!("clone{i:02}.bam"))
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn mitosieve(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mitosieve"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn run_args<'a>(bams: &'a [String], out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["run"];
    a.extend(bams.iter().map(String::as_str));
    a.extend(["-o", out, "--threads", "1"]);
    a.extend(extra);
    a
}

fn files(dir: &Path) -> Vec<String> {
    let mut v = Vec::new();
    fn walk(d: &Path, base: &Path, v: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, v);
            } else {
                v.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    walk(dir, dir, &mut v);
    v.sort();
    v
}

fn counts_clones(dir: &Path) -> Vec<String> {
    files(&dir.join("counts"))
        .into_iter()
        .filter_map(|f| f.strip_suffix(".counts.tsv.gz").map(str::to_string))
        .collect()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_rerun_into_a_used_folder_is_refused_or_replaces_the_earlier_run() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let five = plate(5);
    let o = mitosieve(d, &run_args(&five, "screen", &["--quiet"]));
    assert!(o.status.success(), "{}", err(&o));
    std::fs::write(d.join("screen/my-notes.txt"), "mine").unwrap();
    let manifest = std::fs::read_to_string(d.join("screen/mitosieve.manifest.json")).unwrap();
    assert!(
        manifest.contains("\"counts/clone05.counts.tsv.gz\""),
        "{manifest}"
    );
    assert!(!manifest.contains("my-notes"), "{manifest}");

    // A rerun with 3 clones is refused and changes nothing.
    let three = plate(3);
    let before = files(&d.join("screen"));
    let o = mitosieve(d, &run_args(&three, "screen", &["--quiet"]));
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        err(&o).contains("holds the outputs of an earlier run") && err(&o).contains("--overwrite"),
        "{}",
        err(&o)
    );
    assert_eq!(files(&d.join("screen")), before);

    // With --overwrite the 5-clone run's files go first: no clone04/05 counts remain.
    let o = mitosieve(d, &run_args(&three, "screen", &["--quiet", "--overwrite"]));
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        counts_clones(&d.join("screen")),
        ["clone01", "clone02", "clone03"]
    );
    let sel = std::fs::read_to_string(d.join("screen/selection.tsv")).unwrap();
    assert_eq!(sel.lines().count(), 4, "{sel}");
    assert!(
        d.join("screen/my-notes.txt").exists(),
        "the user's file stays"
    );
}

#[test]
fn two_runs_at_once_into_one_folder_never_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (a, b) = (plate(3), plate(5)[3..].to_vec());
    let spawn = |bams: &[String]| {
        Command::new(env!("CARGO_BIN_EXE_mitosieve"))
            .current_dir(d)
            .args(run_args(bams, "shared", &["--quiet"]))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (pa, pb) = (spawn(&a), spawn(&b));
    let (oa, ob) = (
        pa.wait_with_output().unwrap(),
        pb.wait_with_output().unwrap(),
    );
    let ok: Vec<bool> = [&oa, &ob].iter().map(|o| o.status.success()).collect();
    assert_eq!(
        ok.iter().filter(|&&x| x).count(),
        1,
        "exactly one run writes: {} / {}",
        err(&oa),
        err(&ob)
    );
    let (winner, loser) = if ok[0] { (&a, &ob) } else { (&b, &oa) };
    assert_eq!(loser.status.code(), Some(1));
    let why = err(loser);
    assert!(
        why.contains("another mitosieve run is writing there")
            || why.contains("holds the outputs of an earlier run"),
        "{why}"
    );
    let want: Vec<String> = winner
        .iter()
        .map(|p| {
            Path::new(p)
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(counts_clones(&d.join("shared")), want);
    let sel = std::fs::read_to_string(d.join("shared/selection.tsv")).unwrap();
    assert_eq!(sel.lines().count(), 1 + want.len());
    assert!(!d.join("shared/.mitosieve.lock").exists());
}

#[test]
fn verdicts_go_to_stdout_and_messages_to_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let bams = plate(5);
    let o = mitosieve(d, &run_args(&bams, "s1", &[]));
    assert!(o.status.success(), "{}", err(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines[0].starts_with("clone    verdict"), "{out}");
    assert!(lines[2].starts_with("clone02  FAIL"), "{out}");
    assert!(
        err(&o).contains("5 clone(s) screened") && !err(&o).contains("FAIL"),
        "{}",
        err(&o)
    );
    // --quiet silences the messages, not the verdicts; --table tsv for programs.
    let o = mitosieve(d, &run_args(&bams, "s2", &["--quiet", "--table", "tsv"]));
    assert!(o.status.success());
    assert_eq!(err(&o), "");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("clone\tverdict\trank\treasons\n"), "{out}");
    assert!(out.contains("clone02\tFAIL\t.\tm.3243A>G at 44%"), "{out}");
    // select prints the same table.
    let o = mitosieve(d, &["select", "s1", "-o", "s3", "--quiet"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().nth(2),
        lines.get(2).copied()
    );
}

#[test]
fn an_unknown_target_is_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("typo.toml"),
        "# screen MELAS only\n[targets]\ninclude = [\"3243A>G\"]\n",
    )
    .unwrap();
    let bams = plate(2);
    let o = mitosieve(d, &run_args(&bams, "out", &["--policy", "typo.toml"]));
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        err(&o).contains("typo.toml:3: target '3243A>G' is not in the catalogue")
            && err(&o).contains("did you mean m.3243A>G?"),
        "{}",
        err(&o)
    );
    assert!(!d.join("out").exists(), "nothing was written");
}

#[test]
fn a_single_clone_is_warned_about_and_identity_is_not_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let one = plate(1);
    let o = mitosieve(d, &run_args(&one, "one", &[]));
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        err(&o).contains("warning: 1 clone(s): fewer than 3 clones, so no sibling clone"),
        "{}",
        err(&o)
    );
    let sel = std::fs::read_to_string(d.join("one/selection.tsv")).unwrap();
    assert!(
        sel.contains("identity: not checked: with one clone the donor profile would be the clone's own homoplasmies"),
        "{sel}"
    );
    assert!(!sel.contains("homoplasmies match"), "{sel}");
}

#[test]
fn a_failed_run_leaves_no_empty_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = mitosieve(d, &["run", "missing.bam", "-o", "err1/deeper"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("missing.bam"), "{}", err(&o));
    assert!(!d.join("err1").exists(), "{:?}", files(d));
    let o = mitosieve(d, &["call", "missing.bam", "-o", "err2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!d.join("err2").exists());
}
