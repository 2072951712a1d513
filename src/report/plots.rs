//! The plots of the report, each an inline `<svg data-plot="…">` built from plain data:
//! verdict icons, the per-clone target load (forest plot), coverage along the genome
//! with the rCRS gene map, the heteroplasmy heatmap and the large-deletion panel.
//!
//! Every plot is built with [`Svg`], which escapes every attribute value and text
//! itself: no string is escaped here.

use super::svg::{
    af_to_t, fit_text, n1, nice_ticks, pct, pct_tick, text_width, thousands, viridis,
    viridis_gradient, viridis_wants_dark_text, Linear, Log10, Svg,
};
use super::DeletionResult;
use crate::call::COVERAGE_BIN;
use crate::reference::MT_LENGTH;
use crate::select::{CloneVerdict, TargetLoad, Verdict};

/// Okabe–Ito colours (distinguishable with every common colour-vision deficiency).
pub(crate) const BLUE: &str = "#0072B2";
pub(crate) const GREEN: &str = "#009E73";
pub(crate) const ORANGE: &str = "#E69F00";
pub(crate) const VERMILLION: &str = "#D55E00";
pub(crate) const SKY: &str = "#56B4E9";
pub(crate) const PURPLE: &str = "#CC79A7";
const INK: &str = "#1d2433";
const MUTED: &str = "#5b6475";
const GRID: &str = "#e3e6ec";

/// Colour of a verdict.
pub(crate) fn verdict_colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => GREEN,
        Verdict::Inconclusive => ORANGE,
        Verdict::Fail => VERMILLION,
    }
}

/// CSS class suffix of a verdict.
pub(crate) fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Inconclusive => "inc",
        Verdict::Fail => "fail",
    }
}

/// The verdict's shape (circle, triangle, square) drawn at `(cx, cy)` with half-size
/// `r`, with its mark (check, question mark, cross) inside: readable without colour.
fn verdict_glyph(s: &mut Svg, v: Verdict, cx: f64, cy: f64, r: f64) {
    let c = verdict_colour(v);
    match v {
        Verdict::Pass => {
            s.circle(cx, cy, r).attr("fill", c);
            s.path(format!(
                "M{} {}l{} {}l{} {}",
                n1(cx - r * 0.5),
                n1(cy + r * 0.02),
                n1(r * 0.35),
                n1(r * 0.35),
                n1(r * 0.6),
                n1(-r * 0.7)
            ))
            .attr("fill", "none")
            .attr("stroke", "#fff")
            .attr("stroke-width", r * 0.28)
            .attr("stroke-linecap", "round")
            .attr("stroke-linejoin", "round");
        }
        Verdict::Inconclusive => {
            s.path(format!(
                "M{} {}L{} {}L{} {}Z",
                n1(cx),
                n1(cy - r),
                n1(cx + r * 1.05),
                n1(cy + r * 0.85),
                n1(cx - r * 1.05),
                n1(cy + r * 0.85)
            ))
            .attr("fill", c)
            .attr("stroke", c)
            .attr("stroke-width", r * 0.2)
            .attr("stroke-linejoin", "round");
            s.path(format!(
                "M{} {}v{}M{} {}v{}",
                n1(cx),
                n1(cy - r * 0.35),
                n1(r * 0.5),
                n1(cx),
                n1(cy + r * 0.5),
                n1(r * 0.01)
            ))
            .attr("stroke", "#1d2433")
            .attr("stroke-width", r * 0.26)
            .attr("stroke-linecap", "round");
        }
        Verdict::Fail => {
            s.rect(cx - r * 0.9, cy - r * 0.9, r * 1.8, r * 1.8)
                .attr("rx", r * 0.3)
                .attr("fill", c);
            let d = r * 0.42;
            s.path(format!(
                "M{} {}L{} {}M{} {}L{} {}",
                n1(cx - d),
                n1(cy - d),
                n1(cx + d),
                n1(cy + d),
                n1(cx + d),
                n1(cy - d),
                n1(cx - d),
                n1(cy + d)
            ))
            .attr("stroke", "#fff")
            .attr("stroke-width", r * 0.28)
            .attr("stroke-linecap", "round");
        }
    }
}

/// A small standalone verdict icon for HTML text (decorative: the word is always next
/// to it).
pub(crate) fn verdict_icon(v: Verdict, size: u32) -> String {
    let mut s = Svg::new();
    s.el("svg")
        .attr("class", "ic")
        .attr("width", size)
        .attr("height", size)
        .attr("viewBox", "0 0 20 20")
        .attr("aria-hidden", "true")
        .open();
    verdict_glyph(&mut s, v, 10.0, 10.5, 8.5);
    s.finish()
}

/// A tiny bullet chart for the verdict table: the worst target's upper bound (bar) on
/// the same log axis as the target panel, with the maximum as a tick.
pub(crate) fn bullet(upper_bound: f64, max: f64, verdict: Verdict) -> String {
    let x = Log10::new((1e-4, 1.0), (1.0, 95.0));
    let mut s = Svg::new();
    s.el("svg")
        .attr("class", "bullet")
        .attr("width", "96")
        .attr("height", "14")
        .attr("viewBox", "0 0 96 14")
        .attr("aria-hidden", "true")
        .open();
    s.rect(1.0, 4.0, 94.0, 6.0)
        .attr("fill", GRID)
        .attr("rx", "1");
    s.rect(x.at(max), 4.0, 95.0 - x.at(max), 6.0)
        .attr("fill", "#fbe0cf");
    let col = match verdict {
        Verdict::Pass => BLUE,
        v => verdict_colour(v),
    };
    s.rect(1.0, 5.0, (x.at(upper_bound) - 1.0).max(1.0), 4.0)
        .attr("fill", col);
    s.line(x.at(max), x.at(max), 1.0, 13.0)
        .attr("stroke", VERMILLION)
        .attr("stroke-width", "1.5");
    s.finish()
}

/// The log fraction axis shared by the target panel and its legend.
const LOAD_DOMAIN: (f64, f64) = (1e-4, 1.0);

/// The marker of a target's point estimate, shaped by its verdict.
fn load_marker(s: &mut Svg, v: Verdict, cx: f64, cy: f64, hollow: bool) {
    let (fill, stroke) = match (v, hollow) {
        (_, true) => ("#fff", MUTED),
        (Verdict::Pass, _) => (BLUE, BLUE),
        (v, _) => (verdict_colour(v), INK),
    };
    let tag = match v {
        Verdict::Pass => s.circle(cx, cy, "4"),
        Verdict::Inconclusive => s.path(format!("M{} {}l5 8.5h-10z", n1(cx), n1(cy - 5.0))),
        Verdict::Fail => s.rect(cx - 4.25, cy - 4.25, "8.5", "8.5"),
    };
    tag.attr("fill", fill)
        .attr("stroke", stroke)
        .attr("stroke-width", if v == Verdict::Pass { "1.2" } else { "1" });
}

/// One row of the target-load plot: a screened target or a large deletion of a clone.
struct LoadRow<'a> {
    name: &'a str,
    af: f64,
    lo: f64,
    hi: f64,
    upper_bound: f64,
    max_load: f64,
    verdict: Verdict,
    /// The rest of the tooltip (depth, status).
    detail: String,
    deletion: bool,
}

fn load_rows(c: &CloneVerdict) -> Vec<LoadRow<'_>> {
    let mut rows: Vec<LoadRow> = c
        .targets
        .iter()
        .map(|t: &TargetLoad| LoadRow {
            name: &t.target,
            af: t.af,
            lo: t.af_lo,
            hi: t.af_hi,
            upper_bound: t.upper_bound,
            max_load: t.max_load,
            verdict: t.verdict,
            detail: format!(
                "{} usable reads, {}{}",
                thousands(t.depth as u64),
                t.status.as_str().replace('_', " "),
                match t.depth_needed {
                    Some(d) => format!("; about {} usable reads would settle it", thousands(d)),
                    None => String::new(),
                }
            ),
            deletion: false,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.upper_bound
            .total_cmp(&a.upper_bound)
            .then_with(|| a.name.cmp(b.name))
    });
    // Large deletions after the point mutations (their own maximum).
    let mut dels: Vec<LoadRow> = c
        .deletions
        .iter()
        .map(|d| LoadRow {
            name: &d.name,
            af: d.af,
            lo: d.af_lo,
            hi: d.af_hi,
            upper_bound: d.upper_bound,
            max_load: d.max_load,
            verdict: d.verdict,
            detail: format!(
                "large deletion, {} junction reads, {}{}",
                thousands(d.junction_reads as u64),
                if d.called { "called" } else { "not called" },
                match d.depth_needed {
                    Some(n) => format!(
                        "; about {} reads across the breakpoints would settle it",
                        thousands(n)
                    ),
                    None => String::new(),
                }
            ),
            deletion: true,
        })
        .collect();
    dels.sort_by(|a, b| b.upper_bound.total_cmp(&a.upper_bound));
    rows.extend(dels);
    rows
}

/// Layout of the target-load plot: width, left margin (names), right margin (values),
/// row height and the band of the axis labels on top.
const LOAD_W: f64 = 570.0;
const LOAD_L: f64 = 134.0;
const LOAD_R: f64 = 148.0;
const LOAD_ROW: f64 = 20.0;
const LOAD_TOP: f64 = 24.0;

/// Per-clone target load: one row per shown target (worst first) and per large
/// deletion, the point estimate with its two-sided interval as a whisker, the one-sided
/// upper bound as a bar, and the policy maximum as a threshold (shaded beyond), on a
/// log fraction axis.
pub(crate) fn target_load_plot(c: &CloneVerdict, confidence: f64) -> String {
    const W: f64 = LOAD_W;
    const TOP: f64 = LOAD_TOP;
    let rows = load_rows(c);
    let h = TOP + LOAD_ROW * rows.len().max(1) as f64 + 16.0;
    let x = Log10::new(LOAD_DOMAIN, (LOAD_L, W - LOAD_R));
    let mut s = Svg::new();
    s.el("svg")
        .attr("data-plot", "target-loads")
        .attr("data-clone", &c.clone)
        .attr("viewBox", format!("0 0 {} {}", W, n1(h)))
        .attr("width", W)
        .attr("height", h)
        .attr("role", "img")
        .attr("aria-label", format!("target load of {}", c.clone))
        .open();
    // Axis: decades with grid lines and labels on top.
    for t in x.ticks() {
        let xt = x.at(t);
        s.line(xt, xt, TOP - 4.0, h - 14.0).attr("stroke", GRID);
        s.text(xt, TOP - 9.0)
            .attr("class", "tick")
            .attr("text-anchor", "middle")
            .text(&pct_tick(t));
    }
    if rows.is_empty() {
        s.text(W / 2.0, TOP + 14.0)
            .attr("class", "note")
            .attr("text-anchor", "middle")
            .text("no screened target to show");
    }
    let first_deletion = rows.iter().position(|r| r.deletion);
    for (i, t) in rows.iter().enumerate() {
        let y = TOP + LOAD_ROW * i as f64 + LOAD_ROW / 2.0;
        if Some(i) == first_deletion && i > 0 {
            s.line(4.0, W - 4.0, y - LOAD_ROW / 2.0, y - LOAD_ROW / 2.0)
                .attr("stroke", MUTED)
                .attr("stroke-width", "0.8");
        }
        load_row(&mut s, &x, t, i, y, confidence);
    }
    maxima_labels(&mut s, &x, &rows, h);
    s.finish()
}

/// One row of the target-load plot (a `<g data-target>` or `<g data-deletion>`),
/// centred at `y`: shading, the maximum, the name, whisker, upper bound, marker and the
/// values at the right.
fn load_row(s: &mut Svg, x: &Log10, t: &LoadRow, i: usize, y: f64, confidence: f64) {
    const W: f64 = LOAD_W;
    const R: f64 = LOAD_R;
    const ROW: f64 = LOAD_ROW;
    let xm = x.at(t.max_load);
    s.group()
        .attr(
            if t.deletion {
                "data-deletion"
            } else {
                "data-target"
            },
            t.name,
        )
        .open();
    s.title(&format!(
        "{}: {} ({:.0}% CI {}–{}), one-sided upper bound {}, maximum {}, {}",
        t.name,
        pct(t.af),
        confidence * 100.0,
        pct(t.lo),
        pct(t.hi),
        pct(t.upper_bound),
        pct(t.max_load),
        t.detail
    ));
    if i % 2 == 1 {
        s.rect(4.0, y - ROW / 2.0, W - 8.0, ROW)
            .attr("fill", "#f6f7f9");
    }
    // Beyond the maximum.
    s.rect(xm, y - ROW / 2.0, W - R - xm, ROW)
        .attr("fill", VERMILLION)
        .attr("fill-opacity", "0.09");
    s.line(xm, xm, y - ROW / 2.0, y + ROW / 2.0)
        .attr("stroke", VERMILLION)
        .attr("stroke-width", "1.6")
        .attr("stroke-dasharray", "4 2");
    let name = if t.deletion && t.name.chars().count() > 17 {
        truncate(t.name, 17)
    } else {
        t.name.to_string()
    };
    s.text(LOAD_L - 10.0, y + 4.0)
        .attr("class", "lab")
        .attr("text-anchor", "end")
        .attr_opt("font-weight", (t.verdict != Verdict::Pass).then_some("700"))
        .text(&name);
    // Whisker (two-sided interval); an open left end when it reaches below the axis.
    let (x0, x1) = (x.at(t.lo), x.at(t.hi));
    let whisker = |s: &mut Svg, x1: f64, x2: f64, y1: f64, y2: f64| {
        s.line(x1, x2, y1, y2)
            .attr("stroke", INK)
            .attr("stroke-width", "1.4");
    };
    whisker(s, x0, x1, y, y);
    if !x.below(t.lo) {
        whisker(s, x0, x0, y - 4.0, y + 4.0);
    }
    whisker(s, x1, x1, y - 4.0, y + 4.0);
    // One-sided upper bound.
    s.rect(x.at(t.upper_bound) - 1.5, y - 6.0, "3", "12")
        .attr("fill", INK)
        .attr("fill-opacity", "0.55");
    load_marker(s, t.verdict, x.at(t.af), y, x.below(t.af));
    s.text(W - R + 8.0, y + 4.0).attr("class", "val").open();
    s.content(&format!("{} ", pct(t.af)));
    s.el("tspan")
        .attr("class", "ci")
        .text(&format!("[{}–{}]", pct(t.lo), pct(t.hi)));
    s.close();
    s.close();
}

/// Label each distinct maximum once, under the rows (the plot is `h` high); two close
/// maxima (the targets' and the deletions') are anchored away from each other.
fn maxima_labels(s: &mut Svg, x: &Log10, rows: &[LoadRow], h: f64) {
    let mut maxima: Vec<(f64, bool)> = Vec::new();
    for t in rows {
        if !maxima
            .iter()
            .any(|(m, _)| m.to_bits() == t.max_load.to_bits())
        {
            maxima.push((t.max_load, t.deletion));
        }
    }
    maxima.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mixed = rows.iter().any(|r| r.deletion) && rows.iter().any(|r| !r.deletion);
    for (k, (m, deletion)) in maxima.iter().enumerate() {
        let xm = x.at(*m);
        let crowded_right = maxima.get(k + 1).is_some_and(|(n, _)| x.at(*n) - xm < 90.0);
        let crowded_left = k > 0 && xm - x.at(maxima[k - 1].0) < 90.0;
        let (anchor, dx) = if crowded_right {
            ("end", -3.0)
        } else if crowded_left {
            ("start", 3.0)
        } else {
            ("middle", 0.0)
        };
        s.text(xm + dx, h - 3.0)
            .attr("class", "thr")
            .attr("text-anchor", anchor)
            .text(&format!(
                "max {}{}",
                pct(*m),
                match (mixed, *deletion) {
                    (true, true) => " (deletions)",
                    (true, false) => " (targets)",
                    _ => "",
                }
            ));
    }
}

/// The legend of the target panel (one line).
pub(crate) fn target_load_legend(confidence: f64) -> String {
    // Items laid out left to right; text width estimated generously (7.2 px a
    // character at 12 px) so that no label runs into the next symbol.
    let interval = format!("{:.0}% interval", confidence * 100.0);
    let items: [(&str, &str); 7] = [
        ("pass", "below maximum"),
        ("inc", "straddles"),
        ("fail", "exceeds"),
        ("hollow", "not seen"),
        ("whisker", &interval),
        ("ub", "one-sided upper bound"),
        ("max", "policy maximum"),
    ];
    let mut body = Svg::new();
    let mut x = 8.0;
    for (kind, text) in items {
        let y = 11.0;
        let sym_w = match kind {
            "pass" | "inc" | "fail" | "hollow" => {
                let v = match kind {
                    "inc" => Verdict::Inconclusive,
                    "fail" => Verdict::Fail,
                    _ => Verdict::Pass,
                };
                load_marker(&mut body, v, x + 5.0, y, kind == "hollow");
                12.0
            }
            "whisker" => {
                for (x1, x2, y1, y2) in [
                    (x, x + 26.0, 11.0, 11.0),
                    (x, x, 7.0, 15.0),
                    (x + 26.0, x + 26.0, 7.0, 15.0),
                ] {
                    body.line(x1, x2, y1, y2)
                        .attr("stroke", INK)
                        .attr("stroke-width", "1.4");
                }
                28.0
            }
            "ub" => {
                body.rect(x + 2.0, 5.0, "3", "12")
                    .attr("fill", INK)
                    .attr("fill-opacity", "0.55");
                7.0
            }
            _ => {
                body.rect(x, 3.0, 18.0, 16.0)
                    .attr("fill", VERMILLION)
                    .attr("fill-opacity", "0.09");
                body.line(x, x, 3.0, 19.0)
                    .attr("stroke", VERMILLION)
                    .attr("stroke-width", "1.6")
                    .attr("stroke-dasharray", "4 2");
                20.0
            }
        };
        body.text(x + sym_w + 5.0, 15.0)
            .attr("class", "lab")
            .text(text);
        x += sym_w + 5.0 + text.chars().count() as f64 * 7.2 + 20.0;
    }
    let mut s = Svg::new();
    s.el("svg")
        .attr("class", "legend")
        .attr("viewBox", format!("0 0 {} 22", n1(x)))
        .attr("width", x)
        .attr("height", "22")
        .attr("aria-hidden", "true")
        .open();
    s.raw(&body.finish());
    s.finish()
}

/// Kind of an rCRS locus, for the gene map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GeneKind {
    /// Protein-coding gene.
    Protein,
    /// Ribosomal RNA.
    Rrna,
    /// Transfer RNA.
    Trna,
    /// Control region (D-loop).
    Control,
}

/// One locus of the rCRS gene map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Gene {
    /// First position (1-based).
    pub start: u32,
    /// Last position (1-based, inclusive).
    pub end: u32,
    /// Name (`MT-ND1`).
    pub name: &'static str,
    /// Kind.
    pub kind: GeneKind,
}

/// The annotation behind [`crate::call::locus_of`] (same file, so the map and the
/// locus names in tables cannot disagree).
const LOCI: &str = include_str!("../call/data/loci.tsv");

/// The rCRS gene map.
pub(crate) fn genes() -> Vec<Gene> {
    LOCI.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("start"))
        .filter_map(|l| {
            let mut f = l.split('\t');
            let start: u32 = f.next()?.trim().parse().ok()?;
            let end: u32 = f.next()?.trim().parse().ok()?;
            let name = f.next()?.trim();
            let kind = if name.starts_with("MT-T") {
                GeneKind::Trna
            } else if name.starts_with("MT-RNR") {
                GeneKind::Rrna
            } else if name == "MT-DLOOP" {
                GeneKind::Control
            } else {
                GeneKind::Protein
            };
            Some(Gene {
                start,
                end,
                name,
                kind,
            })
        })
        .collect()
}

/// Height of [`gene_map`].
const GENE_MAP_H: f64 = 44.0;

/// The gene map on the genome axis `x`, its track starting at `y`; returns where its
/// key ends (the x of its last label's end), for a key written after it.
fn gene_map(s: &mut Svg, x: &Linear, y: f64) -> f64 {
    let track = 14.0;
    s.line(
        x.at(0.5),
        x.at(MT_LENGTH as f64 + 0.5),
        y + track / 2.0,
        y + track / 2.0,
    )
    .attr("stroke", MUTED);
    let gs = genes();
    // Larger loci first, tRNAs on top.
    for pass in [false, true] {
        for g in gs.iter().filter(|g| (g.kind == GeneKind::Trna) == pass) {
            let (x0, x1) = (x.at(g.start as f64 - 0.5), x.at(g.end as f64 + 0.5));
            let (fill, yy, hh) = match g.kind {
                GeneKind::Protein => (SKY, y, track),
                GeneKind::Rrna => (PURPLE, y, track),
                GeneKind::Trna => (INK, y - 2.0, track + 4.0),
                GeneKind::Control => ("#d5d9e0", y + 2.0, track - 4.0),
            };
            s.rect(x0, yy, (x1 - x0).max(1.0), hh)
                .attr("fill", fill)
                .open();
            s.title(&format!(
                "{} {}–{}",
                g.name,
                thousands(g.start as u64),
                thousands(g.end as u64)
            ));
            s.close();
        }
    }
    // Labels under the track where they fit.
    let mut last_end = f64::NEG_INFINITY;
    for g in gs.iter().filter(|g| g.kind != GeneKind::Trna) {
        let label = match g.kind {
            GeneKind::Control => "D-loop",
            _ => g.name.trim_start_matches("MT-"),
        };
        let (x0, x1) = (x.at(g.start as f64), x.at(g.end as f64));
        let half = text_width(label, 10.0, false) / 2.0;
        // Centred under the locus, kept inside the genome axis.
        let mid = ((x0 + x1) / 2.0).min(x.at(MT_LENGTH as f64 + 0.5) - half);
        if x1 - x0 < 14.0 || mid - half < last_end + 4.0 {
            continue;
        }
        last_end = mid + half;
        s.text(mid, y + track + 11.0)
            .attr("class", "gene")
            .attr("text-anchor", "middle")
            .text(label);
    }
    // Key.
    let ky = y + track + 26.0;
    let kx = x.at(0.5);
    let items = [
        (SKY, "protein-coding"),
        (PURPLE, "rRNA"),
        (INK, "tRNA"),
        ("#d5d9e0", "control region"),
    ];
    let mut xx = kx;
    let mut end = kx;
    for (fill, name) in items {
        s.rect(xx, ky - 7.0, "10", "8").attr("fill", fill);
        s.text(xx + 14.0, ky).attr("class", "tick").text(name);
        end = xx + 14.0 + text_width(name, 10.5, false);
        xx = end + 10.0;
    }
    end
}

/// The genome axis (ticks every 1,000 bp, labels every 2,000) at `y`.
fn genome_axis(s: &mut Svg, x: &Linear, y: f64) {
    s.line(x.at(0.5), x.at(MT_LENGTH as f64 + 0.5), y, y)
        .attr("stroke", MUTED);
    let mut p = 0u32;
    while p <= MT_LENGTH {
        let px = x.at(p.max(1) as f64);
        let major = p % 2000 == 0;
        s.line(px, px, y, y + if major { 5.0 } else { 3.0 })
            .attr("stroke", MUTED);
        if major {
            s.text(px, y + 15.0)
                .attr("class", "tick")
                .attr("text-anchor", "middle")
                .text(&thousands(p.max(1) as u64));
        }
        p += 1000;
    }
}

/// One clone's coverage track for [`coverage_plot`].
pub(crate) struct CoverageRow<'a> {
    /// Clone.
    pub clone: &'a str,
    /// Its verdict.
    pub verdict: Verdict,
    /// Mean usable depth per 100-bp bin.
    pub bins: &'a [f32],
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// Layout of the plots along the genome (coverage, deletions): width, left margin
/// (verdict glyph and clone name), right margin.
const GENOME_W: f64 = 1120.0;
const GENOME_L: f64 = 168.0;
const GENOME_R: f64 = 14.0;

/// Height of a coverage track, the gap between two, and the band of the scale on top.
const TRACK: f64 = 40.0;
const TRACK_GAP: f64 = 8.0;
const TRACK_TOP: f64 = 20.0;

/// Coverage along the genome, one track per clone on a shared depth scale, with the
/// plate's median profile (dashed) so that a clone-specific dip — a deletion — stands
/// out, the policy's minimum mean depth, and the gene map underneath.
pub(crate) fn coverage_plot(rows: &[CoverageRow], min_depth: Option<f64>) -> String {
    const W: f64 = GENOME_W;
    const L: f64 = GENOME_L;
    const R: f64 = GENOME_R;
    let n = rows.len();
    let x = Linear::new((0.5, MT_LENGTH as f64 + 0.5), (L, W - R));
    let ymax_data = rows
        .iter()
        .flat_map(|r| r.bins.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0f32, f32::max) as f64;
    let ticks = nice_ticks(ymax_data.max(1.0), 2);
    let ymax = *ticks.last().unwrap_or(&1.0);
    let axis_y = TRACK_TOP + (TRACK + TRACK_GAP) * n as f64 + 2.0;
    let h = axis_y + 24.0 + GENE_MAP_H + 6.0;
    let median = plate_median(rows);
    let min_depth = min_depth.filter(|&m| m > 0.0 && m < ymax);
    let mut s = Svg::new();
    s.el("svg")
        .attr("data-plot", "coverage")
        .attr("viewBox", format!("0 0 {W} {}", n1(h)))
        .attr("width", W)
        .attr("height", h)
        .attr("role", "img")
        .attr("aria-label", "coverage along the genome per clone")
        .open();
    s.text(W - R, 12.0)
        .attr("class", "tick")
        .attr("text-anchor", "end")
        .text(&format!(
            "usable depth (0–{}x, shared scale)",
            thousands(ymax as u64)
        ));
    let common = Tracks {
        x,
        ymax,
        median: if n >= 3 { &median } else { &[] },
        min_depth,
    };
    for (k, r) in rows.iter().enumerate() {
        let y0 = TRACK_TOP + (TRACK + TRACK_GAP) * k as f64;
        coverage_track(&mut s, &common, r, y0, k + 1 == n);
    }
    if n == 0 {
        s.text(W / 2.0, TRACK_TOP + 12.0)
            .attr("class", "note")
            .attr("text-anchor", "middle")
            .text("no coverage profile in the calls");
    }
    genome_axis(&mut s, &x, axis_y);
    let gene_key_end = gene_map(&mut s, &x, axis_y + 26.0);
    // Key of the lines, after the gene map's key on the same line.
    let ky = axis_y + 26.0 + GENE_MAP_H - 4.0;
    let kx = (L + 430.0).max(gene_key_end + 30.0);
    coverage_key(&mut s, kx, ky, n >= 3, min_depth);
    s.finish()
}

/// The plate's median depth per bin.
fn plate_median(rows: &[CoverageRow]) -> Vec<f64> {
    let nb = rows.iter().map(|r| r.bins.len()).max().unwrap_or(0);
    (0..nb)
        .map(|i| {
            let mut v: Vec<f64> = rows
                .iter()
                .filter_map(|r| r.bins.get(i).map(|&d| d as f64))
                .collect();
            v.sort_by(f64::total_cmp);
            if v.is_empty() {
                0.0
            } else if v.len() % 2 == 1 {
                v[v.len() / 2]
            } else {
                (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
            }
        })
        .collect()
}

/// What the coverage tracks share.
struct Tracks<'a> {
    /// The genome axis.
    x: Linear,
    /// Top of the shared depth scale.
    ymax: f64,
    /// The plate's median per bin (empty: not drawn).
    median: &'a [f64],
    /// The policy's minimum mean depth, when drawn.
    min_depth: Option<f64>,
}

/// One clone's coverage track (a `<g data-clone>`) from `y0` down: background,
/// verdict, labels of the left margin (the scale's 0 on the `last` track only), the
/// depth as an area, the plate's median and the policy minimum.
fn coverage_track(s: &mut Svg, common: &Tracks, r: &CoverageRow, y0: f64, last: bool) {
    const W: f64 = GENOME_W;
    const L: f64 = GENOME_L;
    const R: f64 = GENOME_R;
    let Tracks {
        x,
        ymax,
        median,
        min_depth,
    } = common;
    let y = Linear::new((0.0, *ymax), (y0 + TRACK, y0));
    let bin_x = |i: usize| x.at((i * COVERAGE_BIN) as f64 + 0.5);
    let bin_end = |i: usize| x.at((((i + 1) * COVERAGE_BIN).min(MT_LENGTH as usize)) as f64 + 0.5);
    s.group().attr("data-clone", r.clone).open();
    let mean = if r.bins.is_empty() {
        0.0
    } else {
        r.bins.iter().map(|&v| v as f64).sum::<f64>() / r.bins.len() as f64
    };
    s.title(&format!(
        "{}: mean {}x per 100-bp bin",
        r.clone,
        thousands(mean.round() as u64)
    ));
    s.rect(L, y0, W - R - L, TRACK).attr("fill", "#f6f7f9");
    verdict_glyph(s, r.verdict, 10.0, y0 + TRACK / 2.0, 6.5);
    // Labels of the left margin, laid out so that none overlaps another (see the
    // tests): the clone name in the middle of its track, cut to the margin; the
    // shared scale's top at the top of the track. The bottom of every track is 0
    // (said once, on the last track, so that it never meets the next track's top).
    s.text("22", y0 + TRACK / 2.0 + 4.0)
        .attr("class", "lab")
        .text(&fit_text(r.clone, 12.0, L - 22.0 - 8.0));
    s.text(L - 5.0, y0 + 8.0)
        .attr("class", "tick")
        .attr("text-anchor", "end")
        .text(&format!("{}x", thousands(*ymax as u64)));
    if last {
        s.text(L - 5.0, y0 + TRACK)
            .attr("class", "tick")
            .attr("text-anchor", "end")
            .text("0");
    }
    // Area (step per bin).
    if !r.bins.is_empty() {
        let mut d = format!("M{} {}", n1(bin_x(0)), n1(y.at(0.0)));
        for (i, &v) in r.bins.iter().enumerate() {
            let yy = n1(y.clamped(v as f64));
            w!(d, "L{} {yy}L{} {yy}", n1(bin_x(i)), n1(bin_end(i)));
        }
        w!(d, "L{} {}Z", n1(bin_end(r.bins.len() - 1)), n1(y.at(0.0)));
        s.path(d)
            .attr("fill", BLUE)
            .attr("fill-opacity", "0.32")
            .attr("stroke", BLUE)
            .attr("stroke-width", "1")
            .attr("stroke-linejoin", "round");
    }
    if !median.is_empty() {
        let mut d = String::new();
        for (i, &v) in median.iter().enumerate() {
            let yy = n1(y.clamped(v));
            w!(
                d,
                "{}{} {yy}L{} {yy}",
                if i == 0 { "M" } else { "L" },
                n1(bin_x(i)),
                n1(bin_end(i))
            );
        }
        s.path(d)
            .attr("fill", "none")
            .attr("stroke", INK)
            .attr("stroke-opacity", "0.55")
            .attr("stroke-width", "0.9")
            .attr("stroke-dasharray", "3 2");
    }
    if let Some(m) = *min_depth {
        s.line(L, W - R, y.at(m), y.at(m))
            .attr("stroke", VERMILLION)
            .attr("stroke-width", "0.9");
    }
    s.close();
}

/// The key of the coverage plot's lines from `(kx, ky)` on (text widths estimated
/// generously, so that no key label runs into the next symbol).
fn coverage_key(s: &mut Svg, mut kx: f64, ky: f64, median: bool, min_depth: Option<f64>) {
    s.rect(kx, ky - 7.0, "16", "8")
        .attr("fill", BLUE)
        .attr("fill-opacity", "0.32")
        .attr("stroke", BLUE);
    s.text(kx + 20.0, ky).attr("class", "tick").text("clone");
    kx += 20.0 + text_width("clone", 10.5, false) + 18.0;
    if median {
        s.line(kx, kx + 18.0, ky - 3.0, ky - 3.0)
            .attr("stroke", INK)
            .attr("stroke-opacity", "0.55")
            .attr("stroke-dasharray", "3 2");
        s.text(kx + 22.0, ky)
            .attr("class", "tick")
            .text("median of the plate");
        kx += 22.0 + text_width("median of the plate", 10.5, false) + 18.0;
    }
    if let Some(m) = min_depth {
        s.line(kx, kx + 18.0, ky - 3.0, ky - 3.0)
            .attr("stroke", VERMILLION);
        s.text(kx + 22.0, ky).attr("class", "tick").text(&format!(
            "policy minimum mean depth ({}x)",
            thousands(m as u64)
        ));
    }
}

/// One cell of the heatmap: one clone's call of one variant.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HeatCell {
    /// Observed fraction.
    pub af: f64,
    /// Interval.
    pub lo: f64,
    /// Interval.
    pub hi: f64,
    /// Usable depth.
    pub depth: u32,
    /// Reads with the allele.
    pub alt: u32,
    /// Heteroplasmic or homoplasmic call.
    pub called: bool,
    /// Genotype word.
    pub genotype: &'static str,
    /// Filters failed (empty = PASS).
    pub filters: Vec<String>,
}

/// One column of the heatmap: a variant record.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HeatColumn {
    /// Variant name.
    pub name: String,
    /// Locus.
    pub locus: String,
    /// Disease, when the variant is a pathogenic target.
    pub pathogenic: Option<String>,
    /// Why the site is artefact-prone, if it is.
    pub artefact: Option<String>,
    /// One cell per clone, in row order.
    pub cells: Vec<HeatCell>,
}

/// Layout of the heatmap: left margin (verdict glyph and clone name, as wide as the
/// plots along the genome have), cell width and height, and the band of the column
/// headers on top.
const HEAT_L: f64 = GENOME_L;
const HEAT_CW: f64 = 46.0;
const HEAT_CH: f64 = 26.0;
const HEAT_TOP: f64 = 118.0;

/// The heteroplasmy heatmap: rows = clones, columns = variant records with a
/// heteroplasmic call in at least one clone; colour = allele fraction (viridis, square
/// root scale), hatched = the call failed a filter, grey = not called; pathogenic
/// targets marked with a diamond, artefact-prone sites with a dagger.
pub(crate) fn heatmap(rows: &[(&str, Verdict)], cols: &[HeatColumn], hidden: usize) -> String {
    const L: f64 = HEAT_L;
    let plot_w = HEAT_CW * cols.len() as f64;
    let legend_w = 770.0;
    let w = (L + plot_w + 16.0).max(L + legend_w + 20.0);
    let grid_bottom = HEAT_TOP + HEAT_CH * rows.len() as f64;
    let h = grid_bottom + 62.0;
    let mut s = Svg::new();
    s.el("svg")
        .attr("data-plot", "heatmap")
        .attr("viewBox", format!("0 0 {} {}", n1(w), n1(h)))
        .attr("width", w)
        .attr("height", h)
        .attr("role", "img")
        .attr("aria-label", "heteroplasmy heatmap across clones")
        .open();
    s.el("defs").open();
    s.el("pattern")
        .attr("id", "ms-hm-hatch")
        .attr("patternUnits", "userSpaceOnUse")
        .attr("width", "6")
        .attr("height", "6")
        .attr("patternTransform", "rotate(45)")
        .open();
    s.el("rect")
        .attr("width", "2.4")
        .attr("height", "6")
        .attr("fill", "#fff")
        .attr("fill-opacity", "0.6");
    s.close();
    s.raw(&viridis_gradient("ms-hm-grad"));
    s.close();
    if cols.is_empty() {
        s.text(L, HEAT_TOP - 20.0)
            .attr("class", "note")
            .text("no heteroplasmic call in any clone");
    }
    for (j, c) in cols.iter().enumerate() {
        heat_header(&mut s, c, L + HEAT_CW * j as f64 + HEAT_CW / 2.0);
    }
    for (i, (clone, verdict)) in rows.iter().enumerate() {
        let y0 = HEAT_TOP + HEAT_CH * i as f64;
        s.group().attr("data-clone", *clone).open();
        clone_label(
            &mut s,
            clone,
            *verdict,
            y0 + HEAT_CH / 2.0,
            y0 + HEAT_CH / 2.0 + 4.0,
        );
        for (j, c) in cols.iter().enumerate() {
            let Some(cell) = c.cells.get(i) else { continue };
            heat_cell(&mut s, clone, c, cell, (L + HEAT_CW * j as f64, y0));
        }
        s.close();
    }
    heat_legend(&mut s, grid_bottom + 22.0, hidden);
    s.finish()
}

/// The header of a heatmap column centred at `cx`: the variant's name and locus
/// (rotated), the diamond of a pathogenic target, a tooltip.
fn heat_header(s: &mut Svg, c: &HeatColumn, cx: f64) {
    let mark = if c.artefact.is_some() { "†" } else { "" };
    let cls = if c.pathogenic.is_some() {
        "lab path"
    } else {
        "lab"
    };
    s.group().attr("data-variant", &c.name).open();
    s.title(&format!(
        "{} ({}){}{}",
        c.name,
        c.locus,
        match &c.pathogenic {
            Some(d) => format!(" — pathogenic target: {d}"),
            None => String::new(),
        },
        match &c.artefact {
            Some(a) => format!(" — artefact-prone site: {a}"),
            None => String::new(),
        }
    ));
    s.el("text")
        .attr("class", cls)
        .attr(
            "transform",
            format!(
                "translate({} {}) rotate(-55)",
                n1(cx + 4.0),
                n1(HEAT_TOP - 8.0)
            ),
        )
        .open();
    s.content(&format!("{}{mark} ", c.name));
    s.el("tspan")
        .attr("class", "locus")
        .text(c.locus.trim_start_matches("MT-"));
    s.close();
    if c.pathogenic.is_some() {
        s.path(format!(
            "M{} {}l5 5l-5 5l-5-5z",
            n1(cx - 9.0),
            n1(HEAT_TOP - 16.0)
        ))
        .attr("fill", VERMILLION);
    }
    s.close();
}

/// One cell of the heatmap with its top-left corner at `(x0, y0)`: colour, hatching
/// when filtered, the fraction as text, a tooltip.
fn heat_cell(s: &mut Svg, clone: &str, c: &HeatColumn, cell: &HeatCell, (x0, y0): (f64, f64)) {
    const CW: f64 = HEAT_CW;
    const CH: f64 = HEAT_CH;
    let t = af_to_t(cell.af);
    let status = if !cell.called {
        "not called".to_string()
    } else if cell.filters.is_empty() {
        format!("{} call, PASS", cell.genotype)
    } else {
        format!(
            "{} call, filtered: {}",
            cell.genotype,
            cell.filters.join(", ")
        )
    };
    s.group().open();
    s.title(&format!(
        "{} · {}: {} [{}–{}], {}/{} reads, {}",
        clone,
        c.name,
        pct(cell.af),
        pct(cell.lo),
        pct(cell.hi),
        thousands(cell.alt as u64),
        thousands(cell.depth as u64),
        status
    ));
    let fill = if cell.called {
        viridis(t)
    } else {
        "#eef0f3".to_string()
    };
    s.rect(x0, y0, CW, CH)
        .attr("fill", fill)
        .attr("stroke", "#fff")
        .attr("stroke-width", "1.5");
    let filtered = cell.called && !cell.filters.is_empty();
    if filtered {
        s.rect(x0, y0, CW, CH)
            .attr("fill", "url(#ms-hm-hatch)")
            .attr("stroke", "#fff")
            .attr("stroke-width", "1.5");
    }
    let (txt, colour) = if cell.called {
        let c = if viridis_wants_dark_text(t) {
            INK
        } else {
            "#fff"
        };
        (pct(cell.af), c)
    } else if cell.af >= 0.005 {
        (pct(cell.af), MUTED)
    } else {
        ("·".to_string(), "#aab0bb")
    };
    s.text(x0 + CW / 2.0, y0 + CH / 2.0 + 4.0)
        .attr("class", "cell")
        .attr("text-anchor", "middle")
        .attr("fill", colour)
        .attr_opt("font-style", filtered.then_some("italic"))
        .text(&txt);
    s.close();
}

/// The heatmap's legend at `ly`: the colour bar (square-root scale), the key of the
/// marks and how many variants are not shown.
fn heat_legend(s: &mut Svg, ly: f64, hidden: usize) {
    let lx = HEAT_L;
    let bar = Linear::new((0.0, 1.0), (lx, lx + 240.0));
    s.text(lx - 8.0, ly + 9.0)
        .attr("class", "tick")
        .attr("text-anchor", "end")
        .text("allele fraction");
    s.rect(lx, ly, "240", "10").attr("fill", "url(#ms-hm-grad)");
    for f in [0.01, 0.05, 0.1, 0.25, 0.5, 1.0] {
        let px = bar.at(af_to_t(f));
        s.line(px, px, ly + 10.0, ly + 13.0).attr("stroke", INK);
        s.text(px, ly + 23.0)
            .attr("class", "tick")
            .attr("text-anchor", "middle")
            .text(&pct_tick(f));
    }
    // The marks' key, each item after the previous one's (generously estimated) text.
    let mut kx = lx + 262.0;
    let gap = 18.0;
    s.rect(kx, ly - 1.0, "16", "12").attr("fill", viridis(0.45));
    s.rect(kx, ly - 1.0, "16", "12")
        .attr("fill", "url(#ms-hm-hatch)");
    s.text(kx + 20.0, ly + 9.0)
        .attr("class", "tick")
        .text("call failed a filter");
    kx += 20.0 + text_width("call failed a filter", 10.5, false) + gap;
    s.rect(kx, ly - 1.0, "16", "12").attr("fill", "#eef0f3");
    s.text(kx + 20.0, ly + 9.0)
        .attr("class", "tick")
        .text("not called");
    kx += 20.0 + text_width("not called", 10.5, false) + gap;
    s.path(format!("M{} {}l5 5l-5 5l-5-5z", n1(kx + 5.0), n1(ly - 1.0)))
        .attr("fill", VERMILLION);
    s.text(kx + 15.0, ly + 9.0)
        .attr("class", "tick")
        .text("pathogenic target");
    kx += 15.0 + text_width("pathogenic target", 10.5, false) + gap;
    s.text(kx, ly + 9.0)
        .attr("class", "tick")
        .text("† artefact-prone site");
    if hidden > 0 {
        s.text(lx, ly + 38.0).attr("class", "note").text(&format!(
            "{} further variant(s) not shown (see calls.tsv)",
            thousands(hidden as u64)
        ));
    }
}

/// Depth inside a deletion's span below this share of its flanks is pointed out when
/// the event was not called (a coverage step is evidence of a deletion too).
const DIP: f64 = 0.85;

/// The large-deletion panel. `None`: deletion detection did not run, said so plainly.
/// `Some(list)`: one row per clone, each event of that clone drawn as an arc over the
/// deleted span of the genome, labelled with its load and interval: solid and coloured
/// by its verdict when the caller called it, thin and dashed (with its upper bound)
/// when it was only quantified and not found.
pub(crate) fn deletion_panel(
    clones: &[(&str, Verdict)],
    deletions: Option<&[DeletionResult]>,
    max_load: f64,
) -> String {
    const W: f64 = GENOME_W;
    const L: f64 = GENOME_L;
    const R: f64 = GENOME_R;
    const ROW: f64 = DELETION_ROW;
    let x = Linear::new((0.5, MT_LENGTH as f64 + 0.5), (L, W - R));
    let message = match deletions {
        None => {
            Some("no large-deletion results in this run (deletion detection not run)".to_string())
        }
        Some([]) => Some(format!(
            "no large deletion found in any of the {} clones",
            clones.len()
        )),
        Some(_) => None,
    };
    let body = if message.is_some() {
        40.0
    } else {
        ROW * clones.len() as f64
    };
    let top = 10.0;
    let axis_y = top + body + 4.0;
    let h = axis_y + 24.0 + GENE_MAP_H + 4.0;
    let mut s = Svg::new();
    s.el("svg")
        .attr("data-plot", "deletions")
        .attr("viewBox", format!("0 0 {W} {}", n1(h)))
        .attr("width", W)
        .attr("height", h)
        .attr("role", "img")
        .attr("aria-label", "large deletions")
        .open();
    if let Some(m) = &message {
        s.rect(L, top, W - R - L, body)
            .attr("fill", "#f6f7f9")
            .attr("rx", "4");
        s.text((L + W - R) / 2.0, top + body / 2.0 + 5.0)
            .attr("class", "note")
            .attr("text-anchor", "middle")
            .text(m);
    }
    let list = match (deletions, &message) {
        (Some(l), None) => l,
        _ => &[],
    };
    for (k, (clone, verdict)) in clones.iter().enumerate().filter(|_| message.is_none()) {
        let base = top + ROW * k as f64 + ROW - 8.0;
        s.group().attr("data-clone", *clone).open();
        clone_label(&mut s, clone, *verdict, base - 5.0, base - 1.0);
        s.line(L, W - R, base, base).attr("stroke", GRID);
        let mine: Vec<&DeletionResult> = list.iter().filter(|d| d.clone == *clone).collect();
        if mine.is_empty() {
            s.text(L + 6.0, base - 6.0)
                .attr("class", "tick")
                .text("no event quantified in this clone");
        }
        for (j, d) in mine.iter().enumerate() {
            deletion_event(&mut s, &x, d, j, base, max_load);
        }
        s.close();
    }
    genome_axis(&mut s, &x, axis_y);
    let _ = gene_map(&mut s, &x, axis_y + 26.0);
    s.finish()
}

/// Height of a clone's row in the deletion panel.
const DELETION_ROW: f64 = 50.0;

/// The verdict glyph (centred at `glyph_y`) and the clone's name (cut to the left
/// margin of the heatmap and the deletion panel, whole in its tooltip; baseline at
/// `text_y`) at the left of a row.
fn clone_label(s: &mut Svg, clone: &str, verdict: Verdict, glyph_y: f64, text_y: f64) {
    verdict_glyph(s, verdict, 10.0, glyph_y, 6.5);
    s.text("22", text_y).attr("class", "lab").open();
    s.content(&fit_text(clone, 12.0, GENOME_L - 22.0 - 8.0));
    s.title(clone);
    s.close();
}

/// One deletion of a clone (the `j`th of its row, on the row's baseline `base`): a
/// `<g data-deletion>` with its tooltip, the deleted span, the arc and the label.
fn deletion_event(s: &mut Svg, x: &Linear, d: &DeletionResult, j: usize, base: f64, max_load: f64) {
    let col = match (d.called, d.verdict) {
        (_, Verdict::Fail) => VERMILLION,
        (_, Verdict::Inconclusive) => ORANGE,
        (true, Verdict::Pass) => BLUE,
        (false, Verdict::Pass) => "#8a93a6",
    };
    let (x0, x1) = (x.at(d.start as f64 - 0.5), x.at(d.end as f64 + 0.5));
    let rx = ((x1 - x0) / 2.0).max(1.0);
    let ry = DELETION_ROW - 18.0;
    s.group().attr("data-deletion", &d.name).open();
    s.title(&format!(
        "{} {}: {} ({}–{}), one-sided upper bound {}, positions {}–{} ({} bp), {}{}; maximum {}",
        d.clone,
        d.name,
        pct(d.af),
        pct(d.af_lo),
        pct(d.af_hi),
        pct(d.upper_bound),
        thousands(d.start as u64),
        thousands(d.end as u64),
        thousands(d.end.saturating_sub(d.start) as u64 + 1),
        if d.called { "called" } else { "not called" },
        d.coverage_ratio.map_or_else(String::new, |r| format!(
            ", depth inside {:.0}% of the flanks",
            r * 100.0
        )),
        pct(max_load)
    ));
    if d.called {
        s.rect(x0, base - 2.5, (x1 - x0).max(1.0), "5")
            .attr("fill", col)
            .attr("fill-opacity", "0.35");
    }
    let width = if d.called {
        1.5 + 3.0 * d.af.clamp(0.0, 1.0).sqrt()
    } else {
        1.2
    };
    s.path(format!(
        "M{} {}A{} {} 0 0 1 {} {}",
        n1(x0),
        n1(base),
        n1(rx),
        n1(ry),
        n1(x1),
        n1(base)
    ))
    .attr("fill", "none")
    .attr("stroke", col)
    .attr("stroke-width", width)
    .attr_opt("stroke-dasharray", (!d.called).then_some("5 3"));
    deletion_label(s, d, (x0, x1), j, base);
    s.close();
}

/// The label of a deletion's arc over `x0..x1`: its load and interval (or its upper
/// bound when not found, and a coverage dip when there is one), inside the arc when it
/// fits there, else beside it on the side with more room.
fn deletion_label(s: &mut Svg, d: &DeletionResult, (x0, x1): (f64, f64), j: usize, base: f64) {
    const W: f64 = GENOME_W;
    const L: f64 = GENOME_L;
    const R: f64 = GENOME_R;
    let ry = DELETION_ROW - 18.0;
    let dipped = !d.called && d.coverage_ratio.is_some_and(|r| r < DIP);
    let mut lines = vec![if d.called {
        format!(
            "{} · {} [{}–{}]",
            d.name,
            pct(d.af),
            pct(d.af_lo),
            pct(d.af_hi)
        )
    } else {
        format!("{} · not found (< {})", d.name, pct(d.upper_bound))
    }];
    if let (true, Some(r)) = (dipped, d.coverage_ratio) {
        lines.push(format!(
            "but depth inside is {:.0}% of its flanks",
            r * 100.0
        ));
    }
    let strong = d.called || dipped;
    // Text widths estimated generously for a wide sans font.
    let per_char = if strong { 8.0 } else { 6.6 };
    let est = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64 * per_char;
    let nl = lines.len() as f64;
    let (tx, ty, anchor) = if est + 12.0 < (x1 - x0) * 0.72 {
        (
            (x0 + x1) / 2.0,
            base - ry * 0.42 - 6.0 * (nl - 1.0) + 12.0 * j as f64,
            "middle",
        )
    } else if W - R - x1 >= x0 - L {
        (x1 + 8.0, base - 5.0 - 13.0 * (nl - 1.0 + j as f64), "start")
    } else {
        (x0 - 8.0, base - 5.0 - 13.0 * (nl - 1.0 + j as f64), "end")
    };
    s.text(tx, ty)
        .attr("class", if strong { "lab" } else { "tick" })
        .attr("text-anchor", anchor)
        .attr_opt(
            "font-weight",
            (d.verdict != Verdict::Pass || dipped).then_some("700"),
        )
        .open();
    for (k, l) in lines.iter().enumerate() {
        s.el("tspan")
            .attr("x", tx)
            .attr("dy", if k == 0 { 0.0 } else { 13.0 })
            .text(l);
    }
    s.close();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::{locus_of, TargetStatus};
    use crate::reference::Position;

    #[test]
    fn gene_map_agrees_with_locus_of() {
        let g = genes();
        assert!(g.len() >= 37, "{}", g.len());
        for gene in &g {
            let mid = Position::new((gene.start + gene.end) / 2).unwrap();
            // Overlapping genes (ATP8/ATP6, ND4L/ND4) resolve to the first listed.
            let l = locus_of(mid);
            assert!(
                l == gene.name || l.starts_with("MT-"),
                "{} vs {l}",
                gene.name
            );
        }
        let nd1 = g.iter().find(|x| x.name == "MT-ND1").unwrap();
        assert_eq!(
            (nd1.start, nd1.end, nd1.kind),
            (3307, 4262, GeneKind::Protein)
        );
        assert_eq!(g.iter().filter(|x| x.kind == GeneKind::Trna).count(), 22);
        assert_eq!(g.iter().filter(|x| x.kind == GeneKind::Rrna).count(), 2);
    }

    fn load(name: &str, af: f64, lo: f64, hi: f64, v: Verdict) -> TargetLoad {
        TargetLoad {
            target: name.into(),
            af,
            af_lo: lo,
            af_hi: hi,
            upper_bound: hi * 0.95,
            max_load: 0.05,
            depth: 1500,
            status: TargetStatus::Detected,
            verdict: v,
            depth_needed: None,
        }
    }

    #[test]
    fn target_plot_rows_worst_first_and_escaped() {
        let c = CloneVerdict {
            clone: "a\"<b>".into(),
            verdict: Verdict::Fail,
            rank: None,
            reasons: vec![],
            decisions: vec![],
            targets: vec![
                load("m.3243A>G", 0.43, 0.41, 0.46, Verdict::Fail),
                load("m.8344A>G", 0.0, 0.0, 0.002, Verdict::Pass),
            ],
            worst_target: Some("m.3243A>G".into()),
            max_target_upper_bound: 0.45,
            mean_depth: 1400.0,
            breadth: 1.0,
            other_heteroplasmies: 0,
            identity_differences: vec![],
            deletions: vec![crate::select::DeletionLoad {
                name: "m.8470_13446del".into(),
                af: 0.3,
                af_lo: 0.28,
                af_hi: 0.32,
                upper_bound: 0.31,
                max_load: 0.01,
                junction_reads: 420,
                depth: 1400,
                called: true,
                verdict: Verdict::Fail,
                depth_needed: None,
            }],
        };
        let s = target_load_plot(&c, 0.95);
        let d = s.find("data-deletion=\"m.8470_13446del\"").unwrap();
        assert!(s.contains("max 1% (deletions)"));
        assert!(s.starts_with("<svg data-plot=\"target-loads\" data-clone=\"a&quot;&lt;b&gt;\""));
        let a = s.find("data-target=\"m.3243A&gt;G\"").unwrap();
        let b = s.find("data-target=\"m.8344A&gt;G\"").unwrap();
        assert!(a < b && b < d, "worst target first, deletions last");
        assert!(s.contains("max 5%"));
        assert!(!s.contains("<b>"));
        // Not seen: a hollow marker at the axis edge.
        assert!(s.contains("fill=\"#fff\""));
    }

    #[test]
    fn coverage_plot_has_a_track_per_clone_and_the_gene_map() {
        let a = vec![1000f32; 166];
        let mut b = a.clone();
        for v in &mut b[85..135] {
            *v = 700.0;
        }
        let rows = [
            CoverageRow {
                clone: "c1",
                verdict: Verdict::Pass,
                bins: &a,
            },
            CoverageRow {
                clone: "c2",
                verdict: Verdict::Fail,
                bins: &b,
            },
            CoverageRow {
                clone: "c<3>",
                verdict: Verdict::Inconclusive,
                bins: &a,
            },
        ];
        let s = coverage_plot(&rows, Some(100.0));
        assert_eq!(s.matches("<g data-clone=").count(), 3);
        assert!(s.contains("data-clone=\"c&lt;3&gt;\""));
        assert!(s.contains(">ND5<") && s.contains(">CO1<") && s.contains("D-loop"));
        assert!(s.contains("median of the plate"));
        assert!(s.contains("policy minimum mean depth (100x)"));
        assert!(s.contains("0–1,000x"));
    }

    /// The box of every `<text>` of an SVG that is not rotated: (text, x0, x1, y0, y1),
    /// from its position, anchor and class, its width estimated as the layout does
    /// ([`text_width`], generous) and its height from the class's font size.
    pub(crate) fn text_boxes(svg: &str) -> Vec<(String, f64, f64, f64, f64)> {
        let attr = |tag: &str, name: &str| -> Option<String> {
            let pat = format!(" {name}=\"");
            let i = tag.find(&pat)? + pat.len();
            Some(tag[i..].split('"').next()?.to_string())
        };
        let mut out = Vec::new();
        let mut rest = svg;
        while let Some(i) = rest.find("<text ") {
            let after = &rest[i..];
            let open_end = after.find('>').unwrap();
            let tag = &after[..open_end];
            let close = after.find("</text>").unwrap();
            let mut inner = after[open_end + 1..close].to_string();
            rest = &after[close..];
            if tag.contains("transform=") {
                continue;
            }
            // Drop tooltips, then any other markup.
            while let (Some(a), Some(b)) = (inner.find("<title>"), inner.find("</title>")) {
                inner.replace_range(a..b + 8, "");
            }
            let mut text = String::new();
            let mut in_tag = false;
            for ch in inner.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            let text = text
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            let px = match attr(tag, "class").as_deref() {
                Some("lab") => 12.0,
                Some("val") => 11.5,
                Some("note") => 13.5,
                Some("gene") => 10.0,
                Some("cell") => 11.0,
                _ => 10.5,
            };
            let bold = tag.contains("font-weight");
            let x: f64 = attr(tag, "x").unwrap().parse().unwrap();
            let y: f64 = attr(tag, "y").unwrap().parse().unwrap();
            let w = text_width(&text, px, bold);
            let x0 = match attr(tag, "text-anchor").as_deref() {
                Some("end") => x - w,
                Some("middle") => x - w / 2.0,
                _ => x,
            };
            out.push((text, x0, x0 + w, y - 0.8 * px, y + 0.25 * px));
        }
        out
    }

    /// Pairs of text boxes that overlap.
    pub(crate) fn overlapping(boxes: &[(String, f64, f64, f64, f64)]) -> Vec<(String, String)> {
        let mut bad = Vec::new();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                let ox = a.2.min(b.2) - a.1.max(b.1);
                let oy = a.4.min(b.4) - a.3.max(b.3);
                if ox > 0.0 && oy > 0.0 {
                    bad.push((a.0.clone(), b.0.clone()));
                }
            }
        }
        bad
    }

    #[test]
    fn coverage_labels_never_overlap_even_when_crowded() {
        const L: f64 = 168.0;
        let check = |rows: &[CoverageRow], what: &str| {
            let s = coverage_plot(rows, Some(500.0));
            let boxes = text_boxes(&s);
            assert!(boxes.len() > rows.len(), "{what}: {} labels", boxes.len());
            let bad = overlapping(&boxes);
            assert!(bad.is_empty(), "{what}: overlapping labels {bad:?}");
            for (t, x0, x1, _, _) in &boxes {
                assert!(
                    *x0 >= 0.0 && *x1 <= 1120.0,
                    "{what}: {t} outside ({x0}–{x1})"
                );
            }
            // Clone names stay in the left margin, before the tracks.
            for r in rows {
                let shown = boxes
                    .iter()
                    .find(|b| {
                        let stem: String = r.clone.chars().take(3).collect();
                        b.0.starts_with(&stem) && b.1 == 22.0
                    })
                    .unwrap_or_else(|| panic!("{what}: no label for {}", r.clone));
                assert!(
                    shown.2 <= L - 4.0,
                    "{what}: {} runs into the track",
                    shown.0
                );
            }
            // The shared scale's 0 is said once.
            assert_eq!(s.matches(">0</text>").count(), 1, "{what}");
        };
        // The unit-test fixture's three clones.
        let calls = super::super::fixture::calls();
        let rows: Vec<CoverageRow> = calls
            .calls
            .summaries
            .iter()
            .map(|x| CoverageRow {
                clone: &x.sample,
                verdict: Verdict::Pass,
                bins: &x.coverage_bins,
            })
            .collect();
        check(&rows, "fixture");
        // Crowded: 40 clones, long and wide names, a five-digit depth scale.
        let deep = vec![123_456f32; 166];
        let names: Vec<String> = (0..40)
            .map(|i| match i % 4 {
                0 => format!("WWWWWWWWWWWWWWWWWWWWWWWW-{i}"),
                1 => format!("klon-ü-øæå-東京-細胞株-{i}"),
                2 => format!("iPSC_line_A_clone_{i:03}_p12_rep1"),
                _ => format!("c{i}"),
            })
            .collect();
        let rows: Vec<CoverageRow> = names
            .iter()
            .enumerate()
            .map(|(i, n)| CoverageRow {
                clone: n,
                verdict: [Verdict::Pass, Verdict::Fail, Verdict::Inconclusive][i % 3],
                bins: &deep,
            })
            .collect();
        check(&rows, "crowded");
    }

    fn cell(af: f64, called: bool, filters: &[&str]) -> HeatCell {
        HeatCell {
            af,
            lo: af * 0.9,
            hi: af * 1.1,
            depth: 1000,
            alt: (af * 1000.0) as u32,
            called,
            genotype: "heteroplasmic",
            filters: filters.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn heatmap_marks_filtered_pathogenic_and_artefacts() {
        let cols = vec![
            HeatColumn {
                name: "m.3243A>G".into(),
                locus: "MT-TL1".into(),
                pathogenic: Some("MELAS".into()),
                artefact: None,
                cells: vec![cell(0.43, true, &[]), cell(0.001, false, &[])],
            },
            HeatColumn {
                name: "m.302A>C".into(),
                locus: "MT-DLOOP".into(),
                pathogenic: None,
                artefact: Some("homopolymer".into()),
                cells: vec![cell(0.03, true, &["strand_bias"]), cell(0.0, false, &[])],
            },
        ];
        let s = heatmap(&[("x", Verdict::Fail), ("y", Verdict::Pass)], &cols, 2);
        assert!(s.starts_with("<svg data-plot=\"heatmap\""));
        assert_eq!(s.matches("<g data-clone=").count(), 2);
        assert_eq!(
            s.matches("fill=\"url(#ms-hm-hatch)\"").count(),
            1 + 1,
            "one cell + legend"
        );
        assert!(s.contains("class=\"lab path\""));
        assert!(s.contains("m.302A&gt;C†"));
        assert!(s.contains("filtered: strand_bias"));
        assert!(s.contains("2 further variant(s) not shown"));
        assert!(s.contains(">43%<"));
        // The legend's items (and every other upright label) keep clear of each other.
        let bad = overlapping(&text_boxes(&s));
        assert!(bad.is_empty(), "overlapping labels {bad:?}");
    }

    #[test]
    fn deletion_panel_says_when_detection_did_not_run_and_draws_arcs() {
        let clones = [("c1", Verdict::Pass), ("c6", Verdict::Fail)];
        let none = deletion_panel(&clones, None, 0.01);
        assert!(none.starts_with("<svg data-plot=\"deletions\""));
        assert!(none.contains("no large-deletion results in this run (deletion detection not run)"));
        assert!(!none.contains("data-deletion"));
        let empty = deletion_panel(&clones, Some(&[]), 0.01);
        assert!(empty.contains("no large deletion found in any of the 2 clones"));
        let del = |clone: &str, af: f64, called: bool, verdict: Verdict| DeletionResult {
            clone: clone.into(),
            name: "m.8470_13446del".into(),
            start: 8470,
            end: 13446,
            af,
            af_lo: (af - 0.02).max(0.0),
            af_hi: af + 0.02,
            upper_bound: af + 0.015,
            called,
            coverage_ratio: Some(if af > 0.0 { 0.7 } else { 1.0 }),
            verdict,
        };
        let dels = vec![
            del("c1", 0.0, false, Verdict::Pass),
            del("c6", 0.3, true, Verdict::Fail),
        ];
        let s = deletion_panel(&clones, Some(&dels), 0.01);
        assert_eq!(s.matches("<g data-clone=").count(), 2, "a row per clone");
        assert_eq!(s.matches("data-deletion=\"m.8470_13446del\"").count(), 2);
        assert!(s.contains(" 0 0 1 "), "an arc");
        assert!(s.contains("m.8470_13446del · 30% [28%–32%]"));
        assert!(s.contains("m.8470_13446del · not found (&lt; 1.5%)<"));
        assert!(s.contains("4,977 bp"));
        assert!(!s.contains("deletion detection not run"));
    }

    #[test]
    fn icons_and_bullets_are_well_formed() {
        for v in [Verdict::Pass, Verdict::Inconclusive, Verdict::Fail] {
            let s = verdict_icon(v, 16);
            assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
            assert!(s.contains(verdict_colour(v)));
        }
        let b = bullet(0.0042, 0.05, Verdict::Pass);
        assert!(b.contains(BLUE) && b.contains(VERMILLION));
    }
}
