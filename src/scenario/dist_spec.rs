//! `DistSpec`: an uncertain input as written in a scenario, checked but not yet a sampler.
//!
//! Written inline, either as a plain number (a fixed value) or as a table naming its `kind`:
//!
//! | kind | parameters | meaning |
//! |---|---|---|
//! | `fixed` | `value` | always `value` |
//! | `uniform` | `min`, `max` | flat on [min, max] |
//! | `triangular` | `min`, `mode`, `max` | triangle peaking at `mode` |
//! | `pert` | `min`, `mode`, `max`, optional `shape` (default 4) | Beta-PERT: mean (min + shape·mode + max)/(shape + 2) |
//! | `normal` | `mean`, `sd`, optional `min`, `max` | normal, truncated to [min, max] by rejection |
//! | `lognormal` | `median` and `p90`, or `p5` and `p95` | log-normal fitted to those quantiles |
//! | `bernoulli` | `p` | 1 with probability `p`, else 0 |
//! | `discrete` | `values`, `weights` | `values[i]` with probability `weights[i] / Σ weights` |
//!
//! Lognormal by quantiles: μ = ln(median), σ = ln(p90 / median) / z₀.₉₀ with z₀.₉₀ = 1.2815516;
//! or μ = (ln p5 + ln p95) / 2, σ = (ln p95 − ln p5) / (2 z₀.₉₅) with z₀.₉₅ = 1.6448536.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::numeric::{Z90, Z95, std_normal_cdf, std_normal_pdf};

/// Standard deviations from the centre to the end of [`DistSpec::effective_range`]:
/// P(Z > 8) = 6.2 × 10⁻¹⁶.
const TAIL_SDS: f64 = 8.0;

/// A checked distribution specification. Invariants: every parameter is finite; bounds are
/// ordered (`min <= mode <= max`); `sd`, `sigma`, `shape` are positive (`sigma` may be zero);
/// probabilities lie in [0, 1]; discrete weights are non-negative with a positive sum.
#[derive(Debug, Clone, PartialEq)]
pub enum DistSpec {
    /// Always this value.
    Fixed(f64),
    /// Flat on [min, max].
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Triangular on [min, max] with its peak at `mode`.
    Triangular {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// Beta-PERT on [min, max]; `shape` is the weight on the mode (4 is the classic PERT).
    Pert {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
        /// Weight on the mode.
        shape: f64,
    },
    /// Normal, optionally truncated to [min, max].
    Normal {
        /// Mean before truncation.
        mean: f64,
        /// Standard deviation before truncation.
        sd: f64,
        /// Lower truncation bound.
        min: Option<f64>,
        /// Upper truncation bound.
        max: Option<f64>,
    },
    /// exp(N(mu, sigma²)).
    LogNormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm.
        sigma: f64,
    },
    /// 1 with probability `p`, else 0.
    Bernoulli {
        /// Probability of 1.
        p: f64,
    },
    /// `values[i]` with probability `weights[i] / sum(weights)`.
    Discrete {
        /// The possible values.
        values: Vec<f64>,
        /// Their relative weights.
        weights: Vec<f64>,
    },
}

impl DistSpec {
    /// The smallest and largest value a draw can take (infinite for an untruncated normal or
    /// the top of a log-normal).
    pub fn support(&self) -> (f64, f64) {
        match self {
            DistSpec::Fixed(v) => (*v, *v),
            DistSpec::Uniform { min, max }
            | DistSpec::Triangular { min, max, .. }
            | DistSpec::Pert { min, max, .. } => (*min, *max),
            DistSpec::Normal { min, max, .. } => (
                min.unwrap_or(f64::NEG_INFINITY),
                max.unwrap_or(f64::INFINITY),
            ),
            DistSpec::LogNormal { sigma, mu } if *sigma == 0.0 => (mu.exp(), mu.exp()),
            DistSpec::LogNormal { .. } => (0.0, f64::INFINITY),
            DistSpec::Bernoulli { p } if *p == 0.0 => (0.0, 0.0),
            DistSpec::Bernoulli { p } if *p == 1.0 => (1.0, 1.0),
            DistSpec::Bernoulli { .. } => (0.0, 1.0),
            DistSpec::Discrete { values, weights } => values
                .iter()
                .zip(weights)
                .filter(|(_, w)| **w > 0.0)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (v, _)| {
                    (lo.min(*v), hi.max(*v))
                }),
        }
    }

    /// The values a draw takes but with probability below 10⁻¹⁵: the [`DistSpec::support`] with
    /// an infinite end replaced by the point 8 standard deviations out (of the normal,
    /// or of the log-normal's logarithm), beyond which lies less than 6.3 × 10⁻¹⁶ of the mass.
    /// Limits on large values are checked against this range, so that a normal or a log-normal
    /// may be used as long as its tail stays within them.
    pub fn effective_range(&self) -> (f64, f64) {
        match self {
            DistSpec::Normal { mean, sd, min, max } => (
                min.unwrap_or(mean - TAIL_SDS * sd),
                max.unwrap_or(mean + TAIL_SDS * sd),
            ),
            DistSpec::LogNormal { mu, sigma } => {
                ((mu - TAIL_SDS * sigma).exp(), (mu + TAIL_SDS * sigma).exp())
            }
            _ => self.support(),
        }
    }

    /// The expected value (for an untruncated normal; truncation is accounted for exactly).
    pub fn mean(&self) -> f64 {
        match self {
            DistSpec::Fixed(v) => *v,
            DistSpec::Uniform { min, max } => (min + max) / 2.0,
            DistSpec::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            DistSpec::Pert {
                min,
                mode,
                max,
                shape,
            } => (min + shape * mode + max) / (shape + 2.0),
            DistSpec::Normal { mean, sd, min, max } => {
                let a = min.map(|m| (m - mean) / sd).unwrap_or(f64::NEG_INFINITY);
                let b = max.map(|m| (m - mean) / sd).unwrap_or(f64::INFINITY);
                let z = std_normal_cdf(b) - std_normal_cdf(a);
                mean + sd * (std_normal_pdf(a) - std_normal_pdf(b)) / z
            }
            DistSpec::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            DistSpec::Bernoulli { p } => *p,
            DistSpec::Discrete { values, weights } => {
                let total: f64 = weights.iter().sum();
                values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total
            }
        }
    }

    /// A short description for messages, e.g. `triangular 0/30/90`.
    pub fn describe(&self) -> String {
        match self {
            DistSpec::Fixed(v) => number(*v),
            DistSpec::Uniform { min, max } => format!("uniform {}..{}", number(*min), number(*max)),
            DistSpec::Triangular { min, mode, max } => format!(
                "triangular {}/{}/{}",
                number(*min),
                number(*mode),
                number(*max)
            ),
            DistSpec::Pert { min, mode, max, .. } => {
                format!("pert {}/{}/{}", number(*min), number(*mode), number(*max))
            }
            DistSpec::Normal { mean, sd, .. } => {
                format!("normal {}±{}", number(*mean), number(*sd))
            }
            DistSpec::LogNormal { mu, sigma } => {
                let (median, p90) = (mu.exp(), (mu + Z90 * sigma).exp());
                if p90 < 1e9 {
                    format!("lognormal median {median:.3}, p90 {p90:.3}")
                } else {
                    format!("lognormal median {}, p90 {}", number(median), number(p90))
                }
            }
            DistSpec::Bernoulli { p } => format!("bernoulli {}", number(*p)),
            DistSpec::Discrete { values, .. } => format!("discrete over {} values", values.len()),
        }
    }
}

/// A number for a message: as written for everyday magnitudes, in scientific notation (`1e300`)
/// from 10⁹ up and for tiny fractions, so that a hostile value does not print 300 digits.
pub(crate) fn number(v: f64) -> String {
    let size = v.abs();
    if size >= 1e9 || (size > 0.0 && size < 1e-4) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Every key any distribution table may hold; which ones a kind takes is checked after.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DistTable {
    kind: String,
    value: Option<f64>,
    min: Option<f64>,
    mode: Option<f64>,
    max: Option<f64>,
    shape: Option<f64>,
    mean: Option<f64>,
    sd: Option<f64>,
    median: Option<f64>,
    p90: Option<f64>,
    p5: Option<f64>,
    p95: Option<f64>,
    p: Option<f64>,
    values: Option<Vec<f64>>,
    weights: Option<Vec<f64>>,
}

/// The distribution kinds, for error messages.
pub(crate) const KINDS: &[&str] = &[
    "fixed",
    "uniform",
    "triangular",
    "pert",
    "normal",
    "lognormal",
    "bernoulli",
    "discrete",
];

impl DistTable {
    fn present(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let fields: [(&'static str, bool); 14] = [
            ("value", self.value.is_some()),
            ("min", self.min.is_some()),
            ("mode", self.mode.is_some()),
            ("max", self.max.is_some()),
            ("shape", self.shape.is_some()),
            ("mean", self.mean.is_some()),
            ("sd", self.sd.is_some()),
            ("median", self.median.is_some()),
            ("p90", self.p90.is_some()),
            ("p5", self.p5.is_some()),
            ("p95", self.p95.is_some()),
            ("p", self.p.is_some()),
            ("values", self.values.is_some()),
            ("weights", self.weights.is_some()),
        ];
        for (name, there) in fields {
            if there {
                keys.push(name);
            }
        }
        keys
    }

    fn into_spec(self) -> Result<DistSpec, String> {
        let kind = self.kind.clone();
        let present = self.present();
        let allow = |allowed: &[&str], needed: &[&str]| -> Result<(), String> {
            if let Some(extra) = present.iter().find(|k| !allowed.contains(k)) {
                return Err(format!(
                    "`{extra}` does not apply to a {kind} distribution, which takes {}",
                    allowed.join(", ")
                ));
            }
            if let Some(missing) = needed.iter().find(|k| !present.contains(k)) {
                return Err(format!(
                    "a {kind} distribution needs `{missing}` (it takes {})",
                    allowed.join(", ")
                ));
            }
            Ok(())
        };
        let get = |v: Option<f64>| v.unwrap_or(f64::NAN);
        let spec = match kind.as_str() {
            "fixed" => {
                allow(&["value"], &["value"])?;
                DistSpec::Fixed(get(self.value))
            }
            "uniform" => {
                allow(&["min", "max"], &["min", "max"])?;
                DistSpec::Uniform {
                    min: get(self.min),
                    max: get(self.max),
                }
            }
            "triangular" => {
                allow(&["min", "mode", "max"], &["min", "mode", "max"])?;
                DistSpec::Triangular {
                    min: get(self.min),
                    mode: get(self.mode),
                    max: get(self.max),
                }
            }
            "pert" => {
                allow(&["min", "mode", "max", "shape"], &["min", "mode", "max"])?;
                DistSpec::Pert {
                    min: get(self.min),
                    mode: get(self.mode),
                    max: get(self.max),
                    shape: self.shape.unwrap_or(4.0),
                }
            }
            "normal" => {
                allow(&["mean", "sd", "min", "max"], &["mean", "sd"])?;
                DistSpec::Normal {
                    mean: get(self.mean),
                    sd: get(self.sd),
                    min: self.min,
                    max: self.max,
                }
            }
            "lognormal" => {
                if self.median.is_some() || self.p90.is_some() {
                    allow(&["median", "p90"], &["median", "p90"])?;
                    let (median, p90) = (get(self.median), get(self.p90));
                    if !(median > 0.0 && p90 >= median) {
                        return Err(format!(
                            "a lognormal needs 0 < median <= p90; found median = {median}, p90 = {p90}"
                        ));
                    }
                    DistSpec::LogNormal {
                        mu: median.ln(),
                        sigma: (p90 / median).ln() / Z90,
                    }
                } else {
                    allow(&["p5", "p95"], &["p5", "p95"]).map_err(|_| {
                        "a lognormal takes either `median` and `p90`, or `p5` and `p95`".to_string()
                    })?;
                    let (p5, p95) = (get(self.p5), get(self.p95));
                    if !(p5 > 0.0 && p95 >= p5) {
                        return Err(format!(
                            "a lognormal needs 0 < p5 <= p95; found p5 = {p5}, p95 = {p95}"
                        ));
                    }
                    DistSpec::LogNormal {
                        mu: (p5.ln() + p95.ln()) / 2.0,
                        sigma: (p95.ln() - p5.ln()) / (2.0 * Z95),
                    }
                }
            }
            "bernoulli" => {
                allow(&["p"], &["p"])?;
                DistSpec::Bernoulli { p: get(self.p) }
            }
            "discrete" => {
                allow(&["values", "weights"], &["values", "weights"])?;
                DistSpec::Discrete {
                    values: self.values.unwrap_or_default(),
                    weights: self.weights.unwrap_or_default(),
                }
            }
            other => {
                let hint = crate::scenario::suggest(other, KINDS.iter().copied())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                return Err(format!(
                    "unknown distribution kind `{other}`; {hint}valid kinds are {}",
                    KINDS.join(", ")
                ));
            }
        };
        spec.check()?;
        Ok(spec)
    }
}

impl DistSpec {
    /// Checks the invariants listed on the type.
    pub fn check(&self) -> Result<(), String> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("`{name}` must be a finite number, found {v}"))
            }
        };
        let ordered = |min: f64, mode: f64, max: f64| {
            finite("min", min)?;
            finite("mode", mode)?;
            finite("max", max)?;
            if min <= mode && mode <= max {
                Ok(())
            } else {
                Err(format!(
                    "needs min <= mode <= max; found min = {min}, mode = {mode}, max = {max}"
                ))
            }
        };
        match self {
            DistSpec::Fixed(v) => finite("value", *v),
            DistSpec::Uniform { min, max } => ordered(*min, *min, *max),
            DistSpec::Triangular { min, mode, max } => ordered(*min, *mode, *max),
            DistSpec::Pert {
                min,
                mode,
                max,
                shape,
            } => {
                ordered(*min, *mode, *max)?;
                if shape.is_finite() && *shape > 0.0 {
                    Ok(())
                } else {
                    Err(format!("`shape` must be positive, found {shape}"))
                }
            }
            DistSpec::Normal { mean, sd, min, max } => {
                finite("mean", *mean)?;
                if !(sd.is_finite() && *sd > 0.0) {
                    return Err(format!("`sd` must be positive, found {sd}"));
                }
                let lo = min.unwrap_or(f64::NEG_INFINITY);
                let hi = max.unwrap_or(f64::INFINITY);
                if lo.is_nan() || hi.is_nan() || lo >= hi {
                    return Err(format!("needs min < max; found min = {lo}, max = {hi}"));
                }
                let mass = std_normal_cdf((hi - mean) / sd) - std_normal_cdf((lo - mean) / sd);
                if mass < 1e-3 {
                    return Err(format!(
                        "the bounds [{lo}, {hi}] keep only {mass:.1e} of the normal's probability; \
                         move them closer to the mean {mean}"
                    ));
                }
                Ok(())
            }
            DistSpec::LogNormal { mu, sigma } => {
                finite("median", *mu)?;
                finite("spread", *sigma)
            }
            DistSpec::Bernoulli { p } => {
                if (0.0..=1.0).contains(p) {
                    Ok(())
                } else {
                    Err(format!(
                        "`p` is a probability and must lie in [0, 1], found {p}"
                    ))
                }
            }
            DistSpec::Discrete { values, weights } => {
                if values.is_empty() || values.len() != weights.len() {
                    return Err(format!(
                        "`values` and `weights` must be non-empty and of equal length; found {} and {}",
                        values.len(),
                        weights.len()
                    ));
                }
                if values.iter().any(|v| !v.is_finite()) {
                    return Err("every entry of `values` must be a finite number".into());
                }
                if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
                    || weights.iter().sum::<f64>() <= 0.0
                {
                    return Err("`weights` must be non-negative with a positive sum".into());
                }
                Ok(())
            }
        }
    }
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = DistSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a number or a distribution table such as { kind = \"triangular\", min = 0, mode = 30, max = 90 }",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DistSpec, E> {
                Ok(DistSpec::Fixed(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DistSpec, E> {
                Ok(DistSpec::Fixed(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DistSpec, E> {
                let spec = DistSpec::Fixed(v);
                spec.check().map_err(E::custom)?;
                Ok(spec)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DistSpec, A::Error> {
                let table = DistTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                table.into_spec().map_err(de::Error::custom)
            }
        }
        d.deserialize_any(SpecVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DistSpec, String> {
        #[derive(Deserialize)]
        struct W {
            #[allow(dead_code)]
            d: DistSpec,
        }
        let v: toml::Value = toml::from_str(&format!("d = {text}")).unwrap();
        v.try_into::<W>().map(|w| w.d).map_err(|e| e.to_string())
    }

    #[test]
    fn plain_numbers_are_fixed() {
        assert_eq!(parse("3").unwrap(), DistSpec::Fixed(3.0));
        assert_eq!(parse("2.5").unwrap(), DistSpec::Fixed(2.5));
    }

    #[test]
    fn tables_name_their_kind() {
        assert_eq!(
            parse("{ kind = \"triangular\", min = 0, mode = 1, max = 3 }").unwrap(),
            DistSpec::Triangular {
                min: 0.0,
                mode: 1.0,
                max: 3.0
            }
        );
        let ln = parse("{ kind = \"lognormal\", median = 1, p90 = 2 }").unwrap();
        let DistSpec::LogNormal { mu, sigma } = ln else {
            panic!("not lognormal")
        };
        assert!(mu.abs() < 1e-12 && (sigma - 2f64.ln() / Z90).abs() < 1e-12);
    }

    #[test]
    fn bad_parameters_say_what_is_valid() {
        let e = parse("{ kind = \"triangular\", min = 5, mode = 1, max = 3 }").unwrap_err();
        assert!(e.contains("min <= mode <= max"), "{e}");
        let e = parse("{ kind = \"pert\", min = 0, max = 3 }").unwrap_err();
        assert!(e.contains("needs `mode`"), "{e}");
        let e = parse("{ kind = \"triangle\", min = 0, mode = 1, max = 3 }").unwrap_err();
        assert!(e.contains("did you mean `triangular`"), "{e}");
        let e = parse("{ kind = \"uniform\", min = 0, max = 3, mode = 1 }").unwrap_err();
        assert!(e.contains("`mode` does not apply"), "{e}");
        let e = parse("{ kind = \"bernoulli\", p = 1.5 }").unwrap_err();
        assert!(e.contains("[0, 1]"), "{e}");
        let e = parse("{ kind = \"normal\", mean = 0, sd = 1, min = 50 }").unwrap_err();
        assert!(e.contains("keep only"), "{e}");
    }

    #[test]
    fn truncated_normal_mean_is_shifted_toward_the_kept_side() {
        let d = DistSpec::Normal {
            mean: 0.0,
            sd: 1.0,
            min: Some(0.0),
            max: None,
        };
        // Half-normal mean: sqrt(2/pi).
        assert!((d.mean() - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-6);
    }
}
