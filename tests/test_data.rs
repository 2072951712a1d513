//! The bundled `test-data/plate/` is exactly what `mitosieve simulate` writes from
//! `test-data/plate.toml` (so the generator stays its documented source), and its
//! `truth.tsv` is what `mitosieve count` sees in the reads.
#![cfg(feature = "cli")]

use mitosieve::count::{count, Allele, CountConfig};
use mitosieve::Position;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // The run's record of what it wrote (not part of the plate).
        .filter(|n| n != mitosieve::output::MANIFEST_FILE)
        .collect()
}

#[test]
fn plate_is_regenerated_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plate");
    let status = Command::new(env!("CARGO_BIN_EXE_mitosieve"))
        .current_dir(root())
        .args(["simulate", "--spec", "test-data/plate.toml", "-o"])
        .arg(&out)
        .args(["--quiet", "--threads", "2"])
        .status()
        .unwrap();
    assert!(status.success());
    let committed = root().join("test-data/plate");
    assert_eq!(files(&out), files(&committed), "the same files");
    for name in files(&committed) {
        let want = std::fs::read(committed.join(&name)).unwrap();
        let got = std::fs::read(out.join(&name)).unwrap();
        assert!(
            want == got,
            "test-data/plate/{name} is not what `mitosieve simulate --spec test-data/plate.toml \
             -o test-data/plate` writes now. If the simulator changed on purpose, bump \
             mitosieve::sim::SIM_MODEL_VERSION, regenerate with that command and update \
             test-data/README.md"
        );
    }
}

struct TruthRow {
    clone: String,
    kind: String,
    pos: u32,
    reference: String,
    alt: String,
    af: f64,
}

fn read_truth() -> Vec<TruthRow> {
    let text = std::fs::read_to_string(root().join("test-data/plate/truth.tsv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("clone\tkind\tpos\tref\talt\texpected_af\tdepth")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 7, "{l}");
            TruthRow {
                clone: f[0].into(),
                kind: f[1].into(),
                pos: f[2].parse().unwrap(),
                reference: f[3].into(),
                alt: f[4].into(),
                af: f[5].parse().unwrap(),
            }
        })
        .collect()
}

/// Every simulated variant is seen by `count` at its expected fraction (within four
/// binomial standard deviations plus the sequencing-error margin), the deletion shows
/// as the expected coverage step, and no other site has a heteroplasmy above 15%.
#[test]
fn truth_matches_the_reads() {
    let dir = root().join("test-data/plate");
    let names = ["clone01", "clone02", "clone03", "clone04", "clone05"];
    let inputs: Vec<PathBuf> = names.iter().map(|n| dir.join(format!("{n}.bam"))).collect();
    let clones = count(&inputs, &CountConfig::default()).unwrap();
    let truth = read_truth();
    for c in &clones {
        let rows: Vec<&TruthRow> = truth.iter().filter(|t| t.clone == c.name).collect();
        assert!(!rows.is_empty(), "{} has truth rows", c.name);
        let mut listed = BTreeSet::new();
        for t in &rows {
            if t.kind == "deletion" {
                let end: u32 = t.reference.parse().unwrap();
                let mid = Position::new((t.pos + end) / 2).unwrap();
                let inside = f64::from(c.counts.site(mid).depth());
                // Outside, at the same distance from the genome's ends.
                let outside = f64::from(c.counts.site(Position::new(5_000).unwrap()).depth());
                let ratio = inside / outside;
                assert!(
                    (ratio - (1.0 - t.af)).abs() < 0.25,
                    "{}: depth ratio {ratio:.2} for a {} deletion",
                    c.name,
                    t.af
                );
                continue;
            }
            let pos = Position::new(t.pos).unwrap();
            listed.insert(t.pos);
            let site = c.counts.site(pos);
            let alt = Allele::from_ascii(t.alt.as_bytes()[0]).unwrap();
            let n = f64::from(site.depth());
            assert!(n >= 10.0, "{} m.{}: depth {n}", c.name, t.pos);
            let f = f64::from(site.allele(alt)) / n;
            let sd = (t.af * (1.0 - t.af) / n).sqrt();
            assert!(
                (f - t.af).abs() <= 4.0 * sd + 0.03,
                "{} m.{}{}>{}: observed {f:.3} of {n}, expected {}",
                c.name,
                t.pos,
                t.reference,
                t.alt,
                t.af
            );
        }
        for pos in Position::all() {
            if listed.contains(&pos.get()) {
                continue;
            }
            let site = c.counts.site(pos);
            let depth = site.depth();
            if depth < 20 {
                continue;
            }
            let r = mitosieve::reference::ref_base(pos);
            if r == b'N' {
                // rCRS 3107: the molecules carry a C there (see test-data/README.md).
                continue;
            }
            let top_other = Allele::BASES
                .into_iter()
                .filter(|a| a.as_char() as u8 != r)
                .map(|a| site.allele(a))
                .max()
                .unwrap_or(0);
            assert!(
                f64::from(top_other) / f64::from(depth) < 0.15,
                "{}: unexpected allele at m.{pos} ({top_other} of {depth})",
                c.name
            );
        }
    }
}
