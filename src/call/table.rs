//! Long tables of a call set: `calls.tsv` (one row per clone × variant) and
//! `targets.tsv` (one row per clone × pathogenic target). Columns are documented in the
//! README.
//!
//! ```
//! use mitosieve::call::{call, table, CallConfig};
//! use mitosieve::count::Counts;
//! let (a, b) = (Counts::new(), Counts::new());
//! let set = call(&[("a", &a), ("b", &b)], &CallConfig::default())?;
//! let targets = table::targets_tsv(&set);
//! assert_eq!(targets.lines().count(), 1 + set.targets.len()); // header + clone × target
//! assert!(targets.lines().nth(1).unwrap().starts_with("a\tm.1494C>T\t"));
//! # Ok::<(), mitosieve::Error>(())
//! ```

use super::CallSet;
use std::fmt::Write as _;

/// Columns of `calls.tsv`.
pub const CALL_COLUMNS: &[&str] = &[
    "clone",
    "pos",
    "ref",
    "alt",
    "name",
    "kind",
    "locus",
    "pathogenic",
    "artefact_site",
    "genotype",
    "gt",
    "filter",
    "depth",
    "ref_count",
    "alt_count",
    "ref_fwd",
    "ref_rev",
    "alt_fwd",
    "alt_rev",
    "af",
    "af_lo",
    "af_hi",
    "upper_bound",
    "lod",
    "background",
    "background_clones",
    "background_source",
    "sibling_level",
    "technical_share",
    "llr",
    "strand_bias",
    "qual",
];

/// Columns of `targets.tsv`.
pub const TARGET_COLUMNS: &[&str] = &[
    "clone",
    "target",
    "pos",
    "locus",
    "disease",
    "class",
    "status",
    "depth",
    "alt_count",
    "af",
    "af_lo",
    "af_hi",
    "upper_bound",
    "lod",
    "genotype",
    "filter",
    "background",
    "background_source",
    "statement",
];

fn f6(x: f64) -> String {
    format!("{x:.6}")
}

/// Render `calls.tsv`.
pub fn calls_tsv(set: &CallSet) -> String {
    let mut out = CALL_COLUMNS.join("\t");
    out.push('\n');
    for v in &set.variants {
        let pathogenic = v.pathogenic.as_ref().map_or_else(
            || ".".to_string(),
            |p| format!("{} ({})", p.disease, p.class),
        );
        let kind = format!("{:?}", v.kind).to_lowercase();
        for (sample, c) in set.samples.iter().zip(&v.calls) {
            let _ = writeln!(
                out,
                "{sample}\t{}\t{}\t{}\t{}\t{kind}\t{}\t{pathogenic}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                v.pos,
                v.ref_allele,
                v.alt_allele,
                v.name,
                v.locus,
                if v.artefact_site.is_some() { "yes" } else { "no" },
                c.genotype.label(),
                c.genotype.vcf(),
                c.ft(),
                c.depth,
                c.ref_count,
                c.alt_count,
                c.ref_fwd,
                c.ref_rev,
                c.alt_fwd,
                c.alt_rev,
                f6(c.af),
                f6(c.af_ci.lo),
                f6(c.af_ci.hi),
                f6(c.upper_bound),
                f6(c.lod),
                f6(c.background),
                c.background_clones,
                c.background_source.as_str(),
                f6(c.sibling_level),
                c.technical_share,
                c.llr,
                c.strand_bias,
                c.qual,
            );
        }
    }
    out
}

/// Render `targets.tsv`.
pub fn targets_tsv(set: &CallSet) -> String {
    let mut out = TARGET_COLUMNS.join("\t");
    out.push('\n');
    for t in &set.targets {
        let status = t.status.as_str();
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{status}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            t.sample,
            t.target,
            t.pos,
            t.locus,
            t.disease,
            t.class,
            t.depth,
            t.alt_count,
            f6(t.af),
            f6(t.af_ci.lo),
            f6(t.af_ci.hi),
            f6(t.upper_bound),
            f6(t.lod),
            t.genotype.label(),
            if t.filters.is_empty() {
                "PASS".to_string()
            } else {
                t.filters.join(";")
            },
            f6(t.background),
            t.background_source.as_str(),
            t.statement,
        );
    }
    out
}

/// Columns of `deletions.tsv`.
pub const DELETION_COLUMNS: &[&str] = &[
    "clone",
    "name",
    "start",
    "end",
    "length",
    "repeat",
    "called",
    "target",
    "junction_reads",
    "split_reads",
    "clipped_reads",
    "junction_fwd",
    "junction_rev",
    "spanning_left",
    "spanning_right",
    "discordant_pairs",
    "coverage_ratio",
    "af",
    "af_lo",
    "af_hi",
    "upper_bound",
];

/// Render `deletions.tsv` (one row per clone × large-deletion event).
pub fn deletions_tsv(set: &CallSet) -> String {
    let mut out = DELETION_COLUMNS.join("\t");
    out.push('\n');
    for d in &set.deletions {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            d.sample,
            d.name,
            d.span.start,
            d.span.end,
            d.length,
            d.repeat,
            if d.called { "yes" } else { "no" },
            if d.target { "yes" } else { "no" },
            d.junction_reads,
            d.split_reads,
            d.clipped_reads,
            d.junction_fwd,
            d.junction_rev,
            d.spanning_left,
            d.spanning_right,
            d.discordant_pairs,
            d.coverage_ratio,
            f6(d.af),
            f6(d.af_ci.lo),
            f6(d.af_ci.hi),
            f6(d.upper_bound),
        );
    }
    out
}
