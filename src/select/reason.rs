//! Typed decisions: every reason of a verdict is a [`Reason`] — the rule, what it
//! concluded, and the observed values it rests on — produced by one rule function per
//! policy section. Its sentence is rendered here and only here ([`Reason::message`]);
//! `selection.tsv`, `selection.json`, the report and the MultiQC files show that
//! sentence or read the values, and never parse text.

use crate::call::{percent, thousands, TargetStatus};
use serde::{Deserialize, Serialize};

/// The policy section a reason comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Pathogenic targets against their maximum.
    Targets,
    /// Large deletions against their maximum.
    Deletions,
    /// Mean depth and breadth.
    Coverage,
    /// Homoplasmies against the donor profile.
    Identity,
    /// A second haplotype among the heteroplasmies.
    Mixture,
    /// Heteroplasmy drift across passages.
    Drift,
    /// Passing heteroplasmies that are not targets (information only).
    OtherHeteroplasmies,
}

impl Rule {
    /// A short name for tables and the report ("coverage rule").
    pub fn label(self) -> &'static str {
        match self {
            Rule::Targets => "target rule",
            Rule::Deletions => "deletion rule",
            Rule::Coverage => "coverage rule",
            Rule::Identity => "identity rule",
            Rule::Mixture => "mixture rule",
            Rule::Drift => "drift rule",
            Rule::OtherHeteroplasmies => "other heteroplasmies",
        }
    }
}

/// What a rule concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The clone must not be expanded.
    Fail,
    /// More data is needed.
    Inconclusive,
    /// The rule holds (a note of what was checked).
    Pass,
    /// Worth attention, without changing the verdict.
    Warning,
    /// Information only.
    Info,
}

impl Outcome {
    /// Whether it decides the verdict (FAIL or INCONCLUSIVE).
    pub fn is_decisive(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::Inconclusive)
    }
}

/// The observed values behind a reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The load of one target or large deletion against its maximum.
    Load {
        /// Target or deletion name.
        name: String,
        /// Whether it is a large deletion.
        deletion: bool,
        /// Observed fraction.
        af: f64,
        /// Two-sided interval.
        af_lo: f64,
        /// Two-sided interval.
        af_hi: f64,
        /// One-sided upper bound.
        upper_bound: f64,
        /// The maximum.
        max_load: f64,
        /// Usable reads (targets) or reads across the breakpoints (deletions).
        depth: u64,
        /// The target's call status.
        status: Option<TargetStatus>,
        /// The target's filters (for `filtered`).
        filters: Vec<String>,
        /// A deletion's junction reads.
        junction_reads: Option<u32>,
        /// Reads that would settle an inconclusive load (none: no practical depth).
        depth_needed: Option<u64>,
        /// Confidence of the interval and bound.
        confidence: f64,
    },
    /// Every load of a kind below its maximum.
    AllBelow {
        /// Deletions rather than targets.
        deletion: bool,
        /// How many.
        count: usize,
        /// The one with the highest upper bound.
        worst: String,
        /// Its upper bound.
        worst_bound: f64,
        /// The maximum (deletions: one for all).
        max_load: f64,
        /// Confidence of the bounds.
        confidence: f64,
    },
    /// The policy screened no target.
    NoTargetScreened,
    /// The clones were counted without deletion evidence.
    DeletionsNotAssessed,
    /// Mean usable depth under the minimum.
    MeanDepth {
        /// Mean usable depth.
        mean: f64,
        /// The minimum.
        min: f64,
    },
    /// Breadth under the minimum.
    Breadth {
        /// Share of positions with `min_depth` usable reads.
        breadth: f64,
        /// The caller's minimum depth.
        min_depth: u32,
        /// The minimum share.
        min: f64,
    },
    /// Coverage held.
    Coverage {
        /// Mean usable depth.
        mean: f64,
        /// Share of positions with `min_depth` usable reads.
        breadth: f64,
        /// The caller's minimum depth.
        min_depth: u32,
    },
    /// Homoplasmies compared with the donor profile.
    Identity {
        /// Differences (`+m.73A>G` extra, `-m.263A>G` missing).
        differences: Vec<String>,
        /// Variants in the profile.
        profile_size: usize,
        /// Where the profile came from.
        source: String,
    },
    /// One clone and no given profile: the identity check cannot be made.
    IdentityNotChecked,
    /// Heteroplasmies at a similar level, like a second haplotype.
    Mixture {
        /// Their median minor fraction.
        median: f64,
        /// Their names.
        variants: Vec<String>,
    },
    /// A target rose more than allowed, significantly.
    Drift {
        /// Variant.
        variant: String,
        /// Fraction at the first passage.
        from_af: f64,
        /// Fraction at the last passage.
        to_af: f64,
        /// First passage.
        from: String,
        /// Last passage.
        to: String,
        /// Rise (fraction).
        change: f64,
        /// Likelihood-ratio p-value.
        p_value: f64,
        /// Allowed rise.
        allowed: f64,
    },
    /// A target rose more than allowed, but not significantly.
    DriftNotSignificant {
        /// Variant.
        variant: String,
        /// Rise (fraction).
        change: f64,
        /// First passage.
        from: String,
        /// Last passage.
        to: String,
        /// Allowed rise.
        allowed: f64,
        /// Likelihood-ratio p-value.
        p_value: f64,
    },
    /// A target with reads at one passage only.
    DriftNotAssessed {
        /// Variant.
        variant: String,
    },
    /// A target above its maximum at a later passage.
    CrossedLimit {
        /// Variant.
        variant: String,
        /// Its maximum.
        max_load: f64,
        /// The passage.
        passage: String,
        /// The fraction there.
        af: f64,
    },
    /// Variants without evidence at the first passage, called later.
    NewVariants {
        /// `m.5460G>A (5.0% at passage 15)`, …
        variants: Vec<String>,
    },
    /// Every tracked target within the allowed drift.
    DriftHeld {
        /// `3 passages (5–15)`.
        span: String,
        /// Allowed rise.
        allowed: f64,
        /// Whether any screened target was tracked.
        any_target: bool,
        /// Trajectories of the held targets.
        held: Vec<String>,
    },
    /// Passing heteroplasmies that are not targets.
    OtherHeteroplasmies {
        /// How many.
        count: usize,
    },
}

/// One reason of a verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The policy section.
    pub rule: Rule,
    /// What it concluded.
    pub outcome: Outcome,
    /// The values it rests on.
    pub finding: Finding,
}

fn conf_txt(c: f64) -> String {
    format!("{:.0}%", c * 100.0)
}

/// A change of a fraction in percentage points (`+7.6 points`).
pub(crate) fn points(x: f64) -> String {
    format!("{:+.1} points", x * 100.0)
}

/// A p-value as the drift messages write it.
pub(crate) fn p_text(p: f64) -> String {
    if p < 1e-3 {
        format!("p = {p:.1e}")
    } else {
        format!("p = {p:.3}")
    }
}

impl Reason {
    /// A reason.
    pub fn new(rule: Rule, outcome: Outcome, finding: Finding) -> Self {
        Reason {
            rule,
            outcome,
            finding,
        }
    }

    /// The subject: a target, a deletion, a variant, or the rule itself.
    pub fn subject(&self) -> String {
        match &self.finding {
            Finding::Load { name, .. } => name.clone(),
            Finding::Drift { variant, .. }
            | Finding::DriftNotSignificant { variant, .. }
            | Finding::DriftNotAssessed { variant }
            | Finding::CrossedLimit { variant, .. } => variant.clone(),
            _ => self.rule.label().to_string(),
        }
    }

    /// The one sentence of this reason (what `selection.tsv`, the terminal and the
    /// report show).
    pub fn message(&self) -> String {
        let text = self.sentence();
        if self.outcome == Outcome::Warning {
            format!("warning: {text}")
        } else {
            text
        }
    }

    /// The sentence of a [`Finding::Load`].
    fn load_sentence(&self) -> String {
        let Finding::Load {
            name,
            deletion,
            af,
            af_lo,
            af_hi,
            upper_bound,
            max_load,
            depth,
            status,
            filters,
            junction_reads,
            depth_needed,
            confidence,
        } = &self.finding
        else {
            return String::new();
        };
        let conf = conf_txt(*confidence);
        let prefix = if *deletion { "deletion " } else { "" };
        // The call status, said where it is not "detected".
        let st = match status {
            None | Some(TargetStatus::Detected) => String::new(),
            Some(TargetStatus::BelowThreshold) => ", below the calling threshold".to_string(),
            Some(TargetStatus::Filtered) => {
                format!(", not called: {}", filters.join(", "))
            }
            Some(TargetStatus::NotDetected) => ", not above the technical background".to_string(),
            Some(TargetStatus::LowDepth) => ", too few reads to call".to_string(),
        };
        match self.outcome {
            Outcome::Fail => format!(
                "{prefix}{name} at {} ({conf} CI {}–{}{}{st}) exceeds the maximum {}",
                percent(*af),
                percent(*af_lo),
                percent(*af_hi),
                junction_reads
                    .map(|j| format!(", {} junction reads", thousands(j)))
                    .unwrap_or_default(),
                percent(*max_load)
            ),
            _ => {
                let unit = if *deletion {
                    "reads across its breakpoints"
                } else {
                    "usable reads"
                };
                let settle = match depth_needed {
                    Some(d) => format!(
                        "; about {} {} would settle it",
                        thousands(*d),
                        if *deletion {
                            "reads across the breakpoints"
                        } else {
                            "usable reads"
                        }
                    ),
                    None => {
                        "; the load is at the maximum: no practical depth settles it".to_string()
                    }
                };
                format!(
                            "{prefix}{name} at {}{st} with upper bound {} straddles the maximum {} ({} {unit}){settle}",
                            percent(*af),
                            percent(*upper_bound),
                            percent(*max_load),
                            thousands(*depth),
                        )
            }
        }
    }

    fn sentence(&self) -> String {
        match &self.finding {
            Finding::Load { .. } => self.load_sentence(),
            Finding::AllBelow {
                deletion: false,
                count,
                worst,
                worst_bound,
                confidence,
                ..
            } => format!(
                "all {count} targets below their maximum at {} (highest bound: {worst} < {})",
                conf_txt(*confidence),
                percent(*worst_bound)
            ),
            Finding::AllBelow {
                deletion: true,
                count,
                worst,
                worst_bound,
                max_load,
                confidence,
            } => format!(
                "deletions: {count} event(s) below {} at {} (highest bound: {worst} < {})",
                percent(*max_load),
                conf_txt(*confidence),
                percent(*worst_bound)
            ),
            Finding::NoTargetScreened => {
                "no target was screened (check the policy's targets.include)".into()
            }
            Finding::DeletionsNotAssessed => {
                "deletions not assessed: the clones were counted without deletion evidence (--no-deletion-evidence)".into()
            }
            Finding::MeanDepth { mean, min } => {
                format!("mean usable depth {mean:.0}x is below the minimum {min:.0}x")
            }
            Finding::Breadth {
                breadth,
                min_depth,
                min,
            } => format!(
                "only {:.1}% of the genome has {min_depth}+ usable reads (minimum {:.1}%)",
                breadth * 100.0,
                min * 100.0
            ),
            Finding::Coverage {
                mean,
                breadth,
                min_depth,
            } => format!(
                "coverage: mean {mean:.0}x, {:.1}% of the genome at {min_depth}+ reads",
                breadth * 100.0
            ),
            Finding::Identity {
                differences,
                profile_size,
                source,
            } => {
                if self.outcome == Outcome::Fail {
                    format!(
                        "identity: {} homoplasmic difference(s) from the donor profile ({source}; + extra, - missing): {}",
                        differences.len(),
                        differences.join(", ")
                    )
                } else {
                    format!(
                        "identity: homoplasmies match the donor profile ({profile_size} variants{})",
                        if differences.is_empty() {
                            String::new()
                        } else {
                            format!(", {} tolerated difference(s)", differences.len())
                        }
                    )
                }
            }
            Finding::IdentityNotChecked => {
                "identity: not checked: with one clone the donor profile would be the clone's own homoplasmies; give the donor's profile with --donor".into()
            }
            Finding::Mixture { median, variants } => format!(
                "possibly mixed or contaminated: {} heteroplasmies at a similar level (median {}) look like a second haplotype: {}",
                variants.len(),
                percent(*median),
                variants.join(", ")
            ),
            Finding::Drift { .. }
            | Finding::DriftNotSignificant { .. }
            | Finding::DriftNotAssessed { .. }
            | Finding::CrossedLimit { .. }
            | Finding::NewVariants { .. }
            | Finding::DriftHeld { .. } => self.drift_sentence(),
            Finding::OtherHeteroplasmies { count } => {
                format!("{count} other passing heteroplasmy(ies) (not pathogenic targets)")
            }
        }
    }

    /// The sentence of a reason of the drift rule (`track`).
    fn drift_sentence(&self) -> String {
        match &self.finding {
            Finding::Drift {
                variant,
                from_af,
                to_af,
                from,
                to,
                change,
                p_value,
                allowed,
            } => format!(
                "drift: {variant} rose from {} to {} between passages {from} and {to} ({}, {}), more than the allowed {}",
                percent(*from_af),
                percent(*to_af),
                points(*change),
                p_text(*p_value),
                points(*allowed)
            ),
            Finding::DriftNotSignificant {
                variant,
                change,
                from,
                to,
                allowed,
                p_value,
            } => format!(
                "{variant} rose by {} between passages {from} and {to}, more than the allowed {} but not significantly ({}); sequence deeper to settle it",
                points(*change),
                points(*allowed),
                p_text(*p_value)
            ),
            Finding::DriftNotAssessed { variant } => format!(
                "{variant} tracked at only one passage with reads: drift not assessed"
            ),
            Finding::CrossedLimit {
                variant,
                max_load,
                passage,
                af,
            } => format!(
                "{variant} exceeded its maximum {} at passage {passage} ({})",
                percent(*max_load),
                percent(*af)
            ),
            Finding::NewVariants { variants } => format!(
                "new during expansion (no evidence at the first passage): {}",
                variants.join(", ")
            ),
            Finding::DriftHeld {
                span,
                allowed,
                any_target,
                held,
            } => {
                if *any_target {
                    format!(
                        "all tracked targets within the allowed drift of {} over {span}{}",
                        points(*allowed),
                        if held.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", held.join(", "))
                        }
                    )
                } else {
                    format!(
                        "all {span}: no screened target called at any passage, nothing drifted"
                    )
                }
            }
            _ => String::new(),
        }
    }
}

/// The verdict of a list of reasons: FAIL if any fails, else INCONCLUSIVE if any is,
/// else PASS.
pub fn verdict_of(reasons: &[Reason]) -> super::Verdict {
    if reasons.iter().any(|r| r.outcome == Outcome::Fail) {
        super::Verdict::Fail
    } else if reasons.iter().any(|r| r.outcome == Outcome::Inconclusive) {
        super::Verdict::Inconclusive
    } else {
        super::Verdict::Pass
    }
}

/// Order reasons as every output lists them: failures, then inconclusive ones, then the
/// rest, each group in the order the rules made them.
pub fn order(reasons: &mut [Reason]) {
    reasons.sort_by_key(|r| match r.outcome {
        Outcome::Fail => 0,
        Outcome::Inconclusive => 1,
        _ => 2,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(outcome: Outcome, status: TargetStatus, needed: Option<u64>) -> Reason {
        Reason::new(
            Rule::Targets,
            outcome,
            Finding::Load {
                name: "m.3243A>G".into(),
                deletion: false,
                af: 0.05,
                af_lo: 0.041,
                af_hi: 0.06,
                upper_bound: 0.058,
                max_load: 0.05,
                depth: 2464,
                status: Some(status),
                filters: vec![],
                junction_reads: None,
                depth_needed: needed,
                confidence: 0.95,
            },
        )
    }

    #[test]
    fn sentences() {
        assert_eq!(
            load(Outcome::Inconclusive, TargetStatus::Detected, None).message(),
            "m.3243A>G at 5.0% with upper bound 5.8% straddles the maximum 5.0% (2,464 usable reads); the load is at the maximum: no practical depth settles it"
        );
        assert_eq!(
            load(Outcome::Fail, TargetStatus::NotDetected, None).message(),
            "m.3243A>G at 5.0% (95% CI 4.1%–6.0%, not above the technical background) exceeds the maximum 5.0%"
        );
        let w = Reason::new(
            Rule::Drift,
            Outcome::Warning,
            Finding::DriftNotAssessed {
                variant: "m.3243A>G".into(),
            },
        );
        assert!(w
            .message()
            .starts_with("warning: m.3243A>G tracked at only one"));
        assert_eq!(w.subject(), "m.3243A>G");
    }

    #[test]
    fn order_and_verdict() {
        let mut v = vec![
            load(Outcome::Pass, TargetStatus::Detected, None),
            load(Outcome::Inconclusive, TargetStatus::Detected, Some(9)),
            load(Outcome::Fail, TargetStatus::Detected, None),
        ];
        assert_eq!(verdict_of(&v), super::super::Verdict::Fail);
        order(&mut v);
        let o: Vec<Outcome> = v.iter().map(|r| r.outcome).collect();
        assert_eq!(o, [Outcome::Fail, Outcome::Inconclusive, Outcome::Pass]);
    }
}
