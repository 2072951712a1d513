//! The drift rule: selection with passages (`mitosieve track`).

use super::reason::{Finding, Outcome, Reason, Rule};
use super::{rank_pass_clones, select, Policy, Selection, Verdict};
use crate::call::{percent, CallReport};
use crate::error::{Error, Result};
use crate::track::{describe, drift_exceeds, Flag, TrackSet};

/// [`select`], then the drift rule of the passages in `track` ([`apply_track`]) when
/// given. Without a track this is exactly [`select`].
///
/// ```no_run
/// use mitosieve::select::{select_with_track, Policy};
/// let calls = mitosieve::call::read_report("track/calls.json".as_ref())?;
/// let track = mitosieve::track::read_track("track/track.json".as_ref())?;
/// let sel = select_with_track(&calls, &Policy::default(), None, Some(&track))?;
/// for c in &sel.clones {
///     println!("{} {}", c.clone, c.verdict.as_str());
/// }
/// # Ok::<(), mitosieve::Error>(())
/// ```
pub fn select_with_track(
    report: &CallReport,
    policy: &Policy,
    donor: Option<Vec<String>>,
    track: Option<&TrackSet>,
) -> Result<Selection> {
    let mut sel = select(report, policy, donor)?;
    if let Some(t) = track {
        apply_track(&mut sel, t, policy)?;
    }
    Ok(sel)
}

/// Apply the drift rule of `policy` to a selection: a clone with a screened target
/// whose load rose between its first and last passage by more than
/// `policy.drift.max_increase`, with a significant test (at the track's alpha), becomes
/// FAIL with the reason named. Notes record what held; warnings (which change no
/// verdict) name a rise above the allowance that is not significant, a maximum crossed
/// at an earlier passage, and variants new during expansion. PASS clones are ranked
/// again. Every clone of the track must be in the selection.
///
/// ```no_run
/// # fn demo(sel: &mut mitosieve::select::Selection, t: &mitosieve::track::TrackSet) -> mitosieve::Result<()> {
/// let policy = sel.policy.clone();
/// mitosieve::select::apply_track(sel, t, &policy)?;
/// # Ok(()) }
/// ```
pub fn apply_track(sel: &mut Selection, track: &TrackSet, policy: &Policy) -> Result<()> {
    let missing: Vec<&str> = track
        .clones
        .iter()
        .map(|c| c.clone.as_str())
        .filter(|n| !sel.clones.iter().any(|v| v.clone == *n))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Input(format!(
            "tracked clone(s) {} are not among the selected clones ({}); name the clones the same in the sheet and the screen",
            missing.join(", "),
            sel.clones
                .iter()
                .map(|c| c.clone.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let allowed = policy.drift.max_increase;
    for ct in &track.clones {
        let Some(v) = sel.clones.iter_mut().find(|v| v.clone == ct.clone) else {
            continue;
        };
        let span = match (ct.passages.first(), ct.passages.last()) {
            (Some(a), Some(b)) if ct.passages.len() > 1 => format!(
                "{} passages ({}–{})",
                ct.passages.len(),
                a.passage.label,
                b.passage.label
            ),
            _ => "1 passage".to_string(),
        };
        let mut fails = Vec::new();
        let mut warnings = Vec::new();
        let mut held = Vec::new();
        let warn = |f: Finding| Reason::new(Rule::Drift, Outcome::Warning, f);
        let targets: Vec<_> = ct
            .trajectories
            .iter()
            .filter(|t| t.target && policy.includes(&t.variant))
            .collect();
        for t in &targets {
            let Some(o) = &t.overall else {
                warnings.push(warn(Finding::DriftNotAssessed {
                    variant: t.variant.clone(),
                }));
                continue;
            };
            if drift_exceeds(o, policy, &track.config) {
                fails.push(Reason::new(
                    Rule::Drift,
                    Outcome::Fail,
                    Finding::Drift {
                        variant: t.variant.clone(),
                        from_af: o_af(t, &o.from),
                        to_af: o_af(t, &o.to),
                        from: o.from.clone(),
                        to: o.to.clone(),
                        change: o.change,
                        p_value: o.p_value,
                        allowed,
                    },
                ));
            } else if o.change > allowed {
                warnings.push(warn(Finding::DriftNotSignificant {
                    variant: t.variant.clone(),
                    change: o.change,
                    from: o.from.clone(),
                    to: o.to.clone(),
                    allowed,
                    p_value: o.p_value,
                }));
            } else {
                held.push(describe(t));
            }
            if t.has(Flag::CrossedLimit) {
                let max = t.max_load.unwrap_or(policy.max_load(&t.variant));
                if let Some(p) = t
                    .points
                    .iter()
                    .find(|p| p.genotype.is_variant() && p.af > max)
                {
                    warnings.push(warn(Finding::CrossedLimit {
                        variant: t.variant.clone(),
                        max_load: max,
                        passage: p.passage.clone(),
                        af: p.af,
                    }));
                }
            }
        }
        let new: Vec<String> = ct
            .trajectories
            .iter()
            .filter(|t| t.has(Flag::NewVariant))
            .map(|t| {
                let first = t.points.iter().find(|p| p.called);
                match first {
                    Some(p) => {
                        format!("{} ({} at passage {})", t.variant, percent(p.af), p.passage)
                    }
                    None => t.variant.clone(),
                }
            })
            .collect();
        if !new.is_empty() {
            warnings.push(warn(Finding::NewVariants { variants: new }));
        }
        if fails.is_empty() {
            held.sort();
            v.decisions.push(Reason::new(
                Rule::Drift,
                Outcome::Pass,
                Finding::DriftHeld {
                    span,
                    allowed,
                    any_target: !targets.is_empty(),
                    held,
                },
            ));
        } else {
            v.verdict = Verdict::Fail;
            fails.append(&mut v.decisions);
            v.decisions = fails;
        }
        v.decisions.extend(warnings);
        v.render();
    }
    rank_pass_clones(&mut sel.clones);
    Ok(())
}

/// The fraction of a trajectory at a passage label.
fn o_af(t: &crate::track::Trajectory, label: &str) -> f64 {
    t.points
        .iter()
        .find(|p| p.passage == label)
        .map_or(0.0, |p| p.af)
}
