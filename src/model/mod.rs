//! Statistics of heteroplasmy: allele-fraction intervals, the mutserve-style likelihood
//! ratio, the sibling-clone background error model and detection limits.
//!
//! Everything here is a pure function of counts; the caller ([`crate::call`]) decides
//! what to test. Probabilities are computed in log space or through the regularised
//! incomplete beta function, so tail probabilities far below 1e-300 do not underflow to
//! a wrong answer.
//!
//! ```
//! use mitosieve::model::{clopper_pearson, upper_bound};
//! // 12 of 100 reads carry the allele: 12%, exact 95% interval about 6.4%–20%.
//! let ci = clopper_pearson(12, 100, 0.95);
//! assert!(ci.lo > 0.06 && ci.lo < 0.07 && ci.hi > 0.19 && ci.hi < 0.21);
//! // Not seen in 8,000 reads: below 0.04% with 95% confidence.
//! assert!(upper_bound(0, 8000, 0.95) < 0.0004);
//! ```

use serde::{Deserialize, Serialize};
use statrs::function::beta::{beta_reg, inv_beta_reg, ln_beta};
use statrs::function::gamma::ln_gamma;

/// A fraction in `[0, 1]` (an allele fraction, an error rate, a bound).
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Fraction(f64);

impl Fraction {
    /// A fraction, if `x` is a number in `[0, 1]`.
    pub fn new(x: f64) -> Option<Self> {
        (0.0..=1.0).contains(&x).then_some(Fraction(x))
    }

    /// `x` clamped into `[0, 1]` (NaN becomes 0).
    pub fn clamped(x: f64) -> Self {
        Fraction(if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) })
    }

    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Fraction {
    type Error = String;
    fn try_from(x: f64) -> Result<Self, Self::Error> {
        Fraction::new(x).ok_or_else(|| format!("{x} is not a fraction between 0 and 1"))
    }
}

impl From<Fraction> for f64 {
    fn from(f: Fraction) -> f64 {
        f.0
    }
}

/// A two-sided interval of a fraction.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

impl Interval {
    /// Whether `x` lies inside (bounds included).
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// Exact (Clopper–Pearson) two-sided interval of `x` successes in `n` trials at the
/// confidence `conf` (e.g. 0.95). Conservative: covers the truth at least `conf` of the
/// time for every true fraction.
pub fn clopper_pearson(x: u64, n: u64, conf: f64) -> Interval {
    if n == 0 {
        return Interval { lo: 0.0, hi: 1.0 };
    }
    let x = x.min(n);
    let alpha = 1.0 - conf;
    let (xf, nf) = (x as f64, n as f64);
    let lo = if x == 0 {
        0.0
    } else {
        inv_beta_reg(xf, nf - xf + 1.0, alpha / 2.0)
    };
    let hi = if x == n {
        1.0
    } else {
        inv_beta_reg(xf + 1.0, nf - xf, 1.0 - alpha / 2.0)
    };
    Interval { lo, hi }
}

/// One-sided exact upper bound: the true fraction is below it with confidence `conf`
/// (with `x = 0` this is about `3/n` at 95%, the "rule of three").
pub fn upper_bound(x: u64, n: u64, conf: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let x = x.min(n);
    if x == n {
        return 1.0;
    }
    inv_beta_reg(x as f64 + 1.0, (n - x) as f64, conf)
}

/// `P(X ≥ x)` for `X ~ Binomial(n, p)`.
pub fn binom_sf(x: u64, n: u64, p: f64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    if x > n {
        return 0.0;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    beta_reg(x as f64, (n - x + 1) as f64, p)
}

/// `ln P(X = k)` for `X ~ BetaBinomial(n, a, b)`.
fn betabinom_ln_pmf(k: u64, n: u64, a: f64, b: f64) -> f64 {
    let (k, n) = (k as f64, n as f64);
    ln_choose(n, k) + ln_beta(k + a, n - k + b) - ln_beta(a, b)
}

fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// `P(X ≥ x)` for a beta-binomial with mean `mean` and intra-class correlation `rho`
/// (over-dispersion; `rho → 0` is the binomial).
pub fn betabinom_sf(x: u64, n: u64, mean: f64, rho: f64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    if x > n {
        return 0.0;
    }
    if rho <= 1e-9 {
        return binom_sf(x, n, mean);
    }
    let mean = mean.clamp(1e-12, 1.0 - 1e-12);
    let m = (1.0 - rho) / rho; // a + b
    let (a, b) = (mean * m, (1.0 - mean) * m);
    // Sum the upper tail from x; terms fall fast above the mode, so stop when they no
    // longer matter (but always sum at least to the mode if x lies below it). Only the
    // first term needs the gamma function: the next follow by their ratio
    // pmf(k+1)/pmf(k) = (n-k)/(k+1) * (k+a)/(n-k-1+b).
    let mode = ((n as f64 + 1.0) * (a - 1.0) / (a + b - 2.0)).max(0.0) as u64;
    let nf = n as f64;
    let mut ln_t = betabinom_ln_pmf(x, n, a, b);
    let mut total = 0.0f64;
    let mut k = x;
    loop {
        let t = ln_t.exp();
        total += t;
        if k >= n || (k > mode && t < total * 1e-14) {
            break;
        }
        let kf = k as f64;
        ln_t += ((nf - kf) / (kf + 1.0) * (kf + a) / (nf - kf - 1.0 + b)).ln();
        k += 1;
    }
    total.min(1.0)
}

/// Expected error rate of a base with Phred quality `q`, spread over the three other
/// bases (the chance that an error gives one *specific* wrong base).
pub fn specific_error_rate(mean_q: f64) -> f64 {
    10f64.powf(-mean_q / 10.0) / 3.0
}

/// The mutserve-style log10 likelihood ratio of "two alleles, the minor at fraction f̂"
/// versus "one allele plus sequencing error", from the counts of the major and minor
/// allele and their error rates (from base qualities). Returns (f̂, LLR).
pub fn llr_two_alleles(n_major: u64, n_minor: u64, e_major: f64, e_minor: f64) -> (f64, f64) {
    let total = n_major + n_minor;
    if total == 0 || n_minor == 0 {
        return (0.0, 0.0);
    }
    let f = n_minor as f64 / total as f64;
    let e1 = e_major.clamp(1e-6, 0.5);
    let e2 = e_minor.clamp(1e-6, 0.5);
    let l1 = n_major as f64 * ((1.0 - f) * (1.0 - e1) + f * e1 / 3.0).log10()
        + n_minor as f64 * (f * (1.0 - e2) + (1.0 - f) * e2 / 3.0).log10();
    let l0 = n_major as f64 * (1.0 - e1).log10() + n_minor as f64 * (e2 / 3.0).log10();
    (f, (l1 - l0).max(0.0))
}

/// Guo et al. (2012) strand-bias score as used by mutserve:
/// `|b/(a+b) − d/(c+d)| / ((b+d)/(a+b+c+d))` with a, b = forward major/minor and
/// c, d = reverse major/minor. 0 when both strands agree; 2 when the minor allele is on
/// one strand only.
pub fn strand_bias(major_fwd: u64, minor_fwd: u64, major_rev: u64, minor_rev: u64) -> f64 {
    let (a, b, c, d) = (
        major_fwd as f64,
        minor_fwd as f64,
        major_rev as f64,
        minor_rev as f64,
    );
    if a + b == 0.0 || c + d == 0.0 || b + d == 0.0 {
        return if b + d == 0.0 { 0.0 } else { 2.0 };
    }
    ((b / (a + b)) - (d / (c + d))).abs() / ((b + d) / (a + b + c + d))
}

/// The background error distribution of one allele at one site: a beta-binomial with
/// this mean and over-dispersion.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Background {
    /// Mean error fraction.
    pub mean: f64,
    /// Over-dispersion (intra-class correlation, 0 = binomial).
    pub rho: f64,
    /// Clones it was learned from (0 = from base qualities only).
    pub clones: usize,
}

impl Background {
    /// `P(X ≥ x)` under this background at depth `n`.
    pub fn sf(&self, x: u64, n: u64) -> f64 {
        betabinom_sf(x, n, self.mean, self.rho)
    }

    /// The smallest count that is significant at level `alpha` at depth `n`
    /// (`n + 1` if none is).
    pub fn critical_count(&self, n: u64, alpha: f64) -> u64 {
        // Binary search: sf is decreasing in x.
        let (mut lo, mut hi) = (1u64, n + 1);
        if self.sf(n, n) > alpha {
            return n + 1;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.sf(mid, n) <= alpha {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// Detection limit: the smallest true fraction that reaches a significant count at
    /// level `alpha` with probability `power` at depth `n` (1 when the depth cannot).
    pub fn detection_limit(&self, n: u64, alpha: f64, power: f64, min_count: u64) -> f64 {
        if n == 0 {
            return 1.0;
        }
        let crit = self.critical_count(n, alpha).max(min_count);
        if crit > n {
            return 1.0;
        }
        let detect = |f: f64| binom_sf(crit, n, f + (1.0 - f) * self.mean) >= power;
        if !detect(1.0) {
            return 1.0;
        }
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        for _ in 0..40 {
            let mid = (lo + hi) / 2.0;
            if detect(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }
}

/// Learn a background from (count, depth) pairs of clones believed not to carry the
/// allele: method-of-moments beta-binomial, with the mean floored at `floor` and the
/// over-dispersion clamped to `[rho_min, 0.2]`.
pub fn fit_background(pairs: &[(u64, u64)], floor: f64, rho_min: f64) -> Background {
    let used: Vec<(f64, f64)> = pairs
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|&(x, n)| (x as f64, n as f64))
        .collect();
    if used.is_empty() {
        return Background {
            mean: floor,
            rho: rho_min,
            clones: 0,
        };
    }
    let sx: f64 = used.iter().map(|p| p.0).sum();
    let sn: f64 = used.iter().map(|p| p.1).sum();
    let mean = sx / sn;
    let mut rho = rho_min;
    if used.len() >= 2 && mean > 0.0 {
        // Weighted variance of the per-clone fractions against the binomial expectation.
        let k = used.len() as f64;
        let var: f64 = used
            .iter()
            .map(|(x, n)| n * (x / n - mean).powi(2))
            .sum::<f64>()
            / (k - 1.0);
        let binom = mean * (1.0 - mean);
        let nbar = sn / k;
        if var > binom && nbar > 1.0 {
            rho = ((var / binom - 1.0) / (nbar - 1.0)).clamp(rho_min, 0.2);
        }
    }
    Background {
        mean: mean.max(floor),
        rho,
        clones: used.len(),
    }
}

/// Depth needed so that a clone whose observed fraction is `f` gets a one-sided upper
/// bound (at `conf`) below `max`; `None` when `f ≥ max` (more depth cannot help).
pub fn depth_to_bound_below(f: f64, max: f64, conf: f64) -> Option<u64> {
    if f >= max {
        return None;
    }
    smallest(16, 1 << 40, |n| {
        upper_bound((f * n as f64).round() as u64, n, conf) < max
    })
}

/// Depth needed so that a clone whose observed fraction is `f` gets a lower bound (at
/// `conf`, one-sided) above `max`; `None` when `f ≤ max`.
pub fn depth_to_bound_above(f: f64, max: f64, conf: f64) -> Option<u64> {
    if f <= max {
        return None;
    }
    smallest(16, 1 << 40, |n| {
        let x = (f * n as f64).round() as u64;
        x > 0 && clopper_pearson(x, n, 1.0 - 2.0 * (1.0 - conf)).lo > max
    })
}

/// The smallest `n` in `[1, cap]` for which `ok(n)` holds, for a predicate that holds
/// from some point on: doubling from `start` until it holds, then bisection (`None`
/// when it does not hold at `cap`). The one search behind every "depth needed" figure.
///
/// ```
/// use mitosieve::model::smallest;
/// assert_eq!(smallest(16, 1 << 20, |n| n * n >= 1_000_000), Some(1000));
/// assert_eq!(smallest(16, 100, |n| n > 1000), None);
/// ```
pub fn smallest(start: u64, cap: u64, ok: impl Fn(u64) -> bool) -> Option<u64> {
    let mut hi = start.max(1);
    while !ok(hi) {
        if hi >= cap {
            return None;
        }
        hi = hi.saturating_mul(2).min(cap);
    }
    let mut lo = hi / 2;
    if lo == 0 || ok(lo) {
        // Only when `start` itself holds: search below it too.
        lo = 0;
    }
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn clopper_pearson_known_values() {
        // R: binom.test(5, 100)$conf.int = 0.01643 0.11284
        let i = clopper_pearson(5, 100, 0.95);
        assert!(
            close(i.lo, 0.016431, 1e-5) && close(i.hi, 0.112836, 1e-5),
            "{i:?}"
        );
        let i = clopper_pearson(0, 1500, 0.95);
        assert_eq!(i.lo, 0.0);
        assert!(close(i.hi, 0.002456, 1e-5), "{i:?}");
        assert_eq!(clopper_pearson(7, 7, 0.95).hi, 1.0);
        // One-sided, x = 0: 1 - 0.05^(1/n)
        assert!(close(
            upper_bound(0, 1500, 0.95),
            1.0 - 0.05f64.powf(1.0 / 1500.0),
            1e-9
        ));
    }

    #[test]
    fn binomial_tail_matches_direct_sum() {
        let (n, p) = (40u64, 0.1f64);
        for x in 0..=n {
            let direct: f64 = (x..=n)
                .map(|k| {
                    (ln_choose(n as f64, k as f64)
                        + k as f64 * p.ln()
                        + (n - k) as f64 * (1.0 - p).ln())
                    .exp()
                })
                .sum();
            assert!(close(binom_sf(x, n, p), direct, 1e-10), "x={x}");
        }
        assert!(binom_sf(300, 1500, 0.001) < 1e-200 && binom_sf(300, 1500, 0.001) >= 0.0);
    }

    #[test]
    fn betabinomial_tends_to_binomial_and_is_wider() {
        let b = binom_sf(10, 1000, 0.005);
        let bb_small = betabinom_sf(10, 1000, 0.005, 1e-7);
        assert!(close(b, bb_small, 1e-3), "{b} {bb_small}");
        let bb = betabinom_sf(10, 1000, 0.005, 0.01);
        assert!(bb > b, "over-dispersion widens the tail");
        assert!(close(betabinom_sf(0, 1000, 0.005, 0.01), 1.0, 1e-12));
    }

    #[test]
    fn llr_and_strand_bias() {
        let (f, llr) = llr_two_alleles(970, 30, 0.001, 0.001);
        assert!(close(f, 0.03, 1e-12));
        assert!(llr > 40.0 && llr < 50.0, "{llr}");
        let (_, llr0) = llr_two_alleles(999, 1, 0.001, 0.001);
        assert!(llr0 < 5.0, "{llr0}");
        assert_eq!(strand_bias(500, 10, 500, 10), 0.0);
        assert!(close(strand_bias(500, 20, 500, 0), 2.0, 0.05));
    }

    #[test]
    fn background_fit_and_detection_limit() {
        let bg = fit_background(&[(2, 1000), (3, 1000), (1, 1000)], 1e-4, 1e-4);
        assert!(close(bg.mean, 0.002, 1e-12));
        assert_eq!(bg.clones, 3);
        let crit = bg.critical_count(1500, 1e-6);
        assert!(crit > 3 && crit < 30, "{crit}");
        let lod = bg.detection_limit(1500, 1e-6, 0.95, 3);
        assert!(lod > 0.003 && lod < 0.03, "{lod}");
        let lod_deep = bg.detection_limit(100_000, 1e-6, 0.95, 3);
        assert!(lod_deep < lod, "deeper sequencing detects lower fractions");
    }

    #[test]
    fn depth_planning() {
        let n = depth_to_bound_below(0.0, 0.05, 0.95).unwrap();
        assert!(upper_bound(0, n, 0.95) < 0.05 && upper_bound(0, n - 1, 0.95) >= 0.05);
        assert!((55..=65).contains(&n), "{n}");
        assert!(depth_to_bound_below(0.06, 0.05, 0.95).is_none());
        let m = depth_to_bound_above(0.08, 0.05, 0.95).unwrap();
        assert!(m > 100, "{m}");
    }
}
