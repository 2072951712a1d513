//! The Snakemake workflow (`workflow/Snakefile`) run for real on the simulated plate of
//! `$MITOSIEVE_TEST_DATA/sim_clones/`, with the binary of this build, gives what one
//! `mitosieve run` gives: `selection.tsv`, `calls.tsv`, `targets.tsv`, `deletions.tsv`,
//! the MultiQC files and the counts files byte for byte; `calls.json`, `selection.json`,
//! `policy.resolved.toml`, the VCF and the per-clone summaries apart from the lines that
//! record how the step was started (command lines, input paths). Its dry run plans one
//! count job per sample up front (the scatter runs in parallel, not as a chain).
//!
//! Needs `snakemake` on PATH (`pip install snakemake`; or `$SNAKEMAKE` naming it) and
//! `$MITOSIEVE_TEST_DATA`; prints a SKIP line and passes without them.
#![cfg(feature = "cli")]

mod common;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The snakemake executable: `$SNAKEMAKE`, else `snakemake` found on PATH.
fn snakemake() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SNAKEMAKE") {
        return Some(PathBuf::from(p));
    }
    common::on_path("snakemake")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn text(p: &Path) -> String {
    String::from_utf8(read(p)).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn gunzip(p: &Path) -> String {
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(&read(p)[..])
        .read_to_string(&mut s)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    s
}

/// Pretty-printed JSON without the top-level `keys` (each a line `  "key": value`, a
/// multi-line array or object running to its closing line at the same indentation).
fn drop_top_level_keys(json: &str, keys: &[&str]) -> String {
    let mut out = String::new();
    let mut skipping_until: Option<&str> = None;
    for line in json.lines() {
        if let Some(end) = skipping_until {
            if line == end || line.strip_suffix(',') == Some(end) {
                skipping_until = None;
            }
            continue;
        }
        let key = keys
            .iter()
            .find(|k| line.starts_with(&format!("  \"{k}\": ")));
        if key.is_some() {
            let value = line.split_once(": ").map_or("", |(_, v)| v);
            match value.trim_end_matches(',') {
                "[" => skipping_until = Some("  ]"),
                "{" => skipping_until = Some("  }"),
                _ => {}
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn without_lines(s: &str, drop: impl Fn(&str) -> bool) -> String {
    s.lines()
        .filter(|l| !drop(l))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Equal texts, or a failure that shows the first line that differs.
fn assert_same(what: &str, workflow: &str, run: &str) {
    if workflow == run {
        return;
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (workflow.lines().collect(), run.lines().collect());
    let i = (0..a.len().max(b.len()))
        .find(|&i| a.get(i) != b.get(i))
        .unwrap_or(0);
    panic!(
        "{what} differs between the workflow and mitosieve run at line {}:\n  workflow: {:?}\n  run:      {:?}",
        i + 1,
        a.get(i),
        b.get(i)
    );
}

/// YAML scalar for a path (a JSON string is valid YAML).
fn yaml(p: &Path) -> String {
    serde_json::to_string(&p.to_str().expect("UTF-8 test paths")).unwrap()
}

#[test]
fn snakemake_workflow_equals_mitosieve_run() {
    let test = "snakemake_workflow_equals_mitosieve_run";
    let Some(smk) = snakemake() else {
        common::skip(test, "snakemake not on PATH (pip install snakemake)");
        return;
    };
    let Some(data) = common::test_data(test) else {
        return;
    };
    let sim = data.join("sim_clones");
    assert!(sim.is_dir(), "{} is missing", sim.display());
    let sim = sim.canonicalize().unwrap();
    let mut bams: Vec<PathBuf> = std::fs::read_dir(&sim)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bam"))
        .collect();
    bams.sort();
    assert!(bams.len() >= 3, "too few BAMs in {}", sim.display());

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_mitosieve"));
    let policy = root().join("test-data/policy.toml");

    // The workflow, configured by a samples TSV (sample names deliberately unlike the
    // clone names: the counts directory is per sample, the files per clone).
    let mut tsv = String::from("sample\tbam\n");
    for (i, b) in bams.iter().enumerate() {
        tsv.push_str(&format!("s{:02}\t{}\n", bams.len() - i, b.display()));
    }
    std::fs::write(dir.join("samples.tsv"), tsv).unwrap();
    let wf = dir.join("wf");
    let config = format!(
        "mitosieve: {}\noutdir: {}\nsamples: {}\npolicy: {}\nthreads:\n  count: 1\n  call: 2\n",
        yaml(&bin),
        yaml(&wf),
        yaml(&dir.join("samples.tsv")),
        yaml(&policy),
    );
    std::fs::write(dir.join("config.yaml"), config).unwrap();
    let snakemake = |extra: &[&str]| {
        Command::new(&smk)
            .arg("--snakefile")
            .arg(root().join("workflow/Snakefile"))
            .arg("--directory")
            .arg(dir)
            .arg("--configfile")
            .arg(dir.join("config.yaml"))
            .args(["--cores", "2", "--nocolor"])
            .args(extra)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", smk.display()))
    };
    // The dry run plans every count job at once (a scatter, not a chain of jobs).
    let out = snakemake(&["--dry-run"]);
    let plan = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{plan}");
    let count_jobs = plan
        .lines()
        .find_map(|l| l.strip_prefix("count "))
        .map(|n| n.trim().to_string());
    assert_eq!(
        count_jobs.as_deref(),
        Some(bams.len().to_string().as_str()),
        "the dry run does not plan one count job per sample:\n{plan}"
    );
    let out = snakemake(&[]);
    assert!(
        out.status.success(),
        "snakemake failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The same clones in one command.
    let run = dir.join("run");
    let out = Command::new(&bin)
        .arg("run")
        .args(&bams)
        .arg("-o")
        .arg(&run)
        .arg("--policy")
        .arg(&policy)
        .arg("-q")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mitosieve run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Byte for byte.
    for f in [
        "selection.tsv",
        "calls.tsv",
        "targets.tsv",
        "deletions.tsv",
        "mitosieve_selection_mqc.tsv",
        "mitosieve_coverage_mqc.json",
    ] {
        assert_same(f, &text(&wf.join(f)), &text(&run.join(f)));
    }
    let clones: Vec<String> = text(&run.join("selection.tsv"))
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    assert_eq!(clones.len(), bams.len());
    for (i, b) in bams.iter().enumerate() {
        let sample = format!("s{:02}", bams.len() - i);
        let clone = b.file_stem().unwrap().to_str().unwrap();
        let name = format!("{clone}.counts.tsv.gz");
        let (a, r) = (
            wf.join("counts").join(&sample).join(&name),
            run.join("counts").join(&name),
        );
        assert!(read(&a) == read(&r), "{name}: counts files differ");
        // Summaries: `run` records no count command line of its own.
        let name = format!("{clone}.summary.json");
        let (a, r) = (
            wf.join("counts").join(&sample).join(&name),
            run.join("counts").join(&name),
        );
        assert_same(
            &name,
            &drop_top_level_keys(&text(&a), &["run"]),
            &drop_top_level_keys(&text(&r), &["run"]),
        );
    }

    // Equal apart from provenance.
    assert_same(
        "calls.json",
        &drop_top_level_keys(&text(&wf.join("calls.json")), &["command_line", "inputs"]),
        &drop_top_level_keys(&text(&run.join("calls.json")), &["command_line", "inputs"]),
    );
    assert_same(
        "selection.json",
        &drop_top_level_keys(&text(&wf.join("selection.json")), &["command_line"]),
        &drop_top_level_keys(&text(&run.join("selection.json")), &["command_line"]),
    );
    let vcf = |p: &Path| without_lines(&gunzip(p), |l| l.starts_with("##mitosieveCommand="));
    assert_same(
        "calls.vcf.gz",
        &vcf(&wf.join("calls.vcf.gz")),
        &vcf(&run.join("calls.vcf.gz")),
    );
    // policy.resolved.toml: line 2 is the command line, as a comment.
    let policy_text = |p: &Path| {
        let t = text(p);
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines.len() > 2 && lines[1].starts_with("# "),
            "{}",
            p.display()
        );
        without_lines(&t, |l| l == lines[1])
    };
    assert_same(
        "policy.resolved.toml",
        &policy_text(&wf.join("policy.resolved.toml")),
        &policy_text(&run.join("policy.resolved.toml")),
    );
}

#[test]
fn json_provenance_keys_are_dropped_whole() {
    let json = "{\n  \"command_line\": \"x y\",\n  \"inputs\": [\n    \"a\",\n    \"b\"\n  ],\n  \"run\": {\n    \"threads\": 2\n  },\n  \"calls\": 1\n}\n";
    assert_eq!(
        drop_top_level_keys(json, &["command_line", "inputs", "run"]),
        "{\n  \"calls\": 1\n}\n"
    );
    assert_eq!(drop_top_level_keys(json, &[]), json);
}
