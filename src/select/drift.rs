//! The drift rule: selection with passages (`mitosieve track`).

use super::{rank_pass_clones, select, Policy, Selection, Verdict};
use crate::call::{percent, CallReport};
use crate::error::{Error, Result};
use crate::track::{describe, drift_exceeds, Flag, TrackSet};

/// Percentage points, signed (`+7.1 points`).
fn points(change: f64) -> String {
    format!("{:+.1} points", change * 100.0)
}

fn p_text(p: f64) -> String {
    if p >= 0.001 {
        format!("p = {p:.3}")
    } else {
        format!("p = {p:.1e}")
    }
}

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
        let targets: Vec<_> = ct
            .trajectories
            .iter()
            .filter(|t| t.target && policy.includes(&t.variant))
            .collect();
        for t in &targets {
            let Some(o) = &t.overall else {
                warnings.push(format!(
                    "warning: {} tracked at only one passage with reads: drift not assessed",
                    t.variant
                ));
                continue;
            };
            if drift_exceeds(o, policy, &track.config) {
                fails.push(format!(
                    "drift: {} rose from {} to {} between passages {} and {} ({}, {}), more than the allowed {}",
                    t.variant,
                    percent(o_af(t, &o.from)),
                    percent(o_af(t, &o.to)),
                    o.from,
                    o.to,
                    points(o.change),
                    p_text(o.p_value),
                    points(allowed)
                ));
            } else if o.change > allowed {
                warnings.push(format!(
                    "warning: {} rose by {} between passages {} and {}, more than the allowed {} but not significantly ({}); sequence deeper to settle it",
                    t.variant,
                    points(o.change),
                    o.from,
                    o.to,
                    points(allowed),
                    p_text(o.p_value)
                ));
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
                    warnings.push(format!(
                        "warning: {} exceeded its maximum {} at passage {} ({})",
                        t.variant,
                        percent(max),
                        p.passage,
                        percent(p.af)
                    ));
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
            warnings.push(format!(
                "warning: new during expansion (not called at the first passage): {}",
                new.join(", ")
            ));
        }
        if fails.is_empty() {
            held.sort();
            let note = if targets.is_empty() {
                format!("all {span}: no screened target called at any passage, nothing drifted")
            } else {
                format!(
                    "all tracked targets within the allowed drift of {} over {span}{}",
                    points(allowed),
                    if held.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", held.join(", "))
                    }
                )
            };
            v.reasons.push(note);
        } else {
            v.verdict = Verdict::Fail;
            let mut reasons = fails;
            reasons.append(&mut v.reasons);
            v.reasons = reasons;
        }
        v.reasons.extend(warnings);
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
