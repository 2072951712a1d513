//! Depth planning: `mitosieve plan`. How many usable reads does it take to certify a
//! clone below a maximum load, and how many would settle an inconclusive clone?
//!
//! A clone is *certified* when the one-sided upper bound of its target's fraction (exact,
//! at the run's confidence) lies below the maximum — the PASS rule of `select`. With a
//! true load `f` and a per-read background error `ε` (a wrong read showing the pathogenic
//! allele), the pathogenic reads among `n` are `X ~ Binomial(n, f + (1 − f)·ε)`, so the
//! probability of certifying is `P(X ≤ x_max(n))` where `x_max(n)` is the largest count
//! whose upper bound is still below the maximum. The depth needed for a load is the
//! smallest `n` at which that probability reaches the requested power (certification is
//! not monotone in `n` at small depths — the binomial saw-tooth — so the table also
//! gives the probability at the depth it names).
//!
//! ```
//! use mitosieve::plan::{certify_probability, depth_to_certify};
//! // No mutant mtDNA, 0.05% background, 5% maximum, 95% confidence, 95% power:
//! let n = depth_to_certify(0.0, 0.0005, 0.05, 0.95, 0.95).unwrap();
//! assert!(certify_probability(n, 0.0, 0.0005, 0.05, 0.95) >= 0.95);
//! assert!(n < 200);
//! ```

use crate::error::{Error, Result};
use crate::model::{binom_sf, upper_bound, Background};
use crate::report::svg::Svg;
use serde::{Deserialize, Serialize};

/// The largest pathogenic-read count whose upper bound is below `max` at depth `n`
/// (`None` when even zero reads are not enough).
pub fn max_certifiable_count(n: u64, max: f64, conf: f64) -> Option<u64> {
    if n == 0 || upper_bound(0, n, conf) >= max {
        return None;
    }
    // upper_bound is increasing in x: binary search the last x with ub < max.
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if upper_bound(mid, n, conf) < max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Some(lo)
}

/// Probability of certifying a clone with true load `f` below `max` at depth `n`, with
/// background error `error`.
pub fn certify_probability(n: u64, f: f64, error: f64, max: f64, conf: f64) -> f64 {
    let Some(xmax) = max_certifiable_count(n, max, conf) else {
        return 0.0;
    };
    let p = (f + (1.0 - f) * error).clamp(0.0, 1.0);
    1.0 - binom_sf(xmax + 1, n, p)
}

/// The smallest depth at which a clone with true load `f` is certified below `max` with
/// probability `power` (`None` when `f ≥ max` or beyond 10⁸ reads).
pub fn depth_to_certify(f: f64, error: f64, max: f64, conf: f64, power: f64) -> Option<u64> {
    if f + (1.0 - f) * error >= max {
        return None;
    }
    let ok = |n: u64| certify_probability(n, f, error, max, conf) >= power;
    // Exponential search and bisection for a depth that works, then a scan down (the
    // saw-tooth makes plain bisection unsafe).
    let hi = crate::model::smallest(8, 100_000_000, ok)?;
    // Step back while smaller depths also work (saw-tooth).
    let mut n = hi;
    let floor = hi.saturating_sub(hi / 10 + 10).max(1);
    let mut k = n;
    while k > floor {
        k -= 1;
        if ok(k) {
            n = k;
        }
    }
    Some(n)
}

/// Settings of a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanConfig {
    /// Maximum load to certify against.
    pub max_load: f64,
    /// Confidence of the upper bound.
    pub confidence: f64,
    /// Probability of certifying that the planned depth must give.
    pub power: f64,
    /// Background error per read for the pathogenic allele.
    pub error: f64,
    /// Where the error came from.
    pub error_source: String,
    /// True loads to plan for.
    pub loads: Vec<f64>,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            max_load: 0.05,
            confidence: 0.95,
            power: 0.95,
            error: 5e-4,
            error_source: "model default (mitosieve call --error-floor)".into(),
            loads: vec![0.0, 0.005, 0.01, 0.02, 0.03, 0.04],
        }
    }
}

/// One row of a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanRow {
    /// True load.
    pub load: f64,
    /// Usable reads needed (None: cannot be certified).
    pub depth: Option<u64>,
    /// Probability of certifying at that depth.
    pub probability: f64,
}

/// A point of the detection-limit curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Usable depth.
    pub depth: u64,
    /// Smallest load called with 95% probability (detection limit).
    pub detection_limit: f64,
    /// Upper bound when no pathogenic read is seen.
    pub bound_at_zero: f64,
}

/// A depth plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Settings.
    pub config: PlanConfig,
    /// One row per load.
    pub rows: Vec<PlanRow>,
    /// Detection limit and zero-count bound against depth.
    pub curve: Vec<CurvePoint>,
}

/// Compute a plan.
pub fn plan(config: &PlanConfig) -> Result<Plan> {
    for (v, name) in [(config.max_load, "max load"), (config.error, "error")] {
        if !(0.0..1.0).contains(&v) || (name == "max load" && v == 0.0) {
            return Err(Error::Config(format!(
                "{name} must be a fraction in (0, 1), got {v}"
            )));
        }
    }
    if !(0.5..1.0).contains(&config.confidence) || !(0.0..1.0).contains(&config.power) {
        return Err(Error::Config(
            "confidence must be in [0.5, 1) and power in (0, 1)".into(),
        ));
    }
    let rows = config
        .loads
        .iter()
        .map(|&f| {
            let depth = depth_to_certify(
                f,
                config.error,
                config.max_load,
                config.confidence,
                config.power,
            );
            let probability = depth.map_or(0.0, |n| {
                certify_probability(n, f, config.error, config.max_load, config.confidence)
            });
            PlanRow {
                load: f,
                depth,
                probability,
            }
        })
        .collect();
    let bg = Background {
        mean: config.error,
        rho: 0.0,
        clones: 0,
    };
    let curve = [
        50u64, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000,
    ]
    .into_iter()
    .map(|n| CurvePoint {
        depth: n,
        detection_limit: bg.detection_limit(n, 1e-6, 0.95, 4).max(0.0),
        bound_at_zero: upper_bound(0, n, config.confidence),
    })
    .collect();
    Ok(Plan {
        config: config.clone(),
        rows,
        curve,
    })
}

/// The plan as a text table.
pub fn table(p: &Plan) -> String {
    let mut out = format!(
        "# certify below {:.2}% at {:.0}% confidence with {:.0}% probability; background error {} ({})\n",
        p.config.max_load * 100.0,
        p.config.confidence * 100.0,
        p.config.power * 100.0,
        p.config.error,
        p.config.error_source
    );
    out.push_str("true_load\tusable_depth\tprobability\n");
    for r in &p.rows {
        out.push_str(&format!(
            "{:.4}\t{}\t{:.3}\n",
            r.load,
            r.depth
                .map_or_else(|| "not certifiable".to_string(), |d| d.to_string()),
            r.probability
        ));
    }
    out
}

/// The detection-limit curve as an SVG plot (log–log axes).
pub fn curve_svg(p: &Plan) -> String {
    let (w, h, ml, mr, mt, mb) = (640.0f64, 400.0f64, 70.0, 20.0, 30.0, 50.0);
    let xs = |n: f64| ml + (n.log10() - 1.5) / (5.2 - 1.5) * (w - ml - mr);
    let ys = |f: f64| mt - f.max(1e-5).log10() / 5.0 * (h - mt - mb);
    // Coordinates of the data with one fixed decimal.
    let f1 = |v: f64| format!("{v:.1}");
    let mut s = Svg::new();
    s.el("svg")
        .attr("xmlns", "http://www.w3.org/2000/svg")
        .attr("width", w)
        .attr("height", h)
        .attr("viewBox", format!("0 0 {w} {h}"))
        .attr("font-family", "sans-serif")
        .attr("font-size", "12")
        .open();
    s.raw("\n");
    s.el("rect")
        .attr("width", "100%")
        .attr("height", "100%")
        .attr("fill", "white");
    s.raw("\n");
    s.text(w / 2.0, 18.0)
        .attr("text-anchor", "middle")
        .attr("font-weight", "bold")
        .text("Detection limit and upper bound at zero reads vs usable depth");
    s.raw("\n");
    for d in [100.0, 1_000.0, 10_000.0, 100_000.0] {
        let x = f1(xs(d));
        s.line(&x, &x, mt, h - mb).attr("stroke", "#ddd");
        s.text(&x, h - mb + 16.0)
            .attr("text-anchor", "middle")
            .text(&d.to_string());
        s.raw("\n");
    }
    for f in [1.0, 0.1, 0.01, 0.001, 0.0001] {
        let y = f1(ys(f));
        s.line(ml, w - mr, &y, &y).attr("stroke", "#ddd");
        s.text(ml - 6.0, f1(ys(f) + 4.0))
            .attr("text-anchor", "end")
            .text(&format!("{}%", f * 100.0));
        s.raw("\n");
    }
    for (colour, dash, value) in [
        (
            "#0072B2",
            "",
            (|c: &CurvePoint| c.detection_limit) as fn(&CurvePoint) -> f64,
        ),
        ("#D55E00", "6,4", |c: &CurvePoint| c.bound_at_zero),
    ] {
        let points: Vec<String> = p
            .curve
            .iter()
            .map(|c| format!("{},{}", f1(xs(c.depth as f64)), f1(ys(value(c)))))
            .collect();
        s.polyline(
            &[
                ("fill", "none"),
                ("stroke", colour),
                ("stroke-width", "2"),
                ("stroke-dasharray", dash),
            ],
            &points,
        );
        s.raw("\n");
    }
    let ymax = f1(ys(p.config.max_load));
    s.line(ml, w - mr, &ymax, &ymax)
        .attr("stroke", "#000")
        .attr("stroke-dasharray", "2,3");
    s.text(w - mr - 4.0, f1(ys(p.config.max_load) - 4.0))
        .attr("text-anchor", "end")
        .text(&format!("maximum {:.1}%", p.config.max_load * 100.0));
    s.raw("\n");
    s.text(ml + 10.0, mt + 16.0)
        .attr("fill", "#0072B2")
        .text("detection limit (95% power)");
    s.text(ml + 10.0, mt + 32.0)
        .attr("fill", "#D55E00")
        .text("upper bound with 0 reads");
    s.raw("\n");
    s.text((ml + w - mr) / 2.0, h - 8.0)
        .attr("text-anchor", "middle")
        .text("usable depth (reads)");
    s.raw("\n");
    s.finish() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;

    #[test]
    fn zero_load_needs_about_sixty_reads_without_error() {
        // Rule of three: 3/n < 5% → n ≈ 59.
        let n = depth_to_certify(0.0, 0.0, 0.05, 0.95, 0.95).unwrap();
        assert!((55..=65).contains(&n), "{n}");
        assert!(depth_to_certify(0.05, 0.0, 0.05, 0.95, 0.95).is_none());
        let n1 = depth_to_certify(0.01, 5e-4, 0.05, 0.95, 0.95).unwrap();
        let n3 = depth_to_certify(0.03, 5e-4, 0.05, 0.95, 0.95).unwrap();
        assert!(n3 > n1, "closer to the maximum needs more depth: {n1} {n3}");
    }

    /// The predicted probability of certifying agrees with ≥ 1,000 simulated binomial
    /// draws within 5 percentage points, for several depths and loads.
    #[test]
    fn certification_probability_matches_simulation() {
        let mut rng = Rng::seed_from_u64(20261126);
        let (max, conf, err) = (0.05, 0.95, 5e-4);
        for &n in &[100u64, 300, 1_000, 3_000] {
            let xmax = max_certifiable_count(n, max, conf);
            for &f in &[0.0, 0.01, 0.02, 0.03, 0.04] {
                let predicted = certify_probability(n, f, err, max, conf);
                let p = f + (1.0 - f) * err;
                let draws = 2_000;
                let mut ok = 0;
                for _ in 0..draws {
                    let x = (0..n).filter(|_| rng.uniform() < p).count() as u64;
                    if upper_bound(x, n, conf) < max {
                        ok += 1;
                    }
                }
                let observed = f64::from(ok) / f64::from(draws);
                assert!(
                    (predicted - observed).abs() <= 0.05,
                    "n={n} f={f} xmax={xmax:?}: predicted {predicted:.3} observed {observed:.3}"
                );
            }
        }
    }

    #[test]
    fn plan_table_and_plot() {
        let p = plan(&PlanConfig::default()).unwrap();
        assert_eq!(p.rows.len(), 6);
        assert!(
            p.rows.windows(2).all(|w| w[0].depth <= w[1].depth),
            "{:?}",
            p.rows
        );
        assert!(p
            .rows
            .iter()
            .all(|r| r.depth.is_none() || r.probability >= 0.95));
        let t = table(&p);
        assert!(t.contains("true_load\tusable_depth\tprobability"));
        let svg = curve_svg(&p);
        assert!(svg.starts_with("<svg") && svg.contains("polyline"));
        assert!(p
            .curve
            .windows(2)
            .all(|w| w[1].bound_at_zero < w[0].bound_at_zero));
    }
}
