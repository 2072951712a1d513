//! Large deletions (issue: detection and deletion heteroplasmy in the same run), on the
//! real and simulated files of `$MITOSIEVE_TEST_DATA`.
//!
//! Why the expectations are right (see the data README): `sim_clones/clone06` carries
//! the common deletion 8470–13446 in 30% of its molecules and no other clone carries
//! any deletion; eKLIPse's `test_illumina.bam` has no coverage over 8484–13444 and split
//! reads joining ~8.4 kb to ~13.4 kb in every molecule; mgatk's Pearson-syndrome cells
//! carry a deletion with breakpoints 6073/13095; the HPRC long reads are near-full-length
//! reads of a circular genome, which wrap around the origin (16569 → 1) — not deletions.

mod common;

use common::{bin, data_file, note};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One row of deletions.tsv.
#[derive(Debug)]
struct Row {
    clone: String,
    name: String,
    start: u32,
    end: u32,
    called: bool,
    junction_reads: u32,
    af: f64,
    upper_bound: f64,
}

fn call(inputs: &[PathBuf], out: &Path) -> Vec<Row> {
    let o = Command::new(bin())
        .arg("call")
        .args(inputs)
        .arg("-o")
        .arg(out)
        .args(["--quiet", "--threads", "2"])
        .output()
        .expect("run mitosieve call");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(out.join("deletions.tsv")).expect("deletions.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                clone: f[col("clone")].to_string(),
                name: f[col("name")].to_string(),
                start: f[col("start")].parse().unwrap(),
                end: f[col("end")].parse().unwrap(),
                called: f[col("called")] == "yes",
                junction_reads: f[col("junction_reads")].parse().unwrap(),
                af: f[col("af")].parse().unwrap(),
                upper_bound: f[col("upper_bound")].parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn sim_clones_common_deletion_in_clone06_only() {
    let Some(dir) = data_file("sim_clones_common_deletion_in_clone06_only", "sim_clones") else {
        return;
    };
    let bams: Vec<PathBuf> = (1..=7)
        .map(|i| dir.join(format!("clone0{i}.bam")))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let rows = call(&bams, tmp.path());
    for r in &rows {
        note(&format!(
            "{} {} called={} J={} af={:.3} ub={:.4}",
            r.clone, r.name, r.called, r.junction_reads, r.af, r.upper_bound
        ));
    }
    let c6: Vec<&Row> = rows
        .iter()
        .filter(|r| r.clone == "clone06" && r.called)
        .collect();
    assert_eq!(
        c6.len(),
        1,
        "one event, normalised within the 13-bp repeat: {c6:?}"
    );
    let d = c6[0];
    assert_eq!(
        (d.start, d.end, d.name.as_str()),
        (8470, 13446, "m.8470_13446del")
    );
    assert!(
        (d.af - 0.30).abs() <= 0.05,
        "fraction {} within 0.30 ± 0.05",
        d.af
    );
    assert!(d.junction_reads > 100);
    for r in rows.iter().filter(|r| r.clone != "clone06") {
        assert!(
            !(r.called && r.af >= 0.01),
            "no deletion ≥ 1% in {}: {r:?}",
            r.clone
        );
        if r.name == "m.8470_13446del" {
            assert!(
                r.upper_bound < 0.01,
                "the common deletion is bounded below 1% in {}: {r:?}",
                r.clone
            );
        }
    }
    // The VCF carries it as a symbolic <DEL> with END and SVLEN.
    let vcf = tmp.path().join("calls.vcf.gz");
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(vcf).unwrap()),
        &mut text,
    )
    .unwrap();
    let rec = text
        .lines()
        .find(|l| l.contains("<DEL>"))
        .expect("a <DEL> record");
    assert!(
        rec.contains("SVTYPE=DEL;END=13446;SVLEN=-4977;REPEAT=13"),
        "{rec}"
    );
    assert!(rec.starts_with("chrM\t8469\t"), "{rec}");
}

#[test]
fn eklipse_illumina_deletion_in_every_molecule() {
    let Some(bam) = data_file(
        "eklipse_illumina_deletion_in_every_molecule",
        "eklipse_sim_deletions/test_illumina.bam",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let rows = call(&[bam], tmp.path());
    let called: Vec<&Row> = rows.iter().filter(|r| r.called).collect();
    note(&format!("eKLIPse illumina: {called:?}"));
    assert!(!called.is_empty());
    let d = called.iter().max_by_key(|r| r.junction_reads).unwrap();
    assert!(
        (8300..=8600).contains(&d.start) && (13300..=13600).contains(&d.end),
        "{d:?}"
    );
    assert!(d.af >= 0.9, "fraction near 1: {d:?}");
}

#[test]
fn pearson_cells_carry_the_6073_13095_deletion() {
    let Some(dir) = data_file(
        "pearson_cells_carry_the_6073_13095_deletion",
        "mgatk_singlecell/pearson_scatac_percell",
    ) else {
        return;
    };
    let mut cells: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bam"))
        .collect();
    cells.sort();
    assert_eq!(cells.len(), 3);
    for cell in cells {
        // The three cells share one read-group sample name: call them one at a time.
        let tmp = tempfile::tempdir().unwrap();
        let rows = call(std::slice::from_ref(&cell), tmp.path());
        let hit = rows
            .iter()
            .find(|r| r.called && r.start.abs_diff(6073) <= 50 && r.end.abs_diff(13095) <= 50);
        note(&format!("{}: {hit:?}", cell.display()));
        assert!(
            hit.is_some(),
            "{}: no deletion near 6073/13095 in {rows:?}",
            cell.display()
        );
    }
}

#[test]
fn long_reads_across_the_origin_are_not_deletions() {
    let Some(dir) = data_file(
        "long_reads_across_the_origin_are_not_deletions",
        "mitohpc2_hprc_longread",
    ) else {
        return;
    };
    for name in ["HG01928.hifi.bam", "HG02723.ont.bam"] {
        let tmp = tempfile::tempdir().unwrap();
        let rows = call(&[dir.join(name)], tmp.path());
        let called: Vec<&Row> = rows.iter().filter(|r| r.called).collect();
        assert!(called.is_empty(), "{name}: {called:?}");
    }
}
