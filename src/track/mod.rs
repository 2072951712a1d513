//! Heteroplasmy tracking during expansion: `mitosieve track`.
//!
//! A clone that was selected once is expanded for many passages, and its heteroplasmy
//! can drift (random segregation, or selection for mutant mtDNA). `track` takes the
//! same clones sequenced at several passages and says, for every clone and every
//! variant that matters, how its fraction moved.
//!
//! **Calling.** All passages of all clones are called *together* with
//! [`crate::call::call_with`], each clone × passage a sample named `<clone>@<passage>`,
//! so the sibling-clone background model learns its error rates from every library of
//! the run, and the fractions of one clone at different passages are measured against
//! the same background.
//!
//! **What is tracked.** For each clone: every screened pathogenic target (the policy's
//! targets) that is called (heteroplasmic or homoplasmic, filtered or not) at any of
//! its passages, and every other variant with a passing heteroplasmic call at any of
//! its passages. A target never called in any passage is not tracked: it has nothing to
//! drift from (the selection's upper bounds speak for it).
//!
//! **Statistics** ([`stats`]). Between the first and the last passage, and between
//! consecutive passages, a likelihood-ratio test of "same fraction" under a
//! beta-binomial with over-dispersion `ρ` = the larger of [`TrackConfig::overdispersion`]
//! (default 10⁻³: technical scatter between libraries of one clone) and the median
//! over-dispersion of the run's background model at that allele; the change per passage
//! is the weighted least-squares slope of the fraction on the passage number (or on the
//! days since the clone's first passage, when passages are dates).
//!
//! **Flags** ([`Flag`]): `DRIFT_UP` / `DRIFT_DOWN` (first → last significant at
//! [`TrackConfig::alpha`], default 1%), `FLUCTUATING` (not, but a consecutive step is,
//! Bonferroni over the steps), `STABLE`; `CROSSED_LIMIT` for a screened target at or
//! below its policy maximum at the first passage and called above it at a later one;
//! `NEW_VARIANT` for a variant without evidence above the technical background at the first
//! passage (not called, not seen below the calling threshold) and called (passing) at a
//! later one.
//!
//! **Drift rule.** A screened target whose load rose by more than the policy's
//! `drift.max_increase` (default 2 percentage points) between the first and last
//! passage, with a significant first → last test, fails the clone:
//! [`crate::select::select_with_track`].
//!
//! ```no_run
//! use mitosieve::call::{CallConfig, Catalogue};
//! use mitosieve::count::{count, CountConfig};
//! use mitosieve::select::Policy;
//! use mitosieve::track::{track, Passage, PassageSample, TrackConfig};
//! let c = count(&["c1_p5.bam".into(), "c1_p10.bam".into()], &CountConfig::default())?;
//! let samples = vec![
//!     PassageSample { clone: "c1".into(), passage: Passage::parse("5").unwrap(), counts: &c[0].counts },
//!     PassageSample { clone: "c1".into(), passage: Passage::parse("10").unwrap(), counts: &c[1].counts },
//! ];
//! let tracked = track(&samples, &CallConfig::default(), &Catalogue::builtin(),
//!                     &Policy::default(), &TrackConfig::default())?;
//! for t in &tracked.set.clones[0].trajectories {
//!     println!("{} {:?}", t.variant, t.flags);
//! }
//! # Ok::<(), mitosieve::Error>(())
//! ```

mod sheet;
pub mod stats;

pub use sheet::{parse_sheet, read_sheet, Passage, PassageKind, SheetRow, SHEET_COLUMNS};

use crate::call::{
    call_with, percent, CallConfig, CallSet, Catalogue, Genotype, SampleCall, VariantKind,
};
use crate::count::Counts;
use crate::error::{Error, Result};
use crate::model::Interval;
use crate::policy::Policy;
use crate::reference::Position;
use serde::{Deserialize, Serialize};
use stats::{test_series, SeriesPoint};
use std::collections::HashMap;
use std::path::Path;

/// A flag of a trajectory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Flag {
    /// The fraction rose significantly between the first and the last passage.
    DriftUp,
    /// The fraction fell significantly between the first and the last passage.
    DriftDown,
    /// No significant net change, but a significant change between consecutive
    /// passages.
    Fluctuating,
    /// No significant change at all.
    Stable,
    /// A screened target at or below its policy maximum at the first passage was called
    /// above it at a later passage.
    CrossedLimit,
    /// No evidence above the technical background at the first passage (neither called
    /// nor seen below the calling threshold), called (passing every filter) at a later
    /// one.
    NewVariant,
}

impl Flag {
    /// The name used in tables (`DRIFT_UP`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::DriftUp => "DRIFT_UP",
            Flag::DriftDown => "DRIFT_DOWN",
            Flag::Fluctuating => "FLUCTUATING",
            Flag::Stable => "STABLE",
            Flag::CrossedLimit => "CROSSED_LIMIT",
            Flag::NewVariant => "NEW_VARIANT",
        }
    }
}

/// Settings of the drift statistics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackConfig {
    /// Significance level of the first → last test (consecutive steps: divided by the
    /// number of steps).
    pub alpha: f64,
    /// Smallest over-dispersion (intra-class correlation) assumed between libraries of
    /// one clone; the run's background over-dispersion at the allele is used when
    /// larger.
    pub overdispersion: f64,
}

impl Default for TrackConfig {
    fn default() -> Self {
        TrackConfig {
            alpha: 0.01,
            overdispersion: 1e-3,
        }
    }
}

impl TrackConfig {
    /// Check that every setting is in range.
    ///
    /// ```
    /// use mitosieve::track::TrackConfig;
    /// assert!(TrackConfig::default().validate().is_ok());
    /// assert!(TrackConfig { alpha: 0.0, ..TrackConfig::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(Error::Config(format!(
                "the drift test's alpha must be between 0 and 1, got {}",
                self.alpha
            )));
        }
        if !(0.0..0.5).contains(&self.overdispersion) {
            return Err(Error::Config(format!(
                "overdispersion must be in [0, 0.5), got {}",
                self.overdispersion
            )));
        }
        Ok(())
    }
}

/// One clone at one passage, ready for calling.
#[derive(Clone, Debug)]
pub struct PassageSample<'a> {
    /// Clone name.
    pub clone: String,
    /// Passage.
    pub passage: Passage,
    /// The clone's counts at that passage.
    pub counts: &'a Counts,
}

/// The sample name of a clone at a passage in the joint call set: `<clone>@<passage>`.
///
/// ```
/// use mitosieve::track::{sample_name, Passage};
/// assert_eq!(sample_name("c1", &Passage::parse("P5").unwrap()), "c1@P5");
/// ```
pub fn sample_name(clone: &str, passage: &Passage) -> String {
    format!("{clone}@{}", passage.label)
}

/// One passage of a clone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassageInfo {
    /// The passage as written in the sheet.
    pub passage: Passage,
    /// Position on the plot and slope axis: the passage number, or for dates the days
    /// since the clone's first passage.
    pub x: f64,
    /// Sample name in the joint call set (`<clone>@<passage>`).
    pub sample: String,
    /// Mean usable depth of this library.
    pub mean_depth: f64,
}

/// The fraction of one variant in one clone at one passage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryPoint {
    /// Passage label.
    pub passage: String,
    /// Position on the passage axis (see [`PassageInfo::x`]).
    pub x: f64,
    /// Usable depth.
    pub depth: u32,
    /// ALT reads.
    pub alt_count: u32,
    /// Observed fraction.
    pub af: f64,
    /// Exact two-sided interval of the fraction (the run's confidence).
    pub af_ci: Interval,
    /// Genotype of the call at this passage.
    pub genotype: Genotype,
    /// Filters the call failed (empty = PASS).
    pub filters: Vec<String>,
    /// Called here: heteroplasmic or homoplasmic and passing every filter.
    pub called: bool,
}

/// A test between two passages, as reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Earlier passage (label).
    pub from: String,
    /// Later passage (label).
    pub to: String,
    /// Change of the fraction (later − earlier).
    pub change: f64,
    /// Two-sided p-value of the likelihood-ratio test.
    pub p_value: f64,
}

/// How one variant moved in one clone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trajectory {
    /// Clone.
    pub clone: String,
    /// Variant name (`m.3243A>G`).
    pub variant: String,
    /// Position (1-based; for an indel the anchor base).
    pub pos: Position,
    /// VCF REF.
    pub ref_allele: String,
    /// VCF ALT.
    pub alt_allele: String,
    /// Gene or locus.
    pub locus: String,
    /// Whether it is a screened pathogenic target of the policy.
    pub target: bool,
    /// The target's policy maximum.
    pub max_load: Option<f64>,
    /// Over-dispersion used by the tests.
    pub overdispersion: f64,
    /// One point per passage, in passage order.
    pub points: Vec<TrajectoryPoint>,
    /// First → last passage with usable reads.
    pub overall: Option<Change>,
    /// Consecutive passages.
    pub steps: Vec<Change>,
    /// Weighted least-squares change of the fraction per unit of the passage axis.
    pub slope: Option<f64>,
    /// Its standard error.
    pub slope_se: Option<f64>,
    /// Flags: one of `DRIFT_UP`, `DRIFT_DOWN`, `FLUCTUATING`, `STABLE` (none with a single
    /// covered passage), then `CROSSED_LIMIT` and `NEW_VARIANT` when they apply.
    pub flags: Vec<Flag>,
    /// A screened target that rose by more than the policy's `drift.max_increase` with a
    /// significant first → last test: the drift rule fails the clone.
    pub exceeds_drift_limit: bool,
}

impl Trajectory {
    /// Whether it carries a flag.
    pub fn has(&self, f: Flag) -> bool {
        self.flags.contains(&f)
    }
}

/// All trajectories of one clone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloneTrack {
    /// Clone.
    pub clone: String,
    /// Its passages, in order.
    pub passages: Vec<PassageInfo>,
    /// Targets first (by position), then other variants by position.
    pub trajectories: Vec<Trajectory>,
}

/// The result of [`track`]: every clone's trajectories, with the settings behind them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackSet {
    /// mitosieve version.
    pub mitosieve_version: String,
    /// The command line (set by the caller).
    pub command_line: String,
    /// Drift-test settings.
    pub config: TrackConfig,
    /// The policy whose maxima and drift rule were applied.
    pub policy: Policy,
    /// Passages are numbers or dates (slopes per passage or per day).
    pub axis: PassageKind,
    /// Confidence of the intervals (the caller's).
    pub confidence: f64,
    /// The caller's settings.
    pub call_config: CallConfig,
    /// Target catalogue (version and source).
    pub catalogue: String,
    /// One entry per clone, in sheet order.
    pub clones: Vec<CloneTrack>,
}

impl TrackSet {
    /// The unit of [`Trajectory::slope`]: `per_passage` or `per_day`.
    pub fn slope_unit(&self) -> &'static str {
        match self.axis {
            PassageKind::Number => "per_passage",
            PassageKind::Date => "per_day",
        }
    }
}

/// The joint calls and what was tracked in them.
#[derive(Clone, Debug)]
pub struct Tracked {
    /// The trajectories.
    pub set: TrackSet,
    /// The joint call set (samples `<clone>@<passage>`, in the order given).
    pub calls: CallSet,
}

/// Call every passage of every clone together and track every clone's variants (see
/// the module docs).
///
/// ```no_run
/// # fn demo(samples: &[mitosieve::track::PassageSample<'_>]) -> mitosieve::Result<()> {
/// use mitosieve::track::{track, Flag, TrackConfig};
/// let t = track(samples, &Default::default(), &mitosieve::call::Catalogue::builtin(),
///               &Default::default(), &TrackConfig::default())?;
/// let drifting = t.set.clones.iter()
///     .filter(|c| c.trajectories.iter().any(|t| t.has(Flag::DriftUp)))
///     .count();
/// println!("{drifting} clone(s) drift up");
/// # Ok(()) }
/// ```
pub fn track(
    samples: &[PassageSample<'_>],
    call_config: &CallConfig,
    catalogue: &Catalogue,
    policy: &Policy,
    config: &TrackConfig,
) -> Result<Tracked> {
    config.validate()?;
    let names: Vec<String> = samples
        .iter()
        .map(|s| sample_name(&s.clone, &s.passage))
        .collect();
    let input: Vec<(&str, &Counts)> = names
        .iter()
        .zip(samples)
        .map(|(n, s)| (n.as_str(), s.counts))
        .collect();
    let calls = call_with(&input, call_config, catalogue)?;
    let meta: Vec<(String, Passage)> = samples
        .iter()
        .map(|s| (s.clone.clone(), s.passage.clone()))
        .collect();
    let set = track_calls(&calls, &meta, policy, config)?;
    Ok(Tracked { set, calls })
}

/// Track the variants of a joint call set whose sample `i` is clone `samples[i].0` at
/// passage `samples[i].1` (what [`track`] does after calling).
///
/// ```
/// use mitosieve::track::{track_calls, Passage, TrackConfig};
/// use mitosieve::select::Policy;
/// # let calls = mitosieve::call::CallSet {
/// #     mitosieve_version: String::new(), samples: vec![], config: Default::default(),
/// #     catalogue: String::new(), variants: vec![], targets: vec![], summaries: vec![],
/// #     deletions: vec![] };
/// // The sample list must match the call set's samples one to one.
/// let err = track_calls(&calls, &[("c1".into(), Passage::parse("1").unwrap())],
///                       &Policy::default(), &TrackConfig::default());
/// assert!(err.is_err());
/// ```
pub fn track_calls(
    calls: &CallSet,
    samples: &[(String, Passage)],
    policy: &Policy,
    config: &TrackConfig,
) -> Result<TrackSet> {
    config.validate()?;
    if samples.len() != calls.samples.len() || samples.is_empty() {
        return Err(Error::Input(format!(
            "{} passage(s) given for a call set of {} sample(s)",
            samples.len(),
            calls.samples.len()
        )));
    }
    let axis = samples[0].1.kind;
    if let Some((c, p)) = samples.iter().find(|(_, p)| p.kind != axis) {
        return Err(Error::Input(format!(
            "passage '{}' of clone '{c}' is not written like the others: use numbers for every passage or dates for every one",
            p.label
        )));
    }
    // Clones in order of first appearance; passages sorted.
    let mut order: Vec<&str> = Vec::new();
    let mut by_clone: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (c, _)) in samples.iter().enumerate() {
        by_clone
            .entry(c.as_str())
            .or_insert_with(|| {
                order.push(c.as_str());
                Vec::new()
            })
            .push(i);
    }
    let mut clones = Vec::with_capacity(order.len());
    for clone in order {
        let mut idx = by_clone.remove(clone).unwrap_or_default();
        idx.sort_by(|&a, &b| samples[a].1.value.total_cmp(&samples[b].1.value));
        for w in idx.windows(2) {
            if samples[w[0]].1.value == samples[w[1]].1.value {
                return Err(Error::Input(format!(
                    "clone '{clone}' has passage {} twice",
                    samples[w[1]].1.label
                )));
            }
        }
        clones.push(track_clone(calls, samples, clone, &idx, policy, config));
    }
    Ok(TrackSet {
        mitosieve_version: crate::VERSION.to_string(),
        command_line: String::new(),
        config: config.clone(),
        policy: policy.clone(),
        axis,
        confidence: calls.config.confidence,
        call_config: calls.config.clone(),
        catalogue: calls.catalogue.clone(),
        clones,
    })
}

fn track_clone(
    calls: &CallSet,
    samples: &[(String, Passage)],
    clone: &str,
    idx: &[usize],
    policy: &Policy,
    config: &TrackConfig,
) -> CloneTrack {
    let origin = match samples[idx[0]].1.kind {
        PassageKind::Number => 0.0,
        PassageKind::Date => samples[idx[0]].1.value,
    };
    let passages: Vec<PassageInfo> = idx
        .iter()
        .map(|&i| PassageInfo {
            passage: samples[i].1.clone(),
            x: samples[i].1.value - origin,
            sample: calls.samples[i].clone(),
            mean_depth: calls.summaries.get(i).map_or(0.0, |s| s.mean_depth),
        })
        .collect();
    let mut trajectories = Vec::new();
    for v in &calls.variants {
        let mine: Vec<&SampleCall> = idx.iter().map(|&i| &v.calls[i]).collect();
        let target =
            v.kind == VariantKind::Snv && v.pathogenic.is_some() && policy.includes(&v.name);
        let passing = |c: &SampleCall| c.genotype.is_variant() && c.filters.is_empty();
        let keep = if target {
            mine.iter().any(|c| c.genotype.is_variant())
        } else {
            mine.iter()
                .any(|c| c.genotype == Genotype::Het && c.filters.is_empty())
        };
        if !keep {
            continue;
        }
        let mut rhos: Vec<f64> = mine.iter().filter_map(|c| c.model.map(|m| m.rho)).collect();
        rhos.sort_by(f64::total_cmp);
        let run_rho = rhos.get(rhos.len() / 2).copied().unwrap_or(0.0);
        let rho = config.overdispersion.max(run_rho);
        let points: Vec<TrajectoryPoint> = mine
            .iter()
            .zip(&passages)
            .map(|(c, p)| TrajectoryPoint {
                passage: p.passage.label.clone(),
                x: p.x,
                depth: c.depth,
                alt_count: c.alt_count,
                af: c.af,
                af_ci: c.af_ci,
                genotype: c.genotype,
                filters: c.filters.clone(),
                called: passing(c),
            })
            .collect();
        let series: Vec<SeriesPoint> = points
            .iter()
            .map(|p| SeriesPoint {
                x: p.x,
                alt: u64::from(p.alt_count),
                depth: u64::from(p.depth),
            })
            .collect();
        let st = test_series(&series, rho, config.alpha);
        let label = |i: usize| points[i].passage.clone();
        let overall = match (st.first, st.last, st.overall) {
            (Some(a), Some(b), Some(t)) => Some(Change {
                from: label(a),
                to: label(b),
                change: t.change,
                p_value: t.p_value,
            }),
            _ => None,
        };
        let steps = st
            .steps
            .iter()
            .map(|s| Change {
                from: label(s.from),
                to: label(s.to),
                change: s.test.change,
                p_value: s.test.p_value,
            })
            .collect();
        let mut flags: Vec<Flag> = st.direction.into_iter().collect();
        let max_load = target.then(|| policy.max_load(&v.name));
        if let (Some(max), Some(first)) = (max_load, st.first) {
            let crossed = points[first].af <= max
                && points[first + 1..]
                    .iter()
                    .any(|p| p.genotype.is_variant() && p.af > max);
            if crossed {
                flags.push(Flag::CrossedLimit);
            }
        }
        if let Some(first) = st.first {
            // New: no evidence above the technical background at the first passage
            // (an allele seen there below the calling threshold is not new).
            let seen_first = mine[first].genotype.is_variant() || mine[first].above_background;
            if !seen_first && points[first + 1..].iter().any(|p| p.called) {
                flags.push(Flag::NewVariant);
            }
        }
        let exceeds_drift_limit = target
            && overall
                .as_ref()
                .is_some_and(|o| drift_exceeds(o, policy, config));
        trajectories.push(Trajectory {
            clone: clone.to_string(),
            variant: v.name.clone(),
            pos: v.pos,
            ref_allele: v.ref_allele.clone(),
            alt_allele: v.alt_allele.clone(),
            locus: v.locus.clone(),
            target,
            max_load,
            overdispersion: rho,
            points,
            overall,
            steps,
            slope: st.slope.map(|s| s.slope),
            slope_se: st.slope.map(|s| s.se),
            flags,
            exceeds_drift_limit,
        });
    }
    // Targets first, then by position (the call set is already in position order).
    trajectories.sort_by_key(|t| !t.target);
    CloneTrack {
        clone: clone.to_string(),
        passages,
        trajectories,
    }
}

/// The drift rule: a rise of more than `policy.drift.max_increase` between the first
/// and last passage, significant at `config.alpha`.
///
/// ```
/// use mitosieve::track::{drift_exceeds, Change, TrackConfig};
/// use mitosieve::select::Policy;
/// let c = Change { from: "5".into(), to: "15".into(), change: 0.07, p_value: 1e-9 };
/// assert!(drift_exceeds(&c, &Policy::default(), &TrackConfig::default()));
/// let small = Change { change: 0.015, ..c.clone() };
/// assert!(!drift_exceeds(&small, &Policy::default(), &TrackConfig::default()));
/// let noisy = Change { p_value: 0.2, ..c };
/// assert!(!drift_exceeds(&noisy, &Policy::default(), &TrackConfig::default()));
/// ```
pub fn drift_exceeds(overall: &Change, policy: &Policy, config: &TrackConfig) -> bool {
    overall.change > policy.drift.max_increase && overall.p_value <= config.alpha
}

/// The calls of each clone at its last passage, as a call set of its own whose samples
/// are the clone names (in the track's clone order): what `select` judges when passages
/// are given. Site filters and qualities are recomputed for those samples; variants no
/// longer called in any of them are dropped (targets are kept).
///
/// ```no_run
/// # fn demo(t: &mitosieve::track::Tracked) {
/// let now = mitosieve::track::latest_calls(&t.calls, &t.set);
/// assert_eq!(now.samples.len(), t.set.clones.len());
/// # }
/// ```
pub fn latest_calls(calls: &CallSet, track: &TrackSet) -> CallSet {
    let index: HashMap<&str, usize> = calls
        .samples
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let picks: Vec<(usize, &str)> = track
        .clones
        .iter()
        .filter_map(|c| {
            let last = c.passages.last()?;
            index
                .get(last.sample.as_str())
                .map(|&i| (i, c.clone.as_str()))
        })
        .collect();
    let rename: HashMap<&str, &str> = picks
        .iter()
        .map(|&(i, c)| (calls.samples[i].as_str(), c))
        .collect();
    let mut variants = Vec::new();
    for v in &calls.variants {
        let sub: Vec<SampleCall> = picks.iter().map(|&(i, _)| v.calls[i].clone()).collect();
        if v.pathogenic.is_none() && !sub.iter().any(|c| c.genotype.is_variant()) {
            continue;
        }
        let mut nv = v.clone();
        nv.filters = if sub
            .iter()
            .any(|c| c.genotype.is_variant() && c.filters.is_empty())
        {
            vec!["PASS".into()]
        } else {
            let mut f: Vec<String> = sub
                .iter()
                .filter(|c| c.genotype.is_variant())
                .flat_map(|c| c.filters.iter().cloned())
                .collect();
            f.sort();
            f.dedup();
            if f.is_empty() {
                f.push("not_detected".into());
            }
            f
        };
        nv.qual = sub.iter().map(|c| c.qual).fold(0.0, f64::max);
        nv.calls = sub;
        variants.push(nv);
    }
    let pick_rows = |sample: &str| rename.get(sample).map(|c| c.to_string());
    let mut targets = Vec::new();
    for &(i, clone) in &picks {
        for t in calls
            .targets
            .iter()
            .filter(|t| t.sample == calls.samples[i])
        {
            let mut t = t.clone();
            t.sample = clone.to_string();
            targets.push(t);
        }
    }
    // Keep the call set's target order: catalogue order, then clones.
    let target_rank: HashMap<&str, usize> = calls
        .targets
        .iter()
        .enumerate()
        .map(|(k, t)| (t.target.as_str(), k))
        .rev()
        .collect();
    targets.sort_by_key(|t| target_rank.get(t.target.as_str()).copied().unwrap_or(0));
    let summaries = picks
        .iter()
        .filter_map(|&(i, clone)| {
            calls.summaries.get(i).map(|s| {
                let mut s = s.clone();
                s.sample = clone.to_string();
                s
            })
        })
        .collect();
    let deletions = calls
        .deletions
        .iter()
        .filter_map(|d| {
            pick_rows(&d.sample).map(|c| {
                let mut d = d.clone();
                d.sample = c;
                d
            })
        })
        .collect();
    CallSet {
        mitosieve_version: calls.mitosieve_version.clone(),
        samples: picks.iter().map(|&(_, c)| c.to_string()).collect(),
        config: calls.config.clone(),
        catalogue: calls.catalogue.clone(),
        variants,
        targets,
        summaries,
        deletions,
    }
}

/// Columns of `track.tsv`, one row per clone and tracked variant:
///
/// | column | meaning |
/// |---|---|
/// | `clone` | clone name |
/// | `variant` | variant (`m.3243A>G`, `m.310_311insC`) |
/// | `pos`, `ref`, `alt` | position (1-based) and VCF alleles |
/// | `locus` | gene or locus |
/// | `target` | `yes` for a screened pathogenic target of the policy |
/// | `max_load` | the target's policy maximum (`.` for other variants) |
/// | `passages` | number of passages of the clone |
/// | `first_passage`, `last_passage` | first and last passage with usable reads |
/// | `af_first`, `af_last` | fraction at those passages |
/// | `change` | `af_last − af_first` |
/// | `p_value` | first → last likelihood-ratio test (beta-binomial, `overdispersion`) |
/// | `slope`, `slope_se` | weighted least-squares change of the fraction per `slope_unit`, and its standard error |
/// | `slope_unit` | `per_passage` (numeric passages) or `per_day` (dates) |
/// | `overdispersion` | over-dispersion (intra-class correlation) used by the tests |
/// | `flags` | `DRIFT_UP`, `DRIFT_DOWN`, `FLUCTUATING` or `STABLE`, then `CROSSED_LIMIT`, `NEW_VARIANT` (comma-separated; `.` when nothing could be tested) |
/// | `exceeds_drift_limit` | `yes` when the drift rule fails the clone (a target rose by more than `drift.max_increase`, significantly) |
/// | `trajectory` | per passage `passage:fraction[lo–hi]alt/depth`, `*` after a passage where it is called, separated by `; ` |
/// | `steps` | consecutive passages: `from>to:change,p=…`, separated by `; ` |
pub const TRACK_COLUMNS: &[&str] = &[
    "clone",
    "variant",
    "pos",
    "ref",
    "alt",
    "locus",
    "target",
    "max_load",
    "passages",
    "first_passage",
    "last_passage",
    "af_first",
    "af_last",
    "change",
    "p_value",
    "slope",
    "slope_se",
    "slope_unit",
    "overdispersion",
    "flags",
    "exceeds_drift_limit",
    "trajectory",
    "steps",
];

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| ".".to_string(), |v| format!("{v:.digits$}"))
}

fn pvalue(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.4}")
    } else {
        format!("{p:.3e}")
    }
}

/// Render `track.tsv` (columns: [`TRACK_COLUMNS`]).
///
/// ```
/// # let set = mitosieve::track::TrackSet {
/// #     mitosieve_version: String::new(), command_line: String::new(),
/// #     config: Default::default(), policy: Default::default(),
/// #     axis: mitosieve::track::PassageKind::Number, confidence: 0.95,
/// #     call_config: Default::default(), catalogue: String::new(), clones: vec![] };
/// let tsv = mitosieve::track::track_tsv(&set);
/// assert!(tsv.starts_with("clone\tvariant\t"));
/// ```
pub fn track_tsv(set: &TrackSet) -> String {
    let mut out = TRACK_COLUMNS.join("\t");
    out.push('\n');
    for c in &set.clones {
        for t in &c.trajectories {
            let first = t.overall.as_ref().map(|o| o.from.clone()).or_else(|| {
                t.points
                    .iter()
                    .find(|p| p.depth > 0)
                    .map(|p| p.passage.clone())
            });
            let last = t.overall.as_ref().map(|o| o.to.clone()).or(first.clone());
            let af_at = |label: &Option<String>| {
                label
                    .as_ref()
                    .and_then(|l| t.points.iter().find(|p| &p.passage == l))
                    .map(|p| p.af)
            };
            let flags: Vec<&str> = t.flags.iter().map(|f| f.as_str()).collect();
            let trajectory: Vec<String> = t
                .points
                .iter()
                .map(|p| {
                    format!(
                        "{}:{:.5}[{:.5}–{:.5}]{}/{}{}",
                        p.passage,
                        p.af,
                        p.af_ci.lo,
                        p.af_ci.hi,
                        p.alt_count,
                        p.depth,
                        if p.called { "*" } else { "" }
                    )
                })
                .collect();
            let steps: Vec<String> = t
                .steps
                .iter()
                .map(|s| {
                    format!(
                        "{}>{}:{:+.5},p={}",
                        s.from,
                        s.to,
                        s.change,
                        pvalue(s.p_value)
                    )
                })
                .collect();
            let cells: Vec<String> = vec![
                t.clone.clone(),
                t.variant.clone(),
                t.pos.to_string(),
                t.ref_allele.clone(),
                t.alt_allele.clone(),
                t.locus.clone(),
                if t.target { "yes" } else { "no" }.into(),
                opt(t.max_load, 4),
                c.passages.len().to_string(),
                first.clone().unwrap_or_else(|| ".".into()),
                last.clone().unwrap_or_else(|| ".".into()),
                opt(af_at(&first), 6),
                opt(af_at(&last), 6),
                opt(t.overall.as_ref().map(|o| o.change), 6),
                t.overall
                    .as_ref()
                    .map_or_else(|| ".".into(), |o| pvalue(o.p_value)),
                opt(t.slope, 6),
                opt(t.slope_se, 6),
                set.slope_unit().into(),
                format!("{:.2e}", t.overdispersion),
                if flags.is_empty() {
                    ".".into()
                } else {
                    flags.join(",")
                },
                if t.exceeds_drift_limit { "yes" } else { "no" }.into(),
                trajectory.join("; "),
                if steps.is_empty() {
                    ".".into()
                } else {
                    steps.join("; ")
                },
            ];
            let line: Vec<String> = cells
                .into_iter()
                .map(|c| c.replace(['\t', '\n', '\r'], " "))
                .collect();
            out.push_str(&line.join("\t"));
            out.push('\n');
        }
    }
    out
}

/// A one-line summary of a trajectory for terminals and reasons
/// (`m.3243A>G 1.0% → 3.1% → 8.2%`).
///
/// ```
/// # use mitosieve::track::*;
/// # let p = |l: &str, af: f64| TrajectoryPoint { passage: l.into(), x: 0.0, depth: 100,
/// #   alt_count: 0, af, af_ci: mitosieve::model::Interval { lo: 0.0, hi: 1.0 },
/// #   genotype: mitosieve::call::Genotype::Het, filters: vec![], called: true };
/// # let t = Trajectory { clone: "c".into(), variant: "m.3243A>G".into(),
/// #   pos: mitosieve::Position::new(3243).unwrap(), ref_allele: "A".into(), alt_allele: "G".into(),
/// #   locus: "TL1".into(), target: true, max_load: Some(0.05), overdispersion: 1e-3,
/// #   points: vec![p("5", 0.01), p("10", 0.031)], overall: None, steps: vec![],
/// #   slope: None, slope_se: None, flags: vec![], exceeds_drift_limit: false };
/// assert_eq!(mitosieve::track::describe(&t), "m.3243A>G 1.0% → 3.1%");
/// ```
pub fn describe(t: &Trajectory) -> String {
    let path: Vec<String> = t
        .points
        .iter()
        .map(|p| {
            if p.depth == 0 {
                "no reads".to_string()
            } else {
                percent(p.af)
            }
        })
        .collect();
    format!("{} {}", t.variant, path.join(" → "))
}

/// Files written by [`write_outputs`].
pub const TRACK_FILES: &[&str] = &["track.tsv", "track.json"];

/// Write `track.tsv` and `track.json` into `dir`, each atomically.
///
/// ```no_run
/// # fn demo(set: &mitosieve::track::TrackSet) -> mitosieve::Result<()> {
/// mitosieve::track::write_outputs("track/".as_ref(), set)?;
/// let again = mitosieve::track::read_track("track/track.json".as_ref())?;
/// assert_eq!(&again, set);
/// # Ok(()) }
/// ```
pub fn write_outputs(dir: &Path, set: &TrackSet) -> Result<()> {
    use crate::output::write_atomic;
    write_atomic(&dir.join(TRACK_FILES[0]), track_tsv(set).as_bytes())?;
    let json = serde_json::to_vec_pretty(set)
        .map_err(|e| Error::Internal(format!("cannot serialise the track: {e}")))?;
    write_atomic(&dir.join(TRACK_FILES[1]), &json)
}

/// Read a `track.json` written by [`write_outputs`].
///
/// ```no_run
/// let t = mitosieve::track::read_track("track/track.json".as_ref())?;
/// println!("{} clone(s)", t.clones.len());
/// # Ok::<(), mitosieve::Error>(())
/// ```
pub fn read_track(path: &Path) -> Result<TrackSet> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::parse(path, e.line(), format!("not a mitosieve track.json: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::{Allele, Counts, SiteCounts, FWD, REV};
    use crate::reference::rcrs;
    use crate::sim::rng::Rng;

    /// [`track`] with every default setting, the built-in catalogue and policy.
    fn track_defaults(samples: &[PassageSample<'_>]) -> Tracked {
        track(
            samples,
            &CallConfig::default(),
            &Catalogue::builtin(),
            &Policy::default(),
            &TrackConfig::default(),
        )
        .unwrap()
    }

    /// `n` reads of allele `a` at quality `q`, split over the strands.
    fn put(site: &mut SiteCounts, a: Allele, n: u32, q: u64) {
        let f = n / 2;
        for (strand, k) in [(FWD, f), (REV, n - f)] {
            site.n[strand][a as usize] += k;
            site.qsum[strand][a as usize] += u64::from(k) * q;
        }
    }

    /// Counts with `depth` reads at every position (reference base, plus 0-2 reads of a
    /// sequencing error), and at each listed position `n` reads of the given base.
    fn counts(depth: u32, alts: &[(u32, char, u32)], rng: &mut Rng) -> Counts {
        let mut c = Counts::new();
        for (i, site) in c.sites_mut().iter_mut().enumerate() {
            let r = Allele::from_ascii(rcrs()[i]).unwrap_or(Allele::A);
            let err = rng.below(3) as u32;
            let other = Allele::BASES.iter().copied().find(|&a| a != r).unwrap();
            let (alt_n, alt_a) = alts
                .iter()
                .find(|(p, _, _)| *p as usize == i + 1)
                .map_or((0, r), |&(_, a, n)| {
                    (n, Allele::from_ascii(a as u8).unwrap())
                });
            put(site, r, depth - alt_n - err, 37);
            put(site, other, err, 37);
            if alt_n > 0 {
                put(site, alt_a, alt_n, 37);
            }
        }
        c
    }

    #[test]
    fn drift_stable_new_variant_and_the_last_passage() {
        let mut rng = Rng::seed_from_u64(3);
        let d = 2000;
        let drift = [
            counts(d, &[(3243, 'G', 20)], &mut rng),
            counts(d, &[(3243, 'G', 60)], &mut rng),
            counts(d, &[(3243, 'G', 160)], &mut rng),
        ];
        let stable = [
            counts(d, &[(3243, 'G', 40)], &mut rng),
            counts(d, &[(3243, 'G', 42)], &mut rng),
            counts(d, &[(3243, 'G', 38), (5460, 'A', 100)], &mut rng),
        ];
        let clean = [counts(d, &[], &mut rng), counts(d, &[], &mut rng)];
        let mut samples = Vec::new();
        for (name, list, passages) in [
            ("drift", &drift[..], &["5", "10", "15"][..]),
            ("stable", &stable[..], &["5", "10", "15"][..]),
            ("clean", &clean[..], &["5", "15"][..]),
        ] {
            for (c, p) in list.iter().zip(passages) {
                samples.push(PassageSample {
                    clone: name.into(),
                    passage: Passage::parse(p).unwrap(),
                    counts: c,
                });
            }
        }
        // Reverse the order: passages are sorted by value, not by sheet order.
        samples.reverse();
        let t = track_defaults(&samples);
        let set = &t.set;
        let clone = |n: &str| set.clones.iter().find(|c| c.clone == n).unwrap();
        let traj = |c: &str, v: &str| {
            clone(c)
                .trajectories
                .iter()
                .find(|t| t.variant == v)
                .unwrap_or_else(|| panic!("{c} {v} not tracked"))
        };
        let d = traj("drift", "m.3243A>G");
        assert_eq!(
            d.points
                .iter()
                .map(|p| p.passage.as_str())
                .collect::<Vec<_>>(),
            ["5", "10", "15"]
        );
        assert!(
            d.has(Flag::DriftUp) && d.has(Flag::CrossedLimit),
            "{:?}",
            d.flags
        );
        assert!(d.exceeds_drift_limit && d.target);
        assert!(d.slope.unwrap() > 0.005);
        let s = traj("stable", "m.3243A>G");
        assert_eq!(s.flags, vec![Flag::Stable]);
        assert!(!s.exceeds_drift_limit);
        let n = traj("stable", "m.5460G>A");
        assert!(n.has(Flag::NewVariant) && n.has(Flag::DriftUp) && !n.target);
        assert!(!n.exceeds_drift_limit, "the drift rule is for targets");
        assert!(clone("clean").trajectories.is_empty());
        // The last passages, as a call set of clones.
        let now = latest_calls(&t.calls, set);
        assert_eq!(now.samples, ["clean", "stable", "drift"]);
        let m3243 = now
            .targets
            .iter()
            .find(|x| x.target == "m.3243A>G" && x.sample == "drift")
            .unwrap();
        assert_eq!(m3243.alt_count, 160);
        assert!(now.variants.iter().all(|v| v.calls.len() == 3));
        assert_eq!(now.summaries.len(), 3);
        // The TSV has one row per trajectory and every column.
        let tsv = track_tsv(set);
        let rows: Vec<&str> = tsv.lines().collect();
        let n_traj: usize = set.clones.iter().map(|c| c.trajectories.len()).sum();
        assert_eq!(rows.len(), 1 + n_traj);
        assert!(rows
            .iter()
            .all(|r| r.split('\t').count() == TRACK_COLUMNS.len()));
        let drift_row = rows
            .iter()
            .find(|r| r.starts_with("drift\tm.3243A>G\t"))
            .unwrap();
        assert!(drift_row.contains("DRIFT_UP,CROSSED_LIMIT"), "{drift_row}");
        // JSON round trip.
        let json = serde_json::to_string(set).unwrap();
        let back: TrackSet = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, set);
    }

    #[test]
    fn dates_give_days_and_mixed_passages_are_refused() {
        let mut rng = Rng::seed_from_u64(5);
        let a = counts(1000, &[(3243, 'G', 30)], &mut rng);
        let b = counts(1000, &[(3243, 'G', 90)], &mut rng);
        let samples = vec![
            PassageSample {
                clone: "c".into(),
                passage: Passage::parse("2024-03-01").unwrap(),
                counts: &a,
            },
            PassageSample {
                clone: "c".into(),
                passage: Passage::parse("2024-03-31").unwrap(),
                counts: &b,
            },
        ];
        let t = track_defaults(&samples);
        assert_eq!(t.set.axis, PassageKind::Date);
        assert_eq!(t.set.slope_unit(), "per_day");
        let c = &t.set.clones[0];
        assert_eq!(c.passages[0].x, 0.0);
        assert_eq!(c.passages[1].x, 30.0);
        let tr = &c.trajectories[0];
        assert!((tr.slope.unwrap() - 0.06 / 30.0).abs() < 1e-9);
        let meta = vec![
            ("c".to_string(), Passage::parse("5").unwrap()),
            ("c".to_string(), Passage::parse("2024-03-31").unwrap()),
        ];
        let e = track_calls(&t.calls, &meta, &Policy::default(), &TrackConfig::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("numbers"), "{e}");
    }
}
