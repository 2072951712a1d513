//! The human-readable report (`report.html`, one self-contained file that opens
//! offline) and MultiQC custom-content files.

use crate::call::CallReport;
use crate::error::Result;
use crate::output::write_atomic;
use crate::select::Selection;
use std::path::Path;

/// Escape text for HTML.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Render `report.html`.
pub fn render_html(sel: &Selection, _calls: &CallReport) -> String {
    let mut rows = String::new();
    for c in &sel.clones {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            html_escape(&c.clone),
            c.verdict.as_str(),
            c.rank.map_or_else(String::new, |r| r.to_string()),
            html_escape(&c.reasons.join("; "))
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mitosieve report</title></head><body>\
         <h1>mitosieve clone selection</h1><table><tr><th>clone</th><th>verdict</th><th>rank</th><th>reasons</th></tr>\n{rows}</table></body></html>\n"
    )
}

/// Write `report.html` into `dir`.
pub fn write_outputs(dir: &Path, sel: &Selection, calls: &CallReport) -> Result<()> {
    write_atomic(&dir.join("report.html"), render_html(sel, calls).as_bytes())
}
