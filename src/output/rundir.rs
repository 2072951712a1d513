//! An output directory used by one run at a time, with a record of what each run wrote.
//!
//! * **Lock.** A run holds `DIR/.mitosieve.lock` (created exclusively, with its process
//!   id) while it writes; a second run into the same directory stops at once with an
//!   error naming the first. A lock left by a process that no longer exists is taken
//!   over. SIGINT/SIGTERM remove it with the temporary files.
//! * **Manifest.** When a run ends (finished or failed) it records in
//!   `DIR/mitosieve.manifest.json` the command, its command line, its status and every
//!   file it wrote.
//! * **Reruns.** A run refuses to write where an earlier run wrote outputs of the same
//!   kind (a rerun of `run` into a `run` folder, `call` over `call`, `select` over a
//!   `run`'s selection…), unless `overwrite` is given: then exactly that earlier run's
//!   files are removed first, so the folder never holds a mix of two runs. Commands that
//!   write different outputs may share a folder (`call` then `select`, as a
//!   scatter/gather workflow does). Outputs of an earlier version of mitosieve or of a
//!   run stopped by a signal (no manifest entry) are recognised by their names.
//! * **Failure.** Directories this run created and left empty are removed, so a failed
//!   run leaves no empty folders behind.
//!
//! ```
//! use mitosieve::output::{OutputDir, Product};
//! let tmp = tempfile::tempdir()?;
//! let dir = tmp.path().join("screen");
//! let out = OutputDir::open(&dir, "select", "mitosieve select …", &[Product::Selection], false)?;
//! std::fs::write(dir.join("selection.tsv"), "clone\tverdict\n")?;
//! out.finish()?;
//! // A second `select` into the same folder is refused…
//! let again = OutputDir::open(&dir, "select", "mitosieve select …", &[Product::Selection], false);
//! assert!(again.unwrap_err().to_string().contains("--overwrite"));
//! // …unless it may overwrite: then the first run's files are removed first.
//! let out = OutputDir::open(&dir, "select", "mitosieve select …", &[Product::Selection], true)?;
//! assert!(!dir.join("selection.tsv").exists());
//! out.finish()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{forget_temp, register_temp, write_atomic};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

/// The files the call step writes (`crate::call::write_outputs`; defined here because
/// `output` comes before `call` on the data path, and re-exported as
/// `crate::call::CALL_FILES`).
pub const CALL_FILES: &[&str] = &[
    "calls.vcf.gz",
    "calls.vcf.gz.tbi",
    "calls.tsv",
    "targets.tsv",
    "deletions.tsv",
    "calls.json",
];

/// Name of the lock file.
pub const LOCK_FILE: &str = ".mitosieve.lock";
/// Name of the manifest.
pub const MANIFEST_FILE: &str = "mitosieve.manifest.json";

/// A kind of output; runs whose products overlap may not share a folder without
/// `overwrite`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// Counts files and summaries directly in the folder (`count -o`).
    Counts,
    /// Counts files in the folder's `counts/` (`call`, `run`, `track` with BAM input).
    CountsSubdir,
    /// The call files (`calls.vcf.gz`, `calls.tsv`, `targets.tsv`, …).
    Calls,
    /// The selection files, the report and the MultiQC files.
    Selection,
    /// `track.tsv` / `track.json`.
    Track,
    /// The files of `plan`.
    Plan,
    /// Simulated BAMs and their truth.
    Simulation,
}

impl Product {
    /// Whether `name` (a path relative to the folder) is an output of this kind, for
    /// folders without a manifest entry.
    fn owns(self, rel: &Path) -> bool {
        let s = rel.to_string_lossy();
        let top = rel.components().count() == 1;
        match self {
            Product::Counts => {
                top && (s.ends_with(".counts.tsv.gz") || s.ends_with(".summary.json"))
            }
            Product::CountsSubdir => {
                rel.starts_with("counts")
                    && (s.ends_with(".counts.tsv.gz") || s.ends_with(".summary.json"))
            }
            Product::Calls => top && CALL_FILES.contains(&&*s),
            Product::Selection => {
                top && (matches!(
                    &*s,
                    "selection.tsv" | "selection.json" | "policy.resolved.toml" | "report.html"
                ) || (s.starts_with("mitosieve_") && s.contains("_mqc.")))
            }
            Product::Track => top && matches!(&*s, "track.tsv" | "track.json"),
            Product::Plan => top && s.starts_with("plan."),
            Product::Simulation => {
                top && (s.ends_with(".bam") || s.ends_with(".bam.bai") || s == "truth.tsv")
            }
        }
    }
}

/// One run recorded in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The subcommand (`run`, `call`, …).
    pub command: String,
    /// The whole command line.
    pub command_line: String,
    /// mitosieve version.
    pub version: String,
    /// What the run writes.
    pub products: Vec<Product>,
    /// `finished` or `failed`.
    pub status: String,
    /// Files written, relative to the folder, sorted.
    pub files: Vec<String>,
}

/// The manifest: the runs whose outputs are in the folder.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Runs, oldest first.
    pub runs: Vec<RunRecord>,
}

/// An output folder held by this run; see the [module](self).
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    lock: PathBuf,
    record: RunRecord,
    /// Files present (with their modification time) after the earlier outputs were
    /// removed: what is new or changed at the end is this run's.
    before: Vec<(PathBuf, Option<SystemTime>)>,
    /// Directories that did not exist before this run.
    created: Vec<PathBuf>,
    /// Directories inside the folder when this run took it.
    dirs_before: BTreeSet<PathBuf>,
    started: SystemTime,
    /// This run holds the lock.
    locked: bool,
    /// The earlier outputs are dealt with and this run may write (its files are
    /// recorded when it ends).
    writing: bool,
    done: bool,
}

fn walk(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir.join(rel)) else {
        return;
    };
    for e in entries.flatten() {
        let r = rel.join(e.file_name());
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(dir, &r, out),
            Ok(t) if t.is_file() => out.push(r),
            _ => {}
        }
    }
}

/// Every regular file under `dir`, relative to it, with its modification time.
fn listing(dir: &Path) -> Vec<(PathBuf, Option<SystemTime>)> {
    let mut files = Vec::new();
    walk(dir, Path::new(""), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|r| {
            let m = fs::metadata(dir.join(&r)).and_then(|m| m.modified()).ok();
            (r, m)
        })
        .collect()
}

/// A manifest path that stays inside the folder.
fn safe_relative(s: &str) -> Option<PathBuf> {
    let p = PathBuf::from(s);
    p.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(p)
}

fn pid_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        // Elsewhere a lock is only taken over when it names this very process.
        true
    }
}

impl OutputDir {
    /// Take `dir` for a run of `command` (its `command_line`) that writes `products`:
    /// create it if needed, lock it, and check (or with `overwrite`, remove) earlier
    /// outputs of the same kinds. See the [module](self).
    pub fn open(
        dir: &Path,
        command: &str,
        command_line: &str,
        products: &[Product],
        overwrite: bool,
    ) -> Result<Self> {
        Self::open_keeping(dir, command, command_line, products, overwrite, &[])
    }

    /// [`OutputDir::open`] for a run that reads `inputs`: an earlier run's file that is
    /// one of them is never removed (e.g. `call screen/counts/*.counts.tsv.gz -o
    /// screen/ --overwrite`).
    pub fn open_keeping(
        dir: &Path,
        command: &str,
        command_line: &str,
        products: &[Product],
        overwrite: bool,
        inputs: &[PathBuf],
    ) -> Result<Self> {
        if dir.exists() && !dir.is_dir() {
            return Err(super::not_a_directory(dir));
        }
        // The directories this call creates, outermost first.
        let mut created = Vec::new();
        let mut d = dir.to_path_buf();
        while !d.as_os_str().is_empty() && !d.exists() {
            created.push(d.clone());
            match d.parent() {
                Some(p) => d = p.to_path_buf(),
                None => break,
            }
        }
        created.reverse();
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create output directory", e))?;
        let lock = dir.join(LOCK_FILE);
        let mut out = OutputDir {
            dir: dir.to_path_buf(),
            lock: lock.clone(),
            record: RunRecord {
                command: command.to_string(),
                command_line: command_line.to_string(),
                version: crate::VERSION.to_string(),
                products: products.to_vec(),
                status: "failed".into(),
                files: Vec::new(),
            },
            before: Vec::new(),
            created,
            dirs_before: BTreeSet::new(),
            started: SystemTime::now(),
            locked: false,
            writing: false,
            done: false,
        };
        // From here on, dropping `out` releases what it holds and removes the empty
        // folders it created.
        out.take_lock()?;
        out.dirs_before = dirs_under(dir);
        let keep: BTreeSet<PathBuf> = inputs
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .collect();
        out.clear_earlier(overwrite, &keep)?;
        out.before = listing(dir);
        out.started = SystemTime::now();
        out.writing = true;
        Ok(out)
    }

    fn take_lock(&mut self) -> Result<()> {
        let text = format!(
            "{}\n{}\n",
            std::process::id(),
            self.record.command_line.replace('\n', " ")
        );
        for attempt in 0..2 {
            let Some((_, made)) = register_temp(self.lock.clone(), |p| {
                fs::OpenOptions::new().write(true).create_new(true).open(p)
            }) else {
                return Err(Error::io(
                    &self.lock,
                    "cannot create",
                    io::Error::new(io::ErrorKind::Interrupted, "the run is being interrupted"),
                ));
            };
            match made {
                Ok(mut f) => {
                    use std::io::Write as _;
                    self.locked = true;
                    f.write_all(text.as_bytes())
                        .map_err(|e| Error::io(&self.lock, "cannot write the lock", e))?;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    forget_temp(&self.lock);
                    let held = fs::read_to_string(&self.lock).unwrap_or_default();
                    let mut lines = held.lines();
                    let pid: Option<u32> = lines.next().and_then(|l| l.trim().parse().ok());
                    let by = lines.next().unwrap_or("").to_string();
                    let stale = pid.is_some_and(|p| p != std::process::id() && !pid_alive(p));
                    if stale && attempt == 0 {
                        // The process that held it is gone (killed): take it over.
                        let _ = fs::remove_file(&self.lock);
                        continue;
                    }
                    return Err(Error::OutputDir {
                        path: self.dir.clone(),
                        detail: format!(
                            "another mitosieve run is writing there{}{} (lock file {}); wait for it to end, or remove the lock file if no run is active",
                            pid.map_or(String::new(), |p| format!(" (process {p}")),
                            if pid.is_some() {
                                format!(": {by})")
                            } else {
                                String::new()
                            },
                            LOCK_FILE
                        ),
                    });
                }
                Err(e) => {
                    forget_temp(&self.lock);
                    return Err(Error::io(&self.dir, "output directory is not writable", e));
                }
            }
        }
        Ok(())
    }

    fn manifest_path(&self) -> PathBuf {
        self.dir.join(MANIFEST_FILE)
    }

    /// Read the manifest (an unreadable one is an error: it would hide earlier runs).
    fn read_manifest(&self) -> Result<Manifest> {
        let p = self.manifest_path();
        match fs::read_to_string(&p) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                Error::parse(
                    &p,
                    e.line(),
                    format!("not a mitosieve manifest ({e}); remove it to reuse the folder"),
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(Error::io(&p, "cannot read", e)),
        }
    }

    fn overlaps(&self, products: &[Product]) -> bool {
        products.iter().any(|p| self.record.products.contains(p))
    }

    /// Refuse, or remove, the outputs of earlier runs of the same kinds.
    fn clear_earlier(&mut self, overwrite: bool, keep: &BTreeSet<PathBuf>) -> Result<()> {
        let mut manifest = self.read_manifest()?;
        // Runs whose files are all gone (e.g. removed by a workflow manager) are over.
        manifest.runs.retain(|r| {
            r.files
                .iter()
                .any(|f| safe_relative(f).is_some_and(|p| self.dir.join(p).is_file()))
        });
        let recorded: BTreeSet<PathBuf> = manifest
            .runs
            .iter()
            .flat_map(|r| r.files.iter().filter_map(|f| safe_relative(f)))
            .collect();
        let mut conflicting: Vec<RunRecord> = manifest
            .runs
            .iter()
            .filter(|r| self.overlaps(&r.products))
            .cloned()
            .collect();
        // Outputs without a manifest entry (an older mitosieve, or a run stopped by a
        // signal), recognised by name.
        let unrecorded: Vec<String> = listing(&self.dir)
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| !recorded.contains(p))
            .filter(|p| self.record.products.iter().any(|k| k.owns(p)))
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if !unrecorded.is_empty() {
            conflicting.push(RunRecord {
                command: "an unrecorded run".into(),
                command_line: String::new(),
                version: String::new(),
                products: self.record.products.clone(),
                status: "unknown".into(),
                files: unrecorded,
            });
        }
        if conflicting.is_empty() {
            self.write_manifest(&manifest)?;
            return Ok(());
        }
        if !overwrite {
            let what: Vec<String> = conflicting
                .iter()
                .map(|r| {
                    format!(
                        "{} ({} file(s){})",
                        if r.command_line.is_empty() {
                            r.command.clone()
                        } else {
                            format!("`{}`", r.command_line)
                        },
                        r.files.len(),
                        if r.status == "failed" { ", failed" } else { "" }
                    )
                })
                .collect();
            return Err(Error::OutputDir {
                path: self.dir.clone(),
                detail: format!(
                    "holds the outputs of an earlier run: {}; use --overwrite to remove them first, or choose another output directory",
                    what.join("; ")
                ),
            });
        }
        for r in &conflicting {
            for f in r.files.iter().filter_map(|f| safe_relative(f)) {
                let p = self.dir.join(&f);
                let is_input = p.canonicalize().is_ok_and(|c| keep.contains(&c));
                if p.is_file() && !is_input {
                    fs::remove_file(&p).map_err(|e| Error::io(&p, "cannot remove", e))?;
                }
                // Sub-folders the earlier run left empty.
                let mut parent = f.parent();
                while let Some(d) = parent.filter(|d| !d.as_os_str().is_empty()) {
                    let _ = fs::remove_dir(self.dir.join(d));
                    parent = d.parent();
                }
            }
        }
        manifest.runs.retain(|r| !self.overlaps(&r.products));
        self.write_manifest(&manifest)
    }

    fn write_manifest(&self, m: &Manifest) -> Result<()> {
        if m.runs.is_empty() {
            let p = self.manifest_path();
            if p.exists() {
                fs::remove_file(&p).map_err(|e| Error::io(&p, "cannot remove", e))?;
            }
            return Ok(());
        }
        let json = serde_json::to_vec_pretty(m)
            .map_err(|e| Error::Internal(format!("cannot serialise the manifest: {e}")))?;
        write_atomic(&self.manifest_path(), &json)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Files of this run: new, or changed since it started.
    fn written(&self) -> Vec<String> {
        listing(&self.dir)
            .into_iter()
            .filter(|(p, m)| {
                let name = p.to_string_lossy();
                if name == MANIFEST_FILE || name == LOCK_FILE || name.contains(".mitosieve-tmp.") {
                    return false;
                }
                match self.before.iter().find(|(q, _)| q == p) {
                    None => true,
                    Some((_, old)) => *m != *old || m.is_some_and(|t| t >= self.started),
                }
            })
            .map(|(p, _)| p.to_string_lossy().into_owned())
            .collect()
    }

    fn close(&mut self, status: &str) -> Result<()> {
        self.done = true;
        let mut result = Ok(());
        if self.writing {
            self.record.status = status.to_string();
            self.record.files = self.written();
            result = (|| {
                let mut m = self.read_manifest()?;
                if !self.record.files.is_empty() {
                    m.runs.push(self.record.clone());
                }
                self.write_manifest(&m)
            })();
        }
        if self.locked {
            // Only a run that held the folder may tidy it: a run refused at the lock must
            // not touch the folders of the run that holds it.
            if status != "finished" {
                self.remove_empty_subfolders();
            }
            let _ = fs::remove_file(&self.lock);
            forget_temp(&self.lock);
            self.locked = false;
            if status != "finished" {
                // The folders this run created, if empty now (a folder another run has
                // just taken holds its lock, so it is not empty).
                for d in self.created.iter().rev() {
                    let _ = fs::remove_dir(d);
                }
            }
        }
        result
    }

    /// Remove the empty folders this run created inside the folder (innermost first).
    fn remove_empty_subfolders(&self) {
        for d in dirs_under(&self.dir).iter().rev() {
            if !self.dirs_before.contains(d) {
                let _ = fs::remove_dir(d);
            }
        }
    }

    /// The run finished: record its files in the manifest and release the folder.
    pub fn finish(mut self) -> Result<()> {
        self.close("finished")
    }
}

fn dirs_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut dirs = Vec::new();
    collect_dirs(dir, &mut dirs);
    dirs.into_iter().collect()
}

fn collect_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                let p = e.path();
                out.push(p.clone());
                collect_dirs(&p, out);
            }
        }
    }
}

impl Drop for OutputDir {
    /// Dropped without [`OutputDir::finish`]: the run failed. Its files are recorded
    /// (status `failed`), the lock released, empty folders it created removed.
    fn drop(&mut self) {
        if !self.done {
            let _ = self.close("failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path, cmd: &str, p: &[Product], ow: bool) -> Result<OutputDir> {
        OutputDir::open(dir, cmd, &format!("mitosieve {cmd}"), p, ow)
    }

    #[test]
    fn a_rerun_is_refused_or_replaces_the_earlier_run_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("screen");
        let run = [Product::CountsSubdir, Product::Calls, Product::Selection];
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("notes.txt"), "the user's own file").unwrap();
        let o = open(&d, "run", &run, false).unwrap();
        fs::create_dir_all(d.join("counts")).unwrap();
        for c in ["c1", "c2", "c3"] {
            fs::write(d.join(format!("counts/{c}.counts.tsv.gz")), c).unwrap();
        }
        fs::write(d.join("selection.tsv"), "x").unwrap();
        o.finish().unwrap();
        let m: Manifest =
            serde_json::from_str(&fs::read_to_string(d.join(MANIFEST_FILE)).unwrap()).unwrap();
        assert_eq!(m.runs.len(), 1);
        assert_eq!(m.runs[0].files.len(), 4, "{:?}", m.runs[0].files);

        let e = open(&d, "run", &run, false).unwrap_err().to_string();
        assert!(
            e.contains("`mitosieve run` (4 file(s))") && e.contains("--overwrite"),
            "{e}"
        );
        assert!(
            !d.join(LOCK_FILE).exists(),
            "a refused run releases the lock"
        );

        // Overwrite: the earlier run's files go, the user's file stays.
        let o = open(&d, "run", &run, true).unwrap();
        assert!(!d.join("counts/c3.counts.tsv.gz").exists());
        assert!(d.join("notes.txt").exists());
        fs::create_dir_all(d.join("counts")).unwrap();
        fs::write(d.join("counts/c1.counts.tsv.gz"), "new").unwrap();
        o.finish().unwrap();
        let m: Manifest =
            serde_json::from_str(&fs::read_to_string(d.join(MANIFEST_FILE)).unwrap()).unwrap();
        assert_eq!(m.runs.len(), 1);
        assert_eq!(m.runs[0].files, vec!["counts/c1.counts.tsv.gz".to_string()]);
    }

    #[test]
    fn different_products_share_a_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("out");
        let o = open(&d, "call", &[Product::Calls], false).unwrap();
        fs::write(d.join("calls.json"), "{}").unwrap();
        o.finish().unwrap();
        let o = open(&d, "select", &[Product::Selection], false).unwrap();
        fs::write(d.join("selection.tsv"), "x").unwrap();
        o.finish().unwrap();
        let m: Manifest =
            serde_json::from_str(&fs::read_to_string(d.join(MANIFEST_FILE)).unwrap()).unwrap();
        let cmds: Vec<&str> = m.runs.iter().map(|r| r.command.as_str()).collect();
        assert_eq!(cmds, ["call", "select"]);
        // A `run` overlaps both.
        assert!(open(&d, "run", &[Product::Calls, Product::Selection], false).is_err());
    }

    #[test]
    fn a_second_run_at_the_same_time_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("out");
        let first = open(&d, "call", &[Product::Calls], false).unwrap();
        let e = open(&d, "select", &[Product::Selection], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("another mitosieve run is writing there"), "{e}");
        drop(first);
        assert!(!d.join(LOCK_FILE).exists());
        // A lock of a process that no longer exists is taken over.
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join(LOCK_FILE), "4000000000\nmitosieve run (killed)\n").unwrap();
        if cfg!(target_os = "linux") {
            open(&d, "select", &[Product::Selection], false)
                .unwrap()
                .finish()
                .unwrap();
        }
    }

    #[test]
    fn a_failed_run_leaves_no_empty_folders_and_records_its_files() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("a/b/err");
        let o = open(&d, "run", &[Product::CountsSubdir], false).unwrap();
        fs::create_dir_all(d.join("counts")).unwrap();
        drop(o);
        assert!(
            !tmp.path().join("a").exists(),
            "every folder it created is gone"
        );

        let d = tmp.path().join("half");
        let o = open(&d, "count", &[Product::Counts], false).unwrap();
        fs::write(d.join("c1.counts.tsv.gz"), "done").unwrap();
        drop(o);
        let m: Manifest =
            serde_json::from_str(&fs::read_to_string(d.join(MANIFEST_FILE)).unwrap()).unwrap();
        assert_eq!(m.runs[0].status, "failed");
        let e = open(&d, "count", &[Product::Counts], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("failed"), "{e}");
    }

    #[test]
    fn outputs_without_a_manifest_are_recognised_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        fs::write(d.join("calls.tsv"), "old").unwrap();
        fs::write(d.join("input.bam"), "not ours").unwrap();
        let e = open(d, "call", &[Product::Calls], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("an unrecorded run (1 file(s))"), "{e}");
        open(d, "call", &[Product::Calls], true)
            .unwrap()
            .finish()
            .unwrap();
        assert!(!d.join("calls.tsv").exists());
        assert!(d.join("input.bam").exists());
    }
}
