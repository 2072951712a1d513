//! Writing results safely: every file is written under a temporary name in the output
//! directory and renamed into place only when complete, so an interrupted or failed run
//! never leaves a file that looks finished. Also a small BGZF (blocked gzip) writer whose
//! errors, unlike a `Drop`-time close, are never lost.

pub mod rundir;

pub use rundir::{Manifest, OutputDir, Product, RunRecord, LOCK_FILE, MANIFEST_FILE};

use crate::error::{Error, Result};
use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Prefix of temporary files; anything starting with it in an output directory is an
/// unfinished write (an interrupted run) and may be deleted.
pub const TEMP_PREFIX: &str = ".mitosieve-tmp.";

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Every temporary path handed out and not yet committed or removed, so that a
/// program interrupted by a signal can remove them ([`take_temp_files`]).
struct TempRegistry {
    live: Option<HashSet<PathBuf>>,
    /// Set by [`take_temp_files`]: the process is about to exit.
    closed: bool,
}

static TEMP_REGISTRY: Mutex<TempRegistry> = Mutex::new(TempRegistry {
    live: None,
    closed: false,
});

fn registry() -> MutexGuard<'static, TempRegistry> {
    // A panic elsewhere while the lock was held leaves the set intact.
    TEMP_REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

/// Register `path` (under the lock) and run `create` on it. After [`take_temp_files`]
/// nothing is created: `None` (the caller fails with an "interrupted" error; nothing
/// waits).
fn register_temp<T>(path: PathBuf, create: impl FnOnce(&Path) -> T) -> Option<(PathBuf, T)> {
    let mut reg = registry();
    if reg.closed {
        return None;
    }
    // Created while holding the lock: a removal cannot run between the two.
    let made = create(&path);
    reg.live
        .get_or_insert_with(HashSet::new)
        .insert(path.clone());
    Some((path, made))
}

/// The error of a file that cannot be started because the process is being
/// interrupted.
fn interrupted(dest: &Path) -> Error {
    Error::io(
        dest,
        "cannot create",
        io::Error::new(io::ErrorKind::Interrupted, "the run is being interrupted"),
    )
}

fn forget_temp(path: &Path) {
    if let Some(live) = registry().live.as_mut() {
        live.remove(path);
    }
}

/// The temporary files of this process that are being written now.
pub fn live_temp_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = registry()
        .live
        .as_ref()
        .map(|l| l.iter().cloned().collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// For a program about to exit on a signal: the temporary files (and output-folder
/// locks, [`LOCK_FILE`]) this process is writing, for the caller to remove. From then on
/// no new temporary file is started: [`AtomicFile::create`] fails with an "interrupted"
/// error, so a working thread stops instead of leaving a file behind. Nothing blocks.
pub fn take_temp_files() -> Vec<PathBuf> {
    let mut reg = registry();
    reg.closed = true;
    let mut v: Vec<PathBuf> = reg.live.take().unwrap_or_default().into_iter().collect();
    v.sort();
    v
}

/// A file that appears under its final name only when [`AtomicFile::commit`] succeeds.
/// Dropped without commit, the temporary file is removed.
#[derive(Debug)]
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Start writing `dest` (its directory must exist).
    pub fn create(dest: impl Into<PathBuf>) -> Result<Self> {
        let dest = dest.into();
        let Some((tmp, file)) = register_temp(temp_name_for(&dest), |p| File::create(p)) else {
            return Err(interrupted(&dest));
        };
        let file = match file {
            Ok(f) => f,
            Err(e) => {
                forget_temp(&tmp);
                return Err(Error::io(&dest, "cannot create", e));
            }
        };
        Ok(AtomicFile {
            dest,
            tmp,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// Flush, sync and rename into place; on any error the temporary file is removed
    /// and nothing appears under the final name.
    pub fn commit(self) -> Result<()> {
        self.commit_with(|_| Ok(()))
    }

    /// Flush and sync, run `f` on the complete temporary file (e.g. to build an index
    /// beside it), then rename into place. Nothing appears under the final name if
    /// either step fails.
    pub fn commit_with(mut self, f: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
        let Some(w) = self.writer.take() else {
            return Ok(());
        };
        let result = (|| {
            let file = w
                .into_inner()
                .map_err(|e| Error::io(&self.dest, "cannot write", e.into_error()))?;
            file.sync_all()
                .map_err(|e| Error::io(&self.dest, "cannot write", e))?;
            drop(file);
            f(&self.tmp)?;
            fs::rename(&self.tmp, &self.dest)
                .map_err(|e| Error::io(&self.dest, "cannot rename into place", e))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&self.tmp);
        }
        forget_temp(&self.tmp);
        result
    }

    /// Wrap an I/O error in this file's context.
    pub fn err(&self, e: io::Error) -> Error {
        Error::io(&self.dest, "cannot write", e)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.writer {
            Some(w) => w.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.writer {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
            forget_temp(&self.tmp);
        }
    }
}

/// The temporary name used while `dest` is written, registered so that an interrupted
/// run removes the file ([`take_temp_files`]) if it is still there.
pub fn temp_path_for(dest: &Path) -> PathBuf {
    let name = temp_name_for(dest);
    // Once the process is being interrupted the name is not registered; it is a
    // temporary name, never a final one.
    register_temp(name.clone(), |_| ()).map_or(name, |(p, ())| p)
}

fn temp_name_for(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp_name = format!("{TEMP_PREFIX}{}.{n}.{name}", std::process::id());
    match dest.parent() {
        Some(p) => p.join(tmp_name),
        None => PathBuf::from(tmp_name),
    }
}

/// Run `write`, a step that puts `files` in place one after the other; if it fails,
/// remove those of `files` that exist, so that a failed step leaves none of its
/// outputs (not some of them, nor a mix of this run's and an earlier run's).
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// use mitosieve::output::{all_or_none, write_atomic};
/// let files = [dir.path().join("a.txt"), dir.path().join("b.txt")];
/// let r: mitosieve::Result<()> = all_or_none(&files, || {
///     write_atomic(&files[0], b"a")?;
///     Err(mitosieve::Error::Config("b cannot be written".into()))
/// });
/// assert!(r.is_err());
/// assert!(!files[0].exists(), "a.txt is removed with the step");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn all_or_none<T, E>(
    files: &[PathBuf],
    write: impl FnOnce() -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let result = write();
    if result.is_err() {
        for f in files {
            let _ = fs::remove_file(f);
        }
    }
    result
}

/// Write a whole file atomically.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(dest)?;
    f.write_all(bytes).map_err(|e| f.err(e))?;
    f.commit()
}

/// The error for an output directory that exists as something else.
fn not_a_directory(dir: &Path) -> Error {
    Error::io(
        dir,
        "cannot use as output directory",
        io::Error::new(
            io::ErrorKind::AlreadyExists,
            "it exists and is not a directory",
        ),
    )
}

/// Create an output directory (and parents), checking that it is writable.
pub fn prepare_output_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(not_a_directory(dir));
    }
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create output directory", e))?;
    // Probe writability now rather than after an hour of counting.
    let probe = temp_path_for(&dir.join("write-probe"));
    File::create(&probe).map_err(|e| Error::io(dir, "output directory is not writable", e))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// Largest payload of one BGZF block (as in htslib).
const BGZF_BLOCK: usize = 0xff00;

/// The 28-byte empty block that marks the end of a BGZF file.
pub const BGZF_EOF: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0, 0x42, 0x43, 0x02, 0, 0x1b, 0, 0x03, 0, 0,
    0, 0, 0, 0, 0, 0, 0,
];

/// One BGZF block (header, deflated `data`, CRC32, ISIZE) of at most [`BGZF_BLOCK`]
/// bytes of `data`, deflated by libdeflate (as htslib's `bgzip` does when built with it).
fn compress_block(data: &[u8], level: i32) -> io::Result<Vec<u8>> {
    use libdeflater::{CompressionLvl, Compressor};
    thread_local! {
        // One compressor per thread and level (its tables are a few hundred KB).
        static COMPRESSORS: std::cell::RefCell<Vec<(i32, Compressor)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let deflate = |level: i32| -> io::Result<Vec<u8>> {
        COMPRESSORS.with(|cs| {
            let mut cs = cs.borrow_mut();
            let k = match cs.iter().position(|(l, _)| *l == level) {
                Some(k) => k,
                None => {
                    let lvl = CompressionLvl::new(level).map_err(|e| {
                        io::Error::other(format!("compression level {level}: {e:?}"))
                    })?;
                    cs.push((level, Compressor::new(lvl)));
                    cs.len() - 1
                }
            };
            let c = &mut cs[k].1;
            let mut out = vec![0u8; c.deflate_compress_bound(data.len())];
            let n = c
                .deflate_compress(data, &mut out)
                .map_err(|e| io::Error::other(format!("cannot compress: {e:?}")))?;
            out.truncate(n);
            Ok(out)
        })
    };
    let mut cdata = deflate(level)?;
    if cdata.len() > 0xffff - 26 {
        // Incompressible: store (level 0) to fit in one block.
        cdata = deflate(0)?;
    }
    let bsize = (cdata.len() + 25) as u16;
    let mut block = Vec::with_capacity(cdata.len() + 26);
    block.extend_from_slice(&[
        0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0, 0x42, 0x43, 0x02, 0, 0, 0,
    ]);
    block[16..18].copy_from_slice(&bsize.to_le_bytes());
    block.extend_from_slice(&cdata);
    block.extend_from_slice(&libdeflater::crc32(data).to_le_bytes());
    block.extend_from_slice(&(data.len() as u32).to_le_bytes());
    Ok(block)
}

/// A BGZF writer (readable by `bgzip -d`, `zcat`, htslib, tabix). Output is
/// deterministic: the same input gives the same bytes.
pub struct BgzfWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    level: i32,
}

impl<W: Write> BgzfWriter<W> {
    /// Wrap a writer, compressing at level 6.
    pub fn new(inner: W) -> Self {
        BgzfWriter {
            inner,
            buf: Vec::with_capacity(BGZF_BLOCK),
            level: 6,
        }
    }

    fn write_block(&mut self) -> io::Result<()> {
        let block = compress_block(&self.buf, self.level)?;
        self.inner.write_all(&block)?;
        self.buf.clear();
        Ok(())
    }

    /// Write all of `data`, compressing its whole blocks in parallel on the current
    /// rayon pool. The bytes written are exactly those of [`Write::write_all`].
    pub fn write_all_parallel(&mut self, mut data: &[u8]) -> io::Result<()> {
        use rayon::prelude::*;
        if !self.buf.is_empty() {
            let take = (BGZF_BLOCK - self.buf.len()).min(data.len());
            self.write_all(&data[..take])?;
            data = &data[take..];
        }
        let whole = data.len() / BGZF_BLOCK * BGZF_BLOCK;
        let level = self.level;
        let blocks: Vec<Vec<u8>> = data[..whole]
            .par_chunks(BGZF_BLOCK)
            .map(|chunk| compress_block(chunk, level))
            .collect::<io::Result<_>>()?;
        for b in &blocks {
            self.inner.write_all(b)?;
        }
        self.write_all(&data[whole..])
    }

    /// Write the last block and the EOF marker; returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.buf.is_empty() {
            self.write_block()?;
        }
        self.inner.write_all(&BGZF_EOF)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for BgzfWriter<W> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let total = data.len();
        while !data.is_empty() {
            let room = BGZF_BLOCK - self.buf.len();
            let take = room.min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == BGZF_BLOCK {
                self.write_block()?;
            }
        }
        Ok(total)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::MultiGzDecoder;
    use std::io::Read;

    #[test]
    fn bgzf_round_trips_and_is_deterministic() {
        let text: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{i}\t{}\n", i % 7).into_bytes())
            .collect();
        let a = {
            let mut w = BgzfWriter::new(Vec::new());
            w.write_all(&text).unwrap();
            w.finish().unwrap()
        };
        let b = {
            let mut w = BgzfWriter::new(Vec::new());
            for chunk in text.chunks(777) {
                w.write_all(chunk).unwrap();
            }
            w.finish().unwrap()
        };
        assert_eq!(a, b, "chunking of writes must not change the bytes");
        // Blocks compressed in parallel, after a partial block and across pools: the
        // same bytes.
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let c = pool.install(|| {
                let mut w = BgzfWriter::new(Vec::new());
                w.write_all(&text[..1000]).unwrap();
                w.write_all_parallel(&text[1000..]).unwrap();
                w.finish().unwrap()
            });
            assert_eq!(a, c, "parallel compression at {threads} threads");
        }
        assert!(a.ends_with(&BGZF_EOF));
        let mut out = Vec::new();
        MultiGzDecoder::new(&a[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("x.txt");
        {
            let mut f = AtomicFile::create(&dest).unwrap();
            f.write_all(b"half").unwrap();
            // dropped without commit
        }
        assert!(!dest.exists());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temporary file removed"
        );
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"whole").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"whole");
    }

    #[test]
    fn temporary_files_are_registered_while_written() {
        let dir = tempfile::tempdir().unwrap();
        let in_dir = |v: Vec<PathBuf>| -> Vec<PathBuf> {
            v.into_iter()
                .filter(|p| p.starts_with(dir.path()))
                .collect()
        };
        let f = AtomicFile::create(dir.path().join("a.txt")).unwrap();
        let live = in_dir(live_temp_files());
        assert_eq!(live.len(), 1);
        assert!(live[0].exists());
        assert!(live[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(TEMP_PREFIX));
        f.commit().unwrap();
        assert!(in_dir(live_temp_files()).is_empty(), "forgotten on commit");
        drop(AtomicFile::create(dir.path().join("b.txt")).unwrap());
        assert!(in_dir(live_temp_files()).is_empty(), "forgotten on drop");
        // A file that cannot be created is not registered.
        assert!(AtomicFile::create(dir.path().join("no/such/dir/c.txt")).is_err());
        assert!(in_dir(live_temp_files()).is_empty());
    }
}
