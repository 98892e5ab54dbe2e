//! The integral of a piecewise-linear rate: racks a supply schedule delivers between two days.

/// ∫ rate(t) dt over [a, b] for a piecewise-linear rate given at `(day, per-day rate)` points in
/// date order, zero outside the first and last point.
pub(crate) fn integrate_rate(points: &[(f64, f64)], a: f64, b: f64) -> f64 {
    if points.len() < 2 || b <= a {
        return 0.0;
    }
    let mut total = 0.0;
    for w in points.windows(2) {
        let ((t0, r0), (t1, r1)) = (w[0], w[1]);
        if t0 >= b {
            // Points are in date order: nothing further overlaps [a, b].
            break;
        }
        let lo = a.max(t0);
        let hi = b.min(t1);
        if hi <= lo || t1 <= t0 {
            continue;
        }
        let at = |t: f64| r0 + (r1 - r0) * (t - t0) / (t1 - t0);
        total += (at(lo) + at(hi)) / 2.0 * (hi - lo);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_rate_integrates_to_trapezoids() {
        let pts = [(0.0, 0.0), (10.0, 10.0), (20.0, 10.0)];
        assert!((integrate_rate(&pts, 0.0, 20.0) - 150.0).abs() < 1e-12);
        assert!((integrate_rate(&pts, 5.0, 15.0) - (37.5 + 50.0)).abs() < 1e-12);
        assert_eq!(integrate_rate(&pts, 25.0, 30.0), 0.0);
        assert_eq!(integrate_rate(&pts[..1], 0.0, 30.0), 0.0);
    }
}
