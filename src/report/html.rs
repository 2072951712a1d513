//! Assembly of `report.html`: the page, its CSS and its one small script. The HTML is
//! written as maud templates (`html!`), which escape every value spliced into them;
//! the plots are SVG from [`super::svg::Svg`] (escaped there) and go in as
//! [`PreEscaped`] markup.

use super::deletions_of;
use super::plots::{
    bullet, coverage_plot, deletion_panel, heatmap, target_load_legend, target_load_plot,
    verdict_class, verdict_icon, CoverageRow, HeatCell, HeatColumn,
};
use super::svg::{group_digits, pct, thousands};
use crate::call::{percent, CallReport, Genotype, Variant};
use crate::select::{
    tally, CloneVerdict, DeletionLoad, Finding, Reason, Selection, TargetLoad, TargetSet, Verdict,
};
use maud::{html, Markup, PreEscaped, Render, DOCTYPE};
use std::collections::{BTreeMap, BTreeSet};

/// Most variant columns the heatmap shows (pathogenic and passing calls first).
const MAX_HEATMAP_COLUMNS: usize = 120;

/// The Content-Security-Policy of the page: nothing may be fetched, from anywhere.
/// Inline styles and the inline sorting script are allowed; images only as `data:`.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// Text from the data (clone and variant names, reasons, command lines, paths) for the
/// templates: maud escapes it like any spliced value; control characters, which HTML
/// forbids, become U+FFFD first (as in the SVG).
pub(super) struct Text<'a>(pub &'a str);

impl Render for Text<'_> {
    fn render_to(&self, buffer: &mut String) {
        let forbidden = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
        if self.0.contains(forbidden) {
            self.0.replace(forbidden, "\u{FFFD}").render_to(buffer);
        } else {
            self.0.render_to(buffer);
        }
    }
}

/// SVG made by [`super::svg::Svg`] (which escaped its text), spliced in as it is.
pub(super) fn svg_markup(markup: String) -> PreEscaped<String> {
    PreEscaped(markup)
}

/// `""` or `"s"` after a count of `n`.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A percentage without decimals (`95` for 0.95), as the confidence is written.
fn conf_pct(confidence: f64) -> String {
    format!("{:.0}", confidence * 100.0)
}

/// Render `report.html` for a selection and the calls it was made from: one
/// self-contained page (inline CSS and SVG, no external resource of any kind).
///
/// ```no_run
/// use mitosieve::select::{select, Policy};
/// let calls = mitosieve::call::read_report("calls/calls.json".as_ref())?;
/// let sel = select(&calls, &Policy::default(), None)?;
/// let html = mitosieve::report::render_html(&sel, &calls);
/// assert!(html.contains("data-plot=\"heatmap\""));
/// # Ok::<(), mitosieve::Error>(())
/// ```
pub fn render_html(sel: &Selection, calls: &CallReport) -> String {
    render_page(sel, calls, None)
}

/// [`render_html`] with the passages of `mitosieve track`: a section "Heteroplasmy
/// across passages" after the verdicts, with each clone's trajectory plot
/// (`<svg data-plot="trajectory">`) and its tests.
///
/// ```no_run
/// # fn demo(sel: &mitosieve::select::Selection, calls: &mitosieve::call::CallReport,
/// #         track: &mitosieve::track::TrackSet) {
/// let html = mitosieve::report::render_html_with_track(sel, calls, track);
/// assert!(html.contains("data-plot=\"trajectory\""));
/// # }
/// ```
pub fn render_html_with_track(
    sel: &Selection,
    calls: &CallReport,
    track: &crate::track::TrackSet,
) -> String {
    render_page(sel, calls, Some(track))
}

fn render_page(
    sel: &Selection,
    calls: &CallReport,
    track: Option<&crate::track::TrackSet>,
) -> String {
    let counts = tally(sel);
    let n = sel.clones.len();
    let [n_pass, n_inc, n_fail] =
        ["PASS", "INCONCLUSIVE", "FAIL"].map(|v| counts.get(v).copied().unwrap_or(0));
    let version = Text(&sel.mitosieve_version);
    let page = html! {
        (DOCTYPE) "\n"
        html lang="en" {
            "\n"
            head {
                "\n"
                meta charset="utf-8"; "\n"
                meta name="viewport" content="width=device-width, initial-scale=1"; "\n"
                meta http-equiv="Content-Security-Policy" content=(CSP); "\n"
                meta name="generator" content={ "mitosieve " (version) }; "\n"
                title { "mitosieve clone selection: " (n) " clone" (plural(n)) ", " (n_pass) " PASS" } "\n"
                style { (PreEscaped(CSS)) } "\n"
            }
            "\n"
            body {
                "\n"
                (masthead(sel, calls, [n_pass, n_inc, n_fail])) "\n"
                nav class="toc wrap" aria-label="sections" {
                    a href="#verdicts" { "Verdicts" }
                    @if track.is_some() { a href="#passages" { "Passages" } }
                    a href="#targets" { "Target load" }
                    a href="#coverage" { "Coverage" }
                    a href="#heteroplasmy" { "Heteroplasmies" }
                    a href="#deletions" { "Deletions" }
                    a href="#policy" { "Policy & provenance" }
                }
                "\n"
                main class="wrap" {
                    "\n"
                    (verdict_section(sel)) "\n"
                    @if let Some(t) = track { (super::trajectory::trajectory_section(sel, t)) "\n" }
                    (target_section(sel)) "\n"
                    (coverage_section(sel, calls)) "\n"
                    (heatmap_section(sel, calls)) "\n"
                    (deletion_section(sel, calls)) "\n"
                    (policy_section(sel, calls)) "\n"
                }
                "\n"
                footer class="wrap" {
                    "Made by mitosieve " (version) ". This page is self-contained: no external resource, no network request (Content-Security-Policy "
                    code { "default-src 'none'" }
                    "). The same numbers are in selection.tsv, selection.json and calls.json."
                }
                "\n"
                script { (PreEscaped(SCRIPT)) } "\n"
            }
            "\n"
        }
        "\n"
    };
    page.into_string()
}

/// A verdict as a coloured badge: icon and word.
pub(super) fn verdict_badge(v: Verdict) -> Markup {
    html! {
        span class={ "badge " (verdict_class(v)) } { (svg_markup(verdict_icon(v, 15))) (v.as_str()) }
    }
}

/// Number of screened targets, from the calls and the policy.
fn screened_targets(sel: &Selection, calls: &CallReport) -> usize {
    let names: BTreeSet<&str> = calls
        .calls
        .targets
        .iter()
        .map(|t| t.target.as_str())
        .filter(|t| sel.policy.includes(t))
        .collect();
    names.len()
}

fn masthead(sel: &Selection, calls: &CallReport, [p, i, f]: [usize; 3]) -> Markup {
    let n = sel.clones.len();
    let targets = screened_targets(sel, calls);
    let which = match &sel.policy.targets.include {
        TargetSet::All(_) => "pathogenic targets of the catalogue",
        TargetSet::List(_) => "listed pathogenic targets",
    };
    let own = sel.policy.targets.max_load_for.len();
    let mut ranked: Vec<&CloneVerdict> = sel.clones.iter().filter(|c| c.rank.is_some()).collect();
    ranked.sort_by_key(|c| c.rank);
    html! {
        header class="masthead" { div class="wrap" {
            div class="kicker" {
                "mitosieve " (Text(&sel.mitosieve_version)) " · mtDNA heteroplasmy screen of stem-cell clones"
            }
            h1 { "Clone selection report" }
            p class="lede" {
                (n) " clone" (plural(n)) " screened for " (targets) " " (which) " at "
                (conf_pct(sel.confidence)) "% confidence; maximum load " (pct(sel.policy.targets.max_load))
                @if own > 0 { " (own maximum for " (own) ")" }
                ", large deletions below " (pct(sel.policy.deletions.max_load))
                ", mean usable depth at least " (thousands(sel.policy.coverage.min_mean_depth.round() as u64))
                "x over " (pct(sel.policy.coverage.min_breadth)) " of the genome."
            }
            div class="tiles" {
                div class="tile" data-count="clones" {
                    span class="num" { (n) } span class="lbl" { "clones" }
                }
                @for (v, k) in [(Verdict::Pass, p), (Verdict::Inconclusive, i), (Verdict::Fail, f)] {
                    div class={ "tile t-" (verdict_class(v)) } data-count=(v.as_str()) {
                        (svg_markup(verdict_icon(v, 22)))
                        span class="num" { (k) } span class="lbl" { (v.as_str()) }
                    }
                }
            }
            @if ranked.is_empty() {
                p class="best" {
                    "No clone passed: none may be expanded on this evidence."
                    @if i > 0 { " " (i) " INCONCLUSIVE clone" (plural(i)) " may pass with more data (see the reasons)." }
                }
            } @else {
                p class="best" {
                    "Ranked for expansion: "
                    @for (k, c) in ranked.iter().take(8).enumerate() {
                        @if k > 0 { " · " }
                        b { (c.rank.unwrap_or(0)) "." } (PreEscaped("&nbsp;"))
                        span class="cname" { (Text(&c.clone)) }
                    }
                    @if ranked.len() > 8 { " · and " (ranked.len() - 8) " more" }
                }
            }
        } }
    }
}

fn verdict_order(v: Verdict) -> u8 {
    match v {
        Verdict::Pass => 0,
        Verdict::Inconclusive => 1,
        Verdict::Fail => 2,
    }
}

/// What a clone's "worst item" cell shows: the item that decided the verdict.
#[derive(Debug)]
enum WorstItem<'a> {
    /// A screened target (for a PASS: the one with the highest upper bound).
    Target(&'a TargetLoad),
    /// A large deletion.
    Deletion(&'a DeletionLoad),
    /// A rule that is not a load (coverage, identity, mixture, drift, …), with the
    /// reason that states it.
    Rule {
        name: String,
        verdict: Verdict,
        reason: &'a str,
    },
    /// Nothing to show (no target screened and nothing failed).
    Nothing,
}

/// The short name of the rule behind a reason (its data, not its wording).
fn rule_name(r: &Reason) -> String {
    match r.finding {
        Finding::MeanDepth { .. } => "coverage rule (mean depth)".into(),
        Finding::Breadth { .. } => "coverage rule (breadth)".into(),
        Finding::NoTargetScreened => "no target screened".into(),
        Finding::DeletionsNotAssessed => "deletions not assessed".into(),
        _ => r.rule.label().into(),
    }
}

/// Whether reason `i` of a clone decided its FAIL or INCONCLUSIVE (rather than a note of
/// what held, a warning or information).
fn decisive(c: &CloneVerdict, i: usize) -> bool {
    c.verdict != Verdict::Pass && c.decisions.get(i).is_some_and(|r| r.outcome.is_decisive())
}

/// The item that decided a clone's verdict: for a FAIL (INCONCLUSIVE) clone the
/// failing (straddling) target with the highest upper bound, else such a deletion,
/// else the first rule among its reasons; for a PASS clone the target with the highest
/// upper bound.
fn worst_item(c: &CloneVerdict) -> WorstItem<'_> {
    let by_bound = |a: &f64, b: &f64| a.total_cmp(b);
    if c.verdict == Verdict::Pass {
        let named = c
            .worst_target
            .as_ref()
            .and_then(|w| c.targets.iter().find(|t| &t.target == w));
        return named
            .or_else(|| {
                c.targets
                    .iter()
                    .max_by(|a, b| by_bound(&a.upper_bound, &b.upper_bound))
            })
            .map_or(WorstItem::Nothing, WorstItem::Target);
    }
    if let Some(t) = c
        .targets
        .iter()
        .filter(|t| t.verdict == c.verdict)
        .max_by(|a, b| by_bound(&a.upper_bound, &b.upper_bound))
    {
        return WorstItem::Target(t);
    }
    if let Some(d) = c
        .deletions
        .iter()
        .filter(|d| d.verdict == c.verdict)
        .max_by(|a, b| by_bound(&a.upper_bound, &b.upper_bound))
    {
        return WorstItem::Deletion(d);
    }
    match (0..c.reasons.len()).find(|&i| decisive(c, i)) {
        Some(i) => WorstItem::Rule {
            name: rule_name(&c.decisions[i]),
            verdict: c.verdict,
            reason: &c.reasons[i],
        },
        None => WorstItem::Nothing,
    }
}

/// The sort key of a worst item: its verdict first, then how far its upper bound lies
/// from its maximum (a rule sorts after every load of its verdict).
fn worst_key(item: &WorstItem) -> f64 {
    let ratio = |ub: f64, max: f64| {
        if max > 0.0 {
            (ub / max).clamp(0.0, 99.0)
        } else {
            99.0
        }
    };
    match item {
        WorstItem::Target(t) => {
            100.0 * f64::from(verdict_order(t.verdict)) + ratio(t.upper_bound, t.max_load)
        }
        WorstItem::Deletion(d) => {
            100.0 * f64::from(verdict_order(d.verdict)) + ratio(d.upper_bound, d.max_load)
        }
        WorstItem::Rule { verdict, .. } => 100.0 * f64::from(verdict_order(*verdict)) + 99.5,
        WorstItem::Nothing => -1.0,
    }
}

/// The load of a target or deletion, labelled: the fraction with its interval, then
/// "upper bound" and "max" spelled out, so that the bound is never read as the load.
/// Percentages are written as the reasons write them, so that the two read alike.
#[allow(clippy::too_many_arguments)]
fn load_cell(
    kind: &str,
    name: &str,
    (af, lo, hi): (f64, f64, f64),
    upper_bound: f64,
    max: f64,
    status: &str,
    verdict: Verdict,
    conf: f64,
) -> Markup {
    let conf = format!("{conf:.0}");
    let word = match verdict {
        Verdict::Pass => "below max",
        Verdict::Inconclusive => "straddles max",
        Verdict::Fail => "exceeds max",
    };
    html! {
        span class="t" { (Text(name)) } " "
        span class={ "vw v-" (verdict_class(verdict)) } { (word) } br;
        span class="load" title={ "observed load and its " (conf) "% interval" } {
            "load " (percent(af)) " " span class="ci" { "[" (percent(lo)) "–" (percent(hi)) "]" }
        }
        br;
        span class="ubl" {
            span class="ub" title={ "one-sided " (conf) "% upper bound of the load" } {
                "upper bound " (percent(upper_bound))
            }
            " " span class="max" { "· max " (percent(max)) }
        }
        br;
        span class="st" { @if !kind.is_empty() { (kind) " · " } (Text(status)) } br;
        (svg_markup(bullet(upper_bound, max, verdict)))
    }
}

/// The "decisive item" cell of a clone's row in the verdict table.
fn worst_cell(c: &CloneVerdict, confidence: f64) -> Markup {
    let item = worst_item(c);
    let (kind, verdict) = match &item {
        WorstItem::Target(t) => ("target", Some(t.verdict)),
        WorstItem::Deletion(d) => ("deletion", Some(d.verdict)),
        WorstItem::Rule { verdict, .. } => ("rule", Some(*verdict)),
        WorstItem::Nothing => ("none", None),
    };
    let content = match &item {
        WorstItem::Target(t) => load_cell(
            "",
            &t.target,
            (t.af, t.af_lo, t.af_hi),
            t.upper_bound,
            t.max_load,
            &format!(
                "{}, {} usable reads",
                t.status.as_str().replace('_', " "),
                thousands(u64::from(t.depth))
            ),
            t.verdict,
            confidence * 100.0,
        ),
        WorstItem::Deletion(d) => load_cell(
            "large deletion",
            &d.name,
            (d.af, d.af_lo, d.af_hi),
            d.upper_bound,
            d.max_load,
            &format!(
                "{}, {} junction reads",
                if d.called { "called" } else { "not called" },
                thousands(u64::from(d.junction_reads))
            ),
            d.verdict,
            confidence * 100.0,
        ),
        WorstItem::Rule {
            name,
            verdict,
            reason,
        } => html! {
            span class={ "rule v-" (verdict_class(*verdict)) } title=(Text(&group_digits(reason))) {
                (svg_markup(verdict_icon(*verdict, 14))) span class="t" { (Text(name)) }
            }
            " "
            span class={ "vw v-" (verdict_class(*verdict)) } {
                @match verdict {
                    Verdict::Fail => "fails",
                    Verdict::Inconclusive => "not settled",
                    Verdict::Pass => "holds",
                }
            }
            br; span class="st" { "see the reason in bold" }
        },
        WorstItem::Nothing => html! { "–" },
    };
    html! {
        td class="worst" data-v=(format!("{:.6}", worst_key(&item))) data-item=(kind)
            data-item-verdict=(verdict.map_or("", Verdict::as_str)) { (content) }
    }
}

fn verdict_section(sel: &Selection) -> Markup {
    let conf = conf_pct(sel.confidence);
    html! {
        section id="verdicts" {
            h2 { span class="n" { "1" } "Verdicts" }
            p class="sub" {
                "PASS: the " (conf) "% upper bound of every screened target is below its maximum and every QC rule holds. "
                "FAIL: a load exceeds its maximum or a rule fails. INCONCLUSIVE: an interval straddles a maximum. "
                "PASS clones are ranked by their highest target upper bound, then by the number of other heteroplasmies, then by depth. "
                b { "Decisive item" }
                ": what decided a FAIL or INCONCLUSIVE (the target, the large deletion or the rule in bold among the reasons); for a PASS, the target with the highest upper bound. "
                "Its " i { "load" } " is the observed fraction with its " (conf) "% interval, its "
                i { "upper bound" } " the one-sided " (conf) "% bound the verdict compares with the " i { "max" } "imum. "
                "Click a column heading to sort."
            }
            div class="tablewrap" { table class="verdicts sortable" data-plot="verdict-table" {
                thead { tr {
                    th data-sort="text" scope="col" { "Clone" }
                    th data-sort="num" scope="col" { "Verdict" }
                    th data-sort="num" scope="col" class="r" { "Rank" }
                    th data-sort="num" scope="col" class="r" { "Mean depth" }
                    th data-sort="num" scope="col" class="r" { "Breadth" }
                    th data-sort="num" scope="col" { "Decisive item" }
                    th scope="col" { "Reasons" }
                } }
                tbody { @for c in &sel.clones { (verdict_row(c, sel.confidence)) } }
            } }
        }
    }
}

/// A clone's row of the verdict table.
fn verdict_row(c: &CloneVerdict, confidence: f64) -> Markup {
    let name = Text(&c.clone);
    html! {
        tr class={ "v-" (verdict_class(c.verdict)) } data-clone=(name) {
            td data-v=(name) { span class="cname" { (name) } }
            td data-v=(verdict_order(c.verdict)) { (verdict_badge(c.verdict)) }
            td class="num" data-v=(c.rank.map_or(1e9, |r| r as f64).to_string()) {
                @match c.rank { Some(r) => (r), None => "–" }
            }
            td class="num" data-v=(format!("{:.3}", c.mean_depth)) {
                (thousands(c.mean_depth.round() as u64)) "x"
            }
            td class="num" data-v=(format!("{:.6}", c.breadth)) {
                (format!("{:.1}", c.breadth * 100.0)) "%"
            }
            (worst_cell(c, confidence))
            td { ul class="reasons" {
                @for (i, r) in c.reasons.iter().enumerate() {
                    li class=(if decisive(c, i) { "decisive" } else { "note" }) {
                        (Text(&group_digits(r)))
                    }
                }
            } }
        }
    }
}

fn target_section(sel: &Selection) -> Markup {
    let conf = conf_pct(sel.confidence);
    html! {
        section id="targets" {
            h2 { span class="n" { "2" } "Target load per clone" }
            p class="sub" {
                "For each clone, the screened pathogenic targets that matter: any with reads for the allele, any that decided the verdict, and the one with the highest upper bound. "
                "Point: observed load; whisker: " (conf) "% interval; bar: one-sided " (conf)
                "% upper bound; dashed line and shading: the policy maximum. Log scale; worst target first. "
                "Hover a row for depth and status."
            }
            (svg_markup(target_load_legend(sel.confidence)))
            div class="cards" { @for c in &sel.clones { (target_card(c, sel.confidence)) } }
        }
    }
}

/// A clone's card in the target section: its target plot and what would settle an
/// INCONCLUSIVE load.
fn target_card(c: &CloneVerdict, confidence: f64) -> Markup {
    let name = Text(&c.clone);
    html! {
        article class={ "card v-" (verdict_class(c.verdict)) } data-clone=(name) {
            header {
                span class="cname" { (name) }
                (verdict_badge(c.verdict))
                @if let Some(r) = c.rank { span class="rank" { "rank " (r) } }
                span class="meta" {
                    (thousands(c.mean_depth.round() as u64)) "x mean depth"
                    // Other heteroplasmies only where there are some (the verdict
                    // table's reasons say the same).
                    @match c.other_heteroplasmies {
                        0 => {},
                        1 => " · 1 other heteroplasmy",
                        n => { " · " (thousands(n as u64)) " other heteroplasmies" },
                    }
                }
            }
            div class="plot" { (svg_markup(target_load_plot(c, confidence))) }
            @for t in c.targets.iter().filter(|t| t.verdict == Verdict::Inconclusive) {
                (settle_note(&t.target, t.af, t.max_load, t.depth_needed, u64::from(t.depth), "usable reads"))
            }
            @for d in c.deletions.iter().filter(|d| d.verdict == Verdict::Inconclusive) {
                (settle_note(&d.name, d.af, d.max_load, d.depth_needed, d.depth, "reads across the breakpoints"))
            }
            @if !c.identity_differences.is_empty() {
                p class="fine" {
                    "Homoplasmic differences from the donor: " (Text(&c.identity_differences.join(", ")))
                }
            }
        }
    }
}

/// The card's note on what would settle an INCONCLUSIVE load: the depth the selection
/// found (`needed`), or, when it found none within practical reach
/// ([`crate::select::PRACTICAL_DEPTH`]), that the load sits on its maximum.
fn settle_note(name: &str, af: f64, max: f64, needed: Option<u64>, now: u64, unit: &str) -> Markup {
    match needed {
        Some(n) => html! {
            p class="fine" data-settle="depth" {
                (Text(name)) ": about " (thousands(n)) " " (unit) " would settle it (now " (thousands(now)) ")."
            }
        },
        None => html! {
            p class="fine" data-settle="impractical" {
                (Text(name)) ": the load (" (percent(af)) ") is at its maximum (" (percent(max))
                "): no practical depth settles it (now " (thousands(now)) " " (unit) ")."
            }
        },
    }
}

fn coverage_section(sel: &Selection, calls: &CallReport) -> Markup {
    let by_name: BTreeMap<&str, &crate::call::SampleSummary> = calls
        .calls
        .summaries
        .iter()
        .map(|x| (x.sample.as_str(), x))
        .collect();
    let rows: Vec<CoverageRow> = sel
        .clones
        .iter()
        .map(|c| CoverageRow {
            clone: &c.clone,
            verdict: c.verdict,
            bins: by_name
                .get(c.clone.as_str())
                .map_or(&[][..], |x| &x.coverage_bins[..]),
        })
        .collect();
    html! {
        section id="coverage" {
            h2 { span class="n" { "3" } "Coverage along the genome" }
            p class="sub" {
                "Mean usable depth in 100-bp bins on rCRS, one track per clone on a shared scale, the plate's median as a dashed line. "
                "A large deletion shows as a dip below the median over the deleted genes; the rCRS gene map is underneath."
            }
            div class="plot" { (svg_markup(coverage_plot(&rows, Some(sel.policy.coverage.min_mean_depth)))) }
        }
    }
}

fn heat_cell(v: &Variant, i: usize) -> Option<HeatCell> {
    let c = v.calls.get(i)?;
    Some(HeatCell {
        af: c.af,
        lo: c.af_ci.lo,
        hi: c.af_ci.hi,
        depth: c.depth,
        alt: c.alt_count,
        called: c.genotype.is_variant(),
        genotype: match c.genotype {
            Genotype::Het => "heteroplasmic",
            Genotype::Hom => "homoplasmic",
            Genotype::Ref => "reference",
            Genotype::NoCall => "no coverage",
        },
        filters: c.filters.clone(),
    })
}

fn heatmap_section(sel: &Selection, calls: &CallReport) -> Markup {
    let set = &calls.calls;
    let index: BTreeMap<&str, usize> = set
        .samples
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let het: Vec<&Variant> = set
        .variants
        .iter()
        .filter(|v| v.calls.iter().any(|c| c.genotype == Genotype::Het))
        .collect();
    // Keep the most important columns when there are too many, then show them by
    // position.
    let mut chosen: Vec<usize> = (0..het.len()).collect();
    if het.len() > MAX_HEATMAP_COLUMNS {
        chosen.sort_by_key(|&k| {
            let v = het[k];
            let passing = v
                .calls
                .iter()
                .any(|c| c.genotype == Genotype::Het && c.filters.is_empty());
            (v.pathogenic.is_none(), !passing, k)
        });
        chosen.truncate(MAX_HEATMAP_COLUMNS);
        chosen.sort_unstable();
    }
    let hidden = het.len() - chosen.len();
    let cols: Vec<HeatColumn> = chosen
        .iter()
        .map(|&k| {
            let v = het[k];
            HeatColumn {
                name: v.name.clone(),
                locus: v.locus.clone(),
                pathogenic: v
                    .pathogenic
                    .as_ref()
                    .map(|t| format!("{} ({})", t.disease, t.class)),
                artefact: v.artefact_site.clone(),
                cells: sel
                    .clones
                    .iter()
                    .map(|c| {
                        index
                            .get(c.clone.as_str())
                            .and_then(|&i| heat_cell(v, i))
                            .unwrap_or(HeatCell {
                                af: 0.0,
                                lo: 0.0,
                                hi: 0.0,
                                depth: 0,
                                alt: 0,
                                called: false,
                                genotype: "no coverage",
                                filters: vec![],
                            })
                    })
                    .collect(),
            }
        })
        .collect();
    let rows: Vec<(&str, Verdict)> = sel
        .clones
        .iter()
        .map(|c| (c.clone.as_str(), c.verdict))
        .collect();
    html! {
        section id="heteroplasmy" {
            h2 { span class="n" { "4" } "Heteroplasmies across clones" }
            p class="sub" {
                "Every variant record with a heteroplasmic call in at least one clone ("
                (thousands(het.len() as u64)) " of " (thousands(set.variants.len() as u64)) " records). "
                "Colour: allele fraction (square-root scale); number: the fraction of a called cell; hatched and italic: the call failed a filter; grey: not called in that clone. "
                "A variant seen in one clone only is specific to that clone; one at similar levels in every clone points to the donor or to the method."
            }
            div class="plot scroll" { (svg_markup(heatmap(&rows, &cols, hidden))) }
        }
    }
}

fn deletion_section(sel: &Selection, calls: &CallReport) -> Markup {
    let rows: Vec<(&str, Verdict)> = sel
        .clones
        .iter()
        .map(|c| (c.clone.as_str(), c.verdict))
        .collect();
    let dels = deletions_of(sel, calls);
    let max = sel.policy.deletions.max_load;
    html! {
        section id="deletions" {
            h2 { span class="n" { "5" } "Large deletions" }
            p class="sub" {
                "Large mtDNA deletions (such as the common deletion m.8470_13446del) per clone as arcs over the genome, with their load and interval; policy maximum "
                (pct(max)) "."
            }
            div class="plot" { (svg_markup(deletion_panel(&rows, dels.as_deref(), max))) }
        }
    }
}

fn pretty_toml<T: serde::Serialize>(v: &T) -> String {
    toml::to_string_pretty(v)
        .or_else(|_| serde_json::to_string_pretty(v))
        .unwrap_or_default()
}

fn policy_section(sel: &Selection, calls: &CallReport) -> Markup {
    let mut profile: Vec<&String> = sel.donor_profile.iter().collect();
    profile.sort_by_key(|v| {
        let digits: String = v
            .trim_start_matches("m.")
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        (digits.parse::<u32>().unwrap_or(u32::MAX), v.as_str())
    });
    let counting = match &calls.count_settings {
        Some(c) => pretty_toml(c),
        None => "(not recorded: the counts came from files of unknown settings)".into(),
    };
    html! {
        section id="policy" {
            h2 { span class="n" { "6" } "Policy, donor and provenance" }
            div class="two" {
                div {
                    h3 { "Policy used (resolved, defaults filled in)" }
                    pre class="code" data-block="policy" { (Text(&sel.policy.to_toml())) }
                }
                div {
                    h3 { "Donor profile" }
                    p class="fine" {
                        (profile.len()) " homoplasmic variant" (plural(profile.len())) "; "
                        (Text(&sel.donor_source)) "."
                    }
                    div class="chips" {
                        @for v in &profile { span class="chip" { (Text(v)) } }
                        @if profile.is_empty() { span class="fine" { "(empty)" } }
                    }
                }
            }
            h3 { "Provenance" }
            (provenance(sel, calls))
            div class="two" {
                div {
                    h3 { "Caller settings" }
                    pre class="code" data-block="caller-settings" { (Text(&pretty_toml(&calls.calls.config))) }
                }
                div {
                    h3 { "Read and base filters" }
                    pre class="code" data-block="count-settings" { (Text(&counting)) }
                }
            }
        }
    }
}

/// The provenance table: versions, command lines, catalogue, contig, inputs.
fn provenance(sel: &Selection, calls: &CallReport) -> Markup {
    let select_cmd = if sel.command_line.is_empty() {
        "(not recorded)".to_string()
    } else if sel.command_line == calls.command_line {
        format!("{} (same run)", sel.command_line)
    } else {
        sel.command_line.clone()
    };
    let inputs = if calls.inputs.is_empty() {
        "(not recorded)".into()
    } else {
        calls.inputs.join("\n")
    };
    let rows: [(&str, String); 8] = [
        ("mitosieve (selection)", sel.mitosieve_version.clone()),
        ("mitosieve (calls)", calls.calls.mitosieve_version.clone()),
        ("call command", calls.command_line.clone()),
        ("select command", select_cmd),
        ("target catalogue", calls.calls.catalogue.clone()),
        ("contig", calls.contig.clone()),
        ("confidence", format!("{}%", conf_pct(sel.confidence))),
        ("inputs", inputs),
    ];
    html! {
        table class="kv" data-block="provenance" { tbody {
            @for (k, v) in &rows {
                tr { th scope="row" { (k) } td { code { (Text(v)) } } }
            }
        } }
    }
}

/// Sort the verdict table by a column (click or Enter on its heading). The table reads
/// in call order without it.
const SCRIPT: &str = r#"(function(){var T=document.querySelectorAll("table.sortable");for(var k=0;k<T.length;k++){(function(t){var hs=t.tHead.rows[0].cells;for(var i=0;i<hs.length;i++){(function(th,i){var kind=th.getAttribute("data-sort");if(!kind)return;th.tabIndex=0;th.title="Sort by this column";var go=function(){var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),asc=th.getAttribute("aria-sort")!=="ascending";for(var j=0;j<hs.length;j++)hs[j].removeAttribute("aria-sort");th.setAttribute("aria-sort",asc?"ascending":"descending");rows.sort(function(a,c){var x=a.cells[i].getAttribute("data-v"),y=c.cells[i].getAttribute("data-v"),d=kind==="num"?parseFloat(x)-parseFloat(y):x.localeCompare(y);return asc?d:-d});rows.forEach(function(r){b.appendChild(r)})};th.addEventListener("click",go);th.addEventListener("keydown",function(e){if(e.key==="Enter"||e.key===" "){e.preventDefault();go()}})})(hs[i],i)}})(T[k])}})();"#;

const CSS: &str = r#"
:root{--ink:#1d2433;--muted:#5b6475;--line:#e3e6ec;--bg:#f3f4f7;--pass:#009E73;--inc:#E69F00;--fail:#D55E00;--blue:#0072B2;--pass-bg:#dff2ea;--inc-bg:#fcefd2;--fail-bg:#fbe3d5;--pass-ink:#00513c;--inc-ink:#6b4a00;--fail-ink:#8a3600}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans","DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
.wrap{max-width:1220px;margin:0 auto;padding:0 24px}
code,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:12.5px}
.masthead{background:#1d2433;color:#fff;padding:26px 0 22px}
.kicker{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#aeb6c6}
h1{font-size:30px;line-height:1.2;margin:6px 0 8px;font-weight:700;letter-spacing:-.01em}
.lede{color:#d5dae4;margin:0 0 18px;max-width:62em}
.tiles{display:flex;gap:12px;flex-wrap:wrap}
.tile{background:rgba(255,255,255,.07);border-radius:10px;padding:10px 18px 10px 14px;min-width:150px;display:flex;align-items:center;gap:10px;border-left:5px solid #8a93a6}
.tile .num{font-size:30px;font-weight:700;font-variant-numeric:tabular-nums;line-height:1}
.tile .lbl{font-size:12px;letter-spacing:.06em;text-transform:uppercase;color:#d5dae4}
.tile.t-pass{border-left-color:var(--pass)}.tile.t-inc{border-left-color:var(--inc)}.tile.t-fail{border-left-color:var(--fail)}
.best{margin:16px 0 0;color:#e9edf4}
.best .cname{font-weight:600}
nav.toc{display:flex;gap:6px 18px;flex-wrap:wrap;padding-top:14px;padding-bottom:2px;font-size:13.5px}
nav.toc a{color:var(--blue);text-decoration:none}
nav.toc a:hover{text-decoration:underline}
section{background:#fff;border:1px solid var(--line);border-radius:12px;padding:20px 24px 22px;margin:16px 0}
h2{font-size:20px;line-height:1.3;margin:0 0 4px}
h2 .n{display:inline-block;min-width:1.6em;color:var(--muted);font-weight:500}
h3{font-size:14px;margin:16px 0 6px;color:var(--ink)}
.sub{color:var(--muted);margin:0 0 14px;font-size:13.5px;max-width:78em}
.fine{color:var(--muted);font-size:12.5px;margin:4px 0}
.tablewrap{overflow-x:auto}
table.verdicts{width:100%;border-collapse:collapse;font-size:14px}
table.verdicts th{text-align:left;font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);border-bottom:2px solid var(--line);padding:8px 10px;white-space:nowrap;vertical-align:bottom;user-select:none}
table.verdicts th.r{text-align:right}
table.verdicts th[data-sort]{cursor:pointer}
table.verdicts th[aria-sort=ascending]::after{content:" \25B2";font-size:9px}
table.verdicts th[aria-sort=descending]::after{content:" \25BC";font-size:9px}
table.verdicts td{padding:10px;border-bottom:1px solid var(--line);vertical-align:top}
table.verdicts tr.v-pass td:first-child{box-shadow:inset 4px 0 0 var(--pass)}
table.verdicts tr.v-inc td:first-child{box-shadow:inset 4px 0 0 var(--inc)}
table.verdicts tr.v-fail td:first-child{box-shadow:inset 4px 0 0 var(--fail)}
table.verdicts td:first-child{padding-left:14px;min-width:8em;max-width:18em}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.cname{font-weight:650;overflow-wrap:anywhere}
.badge{display:inline-flex;align-items:center;gap:5px;font-weight:700;font-size:12px;letter-spacing:.04em;padding:2px 9px 2px 4px;border-radius:999px;white-space:nowrap;vertical-align:middle}
.badge.pass{background:var(--pass-bg);color:var(--pass-ink)}
.badge.inc{background:var(--inc-bg);color:var(--inc-ink)}
.badge.fail{background:var(--fail-bg);color:var(--fail-ink)}
svg.ic{flex:none;display:inline-block;vertical-align:middle}
.worst{font-size:13px;min-width:14.5em;max-width:19em;line-height:1.45}
.worst span{white-space:nowrap}
.worst span.st{white-space:normal}
.worst .t{font-weight:600}
.worst .ub{font-variant-numeric:tabular-nums}
.worst .max,.worst .st,.worst .ci,.worst .kind{color:var(--muted)}
.worst .load{font-variant-numeric:tabular-nums;font-weight:600}
.worst .ci{font-weight:400}
.worst .kind{font-size:11px;text-transform:uppercase;letter-spacing:.04em}
.worst .vw{font-size:11px;font-weight:700;padding:0 7px;border-radius:999px;white-space:nowrap}
.vw.v-pass{background:var(--pass-bg);color:var(--pass-ink)}.vw.v-inc{background:var(--inc-bg);color:var(--inc-ink)}.vw.v-fail{background:var(--fail-bg);color:var(--fail-ink)}
.worst .rule{display:inline-flex;align-items:center;gap:5px}
svg.bullet{margin-top:3px}
ul.reasons{margin:0;padding-left:16px;font-size:13px;color:#3a4253;max-width:46em;min-width:17em}
ul.reasons li{margin:1px 0;overflow-wrap:break-word}
ul.reasons li.note{color:var(--muted)}
ul.reasons li.decisive{color:var(--ink);font-weight:600}
tr.v-pass ul.reasons li.note{color:#3a4253}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(540px,100%),1fr));gap:14px;margin-top:10px}
.card{border:1px solid var(--line);border-top:4px solid var(--pass);border-radius:10px;padding:10px 12px 8px;break-inside:avoid;page-break-inside:avoid;min-width:0}
.card.v-inc{border-top-color:var(--inc)}.card.v-fail{border-top-color:var(--fail)}
.card header{display:flex;align-items:center;gap:10px;flex-wrap:wrap;margin-bottom:4px}
.card header .cname{font-size:15px}
.card .rank{font-size:12px;font-weight:700;color:var(--pass-ink)}
.card .meta{margin-left:auto;font-size:12px;color:var(--muted)}
.plot svg{display:block;max-width:100%;height:auto}
.plot.scroll{overflow-x:auto}
.plot.scroll svg{max-width:none}
svg.legend{display:block;max-width:100%;height:auto}
svg text{font-family:inherit}
svg .tick{font-size:10.5px;fill:var(--muted)}
svg .lab{font-size:12px;fill:var(--ink)}
svg .val{font-size:11.5px;fill:var(--ink);font-variant-numeric:tabular-nums}
svg .ci{fill:var(--muted)}
svg .note{font-size:13.5px;fill:var(--muted);font-style:italic}
svg .thr{font-size:10.5px;fill:var(--fail-ink);font-weight:600}
svg .gene{font-size:10px;fill:var(--ink)}
svg .cell{font-size:11px;font-weight:600;font-variant-numeric:tabular-nums}
svg .path{font-weight:700;fill:var(--fail-ink)}
svg .locus{fill:var(--muted);font-weight:400;font-size:10px}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:10px 28px}
pre.code{background:#f6f7f9;border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin:0;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.45}
.chips{display:flex;flex-wrap:wrap;gap:6px}
.chip{font:12.5px ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;background:#eef2f8;border:1px solid #d6dde8;border-radius:6px;padding:1px 7px}
table.kv{border-collapse:collapse;font-size:13px;width:100%}
table.kv th{text-align:left;font-weight:600;color:var(--muted);padding:5px 14px 5px 0;white-space:nowrap;vertical-align:top;width:13em}
table.kv td{padding:5px 0;border-bottom:1px solid var(--line)}
table.kv td code{white-space:pre-wrap;overflow-wrap:anywhere}
footer{color:var(--muted);font-size:12.5px;padding:6px 24px 30px}
@media (max-width:700px){.cards{grid-template-columns:1fr}.tile{min-width:0}}
@media print{
 body{background:#fff;font-size:10.5pt}
 .wrap{max-width:none;padding:0}
 .masthead{background:#fff;color:var(--ink);border-bottom:2px solid var(--ink);padding:0 0 10px}
 .kicker,.lede,.best,.tile .lbl{color:var(--muted)}
 .tile{background:#fff;border:1px solid var(--line);border-left-width:5px}
 nav.toc{display:none}
 section{border:none;border-radius:0;padding:0;margin:18px 0 0}
 h2{break-after:avoid;page-break-after:avoid}
 tr,.card,svg{break-inside:avoid;page-break-inside:avoid}
 .cards{grid-template-columns:repeat(2,minmax(0,1fr))}
 .plot.scroll{overflow:visible}
 .plot.scroll svg{max-width:100%}
 .tablewrap{overflow:visible}
 table.verdicts{font-size:9pt}
 table.verdicts th,.worst,.worst span{white-space:normal}
 ul.reasons{font-size:8.5pt;min-width:14em}
 table.verdicts th[data-sort]::after{content:none}
}
"#;

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, HOSTILE};
    use super::*;
    use crate::select::{select, Policy};

    /// Text as the page's templates escape it.
    fn esc(s: &str) -> String {
        html! { (s) }.into_string()
    }

    #[test]
    fn page_has_every_section_plot_and_clone() {
        let calls = fixture::calls();
        let sel = fixture::selection(&calls);
        let h = render_html(&sel, &calls);
        assert!(h.starts_with("<!DOCTYPE html>"));
        for p in [
            "verdict-table",
            "target-loads",
            "coverage",
            "heatmap",
            "deletions",
        ] {
            assert!(h.contains(&format!("data-plot=\"{p}\"")), "{p} missing");
        }
        let order: Vec<usize> = [
            "id=\"verdicts\"",
            "id=\"targets\"",
            "id=\"coverage\"",
            "id=\"heteroplasmy\"",
            "id=\"deletions\"",
            "id=\"policy\"",
        ]
        .iter()
        .map(|id| h.find(id).unwrap_or_else(|| panic!("{id}")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "sections in order");
        for name in fixture::names() {
            // Table row and target card (HTML, escaped by maud); the card's plot, the
            // coverage track and the heatmap row (SVG, escaped by the Svg builder, which
            // also writes ' as &#39;).
            let in_html = format!("data-clone=\"{}\"", esc(&name));
            let in_svg = format!("data-clone=\"{}\"", super::super::svg::esc(&name));
            assert!(h.matches(&in_html).count() >= 2, "{name} in the HTML");
            let mut n = h.matches(&in_html).count();
            if in_svg != in_html {
                n += h.matches(&in_svg).count();
            }
            assert!(n >= 5, "{name}: {n}");
        }
        // Counts in the header.
        assert!(h.contains("data-count=\"FAIL\""));
        // The deletion panel: an arc per clone, the called one with its load.
        assert_eq!(
            h.matches("<g data-deletion=").count(),
            3 + 3,
            "panel + cards"
        );
        assert!(h.contains("m.8470_13446del · 30% [27%–33%]"));
        assert!(!h.contains("deletion detection not run"));
        // Policy as TOML, provenance.
        assert!(h.contains("max_load = 0.05"));
        assert!(h.contains("test-catalogue (unit test)"));
        assert!(h.contains("m.263A&gt;G"));
        // The heatmap shows the two heteroplasmic records, not the homoplasmy.
        assert!(h.contains("data-variant=\"m.3243A&gt;G\""));
        assert!(h.contains("data-variant=\"m.302A&gt;C\""));
        assert!(!h.contains("data-variant=\"m.263A&gt;G\""));
    }

    /// The "decisive item" cell of a clone's row in the verdict table.
    fn worst_cell<'a>(h: &'a str, clone: &str) -> &'a str {
        let row = h
            .find(&format!("data-clone=\"{}\"><td", esc(clone)))
            .unwrap_or_else(|| panic!("no row for {clone}"));
        let cell = row + h[row..].find("<td class=\"worst\"").expect("worst cell");
        let end = cell + h[cell..].find("</td>").unwrap();
        &h[cell..end]
    }

    #[test]
    fn the_decisive_item_is_what_decided_the_verdict() {
        let calls = fixture::calls();
        let sel = fixture::selection(&calls);
        let h = render_html(&sel, &calls);
        let blue = super::super::plots::BLUE;
        // A FAIL on a target: that target, its numbers labelled.
        let hostile = sel.clones.iter().find(|c| c.clone == HOSTILE).unwrap();
        assert_eq!(hostile.verdict, Verdict::Fail);
        let t = &hostile.targets[0];
        let cell = worst_cell(&h, HOSTILE);
        assert!(
            cell.contains("data-item=\"target\" data-item-verdict=\"FAIL\""),
            "{cell}"
        );
        assert!(cell.contains("<span class=\"t\">m.3243A&gt;G</span>"));
        for labelled in [
            format!(
                "load {} <span class=\"ci\">[{}–{}]</span>",
                percent(t.af),
                percent(t.af_lo),
                percent(t.af_hi)
            ),
            format!("upper bound {}</span>", percent(t.upper_bound)),
            format!("· max {}</span>", percent(t.max_load)),
            "exceeds max".to_string(),
            "detected, 1,500 usable reads".to_string(),
        ] {
            assert!(cell.contains(&labelled), "{labelled} missing in {cell}");
        }
        // A FAIL on the deletion (its target is far below the maximum): the deletion,
        // drawn as failing, never as a blue "below maximum" bar.
        let cell = worst_cell(&h, "clone_c");
        assert!(
            cell.contains("data-item=\"deletion\" data-item-verdict=\"FAIL\""),
            "{cell}"
        );
        assert!(cell.contains("m.8470_13446del") && cell.contains("large deletion · called"));
        assert!(cell.contains("load 30% ") && cell.contains("· max 1.0%"));
        assert!(!cell.contains(blue), "{cell}");
        // INCONCLUSIVE on the deletion's bound: the deletion again.
        let cell = worst_cell(&h, "clone_a");
        assert!(
            cell.contains("data-item=\"deletion\" data-item-verdict=\"INCONCLUSIVE\""),
            "{cell}"
        );
        assert!(cell.contains("straddles max") && !cell.contains(blue));

        // A FAIL on a QC rule alone: the rule, not a target that looks fine.
        let mut policy = Policy::default();
        policy.coverage.min_mean_depth = 5000.0;
        policy.deletions.max_load = 0.5;
        let sel = select(&calls, &policy, None).unwrap();
        let h = render_html(&sel, &calls);
        let a = sel.clones.iter().find(|c| c.clone == "clone_a").unwrap();
        assert_eq!(a.verdict, Verdict::Fail);
        let cell = worst_cell(&h, "clone_a");
        assert!(
            cell.contains("data-item=\"rule\" data-item-verdict=\"FAIL\""),
            "{cell}"
        );
        assert!(cell.contains("coverage rule (mean depth)") && cell.contains("fails"));
        assert!(
            !cell.contains(blue) && !cell.contains("below max"),
            "{cell}"
        );
        // Every clone that is not a PASS shows an item of its own verdict.
        for c in sel.clones.iter().filter(|c| c.verdict != Verdict::Pass) {
            let cell = worst_cell(&h, &c.clone);
            assert!(
                cell.contains(&format!("data-item-verdict=\"{}\"", c.verdict.as_str())),
                "{}: {cell}",
                c.clone
            );
        }

        // A PASS: the target with the highest upper bound, below its maximum.
        let mut policy = Policy::default();
        policy.deletions.max_load = 0.5;
        let sel = select(&calls, &policy, None).unwrap();
        let h = render_html(&sel, &calls);
        let a = sel.clones.iter().find(|c| c.clone == "clone_a").unwrap();
        assert_eq!(a.verdict, Verdict::Pass);
        let cell = worst_cell(&h, "clone_a");
        assert!(
            cell.contains("data-item=\"target\" data-item-verdict=\"PASS\""),
            "{cell}"
        );
        assert!(cell.contains("below max") && cell.contains(blue));
    }

    #[test]
    fn other_heteroplasmies_are_mentioned_only_when_there_are_some() {
        let calls = fixture::calls();
        let mut sel = fixture::selection(&calls);
        assert!(sel.clones.iter().all(|c| c.other_heteroplasmies == 0));
        let h = render_html(&sel, &calls);
        assert!(!h.contains("0 other heteroplasm"), "zero said");
        assert_eq!(h.matches("x mean depth</span>").count(), 3);
        sel.clones[0].other_heteroplasmies = 2;
        sel.clones[2].other_heteroplasmies = 1;
        let h = render_html(&sel, &calls);
        assert_eq!(h.matches(" · 2 other heteroplasmies</span>").count(), 1);
        assert_eq!(h.matches(" · 1 other heteroplasmy</span>").count(), 1);
        assert!(!h.contains("0 other heteroplasm"));
    }

    /// The text a reader sees (tooltips included), without the verbatim TOML blocks,
    /// the style sheet and the script.
    fn visible_text(h: &str) -> String {
        let mut s = h.to_string();
        for (open, close) in [
            ("<style", "</style>"),
            ("<script", "</script>"),
            ("<pre", "</pre>"),
        ] {
            while let Some(a) = s.find(open) {
                let b = a + s[a..].find(close).unwrap() + close.len();
                s.replace_range(a..b, " ");
            }
        }
        let mut out = String::new();
        let mut in_tag = false;
        for ch in s.chars() {
            match ch {
                '<' => in_tag = true,
                '>' if in_tag => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    #[test]
    fn counts_have_thousands_separators_everywhere() {
        let calls = fixture::calls();
        let mut sel = fixture::selection(&calls);
        // The shape of the selection's message for a load on the maximum.
        let c = &mut sel.clones[0];
        c.verdict = Verdict::Inconclusive;
        c.reasons.insert(
            0,
            "m.3243A>G at 5.0% with upper bound 5.8% straddles the maximum 5.0% (2464 usable reads); the load is at the maximum: no practical depth settles it".into(),
        );
        c.targets[0].verdict = Verdict::Inconclusive;
        c.targets[0].depth_needed = None;
        c.targets[0].af = 0.05;
        c.targets[0].depth = 2464;
        c.mean_depth = 12_345.4;
        let h = render_html(&sel, &calls);
        assert!(h.contains(
            "(2,464 usable reads); the load is at the maximum: no practical depth settles it"
        ));
        assert!(h.contains(
            "m.3243A&gt;G: the load (5.0%) is at its maximum (5.0%): no practical depth settles it (now 2,464 usable reads)."
        ));
        assert!(h.contains(">12,345x</td>"));
        // A depth within reach is said as such (the deletion of another clone).
        assert!(h.contains("data-settle=\"depth\">m.8470_13446del: about "));
        let text = visible_text(&h);
        let grouped = group_digits(&text);
        if grouped != text {
            let at = text
                .char_indices()
                .zip(grouped.chars())
                .find(|((_, a), b)| a != b)
                .map_or(0, |((i, _), _)| i);
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(60)
                .map_or(0, |(i, _)| i);
            panic!(
                "a count without separators: …{}…",
                &text[from..(at + 40).min(text.len())]
            );
        }
    }

    #[test]
    fn calls_without_deletion_results_say_so() {
        let calls = fixture::calls_with(false);
        let sel = fixture::selection(&calls);
        assert!(super::super::deletions_of(&sel, &calls).is_none());
        let h = render_html(&sel, &calls);
        assert!(h.contains("no large-deletion results in this run (deletion detection not run)"));
        assert!(!h.contains("<g data-deletion="));
    }

    #[test]
    fn deletions_carry_the_selection_verdict() {
        let calls = fixture::calls();
        let sel = fixture::selection(&calls);
        let d = super::super::deletions_of(&sel, &calls).unwrap();
        assert_eq!(d.len(), 3);
        let c = d.iter().find(|x| x.clone == "clone_c").unwrap();
        assert_eq!((c.start, c.end, c.called), (8470, 13446, true));
        assert_eq!(c.verdict, Verdict::Fail, "30% is above the 1% maximum");
        let a = d.iter().find(|x| x.clone == "clone_a").unwrap();
        assert_eq!(a.verdict, Verdict::Inconclusive, "bound 2.5% straddles 1%");
    }

    #[test]
    fn hostile_clone_names_are_escaped_everywhere() {
        let calls = fixture::calls();
        let sel = fixture::selection(&calls);
        let h = render_html(&sel, &calls);
        assert!(!h.contains(HOSTILE), "raw hostile name in the page");
        assert!(!h.contains("<script>alert"), "script injected");
        assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;'&amp;x"));
        // The only script element is ours, at the end.
        assert_eq!(h.matches("<script").count(), 1);
        // The command line (user-derived) too.
        assert!(h.contains("a.bam &lt;b&gt;.bam"));
    }

    #[test]
    fn page_requests_nothing() {
        let calls = fixture::calls();
        let sel = fixture::selection(&calls);
        let h = render_html(&sel, &calls);
        assert!(h.contains(CSP));
        assert!(!h.contains("http://") && !h.contains("https://"));
        for attr in [
            "src=",
            "href=\"//",
            "@import",
            "url(http",
            "<link",
            "<img",
            "<iframe",
        ] {
            assert!(!h.contains(attr), "{attr}");
        }
        // Internal links and references only.
        for href in h.match_indices("href=\"").map(|(i, _)| &h[i + 6..i + 7]) {
            assert_eq!(href, "#");
        }
    }

    /// Every reason shown anywhere — `selection.json`'s `reasons`, `selection.tsv`,
    /// the report and the MultiQC table — is the sentence of one `Reason` value: the
    /// same fixture rendered both ways agrees, and no reason exists without its data.
    #[test]
    fn every_shown_reason_comes_from_a_reason_value() {
        let calls = fixture::calls();
        let sel = fixture::selection(&calls);
        let tsv = crate::select::selection_tsv(&sel);
        let html = render_html(&sel, &calls);
        let mqc = crate::report::selection_mqc_tsv(&sel);
        let mut seen = 0;
        for c in &sel.clones {
            assert_eq!(c.reasons.len(), c.decisions.len(), "{}", c.clone);
            let rendered: Vec<String> = c.decisions.iter().map(|r| r.message()).collect();
            assert_eq!(c.reasons, rendered, "{}", c.clone);
            let row = tsv
                .lines()
                .find(|l| l.split('\t').next() == Some(c.clone.as_str()))
                .expect("a selection.tsv row");
            assert!(
                row.contains(&rendered.join(" | ").replace(['\t', '\n'], " ")),
                "{row}"
            );
            for m in &rendered {
                assert!(html.contains(&esc(&group_digits(m))), "report lacks: {m}");
                seen += 1;
            }
            if let Some(first) = rendered.first() {
                assert!(mqc.contains(&first.replace(['\t', '\n'], " ")) || mqc.contains(first));
            }
            // The verdict follows the data.
            assert_eq!(c.verdict, crate::select::reason::verdict_of(&c.decisions));
        }
        assert!(seen > 3);
    }
}
