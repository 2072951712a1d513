//! The passage panel of the report (`mitosieve track`): per clone, the fraction of
//! each tracked variant against the passage, with its interval, the policy maximum
//! and the drift allowance, and a table of the tests.

use super::plots::{verdict_class, verdict_icon, BLUE, GREEN, ORANGE, PURPLE, SKY, VERMILLION};
use super::svg::{esc, n1, nice_ticks, pct, pct_tick, thousands, Linear};
use crate::select::{Selection, Verdict};
use crate::track::{CloneTrack, Flag, PassageKind, TrackSet, Trajectory};
use std::fmt::Write as _;

macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

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

/// One clone's trajectory plot: fraction (linear) against the passage axis.
pub(crate) fn trajectory_plot(c: &CloneTrack, set: &TrackSet) -> String {
    const W: f64 = 600.0;
    const L: f64 = 52.0;
    const R: f64 = 178.0;
    const TOP: f64 = 14.0;
    const PH: f64 = 190.0;
    let h = TOP + PH + 44.0;
    let series = shown(c);
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
    let x = Linear::new((x0 - pad, x1 + pad), (L, W - R));
    let mut ymax: f64 = 0.02;
    for t in &series {
        for p in t.points.iter().filter(|p| p.depth > 0) {
            ymax = ymax.max(p.af_ci.hi);
        }
        if let Some(m) = t.max_load {
            ymax = ymax.max(m * 1.3);
        }
    }
    let ticks = nice_ticks(ymax.min(1.0), 4);
    let top = ticks.last().copied().unwrap_or(1.0);
    let y = Linear::new((0.0, top), (TOP + PH, TOP));
    let mut s = String::new();
    w!(
        s,
        "<svg data-plot=\"trajectory\" data-clone=\"{}\" viewBox=\"0 0 {W} {}\" width=\"{W}\" height=\"{}\" role=\"img\" aria-label=\"heteroplasmy across passages of {}\">",
        esc(&c.clone),
        n1(h),
        n1(h),
        esc(&c.clone)
    );
    // Fraction axis.
    for t in &ticks {
        let yt = y.at(*t);
        w!(
            s,
            "<line x1=\"{L}\" x2=\"{x2}\" y1=\"{yl}\" y2=\"{yl}\" stroke=\"{GRID}\"/><text x=\"{xt}\" y=\"{ytx}\" class=\"tick\" text-anchor=\"end\">{label}</text>",
            x2 = n1(W - R),
            yl = n1(yt),
            xt = L - 6.0,
            ytx = n1(yt + 3.5),
            label = pct_tick(*t)
        );
    }
    // Passage axis: one tick per passage (labels thinned when crowded).
    let every = (c.passages.len() as f64 / 8.0).ceil().max(1.0) as usize;
    for (k, p) in c.passages.iter().enumerate() {
        let xp = x.at(p.x);
        w!(
            s,
            "<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{GRID}\"/>",
            n1(xp),
            TOP,
            n1(TOP + PH + 4.0)
        );
        if k % every == 0 || k + 1 == c.passages.len() {
            w!(
                s,
                "<text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{}<title>{}: {}x mean usable depth</title></text>",
                n1(xp),
                n1(TOP + PH + 17.0),
                esc(&p.passage.label),
                esc(&p.sample),
                thousands(p.mean_depth.round() as u64)
            );
        }
    }
    w!(
        s,
        "<text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{}</text>",
        n1((L + W - R) / 2.0),
        n1(h - 6.0),
        match set.axis {
            PassageKind::Number => "passage",
            PassageKind::Date => "date of passage (spaced by days)",
        }
    );
    // Policy maxima of the targets, shaded above.
    let mut maxima: Vec<f64> = series.iter().filter_map(|t| t.max_load).collect();
    maxima.sort_by(f64::total_cmp);
    maxima.dedup();
    for m in &maxima {
        if *m > top {
            continue;
        }
        let ym = y.at(*m);
        w!(
            s,
            "<g data-max=\"{m}\"><rect x=\"{L}\" y=\"{TOP}\" width=\"{rw}\" height=\"{rh}\" fill=\"{VERMILLION}\" fill-opacity=\"0.07\"/>\
             <line x1=\"{L}\" x2=\"{x2}\" y1=\"{yl}\" y2=\"{yl}\" stroke=\"{VERMILLION}\" stroke-width=\"1.6\" stroke-dasharray=\"5 3\"/>\
             <text x=\"{xt}\" y=\"{yt}\" class=\"thr\">max {label}</text></g>",
            rw = n1(W - R - L),
            rh = n1(ym - TOP),
            x2 = n1(W - R),
            yl = n1(ym),
            xt = n1(L + 4.0),
            yt = n1(ym - 4.0),
            label = pct(*m)
        );
    }
    if series.is_empty() {
        w!(
            s,
            "<text x=\"{}\" y=\"{}\" class=\"note\" text-anchor=\"middle\">nothing called at any passage</text>",
            n1((L + W - R) / 2.0),
            n1(TOP + PH / 2.0)
        );
    }
    let allowed = set.policy.drift.max_increase;
    let m = series.len() as f64;
    let mut labels: Vec<(f64, usize)> = Vec::new();
    for (k, t) in series.iter().enumerate() {
        let col = SERIES[k % SERIES.len()];
        let dx = (k as f64 - (m - 1.0) / 2.0) * 3.0;
        let flags: Vec<&str> = t.flags.iter().map(|f| f.as_str()).collect();
        w!(
            s,
            "<g data-variant=\"{}\" data-flags=\"{}\"><title>{} in {}: {}{}</title>",
            esc(&t.variant),
            flags.join(" "),
            esc(&t.variant),
            esc(&c.clone),
            esc(&flags_text(t)),
            t.overall.as_ref().map_or_else(String::new, |o| format!(
                "; {} → {}: {:+.1} points, p = {}",
                o.from,
                o.to,
                o.change * 100.0,
                p_text(o.p_value)
            ))
        );
        let covered: Vec<_> = t.points.iter().filter(|p| p.depth > 0).collect();
        // The drift allowance of a target: first passage + max_increase.
        if let (true, Some(first), Some(last)) = (t.target, covered.first(), covered.last()) {
            let ya = first.af + allowed;
            if ya <= top && covered.len() > 1 {
                w!(
                    s,
                    "<line x1=\"{x1}\" x2=\"{x2}\" y1=\"{yl}\" y2=\"{yl}\" stroke=\"{col}\" stroke-width=\"1\" stroke-dasharray=\"1 3\" data-allowance=\"{ya}\"><title>{name}: allowed drift, {from} + {pts:.1} points</title></line>",
                    x1 = n1(x.at(first.x)),
                    x2 = n1(x.at(last.x)),
                    yl = n1(y.at(ya)),
                    name = esc(&t.variant),
                    from = pct(first.af),
                    pts = allowed * 100.0
                );
            }
        }
        if covered.len() > 1 {
            let pts: Vec<String> = covered
                .iter()
                .map(|p| format!("{},{}", n1(x.at(p.x) + dx), n1(y.at(p.af))))
                .collect();
            w!(
                s,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{col}\" stroke-width=\"{}\"/>",
                pts.join(" "),
                if alarming(t) { "2.2" } else { "1.5" }
            );
        }
        for p in &covered {
            let (xp, lo, hi) = (x.at(p.x) + dx, y.at(p.af_ci.lo), y.at(p.af_ci.hi.min(top)));
            w!(
                s,
                "<g data-passage=\"{label}\"><title>{name} at {label}: {af} ({conf:.0}% CI {lo_t}–{hi_t}), {alt} of {depth} usable reads, {status}</title>\
                 <line x1=\"{xp}\" x2=\"{xp}\" y1=\"{lo}\" y2=\"{hi}\" stroke=\"{col}\" stroke-width=\"1.2\"/>\
                 <line x1=\"{c0}\" x2=\"{c1}\" y1=\"{lo}\" y2=\"{lo}\" stroke=\"{col}\" stroke-width=\"1.2\"/>\
                 <line x1=\"{c0}\" x2=\"{c1}\" y1=\"{hi}\" y2=\"{hi}\" stroke=\"{col}\" stroke-width=\"1.2\"/>\
                 <circle cx=\"{xp}\" cy=\"{yp}\" r=\"4\" fill=\"{fill}\" stroke=\"{col}\" stroke-width=\"1.5\"/></g>",
                label = esc(&p.passage),
                name = esc(&t.variant),
                af = pct(p.af),
                conf = set.confidence * 100.0,
                lo_t = pct(p.af_ci.lo),
                hi_t = pct(p.af_ci.hi),
                alt = thousands(u64::from(p.alt_count)),
                depth = thousands(u64::from(p.depth)),
                status = esc(&if p.called {
                    "called".to_string()
                } else if p.filters.is_empty() {
                    "not called".to_string()
                } else {
                    format!("not called ({})", p.filters.join(", "))
                }),
                xp = n1(xp),
                lo = n1(lo),
                hi = n1(hi),
                c0 = n1(xp - 3.0),
                c1 = n1(xp + 3.0),
                yp = n1(y.at(p.af)),
                fill = if p.called { col } else { "#fff" },
            );
        }
        s.push_str("</g>");
        if let Some(last) = covered.last() {
            labels.push((y.at(last.af), k));
        }
    }
    // Labels at the right, pushed apart so that they never overlap.
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    let gap = 26.0;
    let mut placed: Vec<(f64, usize)> = Vec::new();
    for (yl, k) in labels {
        let yy = placed
            .last()
            .map_or(yl.max(TOP + 8.0), |(prev, _)| yl.max(prev + gap));
        placed.push((yy, k));
    }
    // Shift everything up if the last label ran off the bottom.
    let bottom = TOP + PH + 30.0;
    if let Some(&(last, _)) = placed.last() {
        if last > bottom {
            let shift = last - bottom;
            for p in &mut placed {
                p.0 -= shift;
            }
        }
    }
    for (yy, k) in placed {
        let t = series[k];
        let col = SERIES[k % SERIES.len()];
        let weight = if alarming(t) {
            " font-weight=\"700\""
        } else {
            ""
        };
        w!(
            s,
            "<text x=\"{}\" y=\"{}\" class=\"lab\"{weight} fill=\"{col}\">{}<tspan x=\"{0}\" dy=\"12\" class=\"tick\">{}</tspan></text>",
            n1(W - R + 10.0),
            n1(yy),
            esc(&t.variant),
            esc(&flags_text(t))
        );
    }
    s.push_str("</svg>");
    s
}

fn badge(v: Verdict) -> String {
    format!(
        "<span class=\"badge {}\">{}{}</span>",
        verdict_class(v),
        verdict_icon(v, 15),
        v.as_str()
    )
}

/// The passage section of `report.html`: one card per tracked clone.
pub(crate) fn trajectory_section(s: &mut String, sel: &Selection, set: &TrackSet) {
    let unit = match set.axis {
        PassageKind::Number => "per passage",
        PassageKind::Date => "per day",
    };
    w!(
        s,
        "<section id=\"passages\"><h2><span class=\"n\">1b</span>Heteroplasmy across passages</h2>\
         <p class=\"sub\">Each clone's screened targets and heteroplasmies at every passage: point (filled where called), whisker {conf:.0}% interval, \
         dashed red line and shading the policy maximum, dotted line the drift allowed from the first passage (+{allow:.1} points). \
         Tests: likelihood ratio, beta-binomial with over-dispersion ≥ {rho:.0e}, first → last at α = {alpha}; DRIFT_UP / DRIFT_DOWN when significant, \
         FLUCTUATING when only a step between consecutive passages is, else STABLE. \
         A screened target that rose by more than {allow:.1} points with a significant test fails the clone (drift rule). \
         Verdicts are those of each clone's last passage. Slopes are {unit}; all numbers are in track.tsv.</p><div class=\"cards\">",
        conf = set.confidence * 100.0,
        allow = set.policy.drift.max_increase * 100.0,
        rho = set.config.overdispersion,
        alpha = set.config.alpha
    );
    for c in &set.clones {
        let verdict = sel
            .clones
            .iter()
            .find(|v| v.clone == c.clone)
            .map(|v| v.verdict);
        w!(
            s,
            "<article class=\"card v-{}\" data-clone=\"{}\"><header><span class=\"cname\">{}</span>{}",
            verdict.map_or("pass", verdict_class),
            esc(&c.clone),
            esc(&c.clone),
            verdict.map(badge).unwrap_or_default()
        );
        let drift = c
            .trajectories
            .iter()
            .filter(|t| t.exceeds_drift_limit)
            .count();
        w!(
            s,
            "<span class=\"meta\">{} passage{} · {} tracked{}</span></header><div class=\"plot\">{}</div>",
            c.passages.len(),
            if c.passages.len() == 1 { "" } else { "s" },
            c.trajectories.len(),
            if drift > 0 {
                format!(" · {drift} over the drift limit")
            } else {
                String::new()
            },
            trajectory_plot(c, set)
        );
        if !c.trajectories.is_empty() {
            s.push_str(
                "<div class=\"tablewrap\"><table class=\"verdicts\" data-plot=\"trajectory-table\"><thead><tr>\
                 <th scope=\"col\">Variant · flags</th><th scope=\"col\">Fraction by passage</th>\
                 <th scope=\"col\" class=\"r\">First → last (p) · slope</th></tr></thead><tbody>",
            );
            for t in &c.trajectories {
                let path: Vec<String> = t
                    .points
                    .iter()
                    .map(|p| {
                        if p.depth == 0 {
                            "–".into()
                        } else if p.called {
                            format!("<b>{}</b>", pct(p.af))
                        } else {
                            pct(p.af)
                        }
                    })
                    .collect();
                let class = if t.exceeds_drift_limit {
                    "v-fail"
                } else if alarming(t) {
                    "v-inc"
                } else {
                    "v-pass"
                };
                let flags: Vec<&str> = t.flags.iter().map(|f| f.as_str()).collect();
                w!(
                    s,
                    "<tr class=\"{class}\" data-variant=\"{}\" data-flags=\"{}\"><td><b>{}</b>{}<br><small>{}{}</small></td><td>{}</td><td class=\"num\">{}<br><small>{}</small></td></tr>",
                    esc(&t.variant),
                    flags.join(" "),
                    esc(&t.variant),
                    if t.target { " (target)" } else { "" },
                    if flags.is_empty() {
                        "one passage".to_string()
                    } else {
                        flags.join(" ")
                    },
                    if t.exceeds_drift_limit {
                        " · <b>drift rule</b>"
                    } else {
                        ""
                    },
                    path.join(" → "),
                    t.overall.as_ref().map_or_else(|| "–".into(), |o| format!(
                        "{:+.1} points (p {})",
                        o.change * 100.0,
                        p_text(o.p_value)
                    )),
                    t.slope.map_or_else(|| "–".into(), |v| format!(
                        "{:+.2} points {}",
                        v * 100.0,
                        match set.axis {
                            PassageKind::Number => "per passage",
                            PassageKind::Date => "per day",
                        }
                    )),
                );
            }
            s.push_str("</tbody></table></div>");
        }
        if c.trajectories.len() > MAX_SERIES {
            w!(
                s,
                "<p class=\"fine\">{} variants drawn of {}; all are in the table.</p>",
                MAX_SERIES,
                c.trajectories.len()
            );
        }
        s.push_str("</article>");
    }
    s.push_str("</div></section>\n");
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
