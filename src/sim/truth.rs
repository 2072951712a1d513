//! The expected result of a simulation: every simulated variant and deletion with the
//! fraction a perfect counter would see, written as `truth.tsv` (the format of
//! `shared/data/sim_clones/truth.tsv`).

use super::spec::{Deletion, SimSpec, Snv};
use super::{resolve, ResolvedHaplotype};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What a truth row describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TruthKind {
    /// A simulated single-nucleotide variant (heteroplasmic or not).
    Snv,
    /// A large deletion.
    Deletion,
    /// A variant of the donor (homoplasmic, unless two donors are mixed).
    Donor,
    /// A simulated recurrent sequencing artefact (no variant: a caller must not call
    /// it); its expected fraction is that of all reads covering the position.
    Artefact,
}

impl TruthKind {
    /// The name used in `truth.tsv`.
    pub fn as_str(self) -> &'static str {
        match self {
            TruthKind::Snv => "snv",
            TruthKind::Deletion => "deletion",
            TruthKind::Donor => "donor",
            TruthKind::Artefact => "artefact",
        }
    }
}

/// One row of `truth.tsv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TruthRow {
    /// Clone name.
    pub clone: String,
    /// `snv`, `deletion`, `donor` or `artefact`.
    pub kind: TruthKind,
    /// 1-based position (for a deletion: its first deleted position).
    pub pos: u32,
    /// Reference base (for a deletion: its last deleted position).
    pub reference: String,
    /// Alternative base (empty for a deletion).
    pub alt: String,
    /// Expected fraction: for a variant, of the molecules that cover its position; for
    /// a deletion, of all molecules.
    pub expected_af: f64,
    /// Nominal depth of the clone.
    pub depth: u32,
}

/// The truth of every clone of a spec, in spec order; within a clone SNVs by position,
/// then deletions, then donor variants by position, then the plate's artefacts in spec
/// order.
///
/// ```
/// use mitosieve::sim::{truth, truth_tsv, SimSpec};
/// let spec = SimSpec::from_toml_str(r#"
///     [[clones]]
///     name = "c"
///     depth = 100
///     haplotypes = [{ fraction = 0.3, deletion = { start = 8470, end = 13446 } },
///                   { fraction = 0.35, snvs = ["9055G>A"] }]
/// "#)?;
/// let tsv = truth_tsv(&truth(&spec));
/// // 9055 lies in the deletion: 0.35 of the 0.7 of molecules that have it.
/// assert!(tsv.contains("c\tsnv\t9055\tG\tA\t0.50000\t100\n"));
/// assert!(tsv.contains("c\tdeletion\t8470\t13446\t\t0.30000\t100\n"));
/// # Ok::<(), mitosieve::Error>(())
/// ```
pub fn truth(spec: &SimSpec) -> Vec<TruthRow> {
    let mut rows = Vec::new();
    for clone in &spec.clones {
        let haps = resolve(spec, clone);
        rows.extend(clone_truth(&clone.name, clone.depth, &haps));
        for a in &spec.artefacts {
            // Half of the reads covering a position are on each strand.
            let share = match a.strand {
                super::ArtefactStrand::Both => 1.0,
                _ => 0.5,
            };
            rows.push(TruthRow {
                clone: clone.name.clone(),
                kind: TruthKind::Artefact,
                pos: a.snv.pos.get(),
                reference: (a.snv.ref_base as char).to_string(),
                alt: (a.snv.alt as char).to_string(),
                expected_af: a.fraction * share,
                depth: clone.depth,
            });
        }
    }
    rows
}

fn clone_truth(name: &str, depth: u32, haps: &[ResolvedHaplotype]) -> Vec<TruthRow> {
    // (pos, alt) -> (weight carrying, from a donor)
    let mut vars: BTreeMap<Snv, (f64, bool)> = BTreeMap::new();
    let mut dels: BTreeMap<Deletion, f64> = BTreeMap::new();
    for h in haps {
        for &(v, donor) in &h.variants {
            if h.deletion.is_some_and(|d| d.contains(v.pos)) {
                // A donor variant inside the haplotype's own deletion is not on its
                // molecules.
                continue;
            }
            let e = vars.entry(v).or_insert((0.0, false));
            e.0 += h.weight;
            e.1 |= donor;
        }
        if let Some(d) = h.deletion {
            *dels.entry(d).or_insert(0.0) += h.weight;
        }
    }
    let row = |kind, pos, reference: String, alt: String, af| TruthRow {
        clone: name.to_string(),
        kind,
        pos,
        reference,
        alt,
        expected_af: af,
        depth,
    };
    let mut snvs = Vec::new();
    let mut donors = Vec::new();
    for (v, (carrying, donor)) in vars {
        let covering: f64 = haps
            .iter()
            .filter(|h| !h.deletion.is_some_and(|d| d.contains(v.pos)))
            .map(|h| h.weight)
            .sum();
        let af = if covering > 0.0 {
            carrying / covering
        } else {
            0.0
        };
        let r = row(
            if donor {
                TruthKind::Donor
            } else {
                TruthKind::Snv
            },
            v.pos.get(),
            (v.ref_base as char).to_string(),
            (v.alt as char).to_string(),
            af,
        );
        if donor {
            donors.push(r);
        } else {
            snvs.push(r);
        }
    }
    let mut out = snvs;
    for (d, w) in dels {
        out.push(row(
            TruthKind::Deletion,
            d.start.get(),
            d.end.get().to_string(),
            String::new(),
            w,
        ));
    }
    out.extend(donors);
    out
}

/// `truth.tsv`: a header line, then one tab-separated row per [`TruthRow`], fractions
/// with five decimals.
pub fn truth_tsv(rows: &[TruthRow]) -> String {
    let mut s = String::from("clone\tkind\tpos\tref\talt\texpected_af\tdepth\n");
    for r in rows {
        let _ = writeln!(
            s,
            "{}\t{}\t{}\t{}\t{}\t{:.5}\t{}",
            r.clone,
            r.kind.as_str(),
            r.pos,
            r.reference,
            r.alt,
            r.expected_af,
            r.depth
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_relative_to_covering_molecules() {
        let spec = SimSpec::from_toml_str(
            r#"
            [donors]
            A = ["263A>G", "8860A>G"]
            [[clones]]
            name = "c6"
            donor = "A"
            depth = 1500
            haplotypes = [
                { fraction = 0.3, snvs = ["3243A>G"], deletion = { start = 8470, end = 13446 } },
                { fraction = 0.55, snvs = ["3243A>G", "9055G>A"] },
            ]
            "#,
        )
        .unwrap();
        let tsv = truth_tsv(&truth(&spec));
        assert_eq!(
            tsv,
            "clone\tkind\tpos\tref\talt\texpected_af\tdepth\n\
             c6\tsnv\t3243\tA\tG\t0.85000\t1500\n\
             c6\tsnv\t9055\tG\tA\t0.78571\t1500\n\
             c6\tdeletion\t8470\t13446\t\t0.30000\t1500\n\
             c6\tdonor\t263\tA\tG\t1.00000\t1500\n\
             c6\tdonor\t8860\tA\tG\t1.00000\t1500\n"
        );
    }
}
