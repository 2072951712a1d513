//! Inputs found by the fuzz targets (`fuzz/`, run by `benches/fuzz.sh`), replayed
//! through the same entry points (`mitosieve::fuzzing`): each once made mitosieve
//! panic, or is a seed worth keeping. A case is a file in
//! `tests/fuzz-cases/<target>/`; its name says what it found. Passing means no panic
//! (an error is the right answer to bad input).

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-cases")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for f in &files {
        let data = std::fs::read(f).expect("read case");
        let name = f.display().to_string();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{name} panics again");
    }
    files.len()
}

#[test]
fn walker_cases() {
    assert!(replay("walker", mitosieve::fuzzing::walker) > 0);
}

#[test]
fn records_cases() {
    assert!(replay("records", mitosieve::fuzzing::records) > 0);
}

#[test]
fn counts_file_cases() {
    assert!(replay("counts_file", mitosieve::fuzzing::counts_file) > 0);
}

#[test]
fn policy_cases() {
    assert!(replay("policy", mitosieve::fuzzing::policy) > 0);
}

#[test]
fn bam_stream_cases() {
    assert!(replay("bam_stream", mitosieve::fuzzing::bam_stream) > 0);
}
