//! A small deterministic pseudo-random number generator and the distributions the
//! simulator draws from.
//!
//! Everything here uses integer arithmetic and the IEEE-754 operations that are exactly
//! specified (`+`, `-`, `*`, `/`, `sqrt`, `round`): no `exp`, `ln` or `cos` from the
//! platform's maths library, whose last bit may differ between machines. So a seed gives
//! the same draws, and the simulator the same bytes, on every machine and compiler.
//!
//! ```
//! use mitosieve::sim::rng::{Poisson, Rng};
//! let mut rng = Rng::seed_from_u64(42);
//! let coverage = Poisson::new(7.5);
//! let n = coverage.sample(&mut rng);
//! let again = Poisson::new(7.5).sample(&mut Rng::seed_from_u64(42));
//! assert_eq!(n, again);
//! ```

/// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit generator used here to expand one
/// seed into the state of [`Rng`] and to derive independent seeds.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// xoshiro256++ (Blackman & Vigna 2019): fast, 256 bits of state, passes BigCrush.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is the first four outputs of [`SplitMix64`] from `seed`.
    ///
    /// ```
    /// use mitosieve::sim::rng::Rng;
    /// let (mut a, mut b) = (Rng::seed_from_u64(1), Rng::seed_from_u64(1));
    /// assert_eq!(a.next_u64(), b.next_u64());
    /// assert!(a.below(6) < 6 && (0.0..1.0).contains(&a.uniform()));
    /// ```
    pub fn seed_from_u64(seed: u64) -> Self {
        let mut sm = SplitMix64::new(seed);
        let s = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        Self::from_state(s)
    }

    /// A generator with this exact state (an all-zero state, which would only ever
    /// produce zeros, is replaced by the state of seed 0).
    pub fn from_state(s: [u64; 4]) -> Self {
        if s == [0; 4] {
            return Self::seed_from_u64(0);
        }
        Rng { s }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform draw from `[0, 1)` with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` (Lemire's multiply-and-reject, unbiased); 0 when `n`
    /// is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// A fair coin.
    #[inline]
    pub fn coin(&mut self) -> bool {
        self.next_u64() >> 63 == 1
    }

    /// An approximately standard normal draw: the Irwin–Hall sum of 12 uniforms minus
    /// 6 (mean 0, variance 1, bounded to ±6; plenty for fragment lengths).
    pub fn standard_normal(&mut self) -> f64 {
        let mut sum = 0.0;
        for _ in 0..12 {
            sum += self.uniform();
        }
        sum - 6.0
    }
}

/// `e^(-x)` for `x >= 0`, computed with exactly specified floating-point operations
/// only (so the result is the same on every machine); relative error below 1e-12 for
/// `x` up to 700. Negative or NaN `x` gives 1.
///
/// ```
/// let e = mitosieve::sim::rng::exp_neg(2.0);
/// assert!((e - 0.135_335_283_236_612_7).abs() < 1e-15);
/// ```
pub fn exp_neg(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 1.0;
    }
    if x > 745.0 {
        return 0.0;
    }
    // e^-x = (e^-1)^n * e^-r with n = floor(x), r in [0, 1).
    const INV_E: f64 = 0.367_879_441_171_442_33;
    let n = x.floor() as u32;
    let r = x - f64::from(n);
    // Taylor series of e^-r, 25 terms: error < 1/25! for r < 1.
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..25 {
        term *= -r / f64::from(k);
        sum += term;
    }
    // (e^-1)^n by binary exponentiation.
    let mut base = INV_E;
    let mut pow = 1.0;
    let mut e = n;
    while e > 0 {
        if e & 1 == 1 {
            pow *= base;
        }
        base *= base;
        e >>= 1;
    }
    pow * sum
}

/// Rates above this are drawn as a sum of smaller Poisson draws (Knuth's method needs
/// `e^-λ`, which underflows for large λ, and is exact and cheap for small ones).
const POISSON_CHUNK: f64 = 16.0;

/// A Poisson distribution with a fixed mean, prepared for many draws.
///
/// Draws use Knuth's multiplication method on chunks of mean at most 16 (a sum of
/// independent Poisson variables is Poisson), so a draw costs about λ + 1 uniforms:
/// exact, with no approximation for large means.
#[derive(Clone, Debug)]
pub struct Poisson {
    lambda: f64,
    chunks: u32,
    threshold: f64,
}

impl Poisson {
    /// A Poisson distribution with mean `lambda` (negative or non-finite means 0).
    pub fn new(lambda: f64) -> Self {
        let lambda = if lambda.is_finite() && lambda > 0.0 {
            lambda
        } else {
            0.0
        };
        let chunks = (lambda / POISSON_CHUNK).ceil().max(1.0) as u32;
        Poisson {
            lambda,
            chunks,
            threshold: exp_neg(lambda / f64::from(chunks)),
        }
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        self.lambda
    }

    /// One draw.
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        if self.lambda == 0.0 {
            return 0;
        }
        let mut total = 0;
        for _ in 0..self.chunks {
            let mut p = 1.0;
            loop {
                p *= rng.uniform();
                if p <= self.threshold {
                    break;
                }
                total += 1;
            }
        }
        total
    }
}

/// A 64-bit FNV-1a hash of a string: stable across machines and Rust versions (unlike
/// `std`'s hasher), used to derive a clone's seed from its name.
///
/// ```
/// assert_eq!(mitosieve::sim::rng::stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
/// ```
pub fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_reference_vector() {
        // Reference outputs of Vigna's splitmix64.c for seed 1234567.
        let mut sm = SplitMix64::new(1_234_567);
        assert_eq!(sm.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(sm.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(sm.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn xoshiro256pp_matches_reference_vector() {
        // xoshiro256++ from state [1, 2, 3, 4] (reference implementation's output).
        let mut rng = Rng::from_state([1, 2, 3, 4]);
        assert_eq!(rng.next_u64(), 41_943_041);
        assert_eq!(rng.next_u64(), 58_720_359);
        assert_eq!(rng.next_u64(), 3_588_806_011_781_223);
    }

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let a: Vec<u64> = {
            let mut r = Rng::seed_from_u64(7);
            (0..1000).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::seed_from_u64(7);
            (0..1000).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::seed_from_u64(8);
            (0..1000).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut r = Rng::seed_from_u64(7);
        let p = Poisson::new(30.0);
        let draws: Vec<u64> = (0..5).map(|_| p.sample(&mut r)).collect();
        let mut r2 = Rng::seed_from_u64(7);
        let draws2: Vec<u64> = (0..5).map(|_| p.sample(&mut r2)).collect();
        assert_eq!(draws, draws2);
    }

    #[test]
    fn uniform_and_below_stay_in_range() {
        let mut r = Rng::seed_from_u64(1);
        for _ in 0..10_000 {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            assert!(r.below(7) < 7);
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.below(1), 0);
    }

    #[test]
    fn exp_neg_is_accurate() {
        for x in [0.0f64, 1e-9, 0.3, 1.0, 2.5, 16.0, 37.2, 100.0, 700.0] {
            let want = (-x).exp();
            let got = exp_neg(x);
            assert!(
                ((got - want) / want).abs() < 1e-12,
                "x={x}: {got} vs {want}"
            );
        }
        assert_eq!(exp_neg(-3.0), 1.0);
        assert_eq!(exp_neg(1000.0), 0.0);
    }

    #[test]
    fn poisson_mean_and_variance() {
        let mut r = Rng::seed_from_u64(2024);
        for &lambda in &[0.05, 0.8, 7.0, 16.0, 45.0, 333.3] {
            let p = Poisson::new(lambda);
            let n = 100_000;
            let draws: Vec<f64> = (0..n).map(|_| p.sample(&mut r) as f64).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            // Standard error of the mean is sqrt(λ/n): allow 5 of them.
            let se = (lambda / n as f64).sqrt();
            assert!(
                (mean - lambda).abs() < 5.0 * se,
                "λ={lambda}: mean {mean} (se {se})"
            );
            // The variance of a Poisson equals its mean (within 5%).
            assert!(
                (var / lambda - 1.0).abs() < 0.05,
                "λ={lambda}: variance {var}"
            );
        }
        assert_eq!(Poisson::new(0.0).sample(&mut r), 0);
        assert_eq!(Poisson::new(f64::NAN).sample(&mut r), 0);
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut r = Rng::seed_from_u64(3);
        let n = 100_000;
        let d: Vec<f64> = (0..n).map(|_| r.standard_normal()).collect();
        let mean = d.iter().sum::<f64>() / n as f64;
        let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
        assert!(d.iter().all(|x| x.abs() <= 6.0));
    }

    #[test]
    fn stable_hash_is_fnv1a() {
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
