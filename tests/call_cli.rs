//! `mitosieve call` as a command: calling from counts files equals calling from the
//! BAMs, counts made with other settings are refused, the output does not depend on
//! `--threads`, and `--targets` replaces the built-in catalogue (a bad one is refused
//! naming the line).
//!
//! Runs on `sim_clones/` of `$MITOSIEVE_TEST_DATA` (`../shared/data`); the BAMs are
//! counted once and the counts files reused. Prints a SKIP line when the variable does
//! not name a directory (and fails in CI, `CI=true`).
#![cfg(feature = "cli")]

mod common;

use common::test_data;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sim_clone_bams(data: &Path) -> Vec<PathBuf> {
    let dir = data.join("sim_clones");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("MITOSIEVE_TEST_DATA is set but {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "bam"))
        .collect();
    v.sort();
    assert_eq!(v.len(), 7, "{} must hold 7 BAMs", dir.display());
    v
}

fn mitosieve(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mitosieve"))
        .args(args)
        .arg("--quiet")
        .output()
        .expect("run mitosieve")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed ({:?}):\n{}",
        o.status.code(),
        stderr(o)
    );
}

/// `mitosieve <sub> <inputs> -o <out> <extra>`.
fn run(sub: &str, inputs: &[PathBuf], out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![sub.as_ref()];
    args.extend(inputs.iter().map(|p| p.as_os_str()));
    args.push("-o".as_ref());
    args.push(out.as_os_str());
    args.extend(extra.iter().map(|s| std::ffi::OsStr::new(*s)));
    mitosieve(&args)
}

fn counts_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".counts.tsv.gz"))
        .collect();
    v.sort();
    v
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The VCF records and header without the `##mitosieveCommand` line (which names the
/// inputs and flags of the run).
fn vcf_without_command(path: &Path) -> String {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(f)
        .read_to_string(&mut s)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    s.lines()
        .filter(|l| !l.starts_with("##mitosieveCommand="))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Assert that two call directories hold the same calls.tsv, targets.tsv (byte for
/// byte) and the same VCF apart from the command line.
fn assert_same_calls(a: &Path, b: &Path, what: &str) {
    for f in ["calls.tsv", "targets.tsv"] {
        let (x, y) = (read(&a.join(f)), read(&b.join(f)));
        assert!(x == y, "{what}: {f} differs");
    }
    assert!(
        vcf_without_command(&a.join("calls.vcf.gz"))
            == vcf_without_command(&b.join("calls.vcf.gz")),
        "{what}: calls.vcf.gz differs"
    );
}

/// Counting and calling separately (scatter/gather) gives the same calls as calling the
/// BAMs; counts made with other settings are refused naming the file; `--threads 1`
/// and `--threads 2` agree.
#[test]
fn counts_files_bams_settings_and_threads() {
    let Some(data) = test_data("call from counts files") else {
        return;
    };
    let bams = sim_clone_bams(&data);
    let tmp = tempfile::tempdir().expect("temp dir");
    let t = tmp.path();

    // Count once, call the counts files.
    let counts_dir = t.join("counts");
    assert_ok(&run("count", &bams, &counts_dir, &[]), "mitosieve count");
    let counts = counts_files(&counts_dir);
    assert_eq!(counts.len(), 7, "one counts file per clone: {counts:?}");
    let from_counts = t.join("from_counts");
    assert_ok(
        &run("call", &counts, &from_counts, &[]),
        "mitosieve call <counts>",
    );

    // Call the BAMs directly: identical tables.
    let from_bams = t.join("from_bams");
    assert_ok(
        &run("call", &bams, &from_bams, &[]),
        "mitosieve call <bams>",
    );
    assert_same_calls(&from_bams, &from_counts, "BAMs vs counts files");
    // `call` on BAMs keeps the counts it made, one file per clone.
    for c in &counts {
        let name = c.file_name().expect("file name");
        let kept = from_bams.join("counts").join(name);
        assert!(kept.is_file(), "call keeps {}", kept.display());
    }

    // Threads: the same output from one worker and from two.
    let one = t.join("threads1");
    let two = t.join("threads2");
    assert_ok(
        &run("call", &counts, &one, &["--threads", "1"]),
        "call --threads 1",
    );
    assert_ok(
        &run("call", &counts, &two, &["--threads", "2"]),
        "call --threads 2",
    );
    assert_same_calls(&one, &two, "--threads 1 vs --threads 2");
    assert_same_calls(&one, &from_counts, "--threads 1 vs default");

    // A clone counted with other settings (--min-mapq 30) is refused, naming its file
    // and the setting, with exit code 1 and no output written.
    let odd_dir = t.join("mapq30");
    assert_ok(
        &run("count", &bams[..1], &odd_dir, &["--min-mapq", "30"]),
        "count --min-mapq 30",
    );
    let odd = counts_files(&odd_dir);
    assert_eq!(odd.len(), 1);
    let mut mixed: Vec<PathBuf> = counts[1..].to_vec();
    mixed.push(odd[0].clone());
    let refused = t.join("refused");
    let o = run("call", &mixed, &refused, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "exit code 1 expected:\n{err}");
    assert!(
        err.contains(&odd[0].display().to_string()),
        "the message names the odd file {}:\n{err}",
        odd[0].display()
    );
    assert!(
        err.contains("min_mapq"),
        "the message names the setting:\n{err}"
    );
    assert!(
        !refused.join("calls.tsv").exists(),
        "nothing is written for a refused run"
    );
}

/// `--targets FILE` replaces the built-in catalogue; a target with the wrong REF is
/// refused naming the file and line.
#[test]
fn custom_targets_replace_the_catalogue() {
    let Some(data) = test_data("call --targets") else {
        return;
    };
    let bams = sim_clone_bams(&data);
    let tmp = tempfile::tempdir().expect("temp dir");
    let t = tmp.path();
    let counts_dir = t.join("counts");
    assert_ok(&run("count", &bams, &counts_dir, &[]), "mitosieve count");
    let counts = counts_files(&counts_dir);

    // Two targets: one the built-in catalogue has (m.3243A>G) and one it lacks
    // (m.9055G>A, simulated at 3% in clone01).
    let targets = t.join("targets.tsv");
    std::fs::write(
        &targets,
        "#version=test-1\n#source=call_cli test\n\
         pos\tref\talt\tlocus\tdisease\tclass\n\
         3243\tA\tG\tMT-TL1\tMELAS\tP\n\
         9055\tG\tA\tMT-ATP6\ttest disease\tVUS\n",
    )
    .expect("write targets");
    let out = t.join("custom");
    let o = run(
        "call",
        &counts,
        &out,
        &["--targets", targets.to_str().expect("UTF-8 temp path")],
    );
    assert_ok(&o, "call --targets");
    let table = std::fs::read_to_string(out.join("targets.tsv")).expect("targets.tsv");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(rows.len(), 2 * 7, "2 targets × 7 clones:\n{table}");
    let mut names: Vec<&str> = rows.iter().map(|r| r[1]).collect();
    names.dedup();
    assert_eq!(
        names,
        ["m.3243A>G", "m.9055G>A"],
        "catalogue order, nothing else"
    );
    let c01 = rows
        .iter()
        .find(|r| r[0] == "clone01" && r[1] == "m.9055G>A")
        .expect("clone01 m.9055G>A");
    assert_eq!(
        c01[6], "detected",
        "clone01 carries m.9055G>A at 3%: {c01:?}"
    );
    assert_eq!(c01[4], "test disease");
    // The catalogue version is recorded, and the VCF marks the custom target.
    let vcf = vcf_without_command(&out.join("calls.vcf.gz"));
    assert!(
        vcf.contains("##mitosieveCatalogue=test-1"),
        "catalogue version in the VCF header"
    );
    let rec = vcf
        .lines()
        .find(|l| l.starts_with("chrM\t9055\t.\tG\tA\t"))
        .expect("VCF record for 9055G>A");
    assert!(rec.contains("PATHOGENIC=test_disease|VUS;TARGET"), "{rec}");
    // A built-in target that is not in the file is no longer screened.
    assert!(!table.contains("m.8344A>G"));
    let default_out = t.join("default");
    assert_ok(&run("call", &counts, &default_out, &[]), "call");
    let default_targets = std::fs::read_to_string(default_out.join("targets.tsv")).unwrap();
    assert!(default_targets.contains("m.8344A>G") && !default_targets.contains("m.9055G>A"));

    // A wrong REF (3243 is A in rCRS) fails naming the file and the line.
    let bad = t.join("bad_targets.tsv");
    std::fs::write(
        &bad,
        "pos\tref\talt\n3243\tA\tG\n3243\tG\tA\tMT-TL1\twrong ref\tP\n",
    )
    .expect("write bad targets");
    let refused = t.join("refused");
    let o = run(
        "call",
        &counts,
        &refused,
        &["--targets", bad.to_str().expect("UTF-8 temp path")],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "exit code 1 expected:\n{err}");
    assert!(
        err.contains(&format!("{}:3:", bad.display())) && err.contains("does not match rCRS"),
        "the message names file:line and the problem:\n{err}"
    );
    assert!(!refused.join("calls.tsv").exists());
}
