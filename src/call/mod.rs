//! Heteroplasmy calling across the clones of a run: `mitosieve call`.
//!
//! For every position and allele, every clone gets an allele fraction with an exact 95%
//! interval, a genotype (reference, heteroplasmic `0/1`, homoplasmic `1/1`) and the
//! filters it failed. A minor allele is called when
//! 1. its fraction is at least `min_af` (default 0.5%),
//! 2. the mutserve-style likelihood ratio from base qualities is at least `min_llr`
//!    (log10, default 5), and
//! 3. its count is significant (p ≤ `alpha`) against its **technical background**: a
//!    beta-binomial whose mean is the largest of the error floor, the base-quality
//!    error rate, the clone's rate of the same substitution in the same context, the
//!    other alleles' noise at the site, and the part of the sibling clones' level that
//!    has a technical signature (strand excess, low base quality, a known
//!    artefact-prone site). See [`technical`] for the formulas.
//!
//! The siblings' level alone is never evidence of error: a patient's variant seen on
//! both strands with normal qualities in every clone of a plate, at similar low
//! levels, is called in every clone, while a recurrent strand-specific or low-quality
//! artefact is explained by the background and not called. A significant allele under
//! `min_af` is reported (`below_min_af`, target status `below_threshold`) but not
//! called. When the ALT is the major allele, the call is heteroplasmic (`0/1`) if the
//! reference allele is a credible heteroplasmy (the same tests and filters), else
//! homoplasmic (`1/1`). The detection limit of each clone and allele is the smallest
//! fraction that would be called with 95% probability at its depth.
//!
//! Four clones at 200x that match rCRS everywhere, except that `c4` carries m.3243A>G
//! in 30% of its reads:
//!
//! ```
//! use mitosieve::call::{call, CallConfig, Genotype, TargetStatus};
//! use mitosieve::count::{Allele, Counts, FWD, REV};
//! use mitosieve::reference::rcrs;
//!
//! let clone = |g_reads_per_strand: u32| {
//!     let mut c = Counts::new();
//!     for (i, site) in c.sites_mut().iter_mut().enumerate() {
//!         let base = Allele::from_ascii(rcrs()[i]).unwrap() as usize;
//!         for strand in [FWD, REV] {
//!             site.n[strand][base] = 100; // 100 reads per strand, base quality 35
//!             site.qsum[strand][base] = 3500;
//!         }
//!     }
//!     let site = &mut c.sites_mut()[3243 - 1];
//!     for strand in [FWD, REV] {
//!         site.n[strand][Allele::A as usize] = 100 - g_reads_per_strand;
//!         site.qsum[strand][Allele::A as usize] = 35 * u64::from(100 - g_reads_per_strand);
//!         site.n[strand][Allele::G as usize] = g_reads_per_strand;
//!         site.qsum[strand][Allele::G as usize] = 35 * u64::from(g_reads_per_strand);
//!     }
//!     c
//! };
//! let (c1, c2, c3, c4) = (clone(0), clone(0), clone(0), clone(30));
//! let samples = [("c1", &c1), ("c2", &c2), ("c3", &c3), ("c4", &c4)];
//! let calls = call(&samples, &CallConfig::default())?;
//!
//! let melas = |clone: &str| {
//!     calls.targets.iter().find(|t| t.sample == clone && t.target == "m.3243A>G").unwrap()
//! };
//! assert_eq!(melas("c4").status, TargetStatus::Detected);
//! assert_eq!((melas("c4").af, melas("c4").genotype), (0.3, Genotype::Het));
//! assert_eq!(melas("c1").status, TargetStatus::NotDetected);
//! assert!(melas("c1").upper_bound < 0.02); // "below 2% at 95%" at 200x
//! println!("{}", melas("c1").statement);
//!
//! // One VCF record for m.3243A>G, with a call for every clone.
//! let v = calls.variants.iter().find(|v| v.name == "m.3243A>G").unwrap();
//! assert_eq!(v.calls.len(), 4);
//! # Ok::<(), mitosieve::Error>(())
//! ```

pub mod catalogue;
mod evaluate;
pub mod normalize;
pub mod table;
pub mod technical;
pub mod vcf;

pub use catalogue::{artefact_site, locus_of, Catalogue, Target};
pub use evaluate::{Genotype, SampleCall};
pub use technical::BackgroundSource;

use crate::count::{Allele, Counts, IndelKey};
use crate::error::{Error, Result};
use crate::model::Interval;
use crate::reference::{rcrs, Position, MT_LENGTH, RCRS_N_POSITION};
use evaluate::{evaluate, AlleleObs, SiteContext};
use normalize::normalize;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Settings of the caller; every threshold is a flag of `mitosieve call`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallConfig {
    /// Smallest minor-allele fraction called.
    pub min_af: f64,
    /// Fraction at or above which a large deletion is homoplasmic (`1/1`) and indel
    /// alleles are not stacked. A small variant is homoplasmic when the other allele is
    /// no credible heteroplasmy, whatever its fraction.
    pub homoplasmy_af: f64,
    /// Smallest usable depth (A+C+G+T+deletions) for a call without `low_depth`.
    pub min_depth: u32,
    /// Smallest usable depth on each strand.
    pub min_strand_depth: u32,
    /// Smallest number of minor-allele reads on each strand.
    pub min_alt_per_strand: u32,
    /// Largest strand-bias score (Guo et al.; mutserve 2 uses 1.2, mtDNA-Server 2 1.6).
    pub max_strand_bias: f64,
    /// Significance level at which the strands' fractions must also differ (exact
    /// binomial test of the forward share of the minor allele's reads) for
    /// `max_strand_bias` to filter: a score from a handful of reads is noise.
    #[serde(default = "default_strand_bias_alpha")]
    pub strand_bias_alpha: f64,
    /// Smallest log10 likelihood ratio (mutserve's LLR).
    pub min_llr: f64,
    /// Significance level of the background test, genome-wide (about 0.05 over the
    /// 16,569 × 3 possible substitutions).
    pub alpha: f64,
    /// Significance level of the background test at the catalogue's targets: each is
    /// a hypothesis named before the data are seen, so the level is set for the
    /// catalogue (about 0.05 over its ~50 targets), not for the whole genome.
    #[serde(default = "default_target_alpha")]
    pub target_alpha: f64,
    /// Smallest error rate assumed for one specific substitution.
    pub error_floor: f64,
    /// Smallest error rate assumed for an indel.
    pub indel_error_floor: f64,
    /// Clones needed to learn a background from siblings.
    pub min_background_clones: usize,
    /// Smallest over-dispersion of the background.
    pub min_overdispersion: f64,
    /// Confidence of intervals and bounds.
    pub confidence: f64,
    /// Fraction of reads with the mate on another contig at which a low-level call is
    /// flagged as a suspected NUMT.
    pub numt_fraction: f64,
    /// Calls below this fraction with such NUMT evidence are flagged.
    pub numt_max_af: f64,
    /// Indels within this distance of another indel allele form an indel stack.
    pub indel_stack_window: u32,
    /// Large-deletion calling.
    #[serde(default)]
    pub deletion: crate::deletion::DeletionConfig,
}

fn default_strand_bias_alpha() -> f64 {
    1e-3
}

fn default_target_alpha() -> f64 {
    1e-3
}

impl Default for CallConfig {
    fn default() -> Self {
        CallConfig {
            min_af: 0.005,
            homoplasmy_af: 0.95,
            min_depth: 20,
            min_strand_depth: 5,
            min_alt_per_strand: 2,
            max_strand_bias: 1.2,
            strand_bias_alpha: default_strand_bias_alpha(),
            min_llr: 5.0,
            alpha: 1e-6,
            target_alpha: default_target_alpha(),
            error_floor: 5e-4,
            indel_error_floor: 2e-3,
            min_background_clones: 3,
            min_overdispersion: 1e-4,
            confidence: 0.95,
            numt_fraction: 0.2,
            numt_max_af: 0.1,
            indel_stack_window: 3,
            deletion: crate::deletion::DeletionConfig::default(),
        }
    }
}

impl CallConfig {
    /// Check that every setting is in range.
    pub fn validate(&self) -> Result<()> {
        let frac = |v: f64, name: &str| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "{name} must be between 0 and 1, got {v}"
                )))
            }
        };
        frac(self.min_af, "min_af")?;
        frac(self.homoplasmy_af, "homoplasmy_af")?;
        frac(self.alpha, "alpha")?;
        frac(self.target_alpha, "target_alpha")?;
        frac(self.strand_bias_alpha, "strand_bias_alpha")?;
        frac(self.error_floor, "error_floor")?;
        frac(self.indel_error_floor, "indel_error_floor")?;
        frac(self.numt_fraction, "numt_fraction")?;
        frac(self.numt_max_af, "numt_max_af")?;
        if !(0.5..1.0).contains(&self.confidence) {
            return Err(Error::Config(format!(
                "confidence must be in [0.5, 1), got {}",
                self.confidence
            )));
        }
        if self.homoplasmy_af <= self.min_af {
            return Err(Error::Config("homoplasmy_af must be above min_af".into()));
        }
        Ok(())
    }
}

/// Kind of a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariantKind {
    /// Single-nucleotide variant.
    Snv,
    /// Insertion.
    Insertion,
    /// Deletion (small, from CIGAR D operations).
    Deletion,
}

/// One variant (one ALT allele) with the call of every clone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Position (1-based; for indels the anchor base, as in VCF).
    pub pos: Position,
    /// VCF REF.
    pub ref_allele: String,
    /// VCF ALT.
    pub alt_allele: String,
    /// SNV, insertion or deletion.
    pub kind: VariantKind,
    /// HGVS-like name (`m.3243A>G`, `m.310_311insC`, `m.8270_8278del`).
    pub name: String,
    /// Gene or locus.
    pub locus: String,
    /// The catalogue entry when this is a pathogenic target.
    pub pathogenic: Option<Target>,
    /// Why the site is artefact-prone, if it is.
    pub artefact_site: Option<String>,
    /// Site quality: the largest clone quality (Phred).
    pub qual: f64,
    /// Site filter: `PASS` when at least one clone has a passing call, else the reasons.
    pub filters: Vec<String>,
    /// One call per clone, in clone order.
    pub calls: Vec<SampleCall>,
}

/// What was found for one pathogenic target in one clone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetResult {
    /// Clone.
    pub sample: String,
    /// Target name (`m.3243A>G`).
    pub target: String,
    /// Position.
    pub pos: Position,
    /// Gene or locus.
    pub locus: String,
    /// Disease.
    pub disease: String,
    /// Classification.
    pub class: String,
    /// `detected`, `below_threshold` (significant, under `min_af`), `filtered` (called,
    /// but a filter failed), `not_detected`, `low_depth`.
    pub status: TargetStatus,
    /// Usable depth at the position.
    pub depth: u32,
    /// Reads with the pathogenic allele.
    pub alt_count: u32,
    /// Observed fraction.
    pub af: f64,
    /// Two-sided interval of the fraction.
    pub af_ci: Interval,
    /// One-sided upper bound of the fraction at the run's confidence.
    pub upper_bound: f64,
    /// Detection limit at this depth.
    pub lod: f64,
    /// Technical background rate of the allele in this clone.
    #[serde(default)]
    pub background: f64,
    /// What set the background.
    #[serde(default)]
    pub background_source: BackgroundSource,
    /// Genotype.
    pub genotype: Genotype,
    /// Filters failed.
    pub filters: Vec<String>,
    /// One sentence for a report.
    pub statement: String,
}

/// Status of a target in a clone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// Called and passing every filter.
    Detected,
    /// Significant against the technical background but under `min_af`: the fraction
    /// and its interval are reported, no call is made.
    BelowThreshold,
    /// Called, but a filter failed (e.g. strand bias): evidence of uncertain origin.
    Filtered,
    /// No evidence above the technical background; see the upper bound.
    NotDetected,
    /// Too few usable reads to say anything useful.
    LowDepth,
}

impl TargetStatus {
    /// The word used in `targets.tsv` and `calls.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetStatus::Detected => "detected",
            TargetStatus::BelowThreshold => "below_threshold",
            TargetStatus::Filtered => "filtered",
            TargetStatus::NotDetected => "not_detected",
            TargetStatus::LowDepth => "low_depth",
        }
    }

    /// Whether the reads show the allele above the technical background (detected,
    /// below the calling threshold, or filtered).
    pub fn has_evidence(self) -> bool {
        matches!(
            self,
            TargetStatus::Detected | TargetStatus::BelowThreshold | TargetStatus::Filtered
        )
    }
}

/// Per-clone overview of a call set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleSummary {
    /// Clone.
    pub sample: String,
    /// Mean usable depth.
    pub mean_depth: f64,
    /// Fraction of positions with usable depth ≥ `min_depth`.
    pub breadth: f64,
    /// Passing heteroplasmic calls.
    pub heteroplasmies: usize,
    /// Passing homoplasmic calls.
    pub homoplasmies: usize,
    /// Calls with a filter.
    pub filtered: usize,
    /// Mean usable depth in consecutive 100-bp bins along the genome (for plots).
    pub coverage_bins: Vec<f32>,
}

/// Width of the coverage bins of [`SampleSummary::coverage_bins`].
pub const COVERAGE_BIN: usize = 100;

/// The result of [`call`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallSet {
    /// mitosieve version.
    pub mitosieve_version: String,
    /// Clone names, in column order.
    pub samples: Vec<String>,
    /// The settings used.
    pub config: CallConfig,
    /// Catalogue version and source.
    pub catalogue: String,
    /// Variants, by position then allele.
    pub variants: Vec<Variant>,
    /// Every target in every clone (targets in catalogue order, clones in order).
    pub targets: Vec<TargetResult>,
    /// One overview per clone.
    pub summaries: Vec<SampleSummary>,
    /// Large deletions: every event called in any clone, and the common deletion,
    /// quantified in every clone (grouped by event, clones in order).
    #[serde(default)]
    pub deletions: Vec<crate::deletion::DeletionCall>,
}

/// Call large deletions in every clone: the union of the events called in any clone,
/// plus the common deletion, quantified in every clone.
fn call_all_deletions(
    samples: &[(&str, &Counts)],
    config: &CallConfig,
) -> Vec<crate::deletion::DeletionCall> {
    use crate::deletion::{call_deletions, cluster, quantify, DeletionInput};
    let inputs: Vec<(Vec<u32>, Vec<u32>, Vec<u32>)> = samples
        .par_iter()
        .map(|(_, c)| c.deletion_input())
        .collect();
    let input_of = |i: usize| DeletionInput {
        evidence: samples[i].1.junctions(),
        read_starts: &inputs[i].0,
        read_ends: &inputs[i].1,
        depth: &inputs[i].2,
    };
    let dcfg = &config.deletion;
    if !dcfg.enabled {
        return Vec::new();
    }
    let mut spans: BTreeSet<crate::deletion::DeletionSpan> = BTreeSet::new();
    for (i, (name, _)) in samples.iter().enumerate() {
        for d in call_deletions(name, &input_of(i), dcfg) {
            spans.insert(d.span);
        }
    }
    let clusters: Vec<_> = (0..samples.len())
        .map(|i| cluster(samples[i].1.junctions(), dcfg))
        .collect();
    let mut out = Vec::new();
    for span in spans {
        for (i, (name, _)) in samples.iter().enumerate() {
            out.push(quantify(name, span, &input_of(i), dcfg, &clusters[i]));
        }
    }
    out
}

/// Candidate variant before evaluation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Candidate {
    Snv {
        pos: u32,
        alt: u8,
    },
    Indel {
        anchor: u32,
        ref_allele: String,
        alt_allele: String,
    },
}

/// Call variants in every clone of a run: `samples` are (clone name, counts), in the
/// column order of the outputs. Uses the built-in catalogue of pathogenic targets; see
/// the [module](self) for an example.
///
/// ```no_run
/// use mitosieve::call::{call, CallConfig};
/// use mitosieve::count::{count, CountConfig, Counts};
/// let clones = count(&["c1.bam".into(), "c2.bam".into(), "c3.bam".into()], &CountConfig::default())?;
/// let samples: Vec<(&str, &Counts)> = clones.iter().map(|c| (c.name.as_str(), &c.counts)).collect();
/// let calls = call(&samples, &CallConfig::default())?;
/// for t in calls.targets.iter().filter(|t| t.target == "m.3243A>G") {
///     println!("{}: {}", t.sample, t.statement);
/// }
/// # Ok::<(), mitosieve::Error>(())
/// ```
pub fn call(samples: &[(&str, &Counts)], config: &CallConfig) -> Result<CallSet> {
    call_with(samples, config, &Catalogue::builtin())
}

/// [`call`] with a given target catalogue (e.g. from `mitosieve call --targets`).
///
/// ```
/// use mitosieve::call::{call_with, CallConfig, Catalogue};
/// use mitosieve::count::Counts;
/// // Screen only m.8344A>G (MERRF).
/// let targets = Catalogue::parse(
///     "my-targets.tsv".as_ref(),
///     "pos\tref\talt\tlocus\tdisease\tclass\n8344\tA\tG\tMT-TK\tMERRF\tP\n",
/// )?;
/// let (a, b) = (Counts::new(), Counts::new());
/// let calls = call_with(&[("a", &a), ("b", &b)], &CallConfig::default(), &targets)?;
/// assert_eq!(calls.targets.len(), 2); // one target in two clones
/// assert_eq!(calls.targets[0].target, "m.8344A>G");
/// # Ok::<(), mitosieve::Error>(())
/// ```
pub fn call_with(
    samples: &[(&str, &Counts)],
    config: &CallConfig,
    catalogue: &Catalogue,
) -> Result<CallSet> {
    config.validate()?;
    if samples.is_empty() {
        return Err(Error::Config("no clones to call".into()));
    }
    let mut names = BTreeSet::new();
    for (n, _) in samples {
        if !names.insert(*n) {
            return Err(Error::Input(format!("clone '{n}' appears twice")));
        }
        // Sample names become VCF columns and TSV cells: nothing that splits them.
        if n.is_empty() || n.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::Input(format!(
                "clone name {n:?} cannot be a VCF or TSV sample name (empty, or with spaces, tabs, line breaks or control characters)"
            )));
        }
    }
    // Normalised indels of every clone: (normal indel) -> per-clone [fwd, rev].
    let indels = collect_indels(samples);
    let candidates = collect_candidates(samples, config, catalogue, &indels);
    let profiles: Vec<technical::ErrorProfile> = samples
        .par_iter()
        .map(|(_, c)| technical::ErrorProfile::of(c, config.min_af))
        .collect();
    let ctx = SiteContext {
        samples,
        config,
        indels: &indels,
        profiles: &profiles,
    };
    let mut variants: Vec<Variant> = candidates
        .par_iter()
        .map(|c| evaluate_candidate(&ctx, c, catalogue))
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    // VCF order: by position, then REF and ALT (SNVs and indels interleaved).
    variants.sort_by(|a, b| {
        (a.pos, &a.ref_allele, &a.alt_allele).cmp(&(b.pos, &b.ref_allele, &b.alt_allele))
    });
    flag_indel_stacks(&mut variants, config);
    for v in &mut variants {
        v.filters = site_filters(v);
        v.qual = v.calls.iter().map(|c| c.qual).fold(0.0, f64::max);
    }
    let targets = target_results(&variants, samples, catalogue, config);
    let deletions = call_all_deletions(samples, config);
    let summaries = samples
        .iter()
        .enumerate()
        .map(|(i, (name, counts))| summarize(i, name, counts, &variants, config))
        .collect();
    Ok(CallSet {
        mitosieve_version: crate::VERSION.to_string(),
        samples: samples.iter().map(|(n, _)| n.to_string()).collect(),
        config: config.clone(),
        catalogue: format!("{} ({})", catalogue.version, catalogue.source),
        variants,
        targets,
        summaries,
        deletions,
    })
}

type IndelTable = BTreeMap<normalize::NormalIndel, Vec<[u32; 2]>>;

fn collect_indels(samples: &[(&str, &Counts)]) -> IndelTable {
    let mut t: IndelTable = BTreeMap::new();
    for (i, (_, counts)) in samples.iter().enumerate() {
        for ((anchor, key), c) in counts.indels() {
            let Some(n) = normalize(*anchor, key) else {
                continue;
            };
            let e = t.entry(n).or_insert_with(|| vec![[0, 0]; samples.len()]);
            e[i][0] += c[0];
            e[i][1] += c[1];
        }
    }
    t
}

fn usable_depth(counts: &Counts, zero_based: usize) -> u32 {
    let s = &counts.sites()[zero_based];
    s.depth() - s.allele(Allele::N)
}

fn collect_candidates(
    samples: &[(&str, &Counts)],
    config: &CallConfig,
    catalogue: &Catalogue,
    indels: &IndelTable,
) -> Vec<Candidate> {
    let mut set: BTreeSet<Candidate> = BTreeSet::new();
    let r = rcrs();
    for (i, &ref_base) in r.iter().enumerate() {
        if i + 1 == RCRS_N_POSITION.get() as usize {
            continue;
        }
        for (_, counts) in samples {
            let s = &counts.sites()[i];
            let d = usable_depth(counts, i);
            if d == 0 {
                continue;
            }
            let major = Allele::BASES
                .iter()
                .copied()
                .max_by_key(|a| (s.allele(*a), std::cmp::Reverse(*a as u8)));
            for a in Allele::BASES {
                let b = a.as_char() as u8;
                if b == ref_base {
                    continue;
                }
                let x = s.allele(a);
                let frac = f64::from(x) / f64::from(d);
                if (x >= 2 && frac >= config.min_af) || (major == Some(a) && x > 0) {
                    set.insert(Candidate::Snv {
                        pos: i as u32,
                        alt: b,
                    });
                }
            }
        }
    }
    for t in &catalogue.targets {
        set.insert(Candidate::Snv {
            pos: t.pos.zero_based() as u32,
            alt: t.alt_base as u8,
        });
    }
    for (n, per) in indels {
        let hit = per.iter().enumerate().any(|(i, c)| {
            let x = c[0] + c[1];
            let d = usable_depth(samples[i].1, n.anchor as usize).max(1);
            x >= 2 && f64::from(x) / f64::from(d) >= config.min_af
        });
        if hit {
            set.insert(Candidate::Indel {
                anchor: n.anchor,
                ref_allele: n.ref_allele.clone(),
                alt_allele: n.alt_allele.clone(),
            });
        }
    }
    set.into_iter().collect()
}

fn evaluate_candidate(
    ctx: &SiteContext<'_>,
    c: &Candidate,
    catalogue: &Catalogue,
) -> Option<Variant> {
    let (pos0, ref_allele, alt_allele, kind) = match c {
        Candidate::Snv { pos, alt } => (
            *pos,
            (rcrs()[*pos as usize] as char).to_string(),
            (*alt as char).to_string(),
            VariantKind::Snv,
        ),
        Candidate::Indel {
            anchor,
            ref_allele,
            alt_allele,
        } => (
            *anchor,
            ref_allele.clone(),
            alt_allele.clone(),
            if alt_allele.len() > ref_allele.len() {
                VariantKind::Insertion
            } else {
                VariantKind::Deletion
            },
        ),
    };
    let pos = Position::from_zero_based(pos0 as usize)?;
    let obs: Vec<AlleleObs> = match c {
        Candidate::Snv { alt, .. } => ctx
            .samples
            .iter()
            .zip(ctx.profiles)
            .map(|((_, counts), prof)| {
                AlleleObs::snv(counts, pos0 as usize, *alt, prof, ctx.config.min_af)
            })
            .collect(),
        Candidate::Indel { .. } => {
            let key = normalize::NormalIndel {
                anchor: pos0,
                ref_allele: ref_allele.clone(),
                alt_allele: alt_allele.clone(),
            };
            let per = ctx.indels.get(&key)?;
            ctx.samples
                .iter()
                .zip(per)
                .map(|((_, counts), c)| AlleleObs::indel(counts, pos0 as usize, *c))
                .collect()
        }
    };
    let pathogenic = match kind {
        VariantKind::Snv => catalogue
            .find(pos, alt_allele.chars().next().unwrap_or('N'))
            .cloned(),
        _ => None,
    };
    // A catalogue target is a hypothesis named in advance: tested at its own level.
    let alpha = if pathogenic.is_some() {
        ctx.config.target_alpha
    } else {
        ctx.config.alpha
    };
    let calls = evaluate(ctx, pos0 as usize, kind, &obs, alpha);
    let keep = pathogenic.is_some() || calls.iter().any(|c| c.genotype.is_variant());
    if !keep {
        return None;
    }
    let mut calls = calls;
    for c in &mut calls {
        evaluate::fill_detection_limit(c, ctx.config, alpha);
    }
    Some(Variant {
        name: hgvs_name(pos, &ref_allele, &alt_allele, kind),
        pos,
        ref_allele,
        alt_allele,
        kind,
        locus: locus_of(pos).to_string(),
        pathogenic,
        artefact_site: artefact_site(pos).map(str::to_string),
        qual: 0.0,
        filters: Vec::new(),
        calls,
    })
}

/// HGVS-like mitochondrial name of a variant.
pub fn hgvs_name(pos: Position, ref_allele: &str, alt_allele: &str, kind: VariantKind) -> String {
    let p = pos.get();
    match kind {
        VariantKind::Snv => format!("m.{p}{ref_allele}>{alt_allele}"),
        VariantKind::Insertion => format!("m.{}_{}ins{}", p, p + 1, &alt_allele[1..]),
        VariantKind::Deletion => {
            let len = (ref_allele.len() - 1) as u32;
            if len == 1 {
                format!("m.{}del", p + 1)
            } else {
                format!("m.{}_{}del", p + 1, p + len)
            }
        }
    }
}

fn flag_indel_stacks(variants: &mut [Variant], config: &CallConfig) {
    let idx: Vec<usize> = (0..variants.len())
        .filter(|&i| variants[i].kind != VariantKind::Snv)
        .collect();
    let n_samples = variants.first().map_or(0, |v| v.calls.len());
    for s in 0..n_samples {
        let present: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| {
                variants[i].calls[s].genotype.is_variant()
                    && variants[i].calls[s].af < config.homoplasmy_af
            })
            .collect();
        for &i in &present {
            let near = present.iter().any(|&j| {
                j != i
                    && variants[i].pos.get().abs_diff(variants[j].pos.get())
                        <= config.indel_stack_window
            });
            if near {
                variants[i].calls[s].add_filter("indel_stack");
            }
        }
    }
}

fn site_filters(v: &Variant) -> Vec<String> {
    if v.calls
        .iter()
        .any(|c| c.genotype.is_variant() && c.filters.is_empty())
    {
        return vec!["PASS".into()];
    }
    let mut f: BTreeSet<String> = v
        .calls
        .iter()
        .filter(|c| c.genotype.is_variant())
        .flat_map(|c| c.filters.iter().cloned())
        .collect();
    if f.is_empty() {
        f.insert("not_detected".into());
    }
    f.into_iter().collect()
}

/// Format a fraction as a percentage for statements (`0.42%`, `3.1%`, `45%`).
pub fn percent(f: f64) -> String {
    let p = f * 100.0;
    if p < 1.0 {
        format!("{p:.2}%")
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// A count with thousands separators (`19,505,150`), as every sentence shows counts.
pub fn thousands(n: impl Into<u64>) -> String {
    let s = n.into().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn target_results(
    variants: &[Variant],
    samples: &[(&str, &Counts)],
    catalogue: &Catalogue,
    config: &CallConfig,
) -> Vec<TargetResult> {
    let by_key: HashMap<(Position, String), &Variant> = variants
        .iter()
        .filter(|v| v.kind == VariantKind::Snv)
        .map(|v| ((v.pos, v.alt_allele.clone()), v))
        .collect();
    let mut out = Vec::new();
    for t in &catalogue.targets {
        let Some(v) = by_key.get(&(t.pos, t.alt_base.to_string())) else {
            continue;
        };
        for (i, (sample, _)) in samples.iter().enumerate() {
            let c = &v.calls[i];
            let status = target_status(c, config);
            let statement = target_statement(&t.name(), c, status, config);
            out.push(TargetResult {
                sample: sample.to_string(),
                target: t.name(),
                pos: t.pos,
                locus: t.locus.clone(),
                disease: t.disease.clone(),
                class: t.class.clone(),
                status,
                depth: c.depth,
                alt_count: c.alt_count,
                af: c.af,
                af_ci: c.af_ci,
                upper_bound: c.upper_bound,
                lod: c.lod,
                background: c.background,
                background_source: c.background_source,
                genotype: c.genotype,
                filters: c.filters.clone(),
                statement,
            });
        }
    }
    out
}

/// The status of a target in one clone, from its call.
fn target_status(c: &SampleCall, config: &CallConfig) -> TargetStatus {
    if c.depth < config.min_depth {
        TargetStatus::LowDepth
    } else if c.genotype.is_variant() && c.filters.is_empty() {
        TargetStatus::Detected
    } else if c.genotype.is_variant() || (c.above_background && c.af >= config.min_af) {
        TargetStatus::Filtered
    } else if c.above_background {
        TargetStatus::BelowThreshold
    } else {
        TargetStatus::NotDetected
    }
}

/// The sentence a report shows for a target in one clone. Every number in it is one of
/// the call's columns; "not detected" is said only when the reads show nothing above
/// the technical background, and then with the reads that were seen.
fn target_statement(
    name: &str,
    c: &SampleCall,
    status: TargetStatus,
    config: &CallConfig,
) -> String {
    let conf = format!("{:.0}%", config.confidence * 100.0);
    let reads = format!(
        "{} of {} usable reads",
        thousands(c.alt_count),
        thousands(c.depth)
    );
    let ci = format!("{conf} CI {}–{}", percent(c.af_ci.lo), percent(c.af_ci.hi));
    match status {
        TargetStatus::Detected => {
            format!("{name} detected at {} ({ci}, {reads})", percent(c.af))
        }
        TargetStatus::BelowThreshold => format!(
            "{name} seen at {} ({ci}, {reads}), below the {} calling threshold",
            percent(c.af),
            percent_plain(config.min_af)
        ),
        TargetStatus::Filtered => format!(
            "{name} seen at {} ({ci}, {reads}) but not called: {}",
            percent(c.af),
            if c.filters.is_empty() {
                "low_llr".to_string()
            } else {
                c.filters.join(", ")
            }
        ),
        TargetStatus::NotDetected if c.alt_count == 0 => format!(
            "{name} not detected ({reads}); < {} at {conf}, detection limit {}",
            percent(c.upper_bound),
            percent(c.lod)
        ),
        TargetStatus::NotDetected => format!(
            "{name} not detected above the technical background ({reads}, {}; background {} from {}); < {} at {conf}, detection limit {}",
            percent(c.af),
            percent(c.background),
            c.background_source.phrase(),
            percent(c.upper_bound),
            percent(c.lod)
        ),
        TargetStatus::LowDepth => format!(
            "{name} not assessable: {} usable reads (minimum {}), {} with the allele; < {} at {conf}",
            thousands(c.depth),
            config.min_depth,
            thousands(c.alt_count),
            percent(c.upper_bound)
        ),
    }
}

/// A threshold as a percentage without trailing zeros (`1%`, `0.5%`, `2.5%`).
fn percent_plain(f: f64) -> String {
    let s = format!("{:.4}", f * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

fn summarize(
    i: usize,
    name: &str,
    counts: &Counts,
    variants: &[Variant],
    config: &CallConfig,
) -> SampleSummary {
    let depths: Vec<u32> = (0..MT_LENGTH as usize)
        .map(|p| usable_depth(counts, p))
        .collect();
    let mean = depths.iter().map(|&d| f64::from(d)).sum::<f64>() / depths.len() as f64;
    let breadth =
        depths.iter().filter(|&&d| d >= config.min_depth).count() as f64 / depths.len() as f64;
    let mut s = SampleSummary {
        sample: name.to_string(),
        mean_depth: (mean * 10.0).round() / 10.0,
        breadth: (breadth * 10_000.0).round() / 10_000.0,
        heteroplasmies: 0,
        homoplasmies: 0,
        filtered: 0,
        coverage_bins: depths
            .chunks(COVERAGE_BIN)
            .map(|c| {
                (c.iter().map(|&d| f64::from(d)).sum::<f64>() / c.len() as f64 * 10.0).round()
                    as f32
                    / 10.0
            })
            .collect(),
    };
    for v in variants {
        let c = &v.calls[i];
        match (c.genotype, c.filters.is_empty()) {
            (Genotype::Het, true) => s.heteroplasmies += 1,
            (Genotype::Hom, true) => s.homoplasmies += 1,
            (g, false) if g.is_variant() => s.filtered += 1,
            _ => {}
        }
    }
    s
}

/// Provenance and results of a `call` run, as written to `calls.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallReport {
    /// The command line.
    pub command_line: String,
    /// Counting settings shared by every clone.
    pub count_settings: Option<crate::count::CountSettings>,
    /// Contig name used in the VCF.
    pub contig: String,
    /// The inputs, as given.
    pub inputs: Vec<String>,
    /// The calls.
    pub calls: CallSet,
}

/// File names written by [`write_outputs`].
pub use crate::output::rundir::CALL_FILES;

/// Write `calls.vcf.gz` (+ `.tbi`), `calls.tsv`, `targets.tsv`, `deletions.tsv` and `calls.json` into
/// `dir`, each atomically.
///
/// ```
/// use mitosieve::call::{call, read_report, write_outputs, CallConfig, CallReport, CALL_FILES};
/// use mitosieve::count::Counts;
/// let (a, b) = (Counts::new(), Counts::new());
/// let report = CallReport {
///     command_line: "example".into(),
///     count_settings: None,
///     contig: "chrM".into(),
///     inputs: vec![],
///     calls: call(&[("a", &a), ("b", &b)], &CallConfig::default())?,
/// };
/// let dir = tempfile::tempdir()?;
/// write_outputs(dir.path(), &report)?;
/// assert!(CALL_FILES.iter().all(|f| dir.path().join(f).exists()));
/// let back = read_report(&dir.path().join("calls.json"))?;
/// assert_eq!((&back.calls.samples, &back.calls.targets), (&report.calls.samples, &report.calls.targets));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_outputs(dir: &std::path::Path, report: &CallReport) -> Result<()> {
    use crate::output::write_atomic;
    vcf::write(
        &dir.join("calls.vcf.gz"),
        &report.calls,
        &report.contig,
        &report.command_line,
    )?;
    write_atomic(
        &dir.join("calls.tsv"),
        table::calls_tsv(&report.calls).as_bytes(),
    )?;
    write_atomic(
        &dir.join("targets.tsv"),
        table::targets_tsv(&report.calls).as_bytes(),
    )?;
    write_atomic(
        &dir.join("deletions.tsv"),
        table::deletions_tsv(&report.calls).as_bytes(),
    )?;
    let json = serde_json::to_vec_pretty(report)
        .map_err(|e| Error::Internal(format!("cannot serialise the calls: {e}")))?;
    write_atomic(&dir.join("calls.json"), &json)
}

/// Read a `calls.json` written by [`write_outputs`].
pub fn read_report(path: &std::path::Path) -> Result<CallReport> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))?;
    let report: CallReport = serde_json::from_str(&text)
        .map_err(|e| Error::parse(path, e.line(), format!("not a mitosieve calls.json: {e}")))?;
    // mitosieve writes only safe clone names; another one would break the TSV outputs.
    if let Some(bad) = report
        .calls
        .samples
        .iter()
        .find(|n| crate::input::sanitize_clone_name(n).original.is_some())
    {
        return Err(Error::parse(
            path,
            0,
            format!(
                "clone name {bad:?} is not safe as a file or sample name; was the file edited?"
            ),
        ));
    }
    Ok(report)
}

/// Indel events of one clone at a normalised key (for tests and replay).
pub fn indel_count(counts: &Counts, anchor: u32, key: &IndelKey) -> [u32; 2] {
    counts
        .indels()
        .get(&(anchor, key.clone()))
        .copied()
        .unwrap_or([0, 0])
}
