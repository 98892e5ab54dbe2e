//! The standard normal distribution: its density, its CDF and two of its quantiles.

/// Standard normal quantile at 0.90.
pub(crate) const Z90: f64 = 1.281_551_565_544_600_4;
/// Standard normal quantile at 0.95.
pub(crate) const Z95: f64 = 1.644_853_626_951_472_2;

/// Standard normal density.
pub(crate) fn std_normal_pdf(x: f64) -> f64 {
    if x.is_infinite() {
        return 0.0;
    }
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal CDF, Φ(z) = erfc(−z/√2)/2, with libm's `erfc` (a pure-Rust port of
/// FreeBSD's msun: identical results on every platform).
pub(crate) fn std_normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_matches_known_values() {
        assert!((std_normal_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((std_normal_cdf(Z90) - 0.9).abs() < 1e-12);
        assert!((std_normal_cdf(-Z95) - 0.05).abs() < 1e-12);
    }
}
