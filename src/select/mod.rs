//! Clone selection: `mitosieve select`. Turns the calls of a run into one verdict per
//! clone — PASS, FAIL or INCONCLUSIVE — with every reason, and ranks the PASS clones.
//!
//! - **PASS**: the upper bound (at the run's confidence) of every screened target is
//!   below its maximum and every QC rule holds.
//! - **FAIL**: a target's (or deletion's) point estimate exceeds its maximum, or a rule
//!   fails (coverage, identity).
//! - **INCONCLUSIVE**: an interval straddles a maximum; the reason says how many usable
//!   reads would settle it.
//!
//! PASS clones are ranked by the highest upper bound over the targets (lowest first),
//! then by the number of other heteroplasmies, then by depth.
//!
//! With passages (`mitosieve track`), [`select_with_track`] adds the drift rule: a
//! screened target whose load rose by more than `drift.max_increase` between the first
//! and last passage, with a significant test, makes the clone FAIL.
//!
//! ```no_run
//! use mitosieve::select::{select, Policy};
//! let report = mitosieve::call::read_report("calls/calls.json".as_ref())?;
//! let selection = select(&report, &Policy::default(), None)?;
//! for c in &selection.clones {
//!     println!("{} {:?} {}", c.clone, c.verdict, c.reasons.join("; "));
//! }
//! # Ok::<(), mitosieve::Error>(())
//! ```

mod drift;
pub mod reason;

pub use drift::{apply_track, select_with_track};
pub use reason::{Finding, Outcome, Reason, Rule};
// The policy is its own module (used by `track` too); `select::Policy` stays its name.
pub use crate::policy::{
    CoveragePolicy, DeletionPolicy, DriftPolicy, IdentityPolicy, MixtureAction, Policy,
    TargetPolicy, TargetSet,
};

use crate::call::{percent, CallReport, Genotype, TargetStatus, VariantKind};
use crate::error::{Error, Result};
use crate::model::depth_to_bound_below;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The decision for one clone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    /// May be expanded.
    Pass,
    /// Needs more data.
    Inconclusive,
    /// Must not be expanded.
    Fail,
}

impl Verdict {
    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Inconclusive => "INCONCLUSIVE",
            Verdict::Fail => "FAIL",
        }
    }
}

/// The load of one screened target in one clone, against its maximum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetLoad {
    /// Target name.
    pub target: String,
    /// Observed fraction.
    pub af: f64,
    /// Interval lower bound.
    pub af_lo: f64,
    /// Interval upper bound.
    pub af_hi: f64,
    /// One-sided upper bound.
    pub upper_bound: f64,
    /// The policy maximum.
    pub max_load: f64,
    /// Usable depth.
    pub depth: u32,
    /// Call status.
    pub status: TargetStatus,
    /// What this target implies for the verdict.
    pub verdict: Verdict,
    /// For an inconclusive target: usable reads that would settle it.
    pub depth_needed: Option<u64>,
}

/// One clone's verdict, with its reasons and the numbers behind them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloneVerdict {
    /// Clone.
    pub clone: String,
    /// PASS, FAIL or INCONCLUSIVE.
    pub verdict: Verdict,
    /// Rank among PASS clones (1 = best).
    pub rank: Option<usize>,
    /// Every reason's sentence, most severe first (rendered from `decisions`).
    pub reasons: Vec<String>,
    /// Every reason as data: rule, outcome and observed values, in the order of
    /// `reasons`.
    #[serde(default)]
    pub decisions: Vec<Reason>,
    /// Screened targets that were seen (any alt read) or decided the verdict, plus the
    /// target with the highest upper bound.
    pub targets: Vec<TargetLoad>,
    /// Target with the highest upper bound.
    pub worst_target: Option<String>,
    /// Highest upper bound over the screened targets.
    pub max_target_upper_bound: f64,
    /// Mean usable depth.
    pub mean_depth: f64,
    /// Share of positions with the caller's minimum depth.
    pub breadth: f64,
    /// Passing heteroplasmies that are not targets.
    pub other_heteroplasmies: usize,
    /// Homoplasmic differences from the donor profile (`+m.73A>G` extra, `-m.263A>G` missing).
    pub identity_differences: Vec<String>,
    /// Large deletions (every event of the run and the common deletion) against the
    /// deletion maximum.
    #[serde(default)]
    pub deletions: Vec<DeletionLoad>,
}

impl CloneVerdict {
    /// Render `reasons` from `decisions` (the one place sentences are made).
    pub fn render(&mut self) {
        self.reasons = self.decisions.iter().map(Reason::message).collect();
    }
}

/// The load of one large deletion in one clone, against the policy maximum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletionLoad {
    /// Deletion name (`m.8470_13446del`).
    pub name: String,
    /// Deletion heteroplasmy.
    pub af: f64,
    /// Interval lower bound.
    pub af_lo: f64,
    /// Interval upper bound.
    pub af_hi: f64,
    /// One-sided upper bound.
    pub upper_bound: f64,
    /// Policy maximum.
    pub max_load: f64,
    /// Junction reads.
    pub junction_reads: u32,
    /// Reads across the breakpoints (junction reads plus the mean of the reads spanning
    /// each breakpoint intact): the depth the deletion's fraction rests on.
    #[serde(default)]
    pub depth: u64,
    /// Whether the caller called it in this clone.
    pub called: bool,
    /// What it implies for the verdict.
    pub verdict: Verdict,
    /// For an inconclusive deletion: reads across the breakpoints that would settle it.
    pub depth_needed: Option<u64>,
}

/// The result of [`select`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// mitosieve version.
    pub mitosieve_version: String,
    /// The command line that made it (set by the caller).
    pub command_line: String,
    /// The resolved policy.
    pub policy: Policy,
    /// The donor's homoplasmic profile.
    pub donor_profile: Vec<String>,
    /// Where the profile came from.
    pub donor_source: String,
    /// Confidence of bounds (from the calls).
    pub confidence: f64,
    /// One verdict per clone, in call order.
    pub clones: Vec<CloneVerdict>,
}

/// Read a donor profile: variant names (`m.263A>G` or `263A>G`), one per line or
/// separated by white space; `#` starts a comment.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let p = dir.path().join("donor.txt");
/// std::fs::write(&p, "# donor A\n263A>G m.750A>G\n1438A>G\n")?;
/// let profile = mitosieve::select::read_donor_profile(&p)?;
/// assert_eq!(profile, ["m.263A>G", "m.750A>G", "m.1438A>G"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_donor_profile(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(path, "cannot read donor profile", e))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        for tok in line.split_whitespace() {
            let name = if tok.starts_with("m.") {
                tok.to_string()
            } else {
                format!("m.{tok}")
            };
            let ok = name.len() > 4 && name[2..].chars().next().is_some_and(|c| c.is_ascii_digit());
            if !ok {
                return Err(Error::parse(
                    path,
                    i + 1,
                    format!("'{tok}' is not a variant like m.263A>G"),
                ));
            }
            out.push(name);
        }
    }
    Ok(out)
}

fn is_identity_marker(v: &crate::call::Variant) -> bool {
    v.kind == VariantKind::Snv && v.artefact_site.is_none()
}

/// The variant is (nearly) homoplasmic in the clone: `1/1`, or `0/1` at or above the
/// homoplasmy fraction (a credible minor reference allele beside it, which makes the
/// call `0/1` as mutserve reports it, does not change whose mtDNA this is).
fn is_homoplasmic(c: &crate::call::SampleCall, homoplasmy_af: f64) -> bool {
    c.genotype == Genotype::Hom || (c.genotype == Genotype::Het && c.af >= homoplasmy_af)
}

/// Depths beyond this many usable reads are not offered as a way to settle a verdict:
/// the load sits (practically) on the maximum.
pub const PRACTICAL_DEPTH: u64 = 1_000_000;

fn practical(d: Option<u64>) -> Option<u64> {
    d.filter(|&d| d <= PRACTICAL_DEPTH)
}

/// Decide every clone of a call report under a policy. `donor` overrides the
/// majority-derived donor profile.
///
/// Two clones without a single read cannot pass the coverage rule, and no target can
/// be assessed in them:
///
/// ```
/// use mitosieve::call::{call, CallConfig, CallReport};
/// use mitosieve::count::Counts;
/// use mitosieve::select::{select, selection_tsv, tally, Policy, Verdict};
///
/// let (a, b) = (Counts::new(), Counts::new());
/// let report = CallReport {
///     command_line: String::new(),
///     count_settings: None,
///     contig: "chrM".into(),
///     inputs: vec![],
///     calls: call(&[("a", &a), ("b", &b)], &CallConfig::default())?,
/// };
/// let policy = Policy::parse("policy.toml".as_ref(), "[coverage]\nmin_mean_depth = 100\n")?;
/// let sel = select(&report, &policy, Some(vec!["m.263A>G".into()]))?;
/// assert_eq!(sel.clones[0].verdict, Verdict::Fail);
/// assert_eq!(sel.clones[0].reasons[0], "mean usable depth 0x is below the minimum 100x");
/// assert_eq!(tally(&sel)["FAIL"], 2);
/// assert!(selection_tsv(&sel).starts_with("clone\tverdict\trank\t"));
/// # Ok::<(), mitosieve::Error>(())
/// ```
pub fn select(
    report: &CallReport,
    policy: &Policy,
    donor: Option<Vec<String>>,
) -> Result<Selection> {
    let set = &report.calls;
    let mut known: Vec<&str> = set.targets.iter().map(|t| t.target.as_str()).collect();
    known.sort_unstable();
    known.dedup();
    policy.check_targets(&known, Path::new("policy"), None)?;
    let n = set.samples.len();
    let conf = set.config.confidence;
    // Donor profile.
    let min_depth = set.config.min_depth;
    // With one clone and no given profile the "donor profile" would be the clone's own
    // homoplasmies: the check could not fail, so it is not made.
    let own_profile_only = donor.is_none() && n == 1;
    let (profile, donor_source): (BTreeSet<String>, String) = match donor {
        Some(list) => (list.into_iter().collect(), "given with --donor".into()),
        None => {
            let p = set
                .variants
                .iter()
                .filter(|v| is_identity_marker(v))
                .filter(|v| {
                    // Homoplasmic in most of the clones that cover the site.
                    let covered = v.calls.iter().filter(|c| c.depth >= min_depth).count();
                    let homs = v
                        .calls
                        .iter()
                        .filter(|c| {
                            c.depth >= min_depth && is_homoplasmic(c, set.config.homoplasmy_af)
                        })
                        .count();
                    covered > 0 && homs * 2 > covered
                })
                .map(|v| v.name.clone())
                .collect();
            (
                p,
                format!("homoplasmies shared by the majority of the {n} clones"),
            )
        }
    };
    let mut clones = Vec::with_capacity(n);
    for (i, sample) in set.samples.iter().enumerate() {
        let summary = set.summaries.get(i).ok_or_else(|| {
            Error::Input("the calls lack clone summaries (calls.json edited or truncated?)".into())
        })?;
        let mut reasons: Vec<Reason> = Vec::new();
        let (loads, worst_name, max_ub) = rule_targets(set, i, policy, &mut reasons);
        let dloads = rule_deletions(set, i, policy, &mut reasons);
        rule_coverage(set, summary, policy, &mut reasons);
        let differences = if !policy.identity.check {
            Vec::new()
        } else if own_profile_only {
            reasons.push(Reason::new(
                Rule::Identity,
                Outcome::Pass,
                Finding::IdentityNotChecked,
            ));
            Vec::new()
        } else {
            let d = rule_identity(set, i, policy, &profile, &donor_source, &mut reasons);
            rule_mixture(set, i, policy, &mut reasons);
            d
        };
        let other_het = set
            .variants
            .iter()
            .filter(|v| v.pathogenic.is_none())
            .filter(|v| {
                let c = &v.calls[i];
                c.genotype == Genotype::Het && c.filters.is_empty()
            })
            .count();
        if other_het > 0 {
            reasons.push(Reason::new(
                Rule::OtherHeteroplasmies,
                Outcome::Info,
                Finding::OtherHeteroplasmies { count: other_het },
            ));
        }
        reason::order(&mut reasons);
        // Keep targets that matter for reading the verdict.
        let shown: Vec<TargetLoad> = loads
            .iter()
            .filter(|l| {
                l.verdict != Verdict::Pass || l.af > 0.0 || Some(&l.target) == worst_name.as_ref()
            })
            .cloned()
            .collect();
        let mut verdict = CloneVerdict {
            clone: sample.clone(),
            verdict: reason::verdict_of(&reasons),
            rank: None,
            reasons: Vec::new(),
            decisions: reasons,
            targets: shown,
            worst_target: worst_name,
            max_target_upper_bound: max_ub,
            mean_depth: summary.mean_depth,
            breadth: summary.breadth,
            other_heteroplasmies: other_het,
            identity_differences: differences,
            deletions: dloads,
        };
        verdict.render();
        clones.push(verdict);
    }
    rank_pass_clones(&mut clones);
    Ok(Selection {
        mitosieve_version: crate::VERSION.to_string(),
        command_line: String::new(),
        policy: policy.clone(),
        donor_profile: profile.into_iter().collect(),
        donor_source,
        confidence: conf,
        clones,
    })
}

/// The verdict of one load against its maximum — the one rule targets and deletions
/// share: FAIL when the reads show it above the maximum (`evidence` and the fraction
/// over it) or when even the lower end of its interval lies above it, whatever the call
/// status; PASS when the upper bound lies below; INCONCLUSIVE otherwise, with the depth
/// that would settle it at the observed fraction (none when impractical).
fn load_verdict(
    evidence: bool,
    af: f64,
    af_lo: f64,
    upper_bound: f64,
    max: f64,
    conf: f64,
) -> (Verdict, Option<u64>) {
    if (evidence && af > max) || af_lo > max {
        (Verdict::Fail, None)
    } else if upper_bound < max {
        (Verdict::Pass, None)
    } else {
        // The observed fraction (significant or not) is the best guess of what more
        // reads will show.
        (
            Verdict::Inconclusive,
            practical(depth_to_bound_below(af.min(max * 0.999), max, conf)),
        )
    }
}

fn outcome_of(v: Verdict) -> Outcome {
    match v {
        Verdict::Fail => Outcome::Fail,
        Verdict::Inconclusive => Outcome::Inconclusive,
        Verdict::Pass => Outcome::Pass,
    }
}

/// The targets rule: every screened target of clone `i` against its maximum.
fn rule_targets(
    set: &crate::call::CallSet,
    i: usize,
    policy: &Policy,
    reasons: &mut Vec<Reason>,
) -> (Vec<TargetLoad>, Option<String>, f64) {
    let sample = &set.samples[i];
    let conf = set.config.confidence;
    let mut loads = Vec::new();
    for t in set
        .targets
        .iter()
        .filter(|t| t.sample == *sample && policy.includes(&t.target))
    {
        let max = policy.max_load(&t.target);
        let (verdict, depth_needed) = load_verdict(
            t.status.has_evidence(),
            t.af,
            t.af_ci.lo,
            t.upper_bound,
            max,
            conf,
        );
        if verdict != Verdict::Pass {
            reasons.push(Reason::new(
                Rule::Targets,
                outcome_of(verdict),
                Finding::Load {
                    name: t.target.clone(),
                    deletion: false,
                    af: t.af,
                    af_lo: t.af_ci.lo,
                    af_hi: t.af_ci.hi,
                    upper_bound: t.upper_bound,
                    max_load: max,
                    depth: u64::from(t.depth),
                    status: Some(t.status),
                    filters: t.filters.clone(),
                    junction_reads: None,
                    depth_needed,
                    confidence: conf,
                },
            ));
        }
        loads.push(TargetLoad {
            target: t.target.clone(),
            af: t.af,
            af_lo: t.af_ci.lo,
            af_hi: t.af_ci.hi,
            upper_bound: t.upper_bound,
            max_load: max,
            depth: t.depth,
            status: t.status,
            verdict,
            depth_needed,
        });
    }
    let worst = loads.iter().max_by(|a, b| {
        a.upper_bound
            .total_cmp(&b.upper_bound)
            .then_with(|| b.target.cmp(&a.target))
    });
    let max_ub = worst.map_or(0.0, |w| w.upper_bound);
    let worst_name = worst.map(|w| w.target.clone());
    if let (Some(w), true) = (
        &worst_name,
        loads.iter().all(|l| l.verdict == Verdict::Pass),
    ) {
        reasons.push(Reason::new(
            Rule::Targets,
            Outcome::Pass,
            Finding::AllBelow {
                deletion: false,
                count: loads.len(),
                worst: w.clone(),
                worst_bound: max_ub,
                max_load: policy.targets.max_load,
                confidence: conf,
            },
        ));
    }
    if loads.is_empty() {
        reasons.push(Reason::new(
            Rule::Targets,
            Outcome::Inconclusive,
            Finding::NoTargetScreened,
        ));
    }
    (loads, worst_name, max_ub)
}

/// The deletions rule: every large deletion of clone `i` against the deletion maximum.
fn rule_deletions(
    set: &crate::call::CallSet,
    i: usize,
    policy: &Policy,
    reasons: &mut Vec<Reason>,
) -> Vec<DeletionLoad> {
    let sample = &set.samples[i];
    let conf = set.config.confidence;
    let dmax = policy.deletions.max_load;
    let mut dloads = Vec::new();
    for d in set.deletions.iter().filter(|d| d.sample == *sample) {
        let n = (f64::from(d.junction_reads)
            + (f64::from(d.spanning_left) + f64::from(d.spanning_right)) / 2.0)
            .round() as u64;
        let af = if d.called { d.af } else { 0.0 };
        // A deletion not called is judged by its interval alone (the fraction shown is
        // still the observed one).
        let (verdict, depth_needed) =
            load_verdict(d.called, af, d.af_ci.lo, d.upper_bound, dmax, conf);
        if verdict != Verdict::Pass {
            reasons.push(Reason::new(
                Rule::Deletions,
                outcome_of(verdict),
                Finding::Load {
                    name: d.name.clone(),
                    deletion: true,
                    af: d.af,
                    af_lo: d.af_ci.lo,
                    af_hi: d.af_ci.hi,
                    upper_bound: d.upper_bound,
                    max_load: dmax,
                    depth: n,
                    status: None,
                    filters: Vec::new(),
                    junction_reads: Some(d.junction_reads),
                    depth_needed,
                    confidence: conf,
                },
            ));
        }
        dloads.push(DeletionLoad {
            name: d.name.clone(),
            af: d.af,
            af_lo: d.af_ci.lo,
            af_hi: d.af_ci.hi,
            upper_bound: d.upper_bound,
            max_load: dmax,
            junction_reads: d.junction_reads,
            depth: n,
            called: d.called,
            verdict,
            depth_needed,
        });
    }
    if !set.config.deletion.enabled {
        reasons.push(Reason::new(
            Rule::Deletions,
            Outcome::Inconclusive,
            Finding::DeletionsNotAssessed,
        ));
    }
    if !dloads.is_empty() && dloads.iter().all(|d| d.verdict == Verdict::Pass) {
        if let Some(w) = dloads
            .iter()
            .max_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound))
        {
            reasons.push(Reason::new(
                Rule::Deletions,
                Outcome::Pass,
                Finding::AllBelow {
                    deletion: true,
                    count: dloads.len(),
                    worst: w.name.clone(),
                    worst_bound: w.upper_bound,
                    max_load: dmax,
                    confidence: conf,
                },
            ));
        }
    }
    dloads
}

/// The coverage rule: mean depth and breadth.
fn rule_coverage(
    set: &crate::call::CallSet,
    summary: &crate::call::SampleSummary,
    policy: &Policy,
    reasons: &mut Vec<Reason>,
) {
    let cov = &policy.coverage;
    let min_depth = set.config.min_depth;
    if summary.mean_depth < cov.min_mean_depth {
        reasons.push(Reason::new(
            Rule::Coverage,
            Outcome::Fail,
            Finding::MeanDepth {
                mean: summary.mean_depth,
                min: cov.min_mean_depth,
            },
        ));
    }
    if summary.breadth < cov.min_breadth {
        reasons.push(Reason::new(
            Rule::Coverage,
            Outcome::Fail,
            Finding::Breadth {
                breadth: summary.breadth,
                min_depth,
                min: cov.min_breadth,
            },
        ));
    }
    if summary.mean_depth >= cov.min_mean_depth && summary.breadth >= cov.min_breadth {
        reasons.push(Reason::new(
            Rule::Coverage,
            Outcome::Pass,
            Finding::Coverage {
                mean: summary.mean_depth,
                breadth: summary.breadth,
                min_depth,
            },
        ));
    }
}

/// The identity rule: clone `i`'s homoplasmies against the donor profile; returns the
/// differences.
fn rule_identity(
    set: &crate::call::CallSet,
    i: usize,
    policy: &Policy,
    profile: &BTreeSet<String>,
    source: &str,
    reasons: &mut Vec<Reason>,
) -> Vec<String> {
    let min_depth = set.config.min_depth;
    let mut differences = Vec::new();
    for v in set.variants.iter().filter(|v| is_identity_marker(v)) {
        let c = &v.calls[i];
        if c.depth < min_depth {
            continue; // too few reads to tell
        }
        let in_profile = profile.contains(&v.name);
        if is_homoplasmic(c, set.config.homoplasmy_af) && !in_profile {
            differences.push(format!("+{}", v.name));
        }
        let absent = c.genotype == Genotype::Ref || (c.genotype == Genotype::Het && c.af < 0.5);
        if in_profile && absent {
            differences.push(format!("-{}", v.name));
        }
    }
    let recorded: BTreeSet<&str> = set.variants.iter().map(|v| v.name.as_str()).collect();
    for p in profile {
        if !recorded.contains(p.as_str()) {
            differences.push(format!("-{p}"));
        }
    }
    let outcome = if differences.len() as u32 > policy.identity.max_differences {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    reasons.push(Reason::new(
        Rule::Identity,
        outcome,
        Finding::Identity {
            differences: differences.clone(),
            profile_size: profile.len(),
            source: source.to_string(),
        },
    ));
    differences
}

/// The mixture rule: a second haplotype among clone `i`'s heteroplasmies.
fn rule_mixture(set: &crate::call::CallSet, i: usize, policy: &Policy, reasons: &mut Vec<Reason>) {
    if let Some((median, variants)) = mixture(set, i) {
        let outcome = match policy.identity.mixture {
            MixtureAction::Fail => Outcome::Fail,
            MixtureAction::Inconclusive => Outcome::Inconclusive,
            MixtureAction::Warn => Outcome::Warning,
        };
        reasons.push(Reason::new(
            Rule::Mixture,
            outcome,
            Finding::Mixture { median, variants },
        ));
    }
}

/// Rank the PASS clones (1 = best) and clear the rank of every other clone.
fn rank_pass_clones(clones: &mut [CloneVerdict]) {
    let mut order: Vec<usize> = (0..clones.len())
        .filter(|&i| clones[i].verdict == Verdict::Pass)
        .collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&clones[a], &clones[b]);
        x.max_target_upper_bound
            .total_cmp(&y.max_target_upper_bound)
            .then(x.other_heteroplasmies.cmp(&y.other_heteroplasmies))
            .then(y.mean_depth.total_cmp(&x.mean_depth))
            .then(x.clone.cmp(&y.clone))
    });
    for c in clones.iter_mut() {
        c.rank = None;
    }
    for (r, i) in order.into_iter().enumerate() {
        clones[i].rank = Some(r + 1);
    }
}

/// haplocheck-style check: three or more passing heteroplasmies (not targets, not at
/// artefact-prone sites) whose minor-allele levels agree (within a factor of two of
/// their median) look like a second mtDNA haplotype mixed into the clone.
fn mixture(set: &crate::call::CallSet, i: usize) -> Option<(f64, Vec<String>)> {
    let mut minors: Vec<(f64, &str)> = set
        .variants
        .iter()
        .filter(|v| {
            v.pathogenic.is_none() && v.artefact_site.is_none() && v.kind == VariantKind::Snv
        })
        .filter_map(|v| {
            let c = &v.calls[i];
            (c.genotype == Genotype::Het && c.filters.is_empty())
                .then(|| (c.af.min(1.0 - c.af), v.name.as_str()))
        })
        .collect();
    if minors.len() < 3 {
        return None;
    }
    minors.sort_by(|a, b| a.0.total_cmp(&b.0));
    let median = minors[minors.len() / 2].0;
    let cluster: Vec<&(f64, &str)> = minors
        .iter()
        .filter(|(f, _)| *f >= median / 2.0 && *f <= median * 2.0)
        .collect();
    if cluster.len() < 3 {
        return None;
    }
    let names: Vec<String> = cluster.iter().map(|(_, n)| n.to_string()).collect();
    Some((median, names))
}

/// Files written by [`write_outputs`].
pub const SELECTION_FILES: &[&str] = &["selection.tsv", "selection.json", "policy.resolved.toml"];

/// Write `selection.tsv`, `selection.json` and `policy.resolved.toml` into `dir`,
/// each atomically.
pub fn write_outputs(dir: &Path, sel: &Selection) -> Result<()> {
    use crate::output::write_atomic;
    write_atomic(&dir.join("selection.tsv"), selection_tsv(sel).as_bytes())?;
    let json = serde_json::to_vec_pretty(sel)
        .map_err(|e| Error::Internal(format!("cannot serialise the selection: {e}")))?;
    write_atomic(&dir.join("selection.json"), &json)?;
    let toml = format!(
        "# Policy used by mitosieve {} (defaults filled in)\n# {}\n{}",
        sel.mitosieve_version,
        sel.command_line.replace('\n', " "),
        sel.policy.to_toml()
    );
    write_atomic(&dir.join("policy.resolved.toml"), toml.as_bytes())
}

/// Read a `selection.json`.
pub fn read_selection(path: &Path) -> Result<Selection> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::parse(
            path,
            e.line(),
            format!("not a mitosieve selection.json: {e}"),
        )
    })
}

/// Group the verdicts: counts of PASS, INCONCLUSIVE and FAIL.
pub fn tally(sel: &Selection) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for c in &sel.clones {
        *m.entry(c.verdict.as_str()).or_insert(0) += 1;
    }
    m
}

/// Columns of `selection.tsv`.
pub const SELECTION_COLUMNS: &[&str] = &[
    "clone",
    "verdict",
    "rank",
    "mean_depth",
    "breadth",
    "worst_target",
    "max_target_upper_bound",
    "target_loads",
    "other_heteroplasmies",
    "identity_differences",
    "reasons",
];

/// Render `selection.tsv`.
pub fn selection_tsv(sel: &Selection) -> String {
    let mut out = SELECTION_COLUMNS.join("\t");
    out.push('\n');
    for c in &sel.clones {
        let loads: Vec<String> = c
            .targets
            .iter()
            .map(|t| {
                format!(
                    "{}={} [{}–{}] ub {} max {}",
                    t.target,
                    percent(t.af),
                    percent(t.af_lo),
                    percent(t.af_hi),
                    percent(t.upper_bound),
                    percent(t.max_load)
                )
            })
            .collect();
        out.push_str(&format!(
            "{}\t{}\t{}\t{:.1}\t{:.4}\t{}\t{:.6}\t{}\t{}\t{}\t{}\n",
            c.clone,
            c.verdict.as_str(),
            c.rank.map_or_else(|| ".".to_string(), |r| r.to_string()),
            c.mean_depth,
            c.breadth,
            c.worst_target.clone().unwrap_or_else(|| ".".into()),
            c.max_target_upper_bound,
            if loads.is_empty() {
                ".".to_string()
            } else {
                loads.join("; ")
            },
            c.other_heteroplasmies,
            if c.identity_differences.is_empty() {
                ".".to_string()
            } else {
                c.identity_differences.join(",")
            },
            c.reasons.join(" | ").replace(['\t', '\n'], " ")
        ));
    }
    out
}
