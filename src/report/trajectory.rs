//! The passage panel of the report (`mitosieve track`): per clone, the fraction of
//! each tracked variant against the passage, with its interval, the policy maximum
//! and the drift allowance, and a table of the tests.

use super::html::{svg_markup, verdict_badge, Text};
use super::plots::{verdict_class, BLUE, GREEN, ORANGE, PURPLE, SKY, VERMILLION};
use super::svg::{n1, nice_ticks, pct, pct_tick, thousands, Linear, Svg};
use crate::select::Selection;
use crate::track::{CloneTrack, Flag, PassageKind, TrackSet, Trajectory, TrajectoryPoint};
use maud::{html, Markup};

const INK: &str = "#1d2433";
const GRID: &str = "#e3e6ec";

/// Series colours (Okabe–Ito; vermillion is kept for the policy maximum).
const SERIES: [&str; 6] = [BLUE, PURPLE, ORANGE, SKY, GREEN, INK];

/// Most variants drawn in one clone's plot (all are in the table and in track.tsv).
const MAX_SERIES: usize = 8;

fn flag_text(f: Flag) -> &'static str {
    match f {
        Flag::DriftUp => "↑ drift up",
        Flag::DriftDown => "↓ drift down",
        Flag::Fluctuating => "fluctuating",
        Flag::Stable => "stable",
        Flag::CrossedLimit => "crossed max",
        Flag::NewVariant => "new",
    }
}

fn flags_text(t: &Trajectory) -> String {
    if t.flags.is_empty() {
        return "one passage".into();
    }
    t.flags
        .iter()
        .map(|f| flag_text(*f))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn alarming(t: &Trajectory) -> bool {
    t.exceeds_drift_limit
        || t.flags.iter().any(|f| {
            matches!(
                f,
                Flag::DriftUp | Flag::CrossedLimit | Flag::NewVariant | Flag::Fluctuating
            )
        })
}

fn p_text(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

/// The variants drawn in a clone's plot: targets, then flagged ones, then the rest.
fn shown(c: &CloneTrack) -> Vec<&Trajectory> {
    let mut v: Vec<&Trajectory> = c.trajectories.iter().collect();
    v.sort_by_key(|t| (!t.target, !alarming(t)));
    v.truncate(MAX_SERIES);
    v
}

/// Whether a trajectory is a screened target of the policy, the only kind drawn against
/// a maximum and a drift allowance.
fn screened(t: &Trajectory) -> bool {
    t.target && t.max_load.is_some()
}

/// Which variants a panel of the trajectory plot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PanelKind {
    /// Screened targets: drawn with their policy maximum and drift allowance.
    Targets,
    /// Everything else: no maximum applies, none is drawn.
    Others,
}

/// Labels at the right of a panel, one per series at the height of its last point,
/// pushed apart so that two never come closer than `gap` and kept within `lo..=hi`
/// (when they cannot all fit, the gap wins over the range).
fn place_labels(mut labels: Vec<(f64, usize)>, gap: f64, lo: f64, hi: f64) -> Vec<(f64, usize)> {
    labels.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut prev = f64::NEG_INFINITY;
    for l in labels.iter_mut() {
        l.0 = l.0.max(lo).max(prev + gap);
        prev = l.0;
    }
    // Pull back up from the bottom when the last ran past it.
    let mut next = f64::INFINITY;
    for l in labels.iter_mut().rev() {
        l.0 = l.0.min(hi).min(next - gap);
        next = l.0;
    }
    // Never above the top: then the gap wins (panels are sized so that it does not
    // happen).
    let mut prev = f64::NEG_INFINITY;
    for l in labels.iter_mut() {
        l.0 = l.0.max(lo).max(prev + gap);
        prev = l.0;
    }
    labels
}

/// Vertical room between two right-hand labels (a name and its flags line).
const LABEL_GAP: f64 = 26.0;

/// Layout of a trajectory plot: width, left margin (fraction axis), right margin
/// (series labels), the title band above each panel and the gap between panels.
const TRAJ_W: f64 = 600.0;
const TRAJ_L: f64 = 52.0;
const TRAJ_R: f64 = 178.0;
const PANEL_TITLE: f64 = 18.0;
const PANEL_GAP: f64 = 16.0;

/// One clone's trajectory plot, as its parts draw it.
struct Plot<'a> {
    clone: &'a CloneTrack,
    set: &'a TrackSet,
    /// The variants drawn ([`shown`]); a series' colour and offset follow its index.
    series: Vec<&'a Trajectory>,
    /// The passage axis.
    x: Linear,
}

/// One panel of a trajectory plot.
struct Panel<'a> {
    kind: PanelKind,
    /// Indices into [`Plot::series`].
    ks: &'a [usize],
    top: f64,
    bottom: f64,
    /// The last panel carries the passage labels and the axis title.
    last: bool,
    /// The fraction axis.
    y: Linear,
    /// Its highest tick (nothing is drawn above).
    top_tick: f64,
}

/// One clone's trajectory plot: fraction (linear) against the passage axis. Screened
/// targets and other variants are drawn in separate panels, each on its own scale:
/// the policy maximum (dashed, shaded above) and each target's drift allowance
/// (dotted) are drawn in the targets' panel only, so that no other variant is ever
/// read against a maximum that does not apply to it.
pub(crate) fn trajectory_plot(c: &CloneTrack, set: &TrackSet) -> String {
    const W: f64 = TRAJ_W;
    let series = shown(c);
    let targets: Vec<usize> = (0..series.len()).filter(|&k| screened(series[k])).collect();
    let others: Vec<usize> = (0..series.len())
        .filter(|&k| !screened(series[k]))
        .collect();
    let mut panels: Vec<(PanelKind, Vec<usize>)> = Vec::new();
    if !targets.is_empty() || others.is_empty() {
        panels.push((PanelKind::Targets, targets));
    }
    if !others.is_empty() {
        panels.push((PanelKind::Others, others));
    }
    let two = panels.len() > 1;
    // Panel heights: room for every right-hand label.
    let heights: Vec<f64> = panels
        .iter()
        .map(|(_, ks)| {
            let base: f64 = if two { 130.0 } else { 190.0 };
            base.max(LABEL_GAP * ks.len() as f64 + 24.0)
        })
        .collect();
    let h = 6.0
        + heights.iter().map(|p| PANEL_TITLE + p).sum::<f64>()
        + PANEL_GAP * (panels.len() as f64 - 1.0)
        + 40.0;
    let plot = Plot {
        clone: c,
        set,
        x: passage_axis(c),
        series,
    };
    let mut s = Svg::new();
    s.el("svg")
        .attr("data-plot", "trajectory")
        .attr("data-clone", &c.clone)
        .attr("viewBox", format!("0 0 {W} {}", n1(h)))
        .attr("width", W)
        .attr("height", h)
        .attr("role", "img")
        .attr(
            "aria-label",
            format!("heteroplasmy across passages of {}", c.clone),
        )
        .open();
    let mut top_y = 6.0;
    for (pi, ((kind, ks), ph)) in panels.iter().zip(&heights).enumerate() {
        let top = top_y + PANEL_TITLE;
        let bottom = top + ph;
        let ymax = plot.fraction_max(*kind, ks);
        let ticks = nice_ticks(ymax.min(1.0), if two { 3 } else { 4 });
        let top_tick = ticks.last().copied().unwrap_or(1.0);
        let panel = Panel {
            kind: *kind,
            ks,
            top,
            bottom,
            last: pi + 1 == panels.len(),
            y: Linear::new((0.0, top_tick), (bottom, top)),
            top_tick,
        };
        plot.panel(&mut s, &panel, &ticks);
        top_y = bottom + PANEL_GAP;
    }
    s.finish()
}

/// The passage axis of a clone's plot, padded by 7% on each side.
fn passage_axis(c: &CloneTrack) -> Linear {
    let xs: Vec<f64> = c.passages.iter().map(|p| p.x).collect();
    let (mut x0, mut x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    if !x0.is_finite() || x1 <= x0 {
        x0 -= 1.0;
        x1 = x0 + 2.0;
    }
    let pad = (x1 - x0) * 0.07;
    Linear::new((x0 - pad, x1 + pad), (TRAJ_L, TRAJ_W - TRAJ_R))
}

impl Plot<'_> {
    /// The highest fraction a panel must show: every interval, and 1.3 times the
    /// maxima of screened targets (at least 2%).
    fn fraction_max(&self, kind: PanelKind, ks: &[usize]) -> f64 {
        let mut ymax: f64 = 0.02;
        for &k in ks {
            let t = self.series[k];
            for p in t.points.iter().filter(|p| p.depth > 0) {
                ymax = ymax.max(p.af_ci.hi);
            }
            if let (PanelKind::Targets, Some(m)) = (kind, t.max_load) {
                ymax = ymax.max(m * 1.3);
            }
        }
        ymax
    }

    /// One panel (a `<g data-panel>`): its axes, maxima, series and their labels, and
    /// under the last one the axis title.
    fn panel(&self, s: &mut Svg, p: &Panel, ticks: &[f64]) {
        const W: f64 = TRAJ_W;
        const L: f64 = TRAJ_L;
        const R: f64 = TRAJ_R;
        s.group()
            .attr(
                "data-panel",
                match p.kind {
                    PanelKind::Targets => "targets",
                    PanelKind::Others => "others",
                },
            )
            .open();
        self.axes(s, p, ticks);
        // Policy maxima of the screened targets, shaded above: in their panel only.
        if matches!(p.kind, PanelKind::Targets) {
            self.maxima(s, p);
        }
        if self.series.is_empty() {
            s.text((L + W - R) / 2.0, (p.top + p.bottom) / 2.0)
                .attr("class", "note")
                .attr("text-anchor", "middle")
                .text("nothing called at any passage");
        }
        let labels: Vec<(f64, usize)> =
            p.ks.iter()
                .filter_map(|&k| self.series_marks(s, p, k).map(|y| (y, k)))
                .collect();
        self.labels(s, p, labels);
        s.close();
        if p.last {
            s.text((L + W - R) / 2.0, p.bottom + 32.0)
                .attr("class", "tick")
                .attr("text-anchor", "middle")
                .text(match self.set.axis {
                    PassageKind::Number => "passage",
                    PassageKind::Date => "date of passage (spaced by days)",
                });
        }
    }

    /// A panel's title, fraction axis and passage grid (the passage labels, thinned
    /// when crowded, under the last panel only).
    fn axes(&self, s: &mut Svg, p: &Panel, ticks: &[f64]) {
        const W: f64 = TRAJ_W;
        const L: f64 = TRAJ_L;
        const R: f64 = TRAJ_R;
        s.text(L, p.top - 6.0)
            .attr("class", "tick")
            .attr("font-weight", "600")
            .text(match p.kind {
                PanelKind::Targets => "Screened targets: maximum and allowed drift apply",
                PanelKind::Others => "Other variants: no maximum applies",
            });
        for t in ticks {
            let yt = p.y.at(*t);
            s.line(L, W - R, yt, yt).attr("stroke", GRID);
            s.text(L - 6.0, yt + 3.5)
                .attr("class", "tick")
                .attr("text-anchor", "end")
                .text(&pct_tick(*t));
        }
        let passages = &self.clone.passages;
        let every = (passages.len() as f64 / 8.0).ceil().max(1.0) as usize;
        for (k, pass) in passages.iter().enumerate() {
            let xp = self.x.at(pass.x);
            s.line(xp, xp, p.top, p.bottom + 4.0).attr("stroke", GRID);
            if p.last && (k % every == 0 || k + 1 == passages.len()) {
                s.text(xp, p.bottom + 17.0)
                    .attr("class", "tick")
                    .attr("text-anchor", "middle")
                    .open();
                s.content(&pass.passage.label);
                s.title(&format!(
                    "{}: {}x mean usable depth",
                    pass.sample,
                    thousands(pass.mean_depth.round() as u64)
                ));
                s.close();
            }
        }
    }

    /// The policy maxima of a targets' panel, each shaded above (`<g data-max>`).
    fn maxima(&self, s: &mut Svg, p: &Panel) {
        const W: f64 = TRAJ_W;
        const L: f64 = TRAJ_L;
        const R: f64 = TRAJ_R;
        let mut maxima: Vec<f64> =
            p.ks.iter()
                .filter_map(|&k| self.series[k].max_load)
                .collect();
        maxima.sort_by(f64::total_cmp);
        maxima.dedup();
        for mx in &maxima {
            if *mx > p.top_tick {
                continue;
            }
            let ym = p.y.at(*mx);
            s.group().attr("data-max", mx.to_string()).open();
            s.rect(L, p.top, W - R - L, ym - p.top)
                .attr("fill", VERMILLION)
                .attr("fill-opacity", "0.07");
            s.line(L, W - R, ym, ym)
                .attr("stroke", VERMILLION)
                .attr("stroke-width", "1.6")
                .attr("stroke-dasharray", "5 3");
            s.text(L + 4.0, ym - 4.0)
                .attr("class", "thr")
                .text(&format!("max {}", pct(*mx)));
            s.close();
        }
    }

    /// Series `k` (a `<g data-variant>`): its drift allowance (screened targets), line
    /// and points with intervals. Returns the height of its last point, where its
    /// label goes (`None`: no passage with reads).
    fn series_marks(&self, s: &mut Svg, p: &Panel, k: usize) -> Option<f64> {
        let t = self.series[k];
        let col = SERIES[k % SERIES.len()];
        let dx = (k as f64 - (self.series.len() as f64 - 1.0) / 2.0) * 3.0;
        let flags: Vec<&str> = t.flags.iter().map(|f| f.as_str()).collect();
        s.group()
            .attr("data-variant", &t.variant)
            .attr("data-flags", flags.join(" "))
            .open();
        s.title(&format!(
            "{} in {}: {}{}",
            t.variant,
            self.clone.clone,
            flags_text(t),
            t.overall.as_ref().map_or_else(String::new, |o| format!(
                "; {} → {}: {:+.1} points, p = {}",
                o.from,
                o.to,
                o.change * 100.0,
                p_text(o.p_value)
            ))
        ));
        let covered: Vec<&TrajectoryPoint> = t.points.iter().filter(|p| p.depth > 0).collect();
        // The drift allowance of a screened target: first passage + max_increase.
        if let (PanelKind::Targets, Some(first), Some(last)) =
            (p.kind, covered.first(), covered.last())
        {
            let allowed = self.set.policy.drift.max_increase;
            let ya = first.af + allowed;
            if ya <= p.top_tick && covered.len() > 1 {
                s.line(
                    self.x.at(first.x),
                    self.x.at(last.x),
                    p.y.at(ya),
                    p.y.at(ya),
                )
                .attr("stroke", col)
                .attr("stroke-width", "1")
                .attr("stroke-dasharray", "1 3")
                .attr("data-allowance", ya.to_string())
                .open();
                s.title(&format!(
                    "{}: allowed drift, {} + {:.1} points",
                    t.variant,
                    pct(first.af),
                    allowed * 100.0
                ));
                s.close();
            }
        }
        if covered.len() > 1 {
            let pts: Vec<String> = covered
                .iter()
                .map(|q| format!("{},{}", n1(self.x.at(q.x) + dx), n1(p.y.at(q.af))))
                .collect();
            s.el("polyline")
                .attr("points", pts.join(" "))
                .attr("fill", "none")
                .attr("stroke", col)
                .attr("stroke-width", if alarming(t) { "2.2" } else { "1.5" });
        }
        for q in &covered {
            self.point(s, p, t, q, (col, dx));
        }
        s.close();
        covered.last().map(|last| p.y.at(last.af))
    }

    /// One passage of a series (a `<g data-passage>`): the interval with its caps and
    /// the point (filled when called), drawn `dx` off the passage in colour `col`.
    fn point(
        &self,
        s: &mut Svg,
        p: &Panel,
        t: &Trajectory,
        q: &TrajectoryPoint,
        (col, dx): (&str, f64),
    ) {
        let (xp, lo, hi) = (
            self.x.at(q.x) + dx,
            p.y.at(q.af_ci.lo),
            p.y.at(q.af_ci.hi.min(p.top_tick)),
        );
        s.group().attr("data-passage", &q.passage).open();
        s.title(&format!(
            "{} at {}: {} ({:.0}% CI {}–{}), {} of {} usable reads, {}",
            t.variant,
            q.passage,
            pct(q.af),
            self.set.confidence * 100.0,
            pct(q.af_ci.lo),
            pct(q.af_ci.hi),
            thousands(u64::from(q.alt_count)),
            thousands(u64::from(q.depth)),
            if q.called {
                "called".to_string()
            } else if q.filters.is_empty() {
                "not called".to_string()
            } else {
                format!("not called ({})", q.filters.join(", "))
            }
        ));
        for (x1, x2, y1, y2) in [
            (xp, xp, lo, hi),
            (xp - 3.0, xp + 3.0, lo, lo),
            (xp - 3.0, xp + 3.0, hi, hi),
        ] {
            s.line(x1, x2, y1, y2)
                .attr("stroke", col)
                .attr("stroke-width", "1.2");
        }
        s.circle(xp, p.y.at(q.af), "4")
            .attr("fill", if q.called { col } else { "#fff" })
            .attr("stroke", col)
            .attr("stroke-width", "1.5");
        s.close();
    }

    /// The series' names and flags at the right, within the panel, never overlapping.
    fn labels(&self, s: &mut Svg, p: &Panel, labels: Vec<(f64, usize)>) {
        let x = TRAJ_W - TRAJ_R + 10.0;
        let placed = place_labels(
            labels,
            LABEL_GAP,
            p.top + 8.0,
            p.bottom - 12.0 + if p.last { 12.0 } else { 0.0 },
        );
        for (yy, k) in placed {
            let t = self.series[k];
            s.text(x, yy)
                .attr("class", "lab")
                .attr_opt("font-weight", alarming(t).then_some("700"))
                .attr("fill", SERIES[k % SERIES.len()])
                .open();
            s.content(&t.variant);
            s.el("tspan")
                .attr("x", x)
                .attr("dy", "12")
                .attr("class", "tick")
                .text(&flags_text(t));
            s.close();
        }
    }
}

/// The passage section of `report.html`: one card per tracked clone.
pub(crate) fn trajectory_section(sel: &Selection, set: &TrackSet) -> Markup {
    let conf = format!("{:.0}", set.confidence * 100.0);
    let allow = format!("{:.1}", set.policy.drift.max_increase * 100.0);
    html! {
        section id="passages" {
            h2 { span class="n" { "1b" } "Heteroplasmy across passages" }
            p class="sub" {
                "Each clone's screened targets and heteroplasmies at every passage: point (filled where called), whisker "
                (conf) "% interval. "
                "Screened targets are drawn in their own panel with the policy maximum (dashed red line and shading) and the drift allowed from the first passage (dotted, +"
                (allow) " points); "
                "other variants in a panel of their own, on their own scale, without a maximum (none applies to them). "
                "Tests: likelihood ratio, beta-binomial with over-dispersion ≥ " (format!("{:.0e}", set.config.overdispersion))
                ", first → last at α = " (set.config.alpha.to_string()) "; DRIFT_UP / DRIFT_DOWN when significant, "
                "FLUCTUATING when only a step between consecutive passages is, else STABLE. "
                "A screened target that rose by more than " (allow) " points with a significant test fails the clone (drift rule). "
                "Verdicts are those of each clone's last passage. Slopes are " (unit(set.axis)) "; all numbers are in track.tsv."
            }
            div class="cards" { @for c in &set.clones { (trajectory_card(sel, set, c)) } }
        }
    }
}

/// How slopes are measured along the passage axis.
fn unit(axis: PassageKind) -> &'static str {
    match axis {
        PassageKind::Number => "per passage",
        PassageKind::Date => "per day",
    }
}

/// A tracked clone's card: its verdict, trajectory plot and table of tests.
fn trajectory_card(sel: &Selection, set: &TrackSet, c: &CloneTrack) -> Markup {
    let verdict = sel
        .clones
        .iter()
        .find(|v| v.clone == c.clone)
        .map(|v| v.verdict);
    let drift = c
        .trajectories
        .iter()
        .filter(|t| t.exceeds_drift_limit)
        .count();
    let name = Text(&c.clone);
    html! {
        article class={ "card v-" (verdict.map_or("pass", verdict_class)) } data-clone=(name) {
            header {
                span class="cname" { (name) }
                @if let Some(v) = verdict { (verdict_badge(v)) }
                span class="meta" {
                    (c.passages.len()) " passage" @if c.passages.len() != 1 { "s" }
                    " · " (c.trajectories.len()) " tracked"
                    @if drift > 0 { " · " (drift) " over the drift limit" }
                }
            }
            div class="plot" { (svg_markup(trajectory_plot(c, set))) }
            @if !c.trajectories.is_empty() {
                div class="tablewrap" { table class="verdicts" data-plot="trajectory-table" {
                    thead { tr {
                        th scope="col" { "Variant · flags" }
                        th scope="col" { "Fraction by passage" }
                        th scope="col" class="r" { "First → last (p) · slope" }
                    } }
                    tbody { @for t in &c.trajectories { (trajectory_row(t, set.axis)) } }
                } }
            }
            @if c.trajectories.len() > MAX_SERIES {
                p class="fine" { (MAX_SERIES) " variants drawn of " (c.trajectories.len()) "; all are in the table." }
            }
        }
    }
}

/// A variant's row in a tracked clone's table: flags, fraction at each passage, the
/// first → last test and the slope.
fn trajectory_row(t: &Trajectory, axis: PassageKind) -> Markup {
    let class = if t.exceeds_drift_limit {
        "v-fail"
    } else if alarming(t) {
        "v-inc"
    } else {
        "v-pass"
    };
    let flags: Vec<&str> = t.flags.iter().map(|f| f.as_str()).collect();
    let flags = flags.join(" ");
    let variant = Text(&t.variant);
    html! {
        tr class=(class) data-variant=(variant) data-flags=(flags) {
            td {
                b { (variant) } @if t.target { " (target)" } br;
                small {
                    @if flags.is_empty() { "one passage" } @else { (flags) }
                    @if t.exceeds_drift_limit { " · " b { "drift rule" } }
                }
            }
            td {
                @for (k, p) in t.points.iter().enumerate() {
                    @if k > 0 { " → " }
                    @if p.depth == 0 { "–" } @else if p.called { b { (pct(p.af)) } } @else { (pct(p.af)) }
                }
            }
            td class="num" {
                @match &t.overall {
                    Some(o) => (format!("{:+.1} points (p {})", o.change * 100.0, p_text(o.p_value))),
                    None => "–",
                }
                br;
                small {
                    @match t.slope {
                        Some(v) => (format!("{:+.2} points {}", v * 100.0, unit(axis))),
                        None => "–",
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, HOSTILE};
    use super::super::render_html_with_track;
    use crate::call::Genotype;
    use crate::select::{apply_track, Policy, Verdict};
    use crate::track::{
        Change, CloneTrack, Flag, Passage, PassageInfo, PassageKind, TrackConfig, TrackSet,
        Trajectory, TrajectoryPoint,
    };

    fn point(label: &str, x: f64, alt: u32) -> TrajectoryPoint {
        let af = f64::from(alt) / 2000.0;
        TrajectoryPoint {
            passage: label.into(),
            x,
            depth: 2000,
            alt_count: alt,
            af,
            af_ci: crate::model::clopper_pearson(u64::from(alt), 2000, 0.95),
            genotype: if alt > 10 {
                Genotype::Het
            } else {
                Genotype::Ref
            },
            filters: vec![],
            called: alt > 10,
        }
    }

    fn trajectory(clone: &str, alts: [u32; 3], flags: Vec<Flag>, p: f64) -> Trajectory {
        let points: Vec<TrajectoryPoint> = ["5", "10", "15"]
            .iter()
            .zip(alts)
            .enumerate()
            .map(|(i, (l, a))| point(l, 5.0 * (i + 1) as f64, a))
            .collect();
        let change = points[2].af - points[0].af;
        Trajectory {
            clone: clone.into(),
            variant: "m.3243A>G".into(),
            pos: crate::Position::new(3243).unwrap(),
            ref_allele: "A".into(),
            alt_allele: "G".into(),
            locus: "MT-TL1".into(),
            target: true,
            max_load: Some(0.05),
            overdispersion: 1e-3,
            points,
            overall: Some(Change {
                from: "5".into(),
                to: "15".into(),
                change,
                p_value: p,
            }),
            steps: vec![],
            slope: Some(change / 10.0),
            slope_se: Some(0.001),
            exceeds_drift_limit: change > 0.02 && p <= 0.01,
            flags,
        }
    }

    fn track_of(clones: Vec<(String, Vec<Trajectory>)>) -> TrackSet {
        TrackSet {
            mitosieve_version: crate::VERSION.into(),
            command_line: String::new(),
            config: TrackConfig::default(),
            policy: Policy::default(),
            axis: PassageKind::Number,
            confidence: 0.95,
            call_config: Default::default(),
            catalogue: String::new(),
            clones: clones
                .into_iter()
                .map(|(clone, trajectories)| CloneTrack {
                    passages: ["5", "10", "15"]
                        .iter()
                        .map(|l| {
                            let passage = Passage::parse(l).unwrap();
                            PassageInfo {
                                x: passage.value,
                                sample: format!("{clone}@{l}"),
                                passage,
                                mean_depth: 2000.0,
                            }
                        })
                        .collect(),
                    clone,
                    trajectories,
                })
                .collect(),
        }
    }

    #[test]
    fn the_drift_rule_fails_a_clone_and_the_panel_shows_every_clone() {
        let calls = fixture::calls();
        let mut sel = fixture::selection(&calls);
        let names = fixture::names();
        let track = track_of(vec![
            (
                names[0].clone(),
                vec![trajectory(&names[0], [40, 41, 43], vec![Flag::Stable], 0.8)],
            ),
            (
                names[1].clone(),
                vec![trajectory(
                    &names[1],
                    [20, 60, 160],
                    vec![Flag::DriftUp, Flag::CrossedLimit],
                    1e-11,
                )],
            ),
            (names[2].clone(), vec![]),
        ]);
        let before = sel.clone();
        apply_track(&mut sel, &track, &Policy::default()).unwrap();
        let hostile = sel.clones.iter().find(|c| c.clone == HOSTILE).unwrap();
        assert_eq!(hostile.verdict, Verdict::Fail);
        assert_eq!(hostile.rank, None);
        assert!(hostile.reasons[0].starts_with("drift: m.3243A>G rose from 1.0% to 8.0%"));
        // Verdicts only get worse; the PASS clones are ranked 1, 2, ... again.
        for (a, b) in before.clones.iter().zip(&sel.clones) {
            assert!(b.verdict >= a.verdict);
        }
        let mut ranks: Vec<usize> = sel.clones.iter().filter_map(|c| c.rank).collect();
        ranks.sort();
        assert_eq!(ranks, (1..=ranks.len()).collect::<Vec<_>>());
        let stable = sel.clones.iter().find(|c| c.clone == names[0]).unwrap();
        assert!(stable
            .reasons
            .iter()
            .any(|r| r.starts_with("all tracked targets within the allowed drift")));
        // The page: one trajectory plot per clone, the hostile name escaped.
        let html = render_html_with_track(&sel, &calls, &track);
        assert_eq!(html.matches("data-plot=\"trajectory\"").count(), 3);
        assert!(html.contains("id=\"passages\"") && html.contains("href=\"#passages\""));
        assert!(!html.contains(HOSTILE));
        assert!(html.contains("data-flags=\"DRIFT_UP CROSSED_LIMIT\""));
        // Without a track, no passage section.
        assert!(!super::super::render_html(&sel, &calls).contains("id=\"passages\""));
    }

    /// The part of a trajectory plot inside `<g data-panel="kind">`.
    fn panel<'a>(svg: &'a str, kind: &str) -> Option<&'a str> {
        let start = svg.find(&format!("<g data-panel=\"{kind}\">"))?;
        let rest = &svg[start..];
        let end = rest[1..]
            .find("<g data-panel=")
            .map_or(rest.len(), |e| e + 1);
        Some(&rest[..end])
    }

    #[test]
    fn only_screened_targets_are_drawn_against_the_maximum() {
        let mut other = trajectory(
            "mixed",
            [0, 2, 102],
            vec![Flag::DriftUp, Flag::NewVariant],
            1e-14,
        );
        other.variant = "m.5460G>A".into();
        other.target = false;
        other.max_load = None;
        let target = trajectory("mixed", [40, 41, 43], vec![Flag::Stable], 0.8);
        let mut alone = other.clone();
        alone.clone = "others".into();
        let track = track_of(vec![
            ("mixed".into(), vec![target, other]),
            ("others".into(), vec![alone]),
        ]);
        // A target and another variant: two panels, the maximum and the drift
        // allowance in the targets' panel only.
        let svg = super::trajectory_plot(&track.clones[0], &track);
        let t = panel(&svg, "targets").expect("targets panel");
        let o = panel(&svg, "others").expect("others panel");
        assert!(t.contains("data-max=\"0.05\"") && t.contains("max 5%"));
        assert!(t.contains("data-allowance="));
        assert!(t.contains("data-variant=\"m.3243A&gt;G\""));
        assert!(!t.contains("m.5460G&gt;A"));
        assert!(o.contains("data-variant=\"m.5460G&gt;A\""));
        for thing in ["data-max", "data-allowance", "max 5%", "m.3243A&gt;G"] {
            assert!(!o.contains(thing), "{thing} in the others' panel");
        }
        assert!(o.contains("no maximum applies"));
        // Only other variants: no maximum anywhere.
        let svg = super::trajectory_plot(&track.clones[1], &track);
        assert!(panel(&svg, "targets").is_none());
        assert!(panel(&svg, "others").is_some());
        assert!(!svg.contains("data-max") && !svg.contains("data-allowance"));
        // The page says which panel is which.
        let calls = fixture::calls();
        let sel = fixture::selection(&calls);
        let html = render_html_with_track(&sel, &calls, &track);
        assert!(html.contains("without a maximum (none applies to them)"));
    }

    #[test]
    fn right_hand_labels_keep_their_distance() {
        // Eight series ending at the same fraction, in a panel with room for them.
        let placed = super::place_labels((0..8).map(|k| (100.0, k)).collect(), 26.0, 30.0, 260.0);
        assert_eq!(placed.len(), 8);
        for w in placed.windows(2) {
            assert!(w[1].0 - w[0].0 >= 26.0 - 1e-9, "{placed:?}");
        }
        assert!(
            placed.iter().all(|p| (30.0..=260.0).contains(&p.0)),
            "{placed:?}"
        );
        // Labels near the bottom are pulled up, not pushed out.
        let placed =
            super::place_labels(vec![(255.0, 0), (258.0, 1), (259.0, 2)], 26.0, 30.0, 260.0);
        assert!(placed.iter().all(|p| p.0 <= 260.0), "{placed:?}");
        assert!(
            placed[2].0 - placed[1].0 >= 26.0 - 1e-9 && placed[1].0 - placed[0].0 >= 26.0 - 1e-9
        );
    }

    #[test]
    fn a_track_of_other_clones_is_refused() {
        let calls = fixture::calls();
        let mut sel = fixture::selection(&calls);
        let track = track_of(vec![("nope".into(), vec![])]);
        let e = apply_track(&mut sel, &track, &Policy::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope"), "{e}");
    }
}
