//! The per-clone decision for one candidate allele (see the module docs of
//! [`crate::call`] for the model).

use super::{CallConfig, IndelTable, VariantKind};
use crate::count::{Allele, Counts, FWD, REV};
use crate::model::{
    clopper_pearson, fit_background, llr_two_alleles, specific_error_rate, strand_bias,
    upper_bound, Background, Interval,
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
    /// Background error rate of this allele at this site.
    pub background: f64,
    /// Clones the background was learned from (0: base qualities only).
    pub background_clones: usize,
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

impl AlleleObs {
    pub fn snv(counts: &Counts, pos: usize, alt: u8) -> Self {
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
            (alt_a, other_a)
        } else {
            (other_a, alt_a)
        };
        let q_major = mean_q(counts, pos, major_a).unwrap_or(30.0);
        let q_minor = mean_q(counts, pos, minor_a).unwrap_or(q_major);
        AlleleObs {
            depth: strand_depth(counts, pos),
            alt: alt_c,
            reference: pair(ref_a),
            other: other_c,
            alt_is_major,
            e_major: 3.0 * specific_error_rate(q_major),
            e_minor: 3.0 * specific_error_rate(q_minor),
            quality_floor: specific_error_rate(q_major),
            mate_other_contig: s.mate_other_contig,
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
}

/// Background of a count across the siblings of clone `i` (leave-one-out), from the
/// siblings in which it is a minor allele.
///
/// The siblings are taken in order of increasing fraction and added to the background
/// set while each is consistent (upper-tail p ≥ `CONSISTENT_P`) with the set so far: the
/// background is the largest group of lowest-fraction clones that look like one error
/// process. A recurrent artefact (similar low level in every clone) makes them all one
/// group; a real variant carried at different levels by some clones leaves only the
/// non-carriers in it. When even the two lowest siblings disagree, the siblings cannot
/// tell an error rate apart from biology and only the quality-based floor is used.
fn sibling_background(
    pairs: &[(u64, u64)],
    i: usize,
    floor: f64,
    config: &CallConfig,
) -> Background {
    const CONSISTENT_P: f64 = 1e-3;
    const MIN_CLONES_FOR_DISPERSION: usize = 5;
    let floor_only = Background {
        mean: floor,
        rho: 0.0,
        clones: 0,
    };
    if pairs.len() < config.min_background_clones {
        return floor_only;
    }
    let mut others: Vec<(u64, u64)> = pairs
        .iter()
        .enumerate()
        // Only clones where this allele is a minor one can say what its error rate is:
        // where it is the major allele (a carrier of the ALT, for the not-ALT reads) it
        // is biology, not error.
        .filter(|&(j, p)| j != i && p.1 > 0 && 2 * p.0 < p.1)
        .map(|(_, p)| *p)
        .collect();
    if others.len() + 1 < config.min_background_clones || others.len() < 2 {
        return floor_only;
    }
    others.sort_by(|a, b| {
        let fa = a.0 as f64 / a.1 as f64;
        let fb = b.0 as f64 / b.1 as f64;
        fa.total_cmp(&fb).then(b.1.cmp(&a.1))
    });
    let (mut sx, mut sn) = (others[0].0, others[0].1);
    let mut k = 1;
    while k < others.len() {
        let mean = (sx as f64 / sn as f64).max(floor);
        let (x, n) = others[k];
        if crate::model::betabinom_sf(x, n, mean, config.min_overdispersion) < CONSISTENT_P {
            break;
        }
        sx += x;
        sn += n;
        k += 1;
    }
    if k < 2 {
        return floor_only;
    }
    let mut bg = fit_background(&others[..k], floor, config.min_overdispersion);
    if k < MIN_CLONES_FOR_DISPERSION {
        // Too few clones to estimate over-dispersion: a noisy estimate would only blunt
        // the test.
        bg.rho = config.min_overdispersion;
    }
    bg
}

/// Evaluate one candidate allele in every clone.
pub(crate) fn evaluate(
    ctx: &SiteContext<'_>,
    pos: usize,
    kind: VariantKind,
    obs: &[AlleleObs],
) -> Vec<SampleCall> {
    let cfg = ctx.config;
    let alt_pairs: Vec<(u64, u64)> = obs
        .iter()
        .map(|o| (u64::from(o.x()), u64::from(o.d())))
        .collect();
    let not_alt_pairs: Vec<(u64, u64)> = obs
        .iter()
        .map(|o| (u64::from(o.d() - o.x().min(o.d())), u64::from(o.d())))
        .collect();
    let artefact = super::artefact_site(
        crate::reference::Position::from_zero_based(pos)
            .unwrap_or(crate::reference::RCRS_N_POSITION),
    );
    obs.iter()
        .enumerate()
        .map(|(i, o0)| {
            let mut o = *o0;
            let floor = match kind {
                VariantKind::Snv => o.quality_floor.max(cfg.error_floor),
                _ => cfg.indel_error_floor,
            };
            if kind != VariantKind::Snv {
                o.e_minor = 3.0 * floor;
            }
            let d = o.d();
            let x = o.x().min(d);
            let af = if d > 0 {
                f64::from(x) / f64::from(d)
            } else {
                0.0
            };
            let bg = sibling_background(&alt_pairs, i, floor, cfg);
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
                llr: 0.0,
                strand_bias: 0.0,
                qual: phred(p_alt),
                filters: Vec::new(),
                model: Some(bg),
            };
            if d == 0 {
                return call;
            }
            // The minor allele: the ALT, or everything that is not the ALT.
            let (minor, major, p_minor, minor_bg) = if o.alt_is_major {
                let minor = [
                    o.depth[0] - o.alt[0].min(o.depth[0]),
                    o.depth[1] - o.alt[1].min(o.depth[1]),
                ];
                let mbg = sibling_background(&not_alt_pairs, i, floor, cfg);
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
            let minor_significant =
                minor_af >= cfg.min_af && llr >= cfg.min_llr && p_minor <= cfg.alpha;
            let low_depth = d < cfg.min_depth
                || o.depth[0] < cfg.min_strand_depth
                || o.depth[1] < cfg.min_strand_depth;
            if !minor_significant && !o.alt_is_major {
                call.genotype = Genotype::Ref;
                if af >= cfg.min_af && x >= 2 {
                    // Evidence seen but rejected: say why.
                    call.add_filter(if llr < cfg.min_llr {
                        "low_llr"
                    } else {
                        "background"
                    });
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
                if call.strand_bias > cfg.max_strand_bias {
                    minor_filters.push("strand_bias");
                }
                // mtDNA-Server's LOW_COVERAGE idea: the observed level lies below the
                // level this depth detects half of the time, so the call rests on luck.
                let minor_lod50 = minor_bg
                    .detection_limit(u64::from(d), cfg.alpha, 0.5, min_count)
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
            call.genotype = if !o.alt_is_major {
                Genotype::Het
            } else if af >= cfg.homoplasmy_af || !minor_significant || !minor_filters.is_empty() {
                // The ALT is the major allele and what else is there is no credible
                // heteroplasmy: homoplasmic (mutserve's consensus would show the ALT).
                Genotype::Hom
            } else {
                Genotype::Het
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

fn min_count(cfg: &CallConfig) -> u64 {
    u64::from(2 * cfg.min_alt_per_strand).max(1)
}

/// Fill in the detection limit (95% power) of a call: the smallest fraction that would
/// be called with 95% probability at its depth against its background. Done only for
/// the variants that are reported.
pub(crate) fn fill_detection_limit(call: &mut SampleCall, cfg: &CallConfig) {
    if let Some(bg) = call.model {
        call.lod = bg
            .detection_limit(u64::from(call.depth), cfg.alpha, 0.95, min_count(cfg))
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
