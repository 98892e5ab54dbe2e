//! `Histogram`: exact counts of integer bins over a window that grows to fit what it sees.
//!
//! A value is recorded as its bin (`value / bin_width`, computed by the caller), so quantiles are
//! exact at the bin's resolution. Counts are integers: merging is exact, associative and
//! commutative, so any split of the trials over threads or shards gives the same histogram.
//! Memory is one `u32` per bin between the smallest and largest bin seen.

use super::quantile::type7;

/// Exact bin counts over `[lo, lo + counts.len())`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    lo: i64,
    counts: Vec<u32>,
    total: u64,
}

impl Histogram {
    /// Records one value in bin `bin`.
    #[inline]
    pub fn add(&mut self, bin: i64) {
        self.add_n(bin, 1);
    }

    /// Records `n` values in bin `bin`.
    #[inline]
    pub fn add_n(&mut self, bin: i64, n: u32) {
        if n == 0 {
            return;
        }
        let mut i = bin - self.lo;
        if i < 0 || i >= self.counts.len() as i64 {
            self.cover(bin);
            i = bin - self.lo;
        }
        self.counts[i as usize] += n;
        self.total += u64::from(n);
    }

    #[cold]
    fn grow_to(&mut self, bin: i64) {
        let len = self.counts.len() as i64;
        // Grow by at least half again so that a drifting window costs amortised O(1).
        let slack = (len / 2).max(16);
        if bin < self.lo {
            let extra = (self.lo - bin + slack) as usize;
            let mut grown = vec![0; extra + self.counts.len()];
            grown[extra..].copy_from_slice(&self.counts);
            self.counts = grown;
            self.lo -= extra as i64;
        } else {
            let new_len = (bin - self.lo + 1 + slack) as usize;
            self.counts.resize(new_len, 0);
        }
    }

    /// Number of values recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Adds every count of `other`. Exact; the result does not depend on merge order.
    pub fn merge(&mut self, other: &Histogram) {
        if other.total == 0 {
            return;
        }
        let first = other.counts.iter().position(|&c| c > 0).unwrap_or(0);
        let last = other.counts.iter().rposition(|&c| c > 0).unwrap_or(0);
        let (lo, hi) = (other.lo + first as i64, other.lo + last as i64);
        self.cover(lo);
        self.cover(hi);
        let offset = (lo - self.lo) as usize;
        for (dst, src) in self.counts[offset..]
            .iter_mut()
            .zip(&other.counts[first..=last])
        {
            *dst += src;
        }
        self.total += other.total;
    }

    fn cover(&mut self, bin: i64) {
        if self.counts.is_empty() {
            self.lo = bin;
            self.counts.push(0);
        } else if bin < self.lo || bin >= self.lo + self.counts.len() as i64 {
            self.grow_to(bin);
        }
    }

    /// The `k`-th smallest recorded bin (0-based); `None` when `k >= total`.
    pub fn order_statistic(&self, k: u64) -> Option<i64> {
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen > k {
                return Some(self.lo + i as i64);
            }
        }
        None
    }

    /// Quantiles (type 7, see [`type7`]) of the recorded bins for each `p` in `ps`, which must
    /// be sorted ascending. Returns `None` for an empty histogram. One pass over the bins.
    pub fn quantiles(&self, ps: &[f64]) -> Option<Vec<f64>> {
        if self.total == 0 {
            return None;
        }
        // Collect the order statistics each p needs (floor and ceil of h), in ascending order.
        let mut wanted: Vec<u64> = Vec::with_capacity(2 * ps.len());
        for &p in ps {
            let h = (self.total - 1) as f64 * p;
            wanted.push(h.floor() as u64);
            wanted.push((h.ceil() as u64).min(self.total - 1));
        }
        let mut sorted = wanted.clone();
        sorted.sort_unstable();
        sorted.dedup();
        let mut values = Vec::with_capacity(sorted.len());
        let mut seen = 0u64;
        let mut next = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            while next < sorted.len() && sorted[next] < seen {
                values.push((self.lo + i as i64) as f64);
                next += 1;
            }
            if next == sorted.len() {
                break;
            }
        }
        let at = |k: u64| values[sorted.binary_search(&k).unwrap_or(0)];
        Some(
            ps.iter()
                .map(|&p| type7(p, self.total, |k| at(k)))
                .collect(),
        )
    }

    /// `(bin, count)` for every non-empty bin, ascending.
    pub fn iter(&self) -> impl Iterator<Item = (i64, u32)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (self.lo + i as i64, *c))
    }

    /// Bytes of heap memory held.
    pub fn heap_bytes(&self) -> usize {
        self.counts.capacity() * std::mem::size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn from(values: &[i64]) -> Histogram {
        let mut h = Histogram::default();
        for &v in values {
            h.add(v);
        }
        h
    }

    fn sorted_type7(values: &[i64], p: f64) -> f64 {
        let mut xs = values.to_vec();
        xs.sort_unstable();
        type7(p, xs.len() as u64, |k| xs[k as usize] as f64)
    }

    #[test]
    fn quantiles_match_numpy_default() {
        // numpy.percentile([1, 2, 3, 4, 10], [0, 25, 50, 90, 100]) = [1, 2, 3, 7.6, 10]
        let h = from(&[10, 3, 1, 4, 2]);
        let q = h.quantiles(&[0.0, 0.25, 0.5, 0.9, 1.0]).unwrap();
        let expect = [1.0, 2.0, 3.0, 7.6, 10.0];
        for (a, b) in q.iter().zip(expect) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        assert_eq!(Histogram::default().quantiles(&[0.5]), None);
    }

    #[test]
    fn window_grows_both_ways() {
        let h = from(&[100, -5, 300, 100]);
        assert_eq!(h.order_statistic(0), Some(-5));
        assert_eq!(h.order_statistic(3), Some(300));
        assert_eq!(h.order_statistic(4), None);
    }

    proptest! {
        #[test]
        fn quantiles_equal_sorting(values in prop::collection::vec(-1000i64..1000, 1..200), p in 0.0f64..=1.0) {
            let got = from(&values).quantiles(&[p]).unwrap()[0];
            prop_assert!((got - sorted_type7(&values, p)).abs() < 1e-9);
        }

        #[test]
        fn merge_equals_one_pass(a in prop::collection::vec(-500i64..500, 0..100), b in prop::collection::vec(-500i64..500, 0..100)) {
            let mut merged = from(&a);
            merged.merge(&from(&b));
            let all: Vec<i64> = a.iter().chain(&b).copied().collect();
            let one = from(&all);
            prop_assert_eq!(merged.total(), one.total());
            for k in 0..one.total() {
                prop_assert_eq!(merged.order_statistic(k), one.order_statistic(k));
            }
        }

        #[test]
        fn merging_empty_changes_nothing(a in prop::collection::vec(-500i64..500, 0..100)) {
            let mut h = from(&a);
            let before = h.clone();
            h.merge(&Histogram::default());
            prop_assert_eq!(h, before);
        }

        #[test]
        fn quantiles_are_monotone(values in prop::collection::vec(-1000i64..1000, 1..100)) {
            let q = from(&values).quantiles(&[0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]).unwrap();
            prop_assert!(q.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
