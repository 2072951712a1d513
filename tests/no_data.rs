//! The README's test command on a fresh clone with nothing beside it
//! (`MITOSIEVE_TEST_DATA=../shared/data cargo test --release`, where `../shared/data`
//! does not exist): every public-data test prints a SKIP line and passes, so every
//! other test binary still runs; with the variable unset the same; and in CI (`CI=true`,
//! as `.ci/run` sets it) a missing data directory fails instead of skipping.
//!
//! The probe below starts exactly like every public-data test (through
//! `common::test_data`); the second test runs this test binary again on the probe
//! alone, under each environment, and checks the outcome.

mod common;

use std::process::{Command, Output};

/// A public-data test in miniature: with the data directory it reads one file;
/// without it, it skips (and fails in CI).
#[test]
fn probe_public_data() {
    let Some(data) = common::test_data("probe_public_data") else {
        return;
    };
    let truth = common::need(&data, "sim_clones/truth.tsv");
    assert!(std::fs::metadata(truth).expect("readable").len() > 0);
}

fn probe(data: Option<&str>, ci: bool) -> Output {
    let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
    cmd.args([
        "probe_public_data",
        "--exact",
        "--nocapture",
        "--test-threads",
        "1",
    ]);
    match data {
        Some(d) => cmd.env("MITOSIEVE_TEST_DATA", d),
        None => cmd.env_remove("MITOSIEVE_TEST_DATA"),
    };
    if ci {
        cmd.env("CI", "true");
    } else {
        cmd.env_remove("CI");
    }
    cmd.output().expect("run the test binary")
}

#[test]
fn data_tests_skip_without_data_and_fail_in_ci() {
    let tmp = tempfile::tempdir().unwrap();
    let nowhere = tmp.path().join("shared/data");
    let nowhere = nowhere.to_str().unwrap();
    for (data, what) in [(None, "unset"), (Some(nowhere), "pointing nowhere")] {
        let o = probe(data, false);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success(),
            "MITOSIEVE_TEST_DATA {what}: the data test must pass with a SKIP line:\n{err}"
        );
        assert!(
            err.contains("SKIP probe_public_data: MITOSIEVE_TEST_DATA"),
            "MITOSIEVE_TEST_DATA {what}: no SKIP line:\n{err}"
        );
        let o = probe(data, true);
        assert!(
            !o.status.success(),
            "MITOSIEVE_TEST_DATA {what} in CI: the data test must fail"
        );
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(out.contains("in CI (CI=true) no test may skip"), "{out}");
    }
}
