//! `Histogram`: exact counts of integer bins over a window that grows to fit what it sees.
//!
//! A value is recorded as its bin (`value / bin_width`, computed by the caller), so quantiles are
//! exact at the bin's resolution. Counts are integers: merging is exact, associative and
//! commutative, so any split of the trials over threads or shards gives the same histogram.
//! Memory is two bytes per bin between the smallest and largest bin seen (four once any bin
//! passes 65,535), since the spread of a daily metric, not the trial count, sets the size.

use super::quantile::type7;

/// Bin counts: 16-bit until one overflows, then 32-bit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Counts {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Default for Counts {
    fn default() -> Self {
        Counts::Narrow(Vec::new())
    }
}

impl Counts {
    fn len(&self) -> usize {
        match self {
            Counts::Narrow(v) => v.len(),
            Counts::Wide(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> u32 {
        match self {
            Counts::Narrow(v) => u32::from(v[i]),
            Counts::Wide(v) => v[i],
        }
    }

    fn widen(&mut self) {
        if let Counts::Narrow(v) = self {
            *self = Counts::Wide(v.iter().map(|&c| u32::from(c)).collect());
        }
    }

    #[inline]
    fn add(&mut self, i: usize, n: u32) {
        if let Counts::Narrow(v) = self {
            match u16::try_from(u32::from(v[i]) + n) {
                Ok(c) => {
                    v[i] = c;
                    return;
                }
                Err(_) => self.widen(),
            }
        }
        if let Counts::Wide(v) = self {
            v[i] += n;
        }
    }

    /// Inserts `front` zero bins before the first and resizes to `len` bins in all.
    fn regrow(&mut self, front: usize, len: usize) {
        match self {
            Counts::Narrow(v) => {
                let mut grown = vec![0; len];
                grown[front..front + v.len()].copy_from_slice(v);
                *v = grown;
            }
            Counts::Wide(v) => {
                let mut grown = vec![0; len];
                grown[front..front + v.len()].copy_from_slice(v);
                *v = grown;
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Counts::Narrow(v) => v.capacity() * 2,
            Counts::Wide(v) => v.capacity() * 4,
        }
    }
}

/// Consecutive bin counts of a [`Histogram`], borrowed as stored.
#[derive(Debug, Clone, Copy)]
pub(super) enum CountSlice<'a> {
    Narrow(&'a [u16]),
    Wide(&'a [u32]),
}

/// Exact bin counts over `[lo, lo + counts.len())`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    lo: i64,
    counts: Counts,
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
        let mut i = bin.wrapping_sub(self.lo);
        if i < 0 || i >= self.counts.len() as i64 {
            self.cover(bin);
            i = bin - self.lo;
        }
        self.counts.add(i as usize, n);
        self.total += u64::from(n);
    }

    /// Records one value in each bin of `bins`: the window is fitted once for the whole batch
    /// and the counts' width is matched once, so a batch costs little more than its adds.
    pub fn add_all(&mut self, bins: impl Iterator<Item = i64> + Clone) {
        let Some((lo, hi, n)) = bins.clone().fold(None, |r, b| match r {
            None => Some((b, b, 1u64)),
            Some((lo, hi, n)) => Some((lo.min(b), hi.max(b), n + 1)),
        }) else {
            return;
        };
        self.cover(lo);
        self.cover(hi);
        self.total += n;
        let base = self.lo;
        let mut rest = bins;
        if let Counts::Narrow(v) = &mut self.counts {
            loop {
                let Some(b) = rest.next() else { return };
                let c = &mut v[(b - base) as usize];
                match c.checked_add(1) {
                    Some(n) => *c = n,
                    None => {
                        // A count passes 65,535: widen and finish the batch 32-bit.
                        self.counts.widen();
                        self.counts.add((b - base) as usize, 1);
                        break;
                    }
                }
            }
        }
        if let Counts::Wide(w) = &mut self.counts {
            for b in rest {
                w[(b - base) as usize] += 1;
            }
        }
    }

    /// Makes the window include `bin`.
    #[cold]
    fn cover(&mut self, bin: i64) {
        let len = self.counts.len() as i64;
        if len == 0 {
            self.lo = bin;
            self.counts.regrow(0, 1);
            return;
        }
        if bin >= self.lo && bin < self.lo + len {
            return;
        }
        // Grow by an eighth again (at least 8 bins) so a drifting window costs amortised O(1)
        // without wasting much memory.
        let slack = (len / 8).max(8);
        if bin < self.lo {
            let front = self.lo - bin + slack;
            self.counts.regrow(front as usize, (len + front) as usize);
            self.lo -= front;
        } else {
            let new_len = bin - self.lo + 1 + slack;
            self.counts.regrow(0, new_len as usize);
        }
    }

    /// A histogram with `counts[i]` values in bin `lo + i`.
    pub(super) fn from_counts(lo: i64, counts: Vec<u32>) -> Histogram {
        let (total, max) = counts
            .iter()
            .fold((0u64, 0u32), |(t, m), &c| (t + u64::from(c), m.max(c)));
        let counts = if max <= u32::from(u16::MAX) {
            Counts::Narrow(counts.iter().map(|&c| c as u16).collect())
        } else {
            Counts::Wide(counts)
        };
        Histogram { lo, counts, total }
    }

    /// The first non-empty bin and the counts from it to the last non-empty bin; `None` when
    /// empty. Together they rebuild the histogram with [`Histogram::from_counts`].
    pub(super) fn occupied(&self) -> Option<(i64, CountSlice<'_>)> {
        fn trim<T: Copy + Default + PartialEq>(v: &[T]) -> Option<(usize, &[T])> {
            let first = v.iter().position(|&c| c != T::default())?;
            let last = v.iter().rposition(|&c| c != T::default())?;
            Some((first, &v[first..=last]))
        }
        let (first, counts) = match &self.counts {
            Counts::Narrow(v) => trim(v).map(|(f, s)| (f, CountSlice::Narrow(s)))?,
            Counts::Wide(v) => trim(v).map(|(f, s)| (f, CountSlice::Wide(s)))?,
        };
        Some((self.lo + first as i64, counts))
    }

    /// Number of values recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Adds every count of `other`. Exact; the result does not depend on merge order.
    pub fn merge(&mut self, other: &Histogram) {
        let n = other.counts.len();
        let Some(first) = (0..n).find(|&i| other.counts.get(i) > 0) else {
            return;
        };
        let last = (0..n)
            .rev()
            .find(|&i| other.counts.get(i) > 0)
            .unwrap_or(first);
        // Make room for the occupied bins of `other`, then add them slice to slice.
        self.cover(other.lo + first as i64);
        self.cover(other.lo + last as i64);
        let at = (other.lo + first as i64 - self.lo) as usize;
        let len = last - first + 1;
        // Stay 16-bit unless a sum passes 65,535 (a wide `other` holds such a bin itself). Trial
        // counts are capped at u32::MAX, so a wide bin cannot overflow.
        let overflows = match (&self.counts, &other.counts) {
            (Counts::Narrow(to), Counts::Narrow(from)) => to[at..at + len]
                .iter()
                .zip(&from[first..=last])
                .any(|(&t, &f)| t.checked_add(f).is_none()),
            _ => true,
        };
        if overflows {
            self.counts.widen();
        }
        match (&mut self.counts, &other.counts) {
            (Counts::Narrow(to), Counts::Narrow(from)) => {
                for (t, f) in to[at..at + len].iter_mut().zip(&from[first..=last]) {
                    *t += f;
                }
            }
            (Counts::Wide(to), from) => {
                for (i, t) in to[at..at + len].iter_mut().enumerate() {
                    *t += from.get(first + i);
                }
            }
            (Counts::Narrow(_), Counts::Wide(_)) => {
                unreachable!("merging a wide histogram widens the target first")
            }
        }
        self.total += other.total;
    }

    /// `(bin, count)` for every non-empty bin, ascending.
    pub fn iter(&self) -> impl Iterator<Item = (i64, u32)> + '_ {
        (0..self.counts.len())
            .map(|i| (self.lo + i as i64, self.counts.get(i)))
            .filter(|(_, c)| *c > 0)
    }

    /// The `k`-th smallest recorded bin (0-based); `None` when `k >= total`.
    pub fn order_statistic(&self, k: u64) -> Option<i64> {
        let mut seen = 0u64;
        for (bin, c) in self.iter() {
            seen += u64::from(c);
            if seen > k {
                return Some(bin);
            }
        }
        None
    }

    /// Quantiles (type 7, see [`type7`]) of the recorded bins for each `p` in `ps`. Returns
    /// `None` for an empty histogram. One pass over the bins.
    pub fn quantiles(&self, ps: &[f64]) -> Option<Vec<f64>> {
        if self.total == 0 {
            return None;
        }
        // The order statistics each p needs (floor and ceil of h), ascending and unique.
        let mut wanted: Vec<u64> = Vec::with_capacity(2 * ps.len());
        for &p in ps {
            let h = (self.total - 1) as f64 * p.clamp(0.0, 1.0);
            wanted.push(h.floor() as u64);
            wanted.push((h.ceil() as u64).min(self.total - 1));
        }
        wanted.sort_unstable();
        wanted.dedup();
        let mut values = Vec::with_capacity(wanted.len());
        let mut seen = 0u64;
        for (bin, c) in self.iter() {
            seen += u64::from(c);
            while values.len() < wanted.len() && wanted[values.len()] < seen {
                values.push(bin as f64);
            }
            if values.len() == wanted.len() {
                break;
            }
        }
        let at = |k: u64| values[wanted.binary_search(&k).unwrap_or(0)];
        Some(ps.iter().map(|&p| type7(p, self.total, at)).collect())
    }

    /// Bytes of heap memory held.
    pub fn heap_bytes(&self) -> usize {
        self.counts.heap_bytes()
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
    fn a_batch_adds_the_same_counts_as_one_add_per_value() {
        let batch: Vec<i32> = (0..500).map(|i| (i * 37 % 101) - 50).collect();
        let mut one_by_one = from(&[3, 900]);
        let mut batched = one_by_one.clone();
        for &b in &batch {
            one_by_one.add(i64::from(b));
        }
        batched.add_all(batch.iter().map(|&b| i64::from(b)));
        assert_eq!(batched.total(), one_by_one.total());
        assert!(batched.iter().eq(one_by_one.iter()));
        batched.add_all(std::iter::empty());
        assert_eq!(batched.total(), one_by_one.total());
    }

    #[test]
    fn a_batch_that_overflows_a_16_bit_count_widens_midway() {
        // 65,535 values in bin 4 fill a 16-bit count; the batch's second 4 must widen it, and
        // the values after it must still be counted.
        let mut h = Histogram::default();
        h.add_n(4, u32::from(u16::MAX) - 1);
        h.add_all([4, 4, 9, 4, -2].into_iter());
        let counts: Vec<(i64, u32)> = h.iter().collect();
        assert_eq!(counts, [(-2, 1), (4, 65_537), (9, 1)]);
        assert_eq!(h.total(), 65_539);
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
    fn counts_widen_past_u16() {
        let mut h = Histogram::default();
        h.add_n(5, 65_535);
        h.add_n(5, 2);
        h.add(6);
        assert_eq!(h.total(), 65_538);
        assert_eq!(h.iter().collect::<Vec<_>>(), vec![(5, 65_537), (6, 1)]);
    }

    #[test]
    fn merging_widens_only_when_a_bin_overflows() {
        let (mut a, mut b) = (Histogram::default(), Histogram::default());
        a.add_n(10, 40_000);
        b.add_n(11, 40_000);
        b.add(-3);
        a.merge(&b);
        assert!(
            matches!(a.counts, Counts::Narrow(_)),
            "no bin passed 65,535"
        );
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            [(-3, 1), (10, 40_000), (11, 40_000)]
        );
        a.merge(&b);
        assert!(matches!(a.counts, Counts::Wide(_)));
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            [(-3, 2), (10, 40_000), (11, 80_000)]
        );
        // A wide histogram merged into a narrow one, beyond its window on both sides.
        let mut c = Histogram::default();
        c.add(500);
        c.merge(&a);
        assert_eq!(c.total(), 120_003);
        assert_eq!(c.order_statistic(120_002), Some(500));
        assert_eq!(c.order_statistic(0), Some(-3));
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
