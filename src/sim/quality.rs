//! Base qualities and sequencing errors, drawn from lookup tables with one random
//! 64-bit word per base (the simulator spends most of its time here).

use super::rng::{exp_neg, Rng};
use super::spec::QualityModel;

/// Bits of the quality lookup index.
const QBITS: u32 = 12;
/// Bits of the error test (the top bits of the word; the quality index uses bits
/// 32..44 and the tail test bits 0..32).
const EBITS: u32 = 20;

/// Marks a table entry whose base is written as `N`.
const N_FLAG: u8 = 0x80;

/// Precomputed draws of a [`QualityModel`] for one read length.
#[derive(Clone, Debug)]
pub(crate) struct QualityTables {
    /// Per sequencing cycle: a base is in the low tail when the low 32 bits of its
    /// random word are below this.
    low_threshold: Vec<u64>,
    /// Quality of the main body by a `QBITS`-bit index.
    high: Vec<u8>,
    /// Quality of the low tail by a `QBITS`-bit index.
    low: Vec<u8>,
    /// Per quality: a base is miscalled when an `EBITS`-bit number is below this.
    error_threshold: [u32; 94],
}

/// The index → value table of a discrete distribution with integer weights, filled
/// with integer arithmetic only.
fn table(values: &[(u8, u64)]) -> Vec<u8> {
    let slots = 1u64 << QBITS;
    let total: u64 = values.iter().map(|v| v.1).sum();
    let mut out = Vec::with_capacity(slots as usize);
    let mut cum = 0;
    for &(q, w) in values {
        cum += w;
        let upto = cum * slots / total;
        while (out.len() as u64) < upto {
            out.push(q);
        }
    }
    out
}

fn binned(q: u8, bins: &[u8]) -> u8 {
    let mut best = q;
    let mut dist = u8::MAX;
    for &b in bins {
        let d = b.abs_diff(q);
        if d < dist {
            best = b;
            dist = d;
        }
    }
    best
}

impl QualityTables {
    pub(crate) fn new(model: &QualityModel, read_length: u32) -> Self {
        // Table entries: the reported (binned) quality, with `N_FLAG` when the drawn
        // quality is 2 (the base is called N).
        let bin = |q: u8| binned(q, &model.bins) | if q <= 2 { N_FLAG } else { 0 };
        let high: Vec<(u8, u64)> = (model.high_min..=model.high_max)
            .map(|q| (bin(q), u64::from(q - model.high_min) + 1))
            .collect();
        let low: Vec<(u8, u64)> = if model.low_min < model.high_min {
            (model.low_min..model.high_min)
                .map(|q| (bin(q), 1))
                .collect()
        } else {
            vec![(bin(model.low_min), 1)]
        };
        let rl = f64::from(read_length.max(2) - 1);
        let low_threshold = (0..read_length)
            .map(|c| {
                let p = model.low_fraction * (0.5 + f64::from(c) / rl);
                (p.min(1.0) * 4_294_967_296.0) as u64
            })
            .collect();
        let mut error_threshold = [0u32; 94];
        for (q, t) in error_threshold.iter_mut().enumerate() {
            // 10^(-q/10) = e^(-q ln10 / 10)
            let p = exp_neg(q as f64 * std::f64::consts::LN_10 / 10.0);
            *t = (p * f64::from(1u32 << EBITS)).round() as u32;
        }
        QualityTables {
            low_threshold,
            high: table(&high),
            low: table(&low),
            error_threshold,
        }
    }

    /// Fill `qual` (by position in the stored, reference-forward read) and apply
    /// errors to `seq` in place. `reverse`: the read was sequenced from its end, so
    /// stored position `i` is sequencing cycle `len - 1 - i`.
    pub(crate) fn draw(&self, rng: &mut Rng, seq: &mut [u8], qual: &mut [u8], reverse: bool) {
        let n = seq.len();
        for i in 0..n {
            let cycle = if reverse { n - 1 - i } else { i };
            let r = rng.next_u64();
            let idx = ((r >> 32) & ((1 << QBITS) - 1)) as usize;
            let q = if (r & 0xffff_ffff) < self.low_threshold[cycle] {
                self.low[idx]
            } else {
                self.high[idx]
            };
            if q & N_FLAG != 0 {
                qual[i] = q & !N_FLAG;
                seq[i] = b'N';
                continue;
            }
            qual[i] = q;
            let e = ((r >> (64 - EBITS)) & ((1 << EBITS) - 1)) as u32;
            if e < self.error_threshold[usize::from(q)] {
                seq[i] = substitute(seq[i], rng.below(3) as u8);
            }
        }
    }
}

/// The `k`-th (0..3) base other than `b`.
fn substitute(b: u8, k: u8) -> u8 {
    const OTHERS: [[u8; 3]; 4] = [
        [b'C', b'G', b'T'],
        [b'A', b'G', b'T'],
        [b'A', b'C', b'T'],
        [b'A', b'C', b'G'],
    ];
    let row = match b {
        b'A' => 0,
        b'C' => 1,
        b'G' => 2,
        b'T' => 3,
        _ => return b'N',
    };
    OTHERS[row][usize::from(k.min(2))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_the_model() {
        let model = QualityModel::default();
        let t = QualityTables::new(&model, 150);
        assert_eq!(t.high.len(), 1 << QBITS);
        assert!(t.high.iter().all(|q| (30..=40).contains(q)));
        assert!(t.low.iter().all(|q| (2..30).contains(&(q & !N_FLAG))));
        assert!(t
            .low
            .iter()
            .all(|&q| (q & N_FLAG != 0) == (q & !N_FLAG == 2)));
        // Q40 is the most likely value, Q30 the least.
        let n40 = t.high.iter().filter(|&&q| q == 40).count();
        let n30 = t.high.iter().filter(|&&q| q == 30).count();
        assert!(n40 > 8 * n30);
        // Error probability of Q20 is 1%.
        let p20 = f64::from(t.error_threshold[20]) / f64::from(1u32 << EBITS);
        assert!((p20 - 0.01).abs() < 1e-5);

        let mut rng = Rng::seed_from_u64(5);
        let n_reads = 2000;
        let (mut low, mut errors, mut ns, mut expected_errors) = (0usize, 0usize, 0usize, 0.0);
        for _ in 0..n_reads {
            let mut seq = vec![b'A'; 150];
            let mut qual = vec![0; 150];
            t.draw(&mut rng, &mut seq, &mut qual, false);
            for (&b, &q) in seq.iter().zip(&qual) {
                low += usize::from(q < 30);
                if b == b'N' {
                    ns += 1;
                } else {
                    expected_errors += 10f64.powf(-f64::from(q) / 10.0);
                    errors += usize::from(b != b'A');
                }
            }
        }
        let bases = (n_reads * 150) as f64;
        assert!((low as f64 / bases - 0.05).abs() < 0.003, "{low}");
        assert!(ns > 0);
        // Observed substitution errors match the rate the qualities state.
        let sd = expected_errors.sqrt();
        assert!(
            (errors as f64 - expected_errors).abs() < 5.0 * sd,
            "{errors} vs {expected_errors}"
        );
    }

    #[test]
    fn low_tail_grows_along_the_read_and_reverse_reads_mirror_it() {
        let model = QualityModel {
            low_fraction: 0.2,
            ..QualityModel::default()
        };
        let t = QualityTables::new(&model, 100);
        let mut rng = Rng::seed_from_u64(9);
        let (mut first, mut last, mut rfirst, mut rlast) = (0, 0, 0, 0);
        for _ in 0..5000 {
            let mut seq = vec![b'C'; 100];
            let mut qual = vec![0; 100];
            t.draw(&mut rng, &mut seq, &mut qual, false);
            first += usize::from(qual[0] < 30);
            last += usize::from(qual[99] < 30);
            t.draw(&mut rng, &mut seq, &mut qual, true);
            rfirst += usize::from(qual[0] < 30);
            rlast += usize::from(qual[99] < 30);
        }
        assert!(last > 2 * first, "{first} {last}");
        assert!(rfirst > 2 * rlast, "{rfirst} {rlast}");
    }

    #[test]
    fn binning_maps_to_the_nearest_bin() {
        let bins = [2, 12, 23, 37];
        assert_eq!(binned(40, &bins), 37);
        assert_eq!(binned(30, &bins), 23);
        assert_eq!(binned(31, &bins), 37);
        assert_eq!(binned(29, &bins), 23);
        assert_eq!(binned(17, &bins), 12);
        assert_eq!(binned(18, &bins), 23);
        assert_eq!(binned(7, &bins), 2);
        let t = QualityTables::new(
            &QualityModel {
                bins: bins.to_vec(),
                ..QualityModel::default()
            },
            150,
        );
        assert!(t
            .high
            .iter()
            .chain(&t.low)
            .all(|q| bins.contains(&(q & !N_FLAG))));
        // Only a drawn quality of 2 makes an N, not everything binned to 2.
        let n = t.low.iter().filter(|&&q| q & N_FLAG != 0).count();
        assert!(n > 0 && n < t.low.len() / 20, "{n}");
    }
}
