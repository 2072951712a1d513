//! The per-clone decision for one candidate allele (see the module docs of
//! [`crate::call`] for the model).

use super::technical::{
    combine, sibling_component, BackgroundSource, Components, ErrorProfile, SiblingComponent,
    SiblingSettings, Signal,
};
use super::{CallConfig, IndelTable, VariantKind};
use crate::count::{Allele, Counts, FWD, REV};
use crate::model::{
    binom_sf, clopper_pearson, llr_two_alleles, specific_error_rate, strand_bias, upper_bound,
    Background, Interval,
};
use crate::reference::rcrs;
use serde::{Deserialize, Serialize};

/// Genotype of a clone for one ALT allele.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Genotype {
    /// No usable read (`./.`).
    NoCall,
    /// The allele is absent or not significant (`0/0`).
    Ref,
    /// Heteroplasmic (`0/1`).
    Het,
    /// Homoplasmic (`1/1`).
    Hom,
}

impl Genotype {
    /// VCF notation.
    pub fn vcf(self) -> &'static str {
        match self {
            Genotype::NoCall => "./.",
            Genotype::Ref => "0/0",
            Genotype::Het => "0/1",
            Genotype::Hom => "1/1",
        }
    }

    /// Heteroplasmic or homoplasmic.
    pub fn is_variant(self) -> bool {
        matches!(self, Genotype::Het | Genotype::Hom)
    }

    /// Word used in tables.
    pub fn label(self) -> &'static str {
        match self {
            Genotype::NoCall => "no_coverage",
            Genotype::Ref => "reference",
            Genotype::Het => "heteroplasmic",
            Genotype::Hom => "homoplasmic",
        }
    }
}

/// The call of one clone for one variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleCall {
    /// Genotype.
    pub genotype: Genotype,
    /// Usable depth (A+C+G+T+deletions; for an indel, at its anchor).
    pub depth: u32,
    /// Reads with the reference allele.
    pub ref_count: u32,
    /// Reads with this ALT allele.
    pub alt_count: u32,
    /// Reference reads on the forward strand.
    pub ref_fwd: u32,
    /// Reference reads on the reverse strand.
    pub ref_rev: u32,
    /// ALT reads on the forward strand.
    pub alt_fwd: u32,
    /// ALT reads on the reverse strand.
    pub alt_rev: u32,
    /// ALT fraction `alt_count / depth`.
    pub af: f64,
    /// Exact two-sided interval of the fraction.
    pub af_ci: Interval,
    /// One-sided upper bound of the fraction.
    pub upper_bound: f64,
    /// Detection limit for this allele at this depth.
    pub lod: f64,
    /// Technical background rate of this allele at this site (see the technical error
    /// model in the README).
    pub background: f64,
    /// Sibling clones in the background group (0: too few clones to form one).
    pub background_clones: usize,
    /// What set the background: `error_floor`, `base_quality`, `context`,
    /// `site_noise` or `siblings`.
    #[serde(default)]
    pub background_source: BackgroundSource,
    /// The sibling group's pooled level of this allele (0 without a group).
    #[serde(default)]
    pub sibling_level: f64,
    /// Share of the siblings' level with a technical signature (strand excess, base
    /// quality deficit, known artefact-prone site), 0–1.
    #[serde(default)]
    pub technical_share: f64,
    /// The minor allele's count is significant against the technical background
    /// (p ≤ `alpha`), whether or not it reaches `min_af`.
    #[serde(default)]
    pub above_background: bool,
    /// log10 likelihood ratio of the minor allele (the ALT, or the non-ALT reads when
    /// the ALT is the major allele).
    pub llr: f64,
    /// Strand-bias score of the minor allele.
    pub strand_bias: f64,
    /// Phred-scaled probability that the ALT reads are background.
    pub qual: f64,
    /// Filters failed (empty = PASS).
    pub filters: Vec<String>,
    /// The background model behind `background` (kept to compute the detection limit).
    #[serde(skip)]
    pub(crate) model: Option<Background>,
}

impl SampleCall {
    pub(crate) fn add_filter(&mut self, f: &str) {
        if !self.filters.iter().any(|x| x == f) {
            self.filters.push(f.to_string());
        }
    }

    /// `PASS`, the filters joined with `;`, or `.` when there is no usable read.
    pub fn ft(&self) -> String {
        if self.genotype == Genotype::NoCall {
            ".".into()
        } else if self.filters.is_empty() {
            "PASS".into()
        } else {
            self.filters.join(";")
        }
    }
}

/// What one clone shows for one candidate allele.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AlleleObs {
    pub depth: [u32; 2],
    pub alt: [u32; 2],
    pub reference: [u32; 2],
    /// The strongest allele other than the ALT (counts per strand).
    pub other: [u32; 2],
    pub alt_is_major: bool,
    /// Error rate of the major allele's bases (from base qualities).
    pub e_major: f64,
    /// Error rate of the minor allele's bases.
    pub e_minor: f64,
    /// Specific error rate expected for the ALT from base qualities (or the indel floor).
    pub quality_floor: f64,
    pub mate_other_contig: u32,
    /// The ALT's reads (against the strongest other allele).
    pub alt_signal: Signal,
    /// The reference allele's reads (against the ALT): the minor allele when the ALT is
    /// the major one.
    pub ref_signal: Signal,
    /// Clone-wide rate of REF→ALT in this context (SNVs).
    pub context_alt: f64,
    /// Clone-wide rate of ALT→REF in this context (SNVs).
    pub context_ref: f64,
    /// Reads of the other non-reference alleles that are below `min_af` here, and the
    /// depth times the number of such alleles.
    pub noise: (u64, u64),
}

fn mean_q(counts: &Counts, pos: usize, a: Allele) -> Option<f64> {
    counts.sites()[pos].mean_quality(a)
}

fn strand_depth(counts: &Counts, pos: usize) -> [u32; 2] {
    let s = &counts.sites()[pos];
    let d = |st: usize| -> u32 {
        (0..6)
            .filter(|&a| a != Allele::N as usize)
            .map(|a| s.n[st][a])
            .sum()
    };
    [d(FWD), d(REV)]
}

fn qual(counts: &Counts, pos: usize, a: Allele) -> (u64, u32) {
    let s = &counts.sites()[pos];
    if a == Allele::Del || a == Allele::N {
        return (0, 0);
    }
    (
        s.qsum[FWD][a as usize] + s.qsum[REV][a as usize],
        s.allele(a),
    )
}

impl AlleleObs {
    pub fn snv(counts: &Counts, pos: usize, alt: u8, profile: &ErrorProfile, min_af: f64) -> Self {
        let s = &counts.sites()[pos];
        let alt_a = Allele::from_ascii(alt).unwrap_or(Allele::N);
        let ref_a = Allele::from_ascii(rcrs()[pos]).unwrap_or(Allele::N);
        let pair = |a: Allele| [s.n[FWD][a as usize], s.n[REV][a as usize]];
        let total = |c: [u32; 2]| c[0] + c[1];
        let other_a = Allele::BASES
            .iter()
            .copied()
            .filter(|&a| a != alt_a)
            .max_by_key(|&a| (s.allele(a), a == ref_a, std::cmp::Reverse(a as u8)))
            .unwrap_or(ref_a);
        let alt_c = pair(alt_a);
        let other_c = pair(other_a);
        let alt_is_major = total(alt_c) > total(other_c);
        let (major_a, minor_a) = if alt_is_major {
            (alt_a, ref_a)
        } else {
            (other_a, alt_a)
        };
        let q_major = mean_q(counts, pos, major_a).unwrap_or(30.0);
        let q_minor = mean_q(counts, pos, minor_a).unwrap_or(q_major);
        let depth = strand_depth(counts, pos);
        let d = f64::from(total(depth));
        let mut noise = (0u64, 0u64);
        for a in Allele::BASES {
            if a == alt_a || a == ref_a {
                continue;
            }
            let x = s.allele(a);
            if f64::from(x) < min_af * d {
                noise.0 += u64::from(x);
                noise.1 += u64::from(total(depth));
            }
        }
        AlleleObs {
            depth,
            alt: alt_c,
            reference: pair(ref_a),
            other: other_c,
            alt_is_major,
            e_major: 3.0 * specific_error_rate(q_major),
            e_minor: 3.0 * specific_error_rate(q_minor),
            quality_floor: specific_error_rate(q_major),
            mate_other_contig: s.mate_other_contig,
            alt_signal: Signal {
                x: alt_c,
                n: depth,
                q_allele: qual(counts, pos, alt_a),
                q_major: qual(counts, pos, other_a),
                q_err: profile.q_err,
            },
            ref_signal: Signal {
                x: pair(ref_a),
                n: depth,
                q_allele: qual(counts, pos, ref_a),
                q_major: qual(counts, pos, alt_a),
                q_err: profile.q_err,
            },
            context_alt: profile.context_rate(pos, rcrs()[pos], alt),
            context_ref: profile.context_rate(pos, alt, rcrs()[pos]),
            noise,
        }
    }

    pub fn indel(counts: &Counts, anchor: usize, c: [u32; 2]) -> Self {
        let depth = strand_depth(counts, anchor);
        let reference = [depth[0].saturating_sub(c[0]), depth[1].saturating_sub(c[1])];
        let s = &counts.sites()[anchor];
        let q = Allele::BASES
            .iter()
            .copied()
            .max_by_key(|&a| s.allele(a))
            .and_then(|a| s.mean_quality(a))
            .unwrap_or(30.0);
        AlleleObs {
            depth,
            alt: c,
            reference,
            other: reference,
            alt_is_major: c[0] + c[1] > reference[0] + reference[1],
            e_major: 3.0 * specific_error_rate(q),
            e_minor: 0.0, // set from the indel floor by the caller
            quality_floor: 0.0,
            mate_other_contig: s.mate_other_contig,
            alt_signal: Signal {
                x: c,
                n: depth,
                ..Signal::default()
            },
            ref_signal: Signal {
                x: reference,
                n: depth,
                ..Signal::default()
            },
            context_alt: 0.0,
            context_ref: 0.0,
            noise: (0, 0),
        }
    }

    fn d(&self) -> u32 {
        self.depth[0] + self.depth[1]
    }
    fn x(&self) -> u32 {
        self.alt[0] + self.alt[1]
    }
}

pub(crate) struct SiteContext<'a> {
    pub samples: &'a [(&'a str, &'a crate::count::Counts)],
    pub config: &'a CallConfig,
    pub indels: &'a IndelTable,
    /// Each clone's substitution error profile, in clone order.
    pub profiles: &'a [ErrorProfile],
}

/// The technical background of one allele (the ALT, or the reference allele when the
/// ALT is the major one) in clone `i`: see [`super::technical`].
fn technical_background(
    signals: &[Signal],
    i: usize,
    components: Components,
    cfg: &CallConfig,
    artefact_site: bool,
) -> (Background, BackgroundSource, Option<SiblingComponent>) {
    let floor = components
        .floor
        .max(components.quality)
        .max(components.context)
        .max(components.site_noise);
    let sib = sibling_component(
        signals,
        i,
        floor,
        &SiblingSettings {
            min_clones: cfg.min_background_clones,
            min_overdispersion: cfg.min_overdispersion,
            artefact_site,
        },
    );
    let (bg, src) = combine(components, sib, cfg.min_overdispersion);
    (bg, src, sib)
}

/// Evaluate one candidate allele in every clone.
pub(crate) fn evaluate(
    ctx: &SiteContext<'_>,
    pos: usize,
    kind: VariantKind,
    obs: &[AlleleObs],
    alpha: f64,
) -> Vec<SampleCall> {
    let cfg = ctx.config;
    let alt_signals: Vec<Signal> = obs.iter().map(|o| o.alt_signal).collect();
    let ref_signals: Vec<Signal> = obs.iter().map(|o| o.ref_signal).collect();
    let artefact = super::artefact_site(
        crate::reference::Position::from_zero_based(pos)
            .unwrap_or(crate::reference::RCRS_N_POSITION),
    );
    // The other non-reference alleles at the site, pooled over the clones, per allele.
    let (noise_x, noise_n) = obs
        .iter()
        .fold((0u64, 0u64), |a, o| (a.0 + o.noise.0, a.1 + o.noise.1));
    let site_noise = if noise_n > 0 {
        noise_x as f64 / noise_n as f64
    } else {
        0.0
    };
    obs.iter()
        .enumerate()
        .map(|(i, o0)| {
            let mut o = *o0;
            let snv = kind == VariantKind::Snv;
            let components = |context: f64| Components {
                floor: if snv {
                    cfg.error_floor
                } else {
                    cfg.indel_error_floor
                },
                quality: if snv { o0.quality_floor } else { 0.0 },
                context: if snv { context } else { 0.0 },
                site_noise: if snv { site_noise } else { 0.0 },
            };
            if !snv {
                o.e_minor = 3.0 * cfg.indel_error_floor;
            }
            let d = o.d();
            let x = o.x().min(d);
            let af = if d > 0 {
                f64::from(x) / f64::from(d)
            } else {
                0.0
            };
            let (bg, source, sib) = technical_background(
                &alt_signals,
                i,
                components(o.context_alt),
                cfg,
                artefact.is_some(),
            );
            let min_count = min_count(cfg);
            let p_alt = bg.sf(u64::from(x), u64::from(d));
            let mut call = SampleCall {
                genotype: Genotype::NoCall,
                depth: d,
                ref_count: o.reference[0] + o.reference[1],
                alt_count: x,
                ref_fwd: o.reference[0],
                ref_rev: o.reference[1],
                alt_fwd: o.alt[0],
                alt_rev: o.alt[1],
                af,
                af_ci: clopper_pearson(u64::from(x), u64::from(d), cfg.confidence),
                upper_bound: upper_bound(u64::from(x), u64::from(d), cfg.confidence),
                lod: 1.0,
                background: bg.mean,
                background_clones: bg.clones,
                background_source: source,
                sibling_level: sib.map_or(0.0, |s| s.level),
                technical_share: sib.map_or(0.0, |s| round3(s.share)),
                above_background: false,
                llr: 0.0,
                strand_bias: 0.0,
                qual: phred(p_alt),
                filters: Vec::new(),
                model: Some(bg),
            };
            if d == 0 {
                return call;
            }
            // The minor allele: the ALT, or the reference allele when the ALT is the
            // major one.
            let (minor, major, p_minor, minor_bg) = if o.alt_is_major {
                let minor = o.reference;
                let (mbg, _, _) = technical_background(
                    &ref_signals,
                    i,
                    components(o.context_ref),
                    cfg,
                    artefact.is_some(),
                );
                let p = mbg.sf(u64::from(minor[0] + minor[1]), u64::from(d));
                (minor, o.alt, p, mbg)
            } else {
                (o.alt, o.other, p_alt, bg)
            };
            let n_minor = minor[0] + minor[1];
            let minor_af = f64::from(n_minor) / f64::from(d);
            let (_, llr) = llr_two_alleles(
                u64::from(major[0] + major[1]),
                u64::from(n_minor),
                o.e_major,
                o.e_minor,
            );
            call.llr = round3(llr);
            call.strand_bias = round3(strand_bias(
                u64::from(major[0]),
                u64::from(minor[0]),
                u64::from(major[1]),
                u64::from(minor[1]),
            ));
            let above = n_minor > 0 && p_minor <= alpha;
            call.above_background = above;
            let minor_significant = minor_af >= cfg.min_af && llr >= cfg.min_llr && above;
            let low_depth = d < cfg.min_depth
                || o.depth[0] < cfg.min_strand_depth
                || o.depth[1] < cfg.min_strand_depth;
            if !minor_significant && !o.alt_is_major {
                call.genotype = Genotype::Ref;
                if above && af < cfg.min_af {
                    // Significant against the technical background, but under the
                    // calling threshold.
                    call.add_filter("below_min_af");
                } else if af >= cfg.min_af && x >= 2 {
                    // Evidence seen but rejected: say why.
                    call.add_filter(if !above { "background" } else { "low_llr" });
                }
                return call;
            }
            // Quality of the heteroplasmy (the minor allele), when there is one.
            let mut minor_filters: Vec<&str> = Vec::new();
            if minor_significant {
                if low_depth {
                    minor_filters.push("low_depth");
                }
                if minor[0] < cfg.min_alt_per_strand || minor[1] < cfg.min_alt_per_strand {
                    minor_filters.push("few_alt_reads_per_strand");
                }
                if call.strand_bias > cfg.max_strand_bias
                    && strand_difference_p(minor, o.depth) < cfg.strand_bias_alpha
                {
                    minor_filters.push("strand_bias");
                }
                // mtDNA-Server's LOW_COVERAGE idea: the observed level lies below the
                // level this depth detects half of the time, so the call rests on luck.
                let minor_lod50 = minor_bg
                    .detection_limit(u64::from(d), alpha, 0.5, min_count)
                    .max(cfg.min_af);
                if minor_af < minor_lod50 {
                    minor_filters.push("below_detection_limit");
                }
                if f64::from(o.mate_other_contig) >= cfg.numt_fraction * f64::from(d)
                    && minor_af < cfg.numt_max_af
                {
                    minor_filters.push("suspected_numt");
                }
            }
            // With the ALT as the major allele the call is heteroplasmic when the
            // reference allele is a credible heteroplasmy (as mutserve reports it),
            // homoplasmic otherwise.
            call.genotype = if !o.alt_is_major || (minor_significant && minor_filters.is_empty()) {
                Genotype::Het
            } else {
                Genotype::Hom
            };
            match call.genotype {
                Genotype::Hom => {
                    // A homoplasmy needs depth, not both strands.
                    if d < cfg.min_depth {
                        call.add_filter("low_depth");
                    }
                }
                _ => {
                    for f in minor_filters {
                        call.add_filter(f);
                    }
                    if artefact.is_some() {
                        // Homopolymer misalignment makes false low-level calls; a
                        // homoplasmy there is only marked in INFO (ARTEFACT_SITE).
                        call.add_filter("artefact_prone_site");
                    }
                }
            }
            call
        })
        .collect()
}

/// Two-sided exact test that the minor allele's reads fall on the forward strand in
/// proportion to the forward strand's share of the depth (as they do for a real allele).
fn strand_difference_p(minor: [u32; 2], depth: [u32; 2]) -> f64 {
    let (x, n) = (u64::from(minor[0] + minor[1]), depth[0] + depth[1]);
    if x == 0 || n == 0 {
        return 1.0;
    }
    let p = f64::from(depth[0]) / f64::from(n);
    let k = u64::from(minor[0]);
    let upper = binom_sf(k, x, p);
    let lower = 1.0 - binom_sf(k + 1, x, p);
    (2.0 * upper.min(lower)).min(1.0)
}

fn min_count(cfg: &CallConfig) -> u64 {
    u64::from(2 * cfg.min_alt_per_strand).max(1)
}

/// Fill in the detection limit (95% power) of a call: the smallest fraction that would
/// be called with 95% probability at its depth against its background. Done only for
/// the variants that are reported.
pub(crate) fn fill_detection_limit(call: &mut SampleCall, cfg: &CallConfig, alpha: f64) {
    if let Some(bg) = call.model {
        call.lod = bg
            .detection_limit(u64::from(call.depth), alpha, 0.95, min_count(cfg))
            .max(cfg.min_af);
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Phred scale of a probability, capped at 3000.
fn phred(p: f64) -> f64 {
    if p <= 0.0 {
        return 3000.0;
    }
    ((-10.0 * p.log10()).min(3000.0) * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strand_difference_test() {
        // 9 of 881 forward and 10 of 345 reverse reads: a score of 1.2, but a forward
        // share of 9/19 where 72% is expected is well within chance.
        let p = strand_difference_p([9, 10], [881, 345]);
        assert!(p > 0.01 && p < 0.1, "{p}");
        // 25 forward, none reverse, on balanced strands: one strand only.
        assert!(strand_difference_p([25, 0], [500, 500]) < 1e-6);
        assert_eq!(strand_difference_p([0, 0], [500, 500]), 1.0);
        // Symmetric.
        let a = strand_difference_p([3, 12], [500, 500]);
        let b = strand_difference_p([12, 3], [500, 500]);
        assert!((a - b).abs() < 1e-12 && a < 0.05);
    }
}
