//! The human-readable report and MultiQC custom content, written beside the selection.
//!
//! - `report.html`: one self-contained file that opens offline. Inline CSS, plots as
//!   inline SVG generated here, a few lines of inline script that only make the verdict
//!   table sortable (everything reads without it), and a Content-Security-Policy of
//!   `default-src 'none'`, so the page can make no network request even if it tried.
//!   Sections: header with the verdict counts, the verdict table, target load per clone
//!   (interval and policy maximum), coverage along the genome with the rCRS gene map,
//!   the heteroplasmy heatmap, the large-deletion panel, the policy, the donor profile
//!   and provenance. Each plot is an `<svg data-plot="…">`; each clone's row or panel
//!   carries `data-clone="…"`.
//! - `mitosieve_selection_mqc.tsv` (a table) and `mitosieve_coverage_mqc.json` (a line
//!   graph): MultiQC custom content, so `multiqc <outdir>` shows a mitosieve section.
//!
//! ```no_run
//! use mitosieve::select::{select, Policy};
//! let calls = mitosieve::call::read_report("calls/calls.json".as_ref())?;
//! let selection = select(&calls, &Policy::default(), None)?;
//! mitosieve::report::write_outputs("selection/".as_ref(), &selection, &calls)?;
//! # Ok::<(), mitosieve::Error>(())
//! ```

/// `write!` into a `String` (which cannot fail), for the SVG and MultiQC builders of
/// the report modules below (declared after it, so they see it).
macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = write!($dst, $($arg)*);
    }};
}

mod html;
mod multiqc;
mod plots;
pub(crate) mod svg;
mod trajectory;

use crate::call::CallReport;
use crate::error::Result;
use crate::output::write_atomic;
use crate::select::{Selection, Verdict};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub use html::{render_html, render_html_with_track};
pub use multiqc::{coverage_mqc_json, selection_mqc_tsv};

/// Files written by [`write_outputs`].
pub const REPORT_FILES: &[&str] = &[
    "report.html",
    "mitosieve_selection_mqc.tsv",
    "mitosieve_coverage_mqc.json",
];

/// Escape text for HTML (element content and quoted attribute values).
///
/// ```
/// assert_eq!(
///     mitosieve::report::html_escape("<script>alert('x')</script>"),
///     "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
/// );
/// ```
pub fn html_escape(s: &str) -> String {
    svg::esc(s)
}

/// One large deletion in one clone, as the deletion panel draws it (an arc from
/// `start` to `end` over the genome, labelled with its load and interval).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletionResult {
    /// Clone.
    pub clone: String,
    /// Name (`m.8470_13446del`).
    pub name: String,
    /// First deleted position (1-based).
    pub start: u32,
    /// Last deleted position (1-based, inclusive).
    pub end: u32,
    /// Deletion heteroplasmy.
    pub af: f64,
    /// Interval lower bound.
    pub af_lo: f64,
    /// Interval upper bound.
    pub af_hi: f64,
    /// One-sided upper bound.
    pub upper_bound: f64,
    /// Whether the caller called the event in this clone (otherwise it is a target
    /// quantified anyway, such as the common deletion, and only its bound matters).
    pub called: bool,
    /// Mean depth inside the deleted span over the depth of its flanks, when known (a
    /// clear dip without junction reads deserves a second look).
    pub coverage_ratio: Option<f64>,
    /// What it implies for the clone's verdict.
    pub verdict: Verdict,
}

/// The large deletions of a run, one per event and clone, with the verdict the
/// selection gave each; `None` when deletion detection did not run (calls made before
/// it existed: the report then says so instead of implying that none were found).
/// Detection always quantifies the common deletion in every clone, so a run where it
/// ran never has an empty list.
///
/// ```no_run
/// use mitosieve::select::{select, Policy};
/// let calls = mitosieve::call::read_report("calls/calls.json".as_ref())?;
/// let sel = select(&calls, &Policy::default(), None)?;
/// for d in mitosieve::report::deletions_of(&sel, &calls).unwrap_or_default() {
///     println!("{} {} {:.2}% ({:?})", d.clone, d.name, d.af * 100.0, d.verdict);
/// }
/// # Ok::<(), mitosieve::Error>(())
/// ```
pub fn deletions_of(sel: &Selection, calls: &CallReport) -> Option<Vec<DeletionResult>> {
    let list = &calls.calls.deletions;
    if list.is_empty() {
        return None;
    }
    let max = sel.policy.deletions.max_load;
    Some(
        list.iter()
            .map(|d| {
                let decided = sel
                    .clones
                    .iter()
                    .find(|c| c.clone == d.sample)
                    .and_then(|c| c.deletions.iter().find(|x| x.name == d.name))
                    .map(|x| x.verdict);
                // The selection's rule, for a clone the selection does not list.
                let verdict = decided.unwrap_or(if d.called && d.af > max {
                    Verdict::Fail
                } else if d.upper_bound < max {
                    Verdict::Pass
                } else {
                    Verdict::Inconclusive
                });
                DeletionResult {
                    clone: d.sample.clone(),
                    name: d.name.clone(),
                    start: d.span.start,
                    end: d.span.end,
                    af: d.af,
                    af_lo: d.af_ci.lo,
                    af_hi: d.af_ci.hi,
                    upper_bound: d.upper_bound,
                    called: d.called,
                    coverage_ratio: d.coverage_ratio.is_finite().then_some(d.coverage_ratio),
                    verdict,
                }
            })
            .collect(),
    )
}

/// Write `report.html`, `mitosieve_selection_mqc.tsv` and `mitosieve_coverage_mqc.json`
/// into `dir`, each atomically.
///
/// ```no_run
/// # fn demo(sel: &mitosieve::select::Selection, calls: &mitosieve::call::CallReport) -> mitosieve::Result<()> {
/// mitosieve::report::write_outputs("screen/".as_ref(), sel, calls)?;
/// # Ok(()) }
/// ```
pub fn write_outputs(dir: &Path, sel: &Selection, calls: &CallReport) -> Result<()> {
    write_report_files(dir, &render_html(sel, calls), sel, calls)
}

/// The report files, with `html` as `report.html`.
fn write_report_files(dir: &Path, html: &str, sel: &Selection, calls: &CallReport) -> Result<()> {
    write_atomic(&dir.join(REPORT_FILES[0]), html.as_bytes())?;
    write_atomic(
        &dir.join(REPORT_FILES[1]),
        selection_mqc_tsv(sel).as_bytes(),
    )?;
    write_atomic(
        &dir.join(REPORT_FILES[2]),
        coverage_mqc_json(sel, calls).as_bytes(),
    )
}

/// [`write_outputs`] for a selection made with passages: `report.html` also shows
/// every clone's heteroplasmy across its passages ([`render_html_with_track`]).
///
/// ```no_run
/// # fn demo(sel: &mitosieve::select::Selection, calls: &mitosieve::call::CallReport,
/// #         track: &mitosieve::track::TrackSet) -> mitosieve::Result<()> {
/// mitosieve::report::write_outputs_with_track("track/".as_ref(), sel, calls, track)?;
/// # Ok(()) }
/// ```
pub fn write_outputs_with_track(
    dir: &Path,
    sel: &Selection,
    calls: &CallReport,
    track: &crate::track::TrackSet,
) -> Result<()> {
    write_report_files(dir, &render_html_with_track(sel, calls, track), sel, calls)
}

#[cfg(test)]
pub(crate) mod fixture;
