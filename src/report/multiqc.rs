//! MultiQC custom content: files whose names end in `_mqc.tsv` / `_mqc.json` are picked
//! up by `multiqc <dir>` and shown as sections of one "mitosieve" module (grouped by
//! `parent_id`). The TSV carries its configuration as `#`-commented YAML above the
//! column names; the JSON carries it as top-level keys beside `data`.

use crate::call::{CallReport, COVERAGE_BIN};
use crate::reference::MT_LENGTH;
use crate::select::Selection;
use serde_json::{json, Map, Value};

/// A YAML single-quoted scalar (quotes doubled, line breaks flattened).
fn yq(s: &str) -> String {
    format!(
        "'{}'",
        s.replace(['\n', '\r', '\t'], " ").replace('\'', "''")
    )
}

/// A TSV cell: no tabs or line breaks; a leading `#` (which MultiQC would read as a
/// header line) is kept off the start of the line by a space that MultiQC strips.
fn cell(s: &str) -> String {
    let s = s.replace(['\t', '\n', '\r'], " ");
    if s.starts_with('#') {
        format!(" {s}")
    } else {
        s
    }
}

/// The description of the "mitosieve" module (both files carry it: MultiQC takes it
/// from whichever it reads first).
fn parent_description(sel: &Selection) -> String {
    format!(
        "mtDNA heteroplasmy calling and clone selection (mitosieve {}). The full report, with every target load, its interval and the policy maximum, is report.html in the same directory.",
        sel.mitosieve_version
    )
}

fn parent(sel: &Selection) -> String {
    format!(
        "# parent_id: 'mitosieve'\n# parent_name: 'mitosieve'\n# parent_description: {}\n",
        yq(&parent_description(sel))
    )
}

/// `mitosieve_selection_mqc.tsv`: one row per clone with its verdict, rank, depth,
/// breadth, worst target and its upper bound, and the decisive reason, as a MultiQC
/// table.
///
/// ```no_run
/// # fn demo(sel: &mitosieve::select::Selection) {
/// let tsv = mitosieve::report::selection_mqc_tsv(sel);
/// assert!(tsv.starts_with("# id: 'mitosieve_selection'"));
/// # }
/// ```
pub fn selection_mqc_tsv(sel: &Selection) -> String {
    let conf = format!("{:.0}%", sel.confidence * 100.0);
    let mut s = String::new();
    w!(
        s,
        "# id: 'mitosieve_selection'\n# section_name: 'Clone selection'\n"
    );
    w!(
        s,
        "# description: {}\n",
        yq(&format!(
            "Verdict per clone under the selection policy: PASS when the {conf} upper bound of every screened pathogenic target is below its maximum and every QC rule holds, FAIL when a load exceeds its maximum or a rule fails, INCONCLUSIVE when an interval straddles a maximum. PASS clones are ranked (1 = best)."
        ))
    );
    s.push_str(&parent(sel));
    s.push_str("# plot_type: 'table'\n# pconfig:\n#     id: 'mitosieve_selection_table'\n#     title: 'mitosieve: clone selection'\n#     namespace: 'mitosieve'\n#     col1_header: 'Clone'\n");
    s.push_str("# headers:\n");
    let headers: [(&str, &str, &str, &str); 8] = [
        ("verdict", "Verdict", "PASS, INCONCLUSIVE or FAIL", ""),
        ("rank", "Rank", "Rank among PASS clones (1 = best; empty when not PASS)", "\n#         format: '{:,.0f}'"),
        ("mean_depth", "Mean depth", "Mean usable depth over the genome", "\n#         suffix: 'x'\n#         format: '{:,.0f}'\n#         scale: 'Blues'"),
        ("breadth", "Breadth", "Share of the genome with the caller's minimum usable depth", "\n#         suffix: '%'\n#         min: 0\n#         max: 100\n#         format: '{:,.2f}'\n#         scale: 'RdYlGn'"),
        ("worst_target", "Worst target", "Screened target with the highest upper bound", ""),
        ("worst_target_ub", "Worst UB", "One-sided upper bound of the worst target's load", "\n#         suffix: '%'\n#         format: '{:,.2f}'\n#         scale: 'RdYlGn-rev'"),
        ("max_load", "Max load", "The policy maximum for that target", "\n#         suffix: '%'\n#         format: '{:,.1f}'"),
        ("reason", "Decisive reason", "The first (most severe) reason of the verdict; all reasons are in selection.tsv", ""),
    ];
    for (id, title, desc, extra) in headers {
        w!(
            s,
            "#     {id}:\n#         title: {}\n#         description: {}{extra}\n",
            yq(title),
            yq(desc)
        );
    }
    s.push_str("Clone\tverdict\trank\tmean_depth\tbreadth\tworst_target\tworst_target_ub\tmax_load\treason\n");
    for c in &sel.clones {
        let worst = c
            .worst_target
            .as_ref()
            .and_then(|w| c.targets.iter().find(|t| &t.target == w));
        w!(
            s,
            "{}\t{}\t{}\t{:.1}\t{:.2}\t{}\t{:.4}\t{}\t{}\n",
            cell(&c.clone),
            c.verdict.as_str(),
            c.rank.map_or_else(String::new, |r| r.to_string()),
            c.mean_depth,
            c.breadth * 100.0,
            cell(c.worst_target.as_deref().unwrap_or("")),
            c.max_target_upper_bound * 100.0,
            worst.map_or_else(String::new, |t| format!("{:.2}", t.max_load * 100.0)),
            cell(c.reasons.first().map_or("", |r| r.as_str()))
        );
    }
    s
}

/// `mitosieve_coverage_mqc.json`: mean usable depth along the genome (100-bp bins, x =
/// bin centre on rCRS) per clone, as a MultiQC line graph.
///
/// ```no_run
/// # fn demo(sel: &mitosieve::select::Selection, calls: &mitosieve::call::CallReport) {
/// let json = mitosieve::report::coverage_mqc_json(sel, calls);
/// assert!(json.contains("\"plot_type\": \"linegraph\""));
/// # }
/// ```
pub fn coverage_mqc_json(sel: &Selection, calls: &CallReport) -> String {
    let mut data = Map::new();
    for summary in &calls.calls.summaries {
        // [x, y] pairs rather than an object: JSON object keys are strings, which
        // MultiQC would plot as categories in lexical order.
        let points: Vec<Value> = summary
            .coverage_bins
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                let start = i * COVERAGE_BIN + 1;
                let end = ((i + 1) * COVERAGE_BIN).min(MT_LENGTH as usize);
                json!([(start + end) / 2, (d as f64 * 10.0).round() / 10.0])
            })
            .collect();
        data.insert(summary.sample.clone(), Value::Array(points));
    }
    let doc = json!({
        "id": "mitosieve_coverage",
        "parent_id": "mitosieve",
        "parent_name": "mitosieve",
        "parent_description": parent_description(sel),
        "section_name": "Coverage along the genome",
        "description": format!(
            "Mean usable depth in {COVERAGE_BIN}-bp bins along rCRS (NC_012920.1) per clone (mitosieve {}). A large deletion shows as a dip over the deleted genes.",
            sel.mitosieve_version
        ),
        "plot_type": "linegraph",
        "pconfig": {
            "id": "mitosieve_coverage_plot",
            "title": "mitosieve: usable depth along the mitochondrial genome",
            "xlab": "Position on rCRS (bp)",
            "ylab": "Mean usable depth",
            "ymin": 0,
            "xmin": 0,
            "xmax": MT_LENGTH,
        },
        "data": Value::Object(data),
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, HOSTILE};
    use super::*;

    #[test]
    fn selection_table_has_a_yaml_header_and_one_row_per_clone() {
        let calls = fixture::calls();
        let sel = fixture::selection(&calls);
        let t = selection_mqc_tsv(&sel);
        let header: Vec<&str> = t.lines().take_while(|l| l.starts_with('#')).collect();
        assert!(header.contains(&"# plot_type: 'table'"));
        assert!(header.contains(&"# section_name: 'Clone selection'"));
        assert!(header.iter().any(|l| l.starts_with("# pconfig:")));
        let body: Vec<&str> = t.lines().skip(header.len()).collect();
        assert!(body[0].starts_with("Clone\tverdict\trank"));
        assert_eq!(body.len(), 1 + sel.clones.len());
        let ncol = body[0].split('\t').count();
        assert!(body.iter().all(|l| l.split('\t').count() == ncol));
        assert!(
            t.contains(HOSTILE),
            "TSV is plain text: names are not HTML-escaped"
        );
        assert!(body.iter().any(|l| l.contains("\tFAIL\t")));
    }

    #[test]
    fn tsv_cells_cannot_break_rows_or_become_headers() {
        assert_eq!(cell("a\tb\nc"), "a b c");
        assert_eq!(cell("#x"), " #x");
        assert_eq!(yq("it's: x"), "'it''s: x'");
    }

    #[test]
    fn coverage_json_is_a_linegraph_of_every_clone() {
        let calls = fixture::calls();
        let sel = fixture::selection(&calls);
        let v: Value = serde_json::from_str(&coverage_mqc_json(&sel, &calls)).unwrap();
        assert_eq!(v["plot_type"], "linegraph");
        assert_eq!(v["parent_id"], "mitosieve");
        let data = v["data"].as_object().unwrap();
        assert_eq!(data.len(), 3);
        assert!(data.contains_key(HOSTILE));
        let first = data["clone_a"].as_array().unwrap();
        assert_eq!(first.len(), 166);
        assert_eq!(first[0], json!([50, 1500.0]));
        assert_eq!(first[165], json!([16535, 1500.0]), "last bin 16501-16569");
    }
}
