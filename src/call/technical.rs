//! The technical error model: how many reads of an allele sequencing and alignment
//! alone would put at a site in one clone, estimated only from evidence that the reads
//! are technical.
//!
//! A patient's clones all carry the patient's own variants, often at similar low
//! levels, so the sibling clones are no panel of normals: the level at which the
//! siblings show an allele is not, by itself, evidence of error. The background
//! rate `ε` of an allele `a` at site `p` in clone `i` is the largest of
//!
//! | component | estimated from |
//! |---|---|
//! | error floor | `error_floor` (SNVs, default 0.05%) or `indel_error_floor` |
//! | base quality | `10^(−Q̄/10) / 3`, `Q̄` the mean quality of the major allele's bases at `p` in `i` |
//! | context | the rate of the same substitution in the same trinucleotide context over the whole genome in `i` ([`ErrorProfile`]) |
//! | site noise | the rate of the *other* non-reference alleles at `p`, pooled over all clones, per allele |
//! | siblings | the technical part of the siblings' level ([`sibling_component`]) |
//!
//! and the clone's count is tested against a beta-binomial with that mean.
//!
//! The siblings' component is the part of their level that strand asymmetry, an ALT
//! base-quality deficit or a known artefact-prone context (homopolymer tracts, gnomAD
//! artefact sites) attributes to error. A signal seen on both strands alike with
//! normal base qualities, outside such a context, contributes nothing, however many
//! clones show it at whatever similar level.

use crate::count::{Allele, Counts, FWD, REV};
use crate::model::{betabinom_sf, fit_background, Background};
use crate::reference::{rcrs, MT_LENGTH};
use serde::{Deserialize, Serialize};

/// Assumed standard deviation of base qualities within one allele's reads (Phred).
/// Counts keep quality sums only, so the uncertainty of a mean quality is taken as
/// `QUALITY_SD / √reads` (an upper bound for qualities between 2 and 41).
const QUALITY_SD: f64 = 10.0;

/// Siblings are added to the background group while each is consistent with the group
/// so far at this upper-tail probability.
const CONSISTENT_P: f64 = 1e-3;

/// Fewer group clones than this give no over-dispersion estimate.
const MIN_CLONES_FOR_DISPERSION: usize = 5;

/// What set the technical background of a call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackgroundSource {
    /// The configured error floor.
    #[default]
    ErrorFloor,
    /// The base qualities at the site.
    BaseQuality,
    /// The same substitution in the same sequence context elsewhere in the clone.
    Context,
    /// The other non-reference alleles at the site.
    SiteNoise,
    /// Sibling clones, through the part of their level with a technical signature.
    Siblings,
}

impl BackgroundSource {
    /// Word used in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            BackgroundSource::ErrorFloor => "error_floor",
            BackgroundSource::BaseQuality => "base_quality",
            BackgroundSource::Context => "context",
            BackgroundSource::SiteNoise => "site_noise",
            BackgroundSource::Siblings => "siblings",
        }
    }

    /// Words for a sentence ("explained by …").
    pub fn phrase(self) -> &'static str {
        match self {
            BackgroundSource::ErrorFloor => "the error floor",
            BackgroundSource::BaseQuality => "the base qualities",
            BackgroundSource::Context => "the same substitution in the same context",
            BackgroundSource::SiteNoise => "the other alleles' noise at this site",
            BackgroundSource::Siblings => "a technical signal shared with the sibling clones",
        }
    }
}

/// The substitution errors of one clone, learned from the whole genome.
#[derive(Clone, Debug)]
pub(crate) struct ErrorProfile {
    /// Rate of each substitution by trinucleotide context: index `16·5' + 4·base + 3'`,
    /// then the new base.
    rate: Vec<[f64; 4]>,
    /// Mean base quality of the mismatching bases (errors), if any were seen.
    pub q_err: Option<f64>,
}

fn code(b: u8) -> Option<usize> {
    match b {
        b'A' => Some(0),
        b'C' => Some(1),
        b'G' => Some(2),
        b'T' => Some(3),
        _ => None,
    }
}

/// Context index of 0-based position `p` with base `mid` in the middle (rCRS flanks,
/// circular genome).
fn context(p: usize, mid: u8) -> Option<usize> {
    let r = rcrs();
    let n = MT_LENGTH as usize;
    let b5 = code(r[(p + n - 1) % n])?;
    let b3 = code(r[(p + 1) % n])?;
    Some(16 * b5 + 4 * code(mid)? + b3)
}

impl ErrorProfile {
    /// Learn the profile of one clone: at every position where the clone's major
    /// allele is the rCRS base, every other base seen below `min_af` counts as an
    /// error of its substitution class (bases at or above `min_af` may be variants and
    /// are left out).
    pub fn of(counts: &Counts, min_af: f64) -> Self {
        let r = rcrs();
        let mut num = vec![[0u64; 4]; 64];
        let mut den = vec![0u64; 64];
        let (mut qsum, mut qn) = (0u64, 0u64);
        for (p, s) in counts.sites().iter().enumerate() {
            let Some(ctx) = context(p, r[p]) else {
                continue;
            };
            let d: u32 = Allele::BASES.iter().map(|&a| s.allele(a)).sum();
            if d == 0 {
                continue;
            }
            let major = Allele::BASES
                .iter()
                .copied()
                .max_by_key(|&a| (s.allele(a), std::cmp::Reverse(a as u8)));
            if major.map(|a| a.as_char() as u8) != Some(r[p]) {
                continue;
            }
            den[ctx] += u64::from(d);
            for a in Allele::BASES {
                if a.as_char() as u8 == r[p] {
                    continue;
                }
                let x = s.allele(a);
                if x == 0 || f64::from(x) >= min_af * f64::from(d) {
                    continue;
                }
                num[ctx][a as usize] += u64::from(x);
                qsum += s.qsum[FWD][a as usize] + s.qsum[REV][a as usize];
                qn += u64::from(x);
            }
        }
        let rate = num
            .iter()
            .zip(&den)
            .map(|(n, &d)| {
                let mut out = [0.0; 4];
                if d > 0 {
                    for (o, &x) in out.iter_mut().zip(n) {
                        *o = x as f64 / d as f64;
                    }
                }
                out
            })
            .collect();
        ErrorProfile {
            rate,
            q_err: (qn > 0).then(|| qsum as f64 / qn as f64),
        }
    }

    /// Rate at which base `from` at 0-based position `p` is read as `to` in this
    /// clone's library (0 when unknown).
    pub fn context_rate(&self, p: usize, from: u8, to: u8) -> f64 {
        match (context(p, from), code(to)) {
            (Some(c), Some(t)) => self.rate[c][t],
            _ => 0.0,
        }
    }
}

/// One clone's reads of the allele under test at one site.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Signal {
    /// Reads with the allele, per strand.
    pub x: [u32; 2],
    /// Usable depth, per strand.
    pub n: [u32; 2],
    /// Quality sum and count of the allele's bases (0, 0 for indels).
    pub q_allele: (u64, u32),
    /// Quality sum and count of the competing (major) allele's bases.
    pub q_major: (u64, u32),
    /// Mean quality of this clone's error bases.
    pub q_err: Option<f64>,
}

impl Signal {
    fn total(&self) -> (u64, u64) {
        (
            u64::from(self.x[0] + self.x[1]),
            u64::from(self.n[0] + self.n[1]),
        )
    }

    /// The allele is a minor one here (so its reads can be error, not biology).
    fn minor(&self) -> bool {
        let (x, n) = self.total();
        n > 0 && 2 * x < n
    }
}

/// The technical part of the sibling clones' level, as it applies to one clone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SiblingComponent {
    /// Expected technical rate in this clone (its own strand mix).
    pub mean: f64,
    /// Over-dispersion of the technical part.
    pub rho: f64,
    /// Siblings in the background group.
    pub clones: usize,
    /// Their pooled level of the allele.
    pub level: f64,
    /// Share of that level attributed to technical error (0–1).
    pub share: f64,
}

/// Settings the sibling component needs.
pub(crate) struct SiblingSettings {
    pub min_clones: usize,
    pub min_overdispersion: f64,
    /// The site lies in a known artefact-prone context.
    pub artefact_site: bool,
}

/// The technical component learned from the siblings of clone `i` (leave-one-out).
///
/// 1. **Group.** The siblings in which the allele is minor, in order of increasing
///    fraction, are added to a group while each is consistent (beta-binomial upper
///    tail ≥ 1e-3) with the group so far: the largest set of lowest-level clones that
///    look like one process. A variant carried at different levels by some clones
///    leaves only the others in the group.
/// 2. **Per-strand levels** `f_fwd`, `f_rev` of the group (pooled reads `N_fwd`,
///    `N_rev`, pooled level `f`). A real allele shows on both strands alike; the
///    strand-balanced part is `b = min(f_fwd, f_rev)`, and the excess beyond two
///    standard errors of sampling noise, `e_s = max(0, f_s − b − 2·SE)` with
///    `SE = √(f(1−f)(1/N_fwd + 1/N_rev))`, is technical.
/// 3. **Quality deficit.** With `Q_alt`, `Q_major` the group's mean base qualities of
///    the allele and of the major allele, `X` its allele reads and `Q_err` the mean
///    quality of the clones' error bases, the share of the balanced part explained by
///    low quality is `s_q = clamp((Q_major − Q_alt − 2·10/√X) / (Q_major − Q_err), 0, 1)`.
/// 4. The technical per-strand rate is `t_s = e_s + s_q·b`; at a known
///    artefact-prone site it is the whole level, `t_s = f_s`.
/// 5. For clone `i` with strand depths `n_fwd`, `n_rev` the component is
///    `(n_fwd·t_fwd + n_rev·t_rev) / (n_fwd + n_rev)`; its over-dispersion is the
///    group's (method of moments, with ≥ 5 clones) times the technical share.
pub(crate) fn sibling_component(
    signals: &[Signal],
    i: usize,
    floor: f64,
    s: &SiblingSettings,
) -> Option<SiblingComponent> {
    if signals.len() < s.min_clones {
        return None;
    }
    let mut others: Vec<&Signal> = signals
        .iter()
        .enumerate()
        .filter(|&(j, sig)| j != i && sig.minor())
        .map(|(_, sig)| sig)
        .collect();
    if others.len() + 1 < s.min_clones || others.len() < 2 {
        return None;
    }
    others.sort_by(|a, b| {
        let (xa, na) = a.total();
        let (xb, nb) = b.total();
        let fa = xa as f64 / na as f64;
        let fb = xb as f64 / nb as f64;
        fa.total_cmp(&fb).then(nb.cmp(&na))
    });
    let (mut sx, mut sn) = others[0].total();
    let mut k = 1;
    while k < others.len() {
        let mean = (sx as f64 / sn as f64).max(floor);
        let (x, n) = others[k].total();
        if betabinom_sf(x, n, mean, s.min_overdispersion) < CONSISTENT_P {
            break;
        }
        sx += x;
        sn += n;
        k += 1;
    }
    if k < 2 {
        return None;
    }
    let group = &others[..k];
    let sum = |f: &dyn Fn(&Signal) -> u64| -> u64 { group.iter().map(|g| f(g)).sum() };
    let xs = [sum(&|g| u64::from(g.x[FWD])), sum(&|g| u64::from(g.x[REV]))];
    let ns = [sum(&|g| u64::from(g.n[FWD])), sum(&|g| u64::from(g.n[REV]))];
    let n_all = ns[0] + ns[1];
    let x_all = xs[0] + xs[1];
    let level = if n_all > 0 {
        x_all as f64 / n_all as f64
    } else {
        0.0
    };
    // Per-strand levels; a strand without reads says nothing, so it takes the other's.
    let f = |st: usize| {
        if ns[st] > 0 {
            xs[st] as f64 / ns[st] as f64
        } else {
            level
        }
    };
    let (f_fwd, f_rev) = (f(FWD), f(REV));
    let (t_fwd, t_rev) = if s.artefact_site {
        (f_fwd, f_rev)
    } else {
        // The strand excess beyond two standard errors of sampling noise.
        let b = f_fwd.min(f_rev);
        let se = if ns[0] > 0 && ns[1] > 0 {
            (level * (1.0 - level) * (1.0 / ns[0] as f64 + 1.0 / ns[1] as f64)).sqrt()
        } else {
            0.0
        };
        let excess = |f: f64| (f - b - 2.0 * se).max(0.0);
        let s_q = quality_share(group);
        (excess(f_fwd) + s_q * b, excess(f_rev) + s_q * b)
    };
    let me = &signals[i];
    let (_, n_me) = me.total();
    let mean = if n_me > 0 {
        (f64::from(me.n[FWD]) * t_fwd + f64::from(me.n[REV]) * t_rev) / n_me as f64
    } else {
        (ns[0] as f64 * t_fwd + ns[1] as f64 * t_rev) / n_all.max(1) as f64
    };
    let group_tech = (ns[0] as f64 * t_fwd + ns[1] as f64 * t_rev) / n_all.max(1) as f64;
    let share = if level > 0.0 {
        (group_tech / level).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pairs: Vec<(u64, u64)> = group.iter().map(|g| g.total()).collect();
    let fitted = fit_background(&pairs, floor, s.min_overdispersion);
    let rho = if k < MIN_CLONES_FOR_DISPERSION {
        s.min_overdispersion
    } else {
        (fitted.rho * share).max(s.min_overdispersion)
    };
    Some(SiblingComponent {
        mean,
        rho,
        clones: k,
        level,
        share,
    })
}

/// Share of the group's strand-balanced level explained by a base-quality deficit of
/// the allele's reads (0 when the qualities are unknown, as for indels).
fn quality_share(group: &[&Signal]) -> f64 {
    let (qa, na) = group.iter().fold((0u64, 0u64), |acc, g| {
        (acc.0 + g.q_allele.0, acc.1 + u64::from(g.q_allele.1))
    });
    let (qm, nm) = group.iter().fold((0u64, 0u64), |acc, g| {
        (acc.0 + g.q_major.0, acc.1 + u64::from(g.q_major.1))
    });
    let errs: Vec<f64> = group.iter().filter_map(|g| g.q_err).collect();
    if na == 0 || nm == 0 || errs.is_empty() {
        return 0.0;
    }
    let q_alt = qa as f64 / na as f64;
    let q_major = qm as f64 / nm as f64;
    let q_err = errs.iter().sum::<f64>() / errs.len() as f64;
    let span = q_major - q_err;
    if span < 1.0 {
        return 0.0;
    }
    let deficit = q_major - q_alt - 2.0 * QUALITY_SD / (na as f64).sqrt();
    (deficit / span).clamp(0.0, 1.0)
}

/// The pieces of one clone's technical background, before taking the largest.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Components {
    /// `error_floor` or `indel_error_floor`.
    pub floor: f64,
    /// From the base qualities (SNVs).
    pub quality: f64,
    /// Same substitution, same context (SNVs).
    pub context: f64,
    /// Other alleles at the site (SNVs).
    pub site_noise: f64,
}

/// The technical background: the largest component, with the siblings' over-dispersion
/// when they set it.
pub(crate) fn combine(
    c: Components,
    sib: Option<SiblingComponent>,
    min_overdispersion: f64,
) -> (Background, BackgroundSource) {
    let mut best = (c.floor, BackgroundSource::ErrorFloor);
    for (v, src) in [
        (c.quality, BackgroundSource::BaseQuality),
        (c.context, BackgroundSource::Context),
        (c.site_noise, BackgroundSource::SiteNoise),
    ] {
        if v > best.0 {
            best = (v, src);
        }
    }
    let mut bg = Background {
        mean: best.0,
        rho: min_overdispersion,
        clones: 0,
    };
    if let Some(s) = sib {
        bg.clones = s.clones;
        if s.mean > best.0 {
            bg.mean = s.mean;
            bg.rho = s.rho;
            best.1 = BackgroundSource::Siblings;
        }
    }
    (bg, best.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(x: [u32; 2], n: [u32; 2], q_alt: f64, q_major: f64) -> Signal {
        let xa = x[0] + x[1];
        let nm = n[0] + n[1] - xa;
        Signal {
            x,
            n,
            q_allele: ((q_alt * f64::from(xa)) as u64, xa),
            q_major: ((q_major * f64::from(nm)) as u64, nm),
            q_err: Some(18.0),
        }
    }

    fn settings(artefact_site: bool) -> SiblingSettings {
        SiblingSettings {
            min_clones: 3,
            min_overdispersion: 1e-4,
            artefact_site,
        }
    }

    #[test]
    fn a_balanced_shared_variant_is_not_technical() {
        // Seven clones with 2% on both strands and normal qualities.
        let s: Vec<Signal> = (0..7)
            .map(|k| sig([20 + k % 3, 19 + k % 2], [1000, 1000], 36.0, 36.5))
            .collect();
        let c = sibling_component(&s, 0, 5e-4, &settings(false)).unwrap();
        assert!(c.level > 0.015, "{c:?}");
        assert!(c.mean < 0.003, "only strand noise may count: {c:?}");
        assert!(c.share < 0.15, "{c:?}");
    }

    #[test]
    fn a_one_strand_artefact_is_technical() {
        // 2% of the forward reads, none of the reverse, in every clone.
        let s: Vec<Signal> = (0..7)
            .map(|k| sig([20 + k % 3, 0], [1000, 1000], 36.0, 36.0))
            .collect();
        let c = sibling_component(&s, 0, 5e-4, &settings(false)).unwrap();
        // 2.1% of the forward reads less two standard errors of the strand
        // difference, over this clone's two strands: about 0.86%.
        assert!(c.mean > 0.0075 && c.mean < 0.0105, "{c:?}");
        assert!(c.share > 0.75, "{c:?}");
        // A clone sequenced mostly on the reverse strand expects far less of it.
        let mut s2 = s.clone();
        s2[0].n = [200, 1800];
        let c2 = sibling_component(&s2, 0, 5e-4, &settings(false)).unwrap();
        assert!(c2.mean < c.mean / 3.0, "{c2:?}");
    }

    #[test]
    fn a_low_quality_balanced_signal_is_technical() {
        // Balanced on the strands, but the allele's bases are of quality 14 where the
        // major allele's are 36 and errors average 18.
        let s: Vec<Signal> = (0..7)
            .map(|k| sig([20 + k % 3, 20], [1000, 1000], 14.0, 36.0))
            .collect();
        let c = sibling_component(&s, 0, 5e-4, &settings(false)).unwrap();
        assert!(c.share > 0.8, "{c:?}");
    }

    #[test]
    fn a_known_artefact_site_admits_the_whole_level() {
        let s: Vec<Signal> = (0..7)
            .map(|k| sig([20 + k % 3, 19], [1000, 1000], 36.0, 36.0))
            .collect();
        let c = sibling_component(&s, 0, 5e-4, &settings(true)).unwrap();
        assert!((c.share - 1.0).abs() < 1e-9, "{c:?}");
    }

    #[test]
    fn carriers_at_other_levels_stay_out_of_the_group() {
        // Five clones with a 0.5% forward artefact, two carriers at 30% and 45%.
        let mut s: Vec<Signal> = (0..5)
            .map(|_| sig([5, 0], [1000, 1000], 20.0, 36.0))
            .collect();
        s.push(sig([300, 300], [1000, 1000], 36.0, 36.0));
        s.push(sig([450, 450], [1000, 1000], 36.0, 36.0));
        let c = sibling_component(&s, 6, 5e-4, &settings(false)).unwrap();
        assert_eq!(c.clones, 5);
        assert!(c.mean < 0.003, "{c:?}");
    }

    #[test]
    fn too_few_clones_give_no_component() {
        let s = vec![sig([5, 5], [100, 100], 30.0, 30.0); 2];
        assert!(sibling_component(&s, 0, 5e-4, &settings(false)).is_none());
    }

    #[test]
    fn the_largest_component_sets_the_background() {
        let c = Components {
            floor: 5e-4,
            quality: 1e-4,
            context: 8e-4,
            site_noise: 2e-4,
        };
        let (bg, src) = combine(c, None, 1e-4);
        assert_eq!((bg.mean, src), (8e-4, BackgroundSource::Context));
        let sib = SiblingComponent {
            mean: 4e-3,
            rho: 0.01,
            clones: 6,
            level: 4e-3,
            share: 1.0,
        };
        let (bg, src) = combine(c, Some(sib), 1e-4);
        assert_eq!(
            (bg.mean, bg.rho, bg.clones, src),
            (4e-3, 0.01, 6, BackgroundSource::Siblings)
        );
    }

    #[test]
    fn the_error_profile_learns_a_context_specific_error() {
        use crate::reference::rcrs;
        let mut c = Counts::new();
        let r = rcrs();
        for (p, site) in c.sites_mut().iter_mut().enumerate() {
            if let Some(a) = Allele::from_ascii(r[p]).filter(|a| *a != Allele::N) {
                site.n[FWD][a as usize] = 500;
                site.n[REV][a as usize] = 500;
                site.qsum[FWD][a as usize] = 500 * 36;
                site.qsum[REV][a as usize] = 500 * 36;
            }
        }
        // Every G preceded by a G reads as T 4 times in 1,000 (an oxidation-like error).
        let mut n = 0;
        for p in 1..c.sites().len() {
            if r[p] == b'G' && r[p - 1] == b'G' {
                let s = &mut c.sites_mut()[p];
                s.n[FWD][Allele::T as usize] = 4;
                s.qsum[FWD][Allele::T as usize] = 4 * 20;
                n += 1;
            }
        }
        assert!(n > 50);
        let prof = ErrorProfile::of(&c, 0.01);
        let gg = (1..r.len())
            .find(|&p| r[p] == b'G' && r[p - 1] == b'G')
            .unwrap();
        let rate = prof.context_rate(gg, b'G', b'T');
        assert!(rate > 0.002 && rate < 0.006, "{rate}");
        let ag = (1..r.len())
            .find(|&p| r[p] == b'G' && r[p - 1] == b'A')
            .unwrap();
        assert_eq!(prof.context_rate(ag, b'G', b'T'), 0.0);
        assert_eq!(prof.q_err, Some(20.0));
    }
}
