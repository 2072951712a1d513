//! The statistics of a heteroplasmy trajectory: a likelihood-ratio test for a change of
//! the fraction between two passages that allows over-dispersion, and the weighted
//! least-squares slope of the fraction over the passages.
//!
//! ## The model
//! The alternative-allele reads of one passage are `X ~ BetaBinomial(n, p, ρ)`: `n`
//! usable reads, mean fraction `p`, intra-class correlation `ρ` (over-dispersion;
//! `ρ = 0` is the binomial). Two libraries made from the same cells at the same true
//! fraction differ by more than binomial sampling (PCR, capture, library input), and
//! `ρ` is that excess: the variance of the observed fraction is
//! `p(1 − p)/n · (1 + (n − 1)ρ)`. With `ρ = 10⁻³` a 2,000x measurement scatters
//! √3 ≈ 1.7 times as much as a binomial one, and no depth makes its standard deviation
//! smaller than `√(p(1 − p)ρ)` (0.44 percentage points at 2%), so very deep sequencing
//! cannot turn a fraction of a point into a "significant" drift.
//!
//! ## The test ([`change_test`])
//! `H0: p₁ = p₂` against `H1: p₁ ≠ p₂` with `ρ` fixed: both likelihoods are maximised
//! numerically (over the logit of the fraction), and `Λ = 2(ℓ₁ − ℓ₀)` is referred to a
//! χ² distribution with one degree of freedom. Unlike a Wald test it needs no variance
//! estimate at the observed fraction, so it stays valid when a passage has no ALT read
//! at all (a variant that appears). With `ρ = 0` it is the binomial likelihood-ratio
//! (G) test of two proportions.
//!
//! ```
//! use mitosieve::track::stats::change_test;
//! // 1% → 8% at 2,000x: a drift, even with over-dispersion.
//! let t = change_test(20, 2000, 160, 2000, 1e-3).unwrap();
//! assert!(t.p_value < 1e-6 && t.change > 0.06);
//! // 2.0% → 2.3%: noise.
//! let t = change_test(40, 2000, 46, 2000, 1e-3).unwrap();
//! assert!(t.p_value > 0.3);
//! ```

use super::Flag;
use serde::{Deserialize, Serialize};
use statrs::function::erf::erfc;
use statrs::function::gamma::ln_gamma;

/// Below this over-dispersion the binomial likelihood is used (the beta-binomial's
/// gamma functions of huge arguments would only lose precision).
const RHO_BINOMIAL: f64 = 1e-7;

/// Bounds of the logit of a fraction in the optimisation (fractions from about 1e-13
/// to 1 − 1e-13).
const LOGIT_RANGE: f64 = 30.0;

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Log-likelihood of `x` ALT reads among `n` under a beta-binomial with mean `p` and
/// over-dispersion `rho`, up to a term that does not depend on `p` (the binomial
/// coefficient), so differences between fractions are exact.
///
/// ```
/// use mitosieve::track::stats::betabinom_loglik;
/// // The likelihood is highest near the observed fraction.
/// let at = |p| betabinom_loglik(30, 1000, p, 1e-3);
/// assert!(at(0.03) > at(0.02) && at(0.03) > at(0.04));
/// // rho = 0 is the binomial.
/// let b = betabinom_loglik(30, 1000, 0.03, 0.0);
/// assert!((b - (30.0 * 0.03f64.ln() + 970.0 * 0.97f64.ln())).abs() < 1e-9);
/// ```
pub fn betabinom_loglik(x: u64, n: u64, p: f64, rho: f64) -> f64 {
    let eps = 1e-15;
    let p = p.clamp(eps, 1.0 - eps);
    let x = x.min(n);
    let (xf, nf) = (x as f64, n as f64);
    if rho <= RHO_BINOMIAL {
        return xf * p.ln() + (nf - xf) * (1.0 - p).ln();
    }
    let m = (1.0 - rho) / rho;
    let (a, b) = (p * m, (1.0 - p) * m);
    ln_beta(xf + a, nf - xf + b) - ln_beta(a, b)
}

fn logistic(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

/// Maximise `f` over fractions: a coarse grid over the logit, then golden-section
/// search around the best grid point. Returns (fraction, maximum).
fn maximise(f: impl Fn(f64) -> f64) -> (f64, f64) {
    let g = |t: f64| f(logistic(t));
    let steps = (2.0 * LOGIT_RANGE) as i32;
    let mut best = (-LOGIT_RANGE, g(-LOGIT_RANGE));
    for k in 1..=steps {
        let t = -LOGIT_RANGE + f64::from(k);
        let v = g(t);
        if v > best.1 {
            best = (t, v);
        }
    }
    let (mut lo, mut hi) = (
        (best.0 - 1.0).max(-LOGIT_RANGE),
        (best.0 + 1.0).min(LOGIT_RANGE),
    );
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = hi - phi * (hi - lo);
    let mut d = lo + phi * (hi - lo);
    let (mut fc, mut fd) = (g(c), g(d));
    for _ in 0..80 {
        if fc > fd {
            hi = d;
            d = c;
            fd = fc;
            c = hi - phi * (hi - lo);
            fc = g(c);
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + phi * (hi - lo);
            fd = g(d);
        }
    }
    let t = (lo + hi) / 2.0;
    let v = g(t);
    // The grid point itself may be the best (a maximum at the edge of the range).
    if best.1 > v {
        (logistic(best.0), best.1)
    } else {
        (logistic(t), v)
    }
}

/// The test of a change between two passages.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeTest {
    /// Observed change of the fraction, `x₂/n₂ − x₁/n₁`.
    pub change: f64,
    /// Likelihood-ratio statistic `Λ` (χ² with one degree of freedom under no change).
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Likelihood-ratio test of "same fraction" for `x1` of `n1` and `x2` of `n2` reads
/// under a beta-binomial with over-dispersion `rho` (see the module docs). `None` when a
/// passage has no usable read.
///
/// ```
/// use mitosieve::track::stats::change_test;
/// let binomial = change_test(20, 1000, 35, 1000, 0.0).unwrap();
/// let overdispersed = change_test(20, 1000, 35, 1000, 2e-3).unwrap();
/// assert!(binomial.p_value < 0.05);
/// assert!(overdispersed.p_value > binomial.p_value, "over-dispersion widens the null");
/// ```
pub fn change_test(x1: u64, n1: u64, x2: u64, n2: u64, rho: f64) -> Option<ChangeTest> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (x1, x2) = (x1.min(n1), x2.min(n2));
    let change = x2 as f64 / n2 as f64 - x1 as f64 / n1 as f64;
    let (_, l1) = maximise(|p| betabinom_loglik(x1, n1, p, rho));
    let (_, l2) = maximise(|p| betabinom_loglik(x2, n2, p, rho));
    let (_, l0) = maximise(|p| betabinom_loglik(x1, n1, p, rho) + betabinom_loglik(x2, n2, p, rho));
    let statistic = (2.0 * (l1 + l2 - l0)).max(0.0);
    // χ²(1) upper tail.
    let p_value = erfc((statistic / 2.0).sqrt()).clamp(0.0, 1.0);
    Some(ChangeTest {
        change,
        statistic,
        p_value,
    })
}

/// A weighted least-squares slope.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slope {
    /// Change of the fraction per unit of the passage axis.
    pub slope: f64,
    /// Its standard error.
    pub se: f64,
}

/// One measurement of a series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeriesPoint {
    /// Position on the passage axis (passage number, or days).
    pub x: f64,
    /// ALT reads.
    pub alt: u64,
    /// Usable reads.
    pub depth: u64,
}

/// Weighted least-squares slope of the fraction on `x`. Each point is weighted by the
/// inverse of its variance under "no change", `p̄(1 − p̄)(1 + (n − 1)ρ)/n` with `p̄` the
/// pooled fraction of the series (so the weights depend on depth and over-dispersion
/// only: a passage without ALT reads is not trusted more than one with some), and the
/// standard error is the one of that model. Points without reads are skipped; `None`
/// with fewer than two distinct `x`.
///
/// ```
/// use mitosieve::track::stats::{wls_slope, SeriesPoint};
/// let pts = [
///     SeriesPoint { x: 5.0, alt: 20, depth: 2000 },
///     SeriesPoint { x: 10.0, alt: 60, depth: 2000 },
///     SeriesPoint { x: 15.0, alt: 160, depth: 2000 },
/// ];
/// let s = wls_slope(&pts, 1e-3).unwrap();
/// assert!((s.slope - 0.007).abs() < 1e-9, "{s:?}"); // 0.7 points per passage
/// ```
pub fn wls_slope(points: &[SeriesPoint], rho: f64) -> Option<Slope> {
    let covered: Vec<&SeriesPoint> = points.iter().filter(|p| p.depth > 0).collect();
    let sx: f64 = covered.iter().map(|p| p.alt.min(p.depth) as f64).sum();
    let sn: f64 = covered.iter().map(|p| p.depth as f64).sum();
    let pbar = (sx + 0.5) / (sn + 1.0);
    let used: Vec<(f64, f64, f64)> = covered
        .iter()
        .map(|p| {
            let n = p.depth as f64;
            let x = p.alt.min(p.depth) as f64;
            let var = pbar * (1.0 - pbar) * (1.0 + (n - 1.0) * rho.max(0.0)) / n;
            (p.x, x / n, 1.0 / var)
        })
        .collect();
    let sw: f64 = used.iter().map(|u| u.2).sum();
    if used.len() < 2 || sw <= 0.0 {
        return None;
    }
    let xbar = used.iter().map(|u| u.2 * u.0).sum::<f64>() / sw;
    let ybar = used.iter().map(|u| u.2 * u.1).sum::<f64>() / sw;
    let sxx: f64 = used.iter().map(|u| u.2 * (u.0 - xbar).powi(2)).sum();
    if sxx <= 0.0 || !sxx.is_finite() {
        return None;
    }
    let sxy: f64 = used.iter().map(|u| u.2 * (u.0 - xbar) * (u.1 - ybar)).sum();
    Some(Slope {
        slope: sxy / sxx,
        se: (1.0 / sxx).sqrt(),
    })
}

/// The test of one step between consecutive passages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepTest {
    /// Index (into the series) of the earlier passage.
    pub from: usize,
    /// Index of the later passage.
    pub to: usize,
    /// The test.
    pub test: ChangeTest,
}

/// Everything [`test_series`] finds in one trajectory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesTest {
    /// Index of the first passage with usable reads.
    pub first: Option<usize>,
    /// Index of the last passage with usable reads.
    pub last: Option<usize>,
    /// First → last.
    pub overall: Option<ChangeTest>,
    /// Each pair of consecutive passages with usable reads.
    pub steps: Vec<StepTest>,
    /// Weighted least-squares slope.
    pub slope: Option<Slope>,
    /// `DRIFT_UP`, `DRIFT_DOWN`, `FLUCTUATING` or `STABLE`; `None` with fewer than two
    /// passages with usable reads.
    pub direction: Option<Flag>,
}

/// Test a series of passages (in passage order) for drift at level `alpha` with
/// over-dispersion `rho`:
///
/// - `DRIFT_UP` / `DRIFT_DOWN`: the first → last test is significant (p ≤ `alpha`);
///   the sign of the change gives the direction;
/// - `FLUCTUATING`: first → last is not, but a step between consecutive passages is
///   (p ≤ `alpha` / number of steps, Bonferroni);
/// - `STABLE`: neither.
///
/// ```
/// use mitosieve::track::stats::{test_series, SeriesPoint};
/// use mitosieve::track::Flag;
/// let p = |x: f64, alt| SeriesPoint { x, alt, depth: 2000 };
/// let up = test_series(&[p(5.0, 20), p(10.0, 60), p(15.0, 160)], 1e-3, 0.01);
/// assert_eq!(up.direction, Some(Flag::DriftUp));
/// let flat = test_series(&[p(5.0, 40), p(10.0, 37), p(15.0, 44)], 1e-3, 0.01);
/// assert_eq!(flat.direction, Some(Flag::Stable));
/// ```
pub fn test_series(points: &[SeriesPoint], rho: f64, alpha: f64) -> SeriesTest {
    let covered: Vec<usize> = (0..points.len()).filter(|&i| points[i].depth > 0).collect();
    let first = covered.first().copied();
    let last = covered.last().copied();
    let test = |i: usize, j: usize| {
        let (a, b) = (&points[i], &points[j]);
        change_test(a.alt, a.depth, b.alt, b.depth, rho)
    };
    let overall = match (first, last) {
        (Some(i), Some(j)) if i != j => test(i, j),
        _ => None,
    };
    let steps: Vec<StepTest> = covered
        .windows(2)
        .filter_map(|w| {
            test(w[0], w[1]).map(|t| StepTest {
                from: w[0],
                to: w[1],
                test: t,
            })
        })
        .collect();
    let slope = wls_slope(points, rho);
    let direction = overall.map(|o| {
        if o.p_value <= alpha {
            if o.change > 0.0 {
                Flag::DriftUp
            } else {
                Flag::DriftDown
            }
        } else if steps.len() > 1
            && steps
                .iter()
                .any(|s| s.test.p_value <= alpha / steps.len() as f64)
        {
            Flag::Fluctuating
        } else {
            Flag::Stable
        }
    });
    SeriesTest {
        first,
        last,
        overall,
        steps,
        slope,
        direction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;

    fn binomial(rng: &mut Rng, n: u64, p: f64) -> u64 {
        (0..n).filter(|_| rng.uniform() < p).count() as u64
    }

    /// A fraction drawn from a distribution with mean `f` and variance `f(1−f)ρ` (the
    /// beta of a beta-binomial, by a clamped normal approximation).
    fn overdispersed(rng: &mut Rng, f: f64, rho: f64) -> f64 {
        (f + (f * (1.0 - f) * rho).sqrt() * rng.standard_normal()).clamp(0.0, 1.0)
    }

    #[test]
    fn likelihood_is_maximised_at_the_observed_fraction_for_the_binomial() {
        let (p, _) = maximise(|p| betabinom_loglik(37, 1000, p, 0.0));
        assert!((p - 0.037).abs() < 1e-6, "{p}");
        let (p, _) = maximise(|p| betabinom_loglik(0, 1000, p, 1e-3));
        assert!(
            p < 1e-6,
            "no ALT read: the maximum is at the lower edge, {p}"
        );
        let (p, _) = maximise(|p| betabinom_loglik(1000, 1000, p, 1e-3));
        assert!(p > 1.0 - 1e-6, "{p}");
    }

    #[test]
    fn binomial_lrt_matches_the_g_test() {
        // G statistic of the 2x2 table by hand.
        let (x1, n1, x2, n2) = (20.0f64, 1000.0f64, 45.0f64, 1200.0f64);
        let p0 = (x1 + x2) / (n1 + n2);
        let ll = |x: f64, n: f64, p: f64| x * p.ln() + (n - x) * (1.0 - p).ln();
        let g = 2.0 * (ll(x1, n1, x1 / n1) + ll(x2, n2, x2 / n2) - ll(x1, n1, p0) - ll(x2, n2, p0));
        let t = change_test(20, 1000, 45, 1200, 0.0).unwrap();
        assert!((t.statistic - g).abs() < 1e-6, "{} vs {g}", t.statistic);
        // χ²(1) upper tail at 3.841 is 0.05.
        let p = erfc((3.841_458_820_694_124f64 / 2.0).sqrt());
        assert!((p - 0.05).abs() < 1e-9, "{p}");
        assert!(change_test(5, 0, 5, 10, 0.0).is_none());
        let same = change_test(30, 1000, 30, 1000, 1e-3).unwrap();
        assert!(same.statistic < 1e-6 && same.p_value > 0.999);
    }

    #[test]
    fn the_test_is_calibrated_on_binomial_noise() {
        // With rho = 0 and binomial data, the LRT rejects at about its level.
        let mut rng = Rng::seed_from_u64(11);
        let trials = 2000;
        let mut rejected = 0;
        for _ in 0..trials {
            let f = 0.005 + 0.2 * rng.uniform();
            let a = binomial(&mut rng, 1000, f);
            let b = binomial(&mut rng, 1000, f);
            if change_test(a, 1000, b, 1000, 0.0).unwrap().p_value <= 0.05 {
                rejected += 1;
            }
        }
        let rate = rejected as f64 / trials as f64;
        assert!((0.03..=0.07).contains(&rate), "size at 5%: {rate}");
    }

    #[test]
    fn no_false_drift_on_stable_series() {
        // ≥ 200 stable series of three passages at 1,000x with binomial-only noise, at
        // the default settings (rho 1e-3, alpha 1%): at most 5% flagged as a drift.
        let mut rng = Rng::seed_from_u64(2024);
        let series = 400;
        let mut drift = 0;
        let mut not_stable = 0;
        for k in 0..series {
            let f = [0.01, 0.02, 0.05, 0.1, 0.3][k % 5];
            let pts: Vec<SeriesPoint> = (0..3)
                .map(|i| SeriesPoint {
                    x: 5.0 * (i + 1) as f64,
                    alt: binomial(&mut rng, 1000, f),
                    depth: 1000,
                })
                .collect();
            let t = test_series(&pts, 1e-3, 0.01);
            match t.direction {
                Some(Flag::DriftUp) | Some(Flag::DriftDown) => drift += 1,
                Some(Flag::Stable) => {}
                _ => not_stable += 1,
            }
        }
        let rate = drift as f64 / series as f64;
        assert!(rate <= 0.05, "false drift rate {rate}");
        assert!(
            (drift + not_stable) as f64 / series as f64 <= 0.05,
            "{drift} drifts, {not_stable} fluctuating"
        );
        // The same with the pure binomial test (rho = 0) at the same level: still at
        // most 5%, the test is not merely conservative because of rho.
        let mut drift0 = 0;
        for _ in 0..series {
            let pts: Vec<SeriesPoint> = (0..3)
                .map(|i| SeriesPoint {
                    x: i as f64,
                    alt: binomial(&mut rng, 1000, 0.02),
                    depth: 1000,
                })
                .collect();
            if matches!(
                test_series(&pts, 0.0, 0.01).direction,
                Some(Flag::DriftUp | Flag::DriftDown)
            ) {
                drift0 += 1;
            }
        }
        assert!(drift0 as f64 / series as f64 <= 0.05, "{drift0}");
    }

    #[test]
    fn over_dispersed_noise_needs_the_overdispersion_term() {
        // Libraries that scatter with rho = 2e-3 at 2,000x: the binomial test flags
        // many stable series, the beta-binomial one with the right rho few.
        let mut rng = Rng::seed_from_u64(7);
        let series = 300;
        let (mut binom, mut bb) = (0, 0);
        for _ in 0..series {
            let pts: Vec<SeriesPoint> = (0..3)
                .map(|i| SeriesPoint {
                    x: i as f64,
                    alt: {
                        let f = overdispersed(&mut rng, 0.05, 2e-3);
                        binomial(&mut rng, 2000, f)
                    },
                    depth: 2000,
                })
                .collect();
            let drifted = |rho: f64| {
                matches!(
                    test_series(&pts, rho, 0.01).direction,
                    Some(Flag::DriftUp | Flag::DriftDown)
                )
            };
            binom += usize::from(drifted(0.0));
            bb += usize::from(drifted(2e-3));
        }
        let (rb, rbb) = (binom as f64 / series as f64, bb as f64 / series as f64);
        assert!(rbb <= 0.05, "beta-binomial false drift {rbb}");
        assert!(
            rb > 2.0 * rbb.max(0.01),
            "binomial {rb} vs beta-binomial {rbb}"
        );
    }

    #[test]
    fn real_drift_is_found() {
        // 1% → 3% → 8% at 1,000x: found in (nearly) every replicate.
        let mut rng = Rng::seed_from_u64(99);
        let series = 200;
        let mut found = 0;
        for _ in 0..series {
            let pts: Vec<SeriesPoint> = [0.01, 0.03, 0.08]
                .iter()
                .enumerate()
                .map(|(i, &f)| SeriesPoint {
                    x: i as f64,
                    alt: binomial(&mut rng, 1000, f),
                    depth: 1000,
                })
                .collect();
            let t = test_series(&pts, 1e-3, 0.01);
            if t.direction == Some(Flag::DriftUp) {
                found += 1;
            }
            let s = t.slope.unwrap();
            assert!(s.slope > 0.0 && s.se > 0.0);
        }
        assert!(
            found as f64 / series as f64 >= 0.95,
            "power {found}/{series}"
        );
    }

    #[test]
    fn slope_of_an_exact_line_and_edge_cases() {
        let pts: Vec<SeriesPoint> = (0..4)
            .map(|i| SeriesPoint {
                x: i as f64 * 2.0,
                alt: 100 + 100 * i,
                depth: 10_000,
            })
            .collect();
        let s = wls_slope(&pts, 0.0).unwrap();
        assert!((s.slope - 0.005).abs() < 1e-12, "{s:?}");
        let one = [SeriesPoint {
            x: 1.0,
            alt: 3,
            depth: 100,
        }];
        assert!(wls_slope(&one, 0.0).is_none());
        let t = test_series(&one, 1e-3, 0.01);
        assert_eq!(t.direction, None);
        assert!(t.overall.is_none() && t.steps.is_empty());
        // A passage without reads is skipped, not counted as a fraction of 0.
        let gap = [
            SeriesPoint {
                x: 1.0,
                alt: 40,
                depth: 2000,
            },
            SeriesPoint {
                x: 2.0,
                alt: 0,
                depth: 0,
            },
            SeriesPoint {
                x: 3.0,
                alt: 41,
                depth: 2000,
            },
        ];
        let t = test_series(&gap, 1e-3, 0.01);
        assert_eq!((t.first, t.last), (Some(0), Some(2)));
        assert_eq!(t.steps.len(), 1);
        assert_eq!(t.direction, Some(Flag::Stable));
    }

    #[test]
    fn a_fluctuation_is_not_called_stable() {
        let p = |x: f64, alt| SeriesPoint {
            x,
            alt,
            depth: 5000,
        };
        let t = test_series(&[p(1.0, 100), p(2.0, 500), p(3.0, 102)], 1e-3, 0.01);
        assert_eq!(t.direction, Some(Flag::Fluctuating));
    }
}
