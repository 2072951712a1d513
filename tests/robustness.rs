//! Robustness and security of the command line (issue 7), beyond the `count` input
//! errors of `count_errors.rs`: bad inputs to `call` and `run`, an unwritable output
//! directory and a full disk, hostile clone names (read-group `SM`, cell barcodes,
//! counts files), hostile records, interruption by SIGINT/SIGTERM, and two walker gaps
//! found against `samtools mpileup`.
//!
//! Every failure case checks the exit code, a message that names the file and the
//! problem, and that the output directory holds no partial result: no final-named file
//! of the step that failed and no `.mitosieve-tmp.*` file.
//!
//! The full-disk cases mount a small tmpfs (root only); they print a SKIP line where
//! that is not permitted.
#![cfg(feature = "cli")]

mod common;

use common::*;
use mitosieve::call::table::{CALL_COLUMNS, TARGET_COLUMNS};
use mitosieve::count::{FWD, REV};
use mitosieve::reference::rcrs;
use rust_htslib::bam;
use rust_htslib::bam::record::{Aux, Cigar, CigarString};
use std::ffi::{OsStr, OsString};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------
// Helpers

/// `mitosieve <sub> <inputs...> -o <out> <extra...>`.
fn ms(sub: &str, inputs: &[&Path], out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<OsString> = vec![sub.into()];
    args.extend(inputs.iter().map(|p| p.as_os_str().to_owned()));
    args.push("-o".into());
    args.push(out.as_os_str().to_owned());
    args.extend(extra.iter().map(OsString::from));
    let refs: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
    run(&refs)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// Check a failure: exit code and every needle in stderr.
fn expect_fail(o: &Output, code: i32, needles: &[&str], tag: &str) {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "{tag}: exit code; stderr:\n{err}"
    );
    for n in needles {
        assert!(err.contains(n), "{tag}: stderr lacks {n:?}:\n{err}");
    }
}

/// Every file below `dir` (recursively), relative to it.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.expect("directory entry").path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p.strip_prefix(dir).expect("below dir").to_path_buf());
        }
    }
    out.sort();
    out
}

/// No temporary file anywhere below `dir`, and none of `finals` (names relative to
/// `dir`) exists.
fn assert_no_partial(dir: &Path, finals: &[&str], tag: &str) {
    let temps: Vec<PathBuf> = tree(dir)
        .into_iter()
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .starts_with(mitosieve::output::TEMP_PREFIX)
            })
        })
        .collect();
    assert!(temps.is_empty(), "{tag}: temporary files left: {temps:?}");
    for f in finals {
        assert!(!dir.join(f).exists(), "{tag}: {f} exists after a failure");
    }
}

/// Output files of `call`, `select` and `report`.
fn step_files() -> Vec<&'static str> {
    mitosieve::call::CALL_FILES
        .iter()
        .chain(mitosieve::select::SELECTION_FILES)
        .chain(mitosieve::report::REPORT_FILES)
        .copied()
        .collect()
}

/// A clone of `n` 100-bp reads copied from rCRS (forward and reverse), spread over
/// the genome, as SAM fixture text with the read group's sample `sm`.
fn clone_sam(sm: &str, n: usize) -> String {
    let r = rcrs();
    let mut t = format!("@HD VN:1.6 SO:coordinate\n@SQ SN:chrM LN:16569\n@RG ID:rg1 SM:{sm}\n");
    for i in 0..n {
        let pos = 1 + (i * 16_400 / n.max(1));
        let seq = std::str::from_utf8(&r[pos - 1..pos - 1 + 100]).unwrap();
        let seq = seq.replace('N', "A"); // 3107 is N in rCRS
        let flag = if i % 2 == 0 { 0 } else { 16 };
        t.push_str(&format!(
            "r{i} {flag} chrM {pos} 60 100M * 0 0 {seq} {} RG:Z:rg1\n",
            "I".repeat(100)
        ));
    }
    t
}

/// Decompress a (b)gzipped file to text.
fn gunzip(p: &Path) -> String {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(p).expect("open"))
        .read_to_string(&mut text)
        .expect("gzip text");
    text
}

/// Tables that must keep one row per line and a fixed number of columns.
fn assert_tables_intact(dir: &Path, clones: usize, tag: &str) {
    for (file, cols) in [
        ("calls.tsv", CALL_COLUMNS.len()),
        ("targets.tsv", TARGET_COLUMNS.len()),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).expect("table");
        for (i, line) in text.lines().enumerate() {
            assert_eq!(
                line.split('\t').count(),
                cols,
                "{tag}: {file} line {} has another column count: {line:?}",
                i + 1
            );
            assert!(
                !line.chars().any(|c| c.is_control() && c != '\t'),
                "{tag}: {line:?}"
            );
        }
    }
    let vcf = gunzip(&dir.join("calls.vcf.gz"));
    let chrom = vcf
        .lines()
        .find(|l| l.starts_with("#CHROM"))
        .expect("#CHROM line");
    assert_eq!(chrom.split('\t').count(), 9 + clones, "{tag}: {chrom:?}");
    for l in vcf.lines().filter(|l| !l.starts_with('#')) {
        assert_eq!(l.split('\t').count(), 9 + clones, "{tag}: VCF record {l:?}");
    }
    assert!(!vcf
        .chars()
        .any(|c| c.is_control() && c != '\t' && c != '\n'));
}

// ---------------------------------------------------------------------------------
// Bad inputs to `call` and `run`

#[test]
fn two_inputs_with_the_same_clone_name_in_call_and_run() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let a = sam_to_bam(t, "a", &clone_sam("same", 60));
    let b = sam_to_bam(t, "b", &clone_sam("same", 40));
    for sub in ["call", "run"] {
        let out = t.join(format!("{sub}_bams"));
        let o = ms(sub, &[&a, &b], &out, &["--quiet"]);
        expect_fail(&o, 1, &["clone name 'same'", s(&a), s(&b)], sub);
        assert_no_partial(&out, &step_files(), sub);
        assert!(
            counts_files(&out.join("counts")).is_empty(),
            "{sub}: nothing counted"
        );
    }
    // Counts files: the same clone counted twice (copied under another file name).
    let counted = t.join("counted");
    assert_ok(&ms("count", &[&a], &counted, &["--quiet"]), "count a");
    let first = counted.join("same.counts.tsv.gz");
    let copy = t.join("copy.counts.tsv.gz");
    std::fs::copy(&first, &copy).unwrap();
    let out = t.join("call_counts");
    let o = ms("call", &[&first, &copy], &out, &["--quiet"]);
    expect_fail(&o, 1, &["clone name 'same'", s(&first), s(&copy)], "counts");
    assert_no_partial(&out, &step_files(), "counts");
    // A counts file and a BAM of the same clone: refused before anything is counted.
    let out = t.join("run_mixed");
    let o = ms("run", &[&first, &b], &out, &["--quiet"]);
    expect_fail(&o, 1, &["clone name 'same'", s(&first), s(&b)], "mixed");
    assert_no_partial(&out, &step_files(), "mixed");
    assert!(
        counts_files(&out.join("counts")).is_empty(),
        "mixed: nothing counted"
    );
}

#[test]
fn counts_files_of_other_versions_or_settings_in_one_call() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let a = sam_to_bam(t, "a", &clone_sam("alpha", 60));
    let b = sam_to_bam(t, "b", &clone_sam("beta", 60));
    let dir = t.join("counts");
    assert_ok(&ms("count", &[&a], &dir, &["--quiet"]), "count a");
    let alpha = dir.join("alpha.counts.tsv.gz");
    // Another format version (as plain text, which the reader also accepts).
    let v2 = t.join("gamma.counts.tsv");
    std::fs::write(
        &v2,
        gunzip(&alpha)
            .replace("##mitosieve-counts=1\n", "##mitosieve-counts=2\n")
            .replace("##clone=alpha\n", "##clone=gamma\n"),
    )
    .unwrap();
    let out = t.join("versions");
    let o = ms("call", &[&alpha, &v2], &out, &["--quiet"]);
    expect_fail(&o, 1, &[s(&v2), "version 2", "recount"], "version");
    assert_no_partial(&out, &step_files(), "version");
    // Other settings (--min-mapq 30).
    let odd = t.join("mapq30");
    assert_ok(
        &ms("count", &[&b], &odd, &["--quiet", "--min-mapq", "30"]),
        "count b",
    );
    let beta = odd.join("beta.counts.tsv.gz");
    let out = t.join("settings");
    let o = ms("call", &[&alpha, &beta], &out, &["--quiet"]);
    expect_fail(&o, 1, &[s(&beta), "other settings", "min_mapq"], "settings");
    assert_no_partial(&out, &step_files(), "settings");
    // A counts file cut short.
    let text = gunzip(&alpha);
    let cut = t.join("delta.counts.tsv");
    std::fs::write(
        &cut,
        &text.replace("##clone=alpha\n", "##clone=delta\n")[..text.len() / 2],
    )
    .unwrap();
    let out = t.join("cut");
    let o = ms("call", &[&alpha, &cut], &out, &["--quiet"]);
    expect_fail(&o, 1, &[s(&cut)], "cut");
    assert_no_partial(&out, &step_files(), "cut");
}

#[test]
fn invalid_policy_and_targets_fail_before_counting() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let a = sam_to_bam(t, "a", &clone_sam("alpha", 40));
    let policy = t.join("policy.toml");
    std::fs::write(&policy, "[targets]\nmax_load = 2.5\n").unwrap();
    let out = t.join("bad_policy");
    let o = ms("run", &[&a], &out, &["--quiet", "--policy", s(&policy)]);
    expect_fail(&o, 1, &[&format!("{}:2:", s(&policy))], "policy");
    assert!(
        !out.exists(),
        "the policy is read before the output directory is made"
    );
    let targets = t.join("targets.tsv");
    std::fs::write(&targets, "pos\tref\talt\n3243\tG\tA\n").unwrap();
    for sub in ["run", "call"] {
        let out = t.join(format!("bad_targets_{sub}"));
        let o = ms(sub, &[&a], &out, &["--quiet", "--targets", s(&targets)]);
        expect_fail(&o, 1, &[&format!("{}:2:", s(&targets))], sub);
        assert_no_partial(&out, &step_files(), sub);
    }
}

#[test]
fn unwritable_output_directory_for_call_run_and_select() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let a = sam_to_bam(t, "a", &clone_sam("alpha", 40));
    let file = t.join("a_file");
    std::fs::write(&file, "x").unwrap();
    // Below a regular file: no one, not even root, can create a directory there.
    let below = file.join("out");
    for sub in ["call", "run"] {
        let o = ms(sub, &[&a], &below, &["--quiet"]);
        expect_fail(&o, 1, &[s(&below), "cannot create output directory"], sub);
    }
    let calls = t.join("calls");
    assert_ok(&ms("call", &[&a], &calls, &["--quiet"]), "call");
    let o = run(&[
        "select".as_ref(),
        calls.as_os_str(),
        "-o".as_ref(),
        below.as_os_str(),
    ]);
    expect_fail(
        &o,
        1,
        &[s(&below), "cannot create output directory"],
        "select",
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

// ---------------------------------------------------------------------------------
// A full disk

/// A tmpfs of `kb` kilobytes mounted at a fresh directory, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: PathBuf, kb: u32, test: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(&at).unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kb}k"), "tmpfs"])
            .arg(&at)
            .output();
        match o {
            Ok(o) if o.status.success() => Some(Tmpfs(at)),
            Ok(o) => {
                skip(
                    test,
                    &format!(
                        "cannot mount a tmpfs (needs root): {}",
                        String::from_utf8_lossy(&o.stderr).trim()
                    ),
                );
                None
            }
            Err(e) => {
                skip(test, &format!("cannot run mount: {e}"));
                None
            }
        }
    }

    /// Fill the file system, then free `free` bytes (so that the next writer runs out
    /// of space part-way).
    fn fill_leaving(&self, free: usize) {
        use std::io::Write as _;
        let _ = std::fs::remove_file(self.0.join("filler"));
        // Reserve the room, fill the rest, give the room back.
        let room = self.0.join("room");
        std::fs::write(&room, vec![0u8; free]).expect("room fits");
        let mut f = std::fs::File::create(self.0.join("filler")).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        drop(f);
        std::fs::remove_file(room).unwrap();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn disk_full_during_a_write() {
    let test = "disk_full_during_a_write";
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let a = sam_to_bam(t, "a", &clone_sam("alpha", 300));
    let b = sam_to_bam(t, "b", &clone_sam("beta", 200));
    let counts = t.join("counts");
    assert_ok(&ms("count", &[&a, &b], &counts, &["--quiet"]), "count");
    let Some(fs) = Tmpfs::mount(t.join("mnt"), 512, test) else {
        return;
    };
    // `count`: the counts file (about 50 kB) does not fit in the 16 kB left.
    fs.fill_leaving(16 << 10);
    let out = fs.0.join("count");
    let o = ms("count", &[&a], &out, &["--quiet"]);
    expect_fail(
        &o,
        1,
        &[
            s(&out.join("alpha.counts.tsv.gz")),
            "No space left on device",
        ],
        "count",
    );
    assert_no_partial(
        &out,
        &["alpha.counts.tsv.gz", "alpha.summary.json"],
        "count",
    );
    // `call` from counts files: some outputs fit, the rest do not; none stays.
    // A failed run removes the folder it created when it stays empty.
    if out.exists() {
        std::fs::remove_dir_all(&out).unwrap();
    }
    fs.fill_leaving(24 << 10);
    let inputs = [
        counts.join("alpha.counts.tsv.gz"),
        counts.join("beta.counts.tsv.gz"),
    ];
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let out = fs.0.join("call");
    let o = ms("call", &refs, &out, &["--quiet"]);
    expect_fail(&o, 1, &[s(&out), "No space left on device"], "call");
    assert_no_partial(&out, &step_files(), "call");
    // `run` from BAMs: counting fits, the report does not.
    // A failed run removes the folder it created when it stays empty.
    if out.exists() {
        std::fs::remove_dir_all(&out).unwrap();
    }
    fs.fill_leaving(300 << 10);
    let out = fs.0.join("run");
    let o = ms("run", &[&a, &b], &out, &["--quiet"]);
    expect_fail(&o, 1, &[s(&out), "No space left on device"], "run");
    // Each step's outputs are all there or none: here counting and perhaps calling
    // finished, selecting and reporting did not.
    assert_no_partial(&out, &[], "run");
    let there = |files: &[&str]| files.iter().filter(|f| out.join(f).exists()).count();
    let calls = there(mitosieve::call::CALL_FILES);
    assert!(
        calls == 0 || calls == mitosieve::call::CALL_FILES.len(),
        "call: {calls} files"
    );
    assert_eq!(there(mitosieve::select::SELECTION_FILES), 0);
    assert_eq!(there(mitosieve::report::REPORT_FILES), 0);
    // What `run` left are whole clones: each counts file with its summary, readable.
    for c in counts_files(&out.join("counts")) {
        read_counts(&c);
        let name = c
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".counts.tsv.gz", "");
        summary_of(&out.join("counts"), &name);
    }
    // And with room again, the same directory works.
    drop(fs);
}

// ---------------------------------------------------------------------------------
// Hostile names

const HOSTILE_SM: [(&str, &str); 3] = [
    ("../../x", "_._.._x"),
    ("/etc/passwd", "_etc_passwd"),
    ("evil\u{1b}[31mred", "evil__31mred"),
];

#[test]
fn hostile_read_group_samples_stay_inside_and_are_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = tmp.path().join("sandbox");
    let work = sandbox.join("deep/er");
    std::fs::create_dir_all(&work).unwrap();
    let bams: Vec<PathBuf> = HOSTILE_SM
        .iter()
        .enumerate()
        .map(|(i, (sm, _))| sam_to_bam(tmp.path(), &format!("h{i}"), &clone_sam(sm, 80)))
        .collect();
    let refs: Vec<&Path> = bams.iter().map(PathBuf::as_path).collect();
    let before = tree(&sandbox);
    let out = work.join("out");
    let o = ms("run", &refs, &out, &["--quiet"]);
    assert_ok(&o, "run with hostile SM");
    // Nothing outside the output directory.
    let after: Vec<PathBuf> = tree(&sandbox)
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    for p in &after {
        assert!(
            p.starts_with("deep/er/out"),
            "written outside the output directory: {}",
            p.display()
        );
    }
    for (sm, safe) in HOSTILE_SM {
        let summary = summary_of(&out.join("counts"), safe);
        assert_eq!(summary["clone"], safe);
        assert_eq!(
            summary["original_name"], sm,
            "the summary keeps the original"
        );
        assert!(summary["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("not safe as a file name")));
        assert!(out
            .join("counts")
            .join(format!("{safe}.counts.tsv.gz"))
            .exists());
    }
    let names: Vec<String> = tree(&out)
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains('\u{1b}')), "{names:?}");
    assert_tables_intact(&out, 3, "hostile SM");
    let sel = std::fs::read_to_string(out.join("selection.tsv")).unwrap();
    assert_eq!(sel.lines().count(), 1 + 3, "{sel}");
}

/// A BAM whose reads carry the cell barcode `CB:Z:<b>` for each barcode (30 reads
/// each), written through htslib so that any byte can be in the value.
fn barcoded_bam(dir: &Path, name: &str, barcodes: &[&str]) -> PathBuf {
    let header = chrm_header();
    let r = rcrs();
    let mut records = Vec::new();
    for (k, bc) in barcodes.iter().enumerate() {
        for j in 0..30usize {
            let pos = (k * 3000 + j * 97) % 16_400;
            let seq: Vec<u8> = r[pos..pos + 100]
                .iter()
                .map(|&b| if b == b'N' { b'A' } else { b })
                .collect();
            let mut rec = bam::Record::new();
            rec.set(
                format!("{name}_{k}_{j}").as_bytes(),
                Some(&CigarString(vec![Cigar::Match(100)])),
                &seq,
                &[35; 100],
            );
            rec.set_tid(0);
            rec.set_pos(pos as i64);
            rec.set_mapq(60);
            rec.set_flags(if j % 2 == 0 { 0 } else { 16 });
            rec.set_mtid(-1);
            rec.set_mpos(-1);
            rec.push_aux(b"CB", Aux::String(bc)).unwrap();
            records.push(rec);
        }
    }
    let p = dir.join(format!("{name}.bam"));
    write_bam(&p, &header, records, true, true);
    p
}

#[test]
fn hostile_barcodes_are_sanitised_in_files_and_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let cases = [
        ("../../x", "_._.._x"),
        ("/etc/passwd", "_etc_passwd"),
        ("line\nbreak", "line_break"),
        ("tab\tand\u{1b}[0mesc", "tab_and__0mesc"),
        ("AAACGT-1", "AAACGT-1"),
    ];
    let barcodes: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let bam = barcoded_bam(t, "cells", &barcodes);
    let out = t.join("out");
    let o = ms("count", &[&bam], &out, &["--quiet", "--split-by", "tag:CB"]);
    assert_ok(&o, "split by hostile barcodes");
    let files: Vec<PathBuf> = tree(t)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".counts.tsv.gz"))
        .collect();
    assert_eq!(files.len(), cases.len(), "{files:?}");
    for f in &files {
        assert!(f.starts_with("out"), "outside the output directory: {f:?}");
    }
    for (raw, safe) in cases {
        let summary = summary_of(&out, safe);
        let want = if raw == safe {
            serde_json::Value::Null
        } else {
            serde_json::Value::from(raw)
        };
        assert_eq!(summary["original_name"], want, "{raw:?}");
        assert_eq!(counts_of(&out, safe).header.clone, safe);
    }
    assert!(out.join("cells.bam.split.json").exists());
    // The counts call cleanly: one VCF column and one table cell per clone.
    let inputs = counts_files(&out);
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let calls = t.join("calls");
    assert_ok(&ms("call", &refs, &calls, &["--quiet"]), "call");
    assert_tables_intact(&calls, cases.len(), "barcodes");
    // Two barcodes that sanitise to the same name: refused, nothing of the file written.
    let clash = barcoded_bam(t, "clash", &["x/y", "x_y", "zzz"]);
    let out = t.join("clash_out");
    let o = ms(
        "count",
        &[&clash],
        &out,
        &["--quiet", "--split-by", "tag:CB"],
    );
    expect_fail(&o, 1, &["clone name 'x_y'", s(&clash)], "clash");
    assert!(counts_files(&out).is_empty(), "{:?}", tree(&out));
    assert_no_partial(&out, &["x_y.summary.json", "zzz.summary.json"], "clash");
}

#[test]
fn hostile_clone_names_in_counts_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let a = sam_to_bam(t, "a", &clone_sam("alpha", 40));
    let dir = t.join("counts");
    assert_ok(&ms("count", &[&a], &dir, &["--quiet"]), "count");
    let text = gunzip(&dir.join("alpha.counts.tsv.gz"));
    for (i, evil) in ["../../x", "a\tb", "a b", "\u{1b}[2J"].iter().enumerate() {
        let p = t.join(format!("evil{i}.counts.tsv"));
        std::fs::write(
            &p,
            text.replace("##clone=alpha\n", &format!("##clone={evil}\n")),
        )
        .unwrap();
        let out = t.join(format!("out{i}"));
        let o = ms("call", &[&p], &out, &["--quiet"]);
        expect_fail(&o, 1, &[s(&p), "not safe as a file or sample name"], evil);
        assert!(
            !stderr(&o).contains('\u{1b}'),
            "no raw escape on the terminal"
        );
        assert_no_partial(&out, &step_files(), evil);
    }
    // A calls.json whose sample name was edited: `select` refuses it.
    let z = sam_to_bam(t, "z", &clone_sam("zeta", 40));
    let calls = t.join("calls");
    assert_ok(&ms("call", &[&z], &calls, &["--quiet"]), "call");
    let json = std::fs::read_to_string(calls.join("calls.json")).unwrap();
    let edited = t.join("edited");
    std::fs::create_dir_all(&edited).unwrap();
    std::fs::write(
        edited.join("calls.json"),
        json.replace("\"zeta\"", "\"ze\\tta\\n\""),
    )
    .unwrap();
    let out = t.join("selected");
    let o = run(&[
        "select".as_ref(),
        edited.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    expect_fail(
        &o,
        1,
        &["calls.json", "not safe as a file or sample name"],
        "calls.json",
    );
    assert!(step_files().iter().all(|f| !out.join(f).exists()));
}

// ---------------------------------------------------------------------------------
// Hostile records

/// Peak resident memory (kB) and stderr of a command run under `/usr/bin/time -v`, or
/// `None` where that program is missing.
fn time_v(args: &[&OsStr]) -> Option<(u64, Output)> {
    if !Path::new("/usr/bin/time").exists() {
        skip(
            "memory part",
            "/usr/bin/time not found (apt-get install time)",
        );
        return None;
    }
    let o = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin())
        .args(args)
        .output()
        .expect("run /usr/bin/time");
    let err = stderr(&o);
    let kb = err
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .expect("time -v prints the peak RSS");
    Some((kb, o))
}

#[test]
fn hostile_records_are_dropped_or_clipped_without_harm() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let r = rcrs();
    let seq_at = |pos: usize, n: usize| -> String {
        String::from_utf8(r[pos - 1..pos - 1 + n].to_vec())
            .unwrap()
            .replace('N', "A")
    };
    let i = |n: usize| "I".repeat(n);
    let fixture = format!(
        "@HD VN:1.6 SO:coordinate
         @SQ SN:chrM LN:16569
         @RG ID:g SM:hostile
         // Zero-length operations around real ones: the 20 bases count.
         zero_ops  0 chrM 100 60 0M10M0I0D0N10M0S * 0 0 {s100} {q20}
         // A huge reference skip and a huge deletion: clipped at the contig end.
         huge_skip 0 chrM 400 60 20M100000000N20M * 0 0 {s400} {q40}
         huge_del  0 chrM 16300 60 20M100000000D20M * 0 0 {s16300} {q40}
         // A huge M without a sequence (SEQ *): nothing to count, no crash.
         huge_m    0 chrM 500 60 100000000M * 0 0 * *
         // No sequence (SEQ *) after a soft clip: nothing to count (this once panicked).
         seq_clip  0 chrM 650 60 5S40M * 0 0 * *
         // Quality * (255, unknown): every base goes to lowq.
         qual_star 0 chrM 600 60 30M * 0 0 {s600} *
         // Runs past the contig end: the first 20 bases count.
         past_end  0 chrM 16550 60 50M * 0 0 {s_end}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA {q50}
         ",
        s100 = seq_at(100, 20),
        q20 = i(20),
        s16300 = seq_at(16300, 40),
        s400 = seq_at(400, 40),
        q40 = i(40),
        s600 = seq_at(600, 30),
        s_end = seq_at(16550, 20),
        q50 = i(50),
    );
    let mut bam_path = sam_to_bam(t, "hostile", &fixture);
    // Records htslib would never parse from SAM, written through its API: a read at a
    // position beyond the contig, and a mapped read without a CIGAR (both `invalid`).
    {
        let mut reader = bam::Reader::from_path(&bam_path).unwrap();
        let header = bam::Header::from_template(bam::Read::header(&reader));
        let mut records: Vec<bam::Record> = bam::Read::records(&mut reader)
            .map(|r| r.unwrap())
            .collect();
        for (name, pos, cigar) in [
            (
                "beyond",
                20_000i64,
                Some(CigarString(vec![Cigar::Match(40)])),
            ),
            ("no_cigar", 700, None),
        ] {
            let mut rec = bam::Record::new();
            rec.set(
                name.as_bytes(),
                cigar.as_ref(),
                seq_at(700, 40).as_bytes(),
                &[40; 40],
            );
            rec.set_tid(0);
            rec.set_pos(pos);
            rec.set_flags(0);
            rec.set_mapq(60);
            rec.set_mtid(-1);
            rec.set_mpos(-1);
            rec.push_aux(b"RG", Aux::String("g")).unwrap();
            records.push(rec);
        }
        bam_path = t.join("hostile2.bam");
        write_bam(&bam_path, &header, records, true, false);
    }
    let out = t.join("out");
    let start = Instant::now();
    let o = ms(
        "count",
        &[&bam_path],
        &out,
        &["--quiet", "--min-aligned-len", "0"],
    );
    assert_ok(&o, "hostile records");
    assert!(start.elapsed() < Duration::from_secs(20));
    let summary = summary_of(&out, "hostile");
    let reads = &summary["reads"];
    assert_eq!(reads["seen"], 9, "{reads}");
    assert_eq!(reads["used"], 7, "{reads}");
    assert_eq!(reads["dropped"]["invalid"], 2, "{reads}");
    let c = counts_of(&out, "hostile").counts;
    let depth = |p: usize| c.sites()[p - 1].depth();
    assert_eq!(
        (depth(100), depth(119), depth(120)),
        (1, 1, 0),
        "zero-length ops"
    );
    let bases = |p: usize| -> u32 {
        c.sites()[p - 1]
            .n
            .iter()
            .map(|n| n[..5].iter().sum::<u32>())
            .sum()
    };
    assert_eq!(
        (bases(16319), bases(16320), depth(16320)),
        (1, 0, 1),
        "deleted base"
    );
    assert_eq!(c.sites()[16568].n[FWD][5], 1, "deleted to the contig end");
    assert_eq!(depth(419), 1);
    assert_eq!(depth(420), 0, "skipped");
    assert_eq!(depth(500), 0, "SEQ * counts nothing");
    assert_eq!(depth(650), 0, "SEQ * after a clip counts nothing");
    let lowq = |p: usize| c.sites()[p - 1].n[FWD][7] + c.sites()[p - 1].n[REV][7];
    assert_eq!(
        (depth(600), lowq(600), lowq(629)),
        (0, 1, 1),
        "quality 255 is low"
    );
    assert_eq!(bases(16569), 1, "past the end: counted up to 16569");
    assert_eq!(bases(16550), 1);
}

#[test]
fn a_read_with_a_million_cigar_operations_is_quick_and_small() {
    // 1M1I repeated: 1,000,000 operations (BAM keeps them in the CG tag), a 1.5-Mb
    // read; then the same read again with the insertions split by padding.
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let header = chrm_header();
    let mut ops = Vec::with_capacity(1_000_000);
    for _ in 0..500_000 {
        ops.push(Cigar::Match(1));
        ops.push(Cigar::Ins(2));
    }
    let qlen = 500_000 * 3;
    let seq: Vec<u8> = (0..qlen).map(|k| b"ACGT"[k % 4]).collect();
    let mut rec = bam::Record::new();
    rec.set(b"million", Some(&CigarString(ops)), &seq, &vec![30; qlen]);
    rec.set_tid(0);
    rec.set_pos(10);
    rec.set_flags(0);
    rec.set_mapq(60);
    rec.set_mtid(-1);
    rec.set_mpos(-1);
    let p = t.join("million.bam");
    write_bam(&p, &header, vec![rec], false, false);
    let out = t.join("out");
    let start = Instant::now();
    let args: Vec<&OsStr> = vec![
        "count".as_ref(),
        p.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ];
    match time_v(&args) {
        Some((kb, o)) => {
            assert_ok(&o, "million ops");
            assert!(kb < 400_000, "peak RSS {kb} kB");
            note(&format!(
                "a_read_with_a_million_cigar_operations: peak RSS {kb} kB"
            ));
        }
        None => assert_ok(&run(&args), "million ops"),
    }
    assert!(start.elapsed() < Duration::from_secs(30));
    let c = counts_of(&out, "million");
    let s = summary_of(&out, "million");
    assert_eq!(s["reads"]["used"], 1, "{s}");
    // One base per reference position from 11 to 16569, an insertion after each.
    assert_eq!(c.counts.sites()[10].depth(), 1);
    assert_eq!(c.counts.sites()[16568].depth(), 1);
    assert_eq!(
        c.counts.sites()[16568].n[FWD][6],
        1,
        "insertion after the last base"
    );
    assert_eq!(c.counts.sites()[9].depth(), 0);
}

// ---------------------------------------------------------------------------------
// Walker gaps found against samtools mpileup

const WALKER_GAPS: &str = "
@HD VN:1.6 SO:coordinate
@SQ SN:chrM LN:16569
@RG ID:w SM:walker
// Insertions split by padding are one +2 event anchored at 104 (htslib: +2).
ipi      0  chrM 100   60 5M1I1P1I5M  * 0 0 ACGTAGGACGTA IIIIIIIIIIII
// Padding before the insertion: one +1 event anchored at 204.
pi       16 chrM 200   60 5M1P1I5M    * 0 0 ACGTACACGTA  IIIIIIIIIII
// Ends at 16569, then an insertion: +GG anchored at 16569 (mpileup reports it there).
end_ins  0  chrM 16560 60 10M2I       * 0 0 ACGTACGTACGG IIIIIIIIIIII
";

#[test]
fn padded_insertions_and_an_insertion_after_the_last_base() {
    use mitosieve::count::IndelKey;
    let tmp = tempfile::tempdir().unwrap();
    let bam = sam_to_bam(tmp.path(), "walker", WALKER_GAPS);
    let c = count_one(
        tmp.path(),
        "out",
        &bam,
        &["--quiet", "--min-aligned-len", "0"],
    );
    let ev = events_of(&c.counts);
    let want: std::collections::BTreeMap<(u32, IndelKey), [u32; 2]> = [
        ((103, IndelKey::Ins(b"GG".to_vec())), [1, 0]),
        ((203, IndelKey::Ins(b"C".to_vec())), [0, 1]),
        ((16568, IndelKey::Ins(b"GG".to_vec())), [1, 0]),
    ]
    .into_iter()
    .collect();
    assert_eq!(ev, want);
    let site = |p: usize| &c.counts.sites()[p - 1];
    assert_eq!(site(104).n[FWD][6], 1, "one insertion event, not two");
    assert_eq!(site(16569).n[FWD][6], 1);
    assert_eq!(
        site(105).n[FWD][0],
        1,
        "the base after the insertion (A at 105)"
    );
    if have_samtools("padded_insertions_and_an_insertion_after_the_last_base") {
        let m = mpileup(&bam, "chrM", 20, None);
        for (i, st) in c.counts.sites().iter().enumerate() {
            for strand in [FWD, REV] {
                assert_eq!(
                    &st.n[strand][..7],
                    &m.n[i][strand][..7],
                    "mpileup at {} (bases, deletions, insertion events)",
                    i + 1
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Interruption

/// A plate of six clones at 1,500x, simulated into `dir`.
fn plate(dir: &Path) -> Vec<PathBuf> {
    let spec = dir.join("plate.toml");
    let mut text = String::from("seed = 11\n");
    for i in 0..6 {
        text.push_str(&format!("[[clones]]\nname = \"p{i}\"\ndepth = 1500\n"));
    }
    std::fs::write(&spec, text).unwrap();
    let out = dir.join("plate");
    let o = run(&[
        "simulate".as_ref(),
        "--spec".as_ref(),
        spec.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert_ok(&o, "simulate plate");
    let mut bams: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bam"))
        .collect();
    bams.sort();
    bams
}

fn has_temp(dir: &Path) -> bool {
    !temp_files(dir).is_empty()
}

/// Start `args`, send `signal` when `when` says so (polled every millisecond, at most
/// `limit`), and return the exit code and whether a temporary file was seen first.
fn interrupt(
    args: &[&OsStr],
    signal: i32,
    when: impl Fn(Duration) -> bool,
) -> (Option<i32>, String) {
    let mut child = Command::new(bin())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mitosieve");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if when(start.elapsed()) {
            // SAFETY: sending a signal to our own child process.
            unsafe { libc::kill(child.id() as i32, signal) };
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let o = child.wait_with_output().unwrap();
    (o.status.code(), stderr(&o))
}

/// The exit code of an interrupted run: 128 + the signal, or 0 when the run ended just
/// before the signal (then everything it wrote is complete, which is checked anyway).
fn assert_signalled(code: Option<i32>, signal: i32, err: &str, tag: &str) {
    if code == Some(0) {
        note(&format!(
            "{tag}: the run finished before the signal arrived"
        ));
        return;
    }
    assert_eq!(code, Some(128 + signal), "{tag}: {err}");
    assert!(err.contains("interrupted by SIG"), "{tag}: {err}");
}

/// Every final-named file is complete: counts files read back, summaries parse.
fn assert_all_complete(dir: &Path, tag: &str) {
    assert!(
        !has_temp(dir),
        "{tag}: temporary files left: {:?}",
        temp_files(dir)
    );
    for f in counts_files(dir) {
        mitosieve::count::file::read(&f)
            .unwrap_or_else(|e| panic!("{tag}: an incomplete counts file: {e}"));
    }
    for p in tree(dir) {
        if p.to_string_lossy().ends_with(".json") {
            let text = std::fs::read_to_string(dir.join(&p)).unwrap();
            serde_json::from_str::<serde_json::Value>(&text)
                .unwrap_or_else(|e| panic!("{tag}: {} is incomplete: {e}", p.display()));
        }
    }
}

#[test]
fn sigint_and_sigterm_leave_no_partial_files() {
    let tmp = tempfile::tempdir().unwrap();
    let bams = plate(tmp.path());
    let count_args = |out: &Path| -> Vec<OsString> {
        let mut a: Vec<OsString> = vec!["count".into()];
        a.extend(bams.iter().map(|p| p.as_os_str().to_owned()));
        a.extend(["-o".into(), out.as_os_str().to_owned()]);
        a.extend(["--threads".into(), "1".into(), "--quiet".into()]);
        a
    };
    // SIGINT after 0.3 s.
    let out = tmp.path().join("sigint");
    let a = count_args(&out);
    let refs: Vec<&OsStr> = a.iter().map(OsString::as_os_str).collect();
    let (code, err) = interrupt(&refs, libc::SIGINT, |t| t >= Duration::from_millis(300));
    assert_signalled(code, libc::SIGINT, &err, "sigint");
    assert_all_complete(&out, "sigint");
    // SIGTERM while a file is being written (as soon as a temporary file appears).
    let out = tmp.path().join("sigterm");
    let a = count_args(&out);
    let refs: Vec<&OsStr> = a.iter().map(OsString::as_os_str).collect();
    let (code, err) = interrupt(&refs, libc::SIGTERM, |t| {
        has_temp(&out) || t > Duration::from_secs(20)
    });
    assert_signalled(code, libc::SIGTERM, &err, "sigterm");
    assert_all_complete(&out, "sigterm");
    // `run`, interrupted while it counts into <out>/counts.
    let out = tmp.path().join("run");
    let mut a: Vec<OsString> = vec!["run".into()];
    a.extend(bams.iter().map(|p| p.as_os_str().to_owned()));
    a.extend([
        "-o".into(),
        out.as_os_str().to_owned(),
        "--threads".into(),
        "1".into(),
    ]);
    let refs: Vec<&OsStr> = a.iter().map(OsString::as_os_str).collect();
    let counts = out.join("counts");
    let (code, err) = interrupt(&refs, libc::SIGINT, |t| {
        has_temp(&counts) || t > Duration::from_secs(20)
    });
    assert_signalled(code, libc::SIGINT, &err, "run");
    assert_all_complete(&counts, "run");
    assert_no_partial(&out, &step_files(), "run");
}

#[test]
fn an_interrupted_simulation_leaves_no_bam() {
    // `simulate` streams each BAM into a temporary file for about a second: a signal
    // always finds one, and it must go.
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("deep.toml");
    std::fs::write(
        &spec,
        "seed = 5\n[[clones]]\nname = \"deep\"\ndepth = 6000\n",
    )
    .unwrap();
    let out = tmp.path().join("sim");
    let args: Vec<&OsStr> = vec![
        "simulate".as_ref(),
        "--spec".as_ref(),
        spec.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--threads".as_ref(),
        "1".as_ref(),
    ];
    let seen = std::cell::Cell::new(false);
    let (code, err) = interrupt(&args, libc::SIGINT, |t| {
        if has_temp(&out) && t > Duration::from_millis(100) {
            seen.set(true);
        }
        seen.get() || t > Duration::from_secs(30)
    });
    assert!(seen.get(), "no temporary BAM seen while simulating");
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("removed 1 unfinished file(s)"), "{err}");
    assert!(!has_temp(&out), "{:?}", temp_files(&out));
    assert!(!out.join("deep.bam").exists());
    assert!(!out.join("deep.bam.bai").exists());
}
