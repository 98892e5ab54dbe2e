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

    /// Re-bins the counts over a new window of `len` bins starting at `lo`: old bin `b` (of a
    /// window that started at `old_lo`) goes to index `(b >> coarsen) - lo`. Stays 16-bit unless
    /// a merged count passes 65,535. Every occupied old bin must land inside the new window.
    fn refit(&mut self, old_lo: i64, lo: i64, len: usize, coarsen: u32) {
        fn moved<T: Copy + Default + PartialEq>(
            v: &[T],
            old_lo: i64,
            lo: i64,
            len: usize,
        ) -> Vec<T> {
            let mut out = vec![T::default(); len];
            if let (Some(first), Some(last)) = (
                v.iter().position(|&c| c != T::default()),
                v.iter().rposition(|&c| c != T::default()),
            ) {
                let at = (old_lo + first as i64 - lo) as usize;
                out[at..at + (last - first + 1)].copy_from_slice(&v[first..=last]);
            }
            out
        }
        if coarsen == 0 {
            match self {
                Counts::Narrow(v) => *v = moved(v, old_lo, lo, len),
                Counts::Wide(v) => *v = moved(v, old_lo, lo, len),
            }
            return;
        }
        let mut summed = vec![0u32; len];
        for i in 0..self.len() {
            let c = self.get(i);
            if c > 0 {
                summed[(((old_lo + i as i64) >> coarsen) - lo) as usize] += c;
            }
        }
        let narrow = matches!(self, Counts::Narrow(_));
        *self = if narrow && summed.iter().all(|&c| c <= u32::from(u16::MAX)) {
            Counts::Narrow(summed.iter().map(|&c| c as u16).collect())
        } else {
            Counts::Wide(summed)
        };
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

/// Exact counts of values recorded as bins, over a window of `counts.len()` bins starting at
/// `lo`, at resolution `2^shift` bins: bin `b` is counted at window index `(b >> shift) - lo`.
/// `shift` stays 0 unless the values spread over more than [`Histogram::max_bins`]; it is then
/// the least that fits them, which depends only on the values recorded, never on their order or on how
/// they were split and merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    lo: i64,
    counts: Counts,
    total: u64,
    shift: u32,
    fine: bool,
}

impl Histogram {
    /// Most bins a histogram's window spans. Past it, neighbouring bins merge in pairs (the
    /// resolution halves) until the recorded values fit, so one histogram never holds more than
    /// 128 KiB of counts. Wide enough that no shipped scenario comes near it (the widest daily
    /// spread seen is about 21,000 bins).
    pub const MAX_BINS: usize = 1 << 15;

    /// [`Histogram::MAX_BINS`] of a [`Histogram::fine`] one: 16 MiB of counts at most.
    pub const MAX_BINS_FINE: usize = 1 << 22;

    /// An empty histogram whose window may span [`Histogram::MAX_BINS_FINE`] bins: for the few
    /// per-trial outcomes recorded to the unit (GPUs at the deadline), whose spread runs to
    /// hundreds of thousands of bins.
    pub fn fine() -> Histogram {
        Histogram {
            fine: true,
            ..Histogram::default()
        }
    }

    /// The most bins this histogram's window spans.
    pub fn max_bins(&self) -> usize {
        if self.fine {
            Self::MAX_BINS_FINE
        } else {
            Self::MAX_BINS
        }
    }

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
        let mut i = (bin >> self.shift).wrapping_sub(self.lo);
        if i < 0 || i >= self.counts.len() as i64 {
            self.fit(bin, bin, 0);
            i = (bin >> self.shift) - self.lo;
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
        self.fit(lo, hi, 0);
        self.total += n;
        let (base, shift) = (self.lo, self.shift);
        let mut rest = bins;
        if let Counts::Narrow(v) = &mut self.counts {
            loop {
                let Some(b) = rest.next() else { return };
                let i = ((b >> shift) - base) as usize;
                match v[i].checked_add(1) {
                    Some(n) => v[i] = n,
                    None => {
                        // A count passes 65,535: widen and finish the batch 32-bit.
                        self.counts.widen();
                        self.counts.add(i, 1);
                        break;
                    }
                }
            }
        }
        if let Counts::Wide(w) = &mut self.counts {
            for b in rest {
                w[((b >> shift) - base) as usize] += 1;
            }
        }
    }

    /// Makes the window hold bins `lo..=hi`, given at resolution `2^at_shift` (at most this
    /// histogram's), coarsening while the recorded bins and these span more than
    /// [`Histogram::max_bins`].
    #[cold]
    fn fit(&mut self, lo: i64, hi: i64, at_shift: u32) {
        let max = self.max_bins() as i128;
        loop {
            let d = self.shift - at_shift;
            let (lo, hi) = (i128::from(lo >> d), i128::from(hi >> d));
            let (w_lo, w_len) = (i128::from(self.lo), self.counts.len() as i128);
            if w_len == 0 {
                if hi - lo < max {
                    self.set_window(lo, hi - lo + 1, 0);
                    return;
                }
            } else if lo >= w_lo && hi < w_lo + w_len {
                return;
            } else {
                // Grow by an eighth again (at least 8 bins) on the side that grows, so a drifting
                // window costs amortised O(1) without wasting much memory.
                let slack = (w_len / 8).max(8);
                let new_lo = if lo < w_lo { lo - slack } else { w_lo };
                let new_hi = if hi >= w_lo + w_len {
                    hi + slack
                } else {
                    w_lo + w_len - 1
                };
                if new_hi - new_lo < max {
                    self.set_window(new_lo, new_hi - new_lo + 1, 0);
                    return;
                }
                // Too wide with the slack: fit exactly what is recorded and asked for.
                let (first, last) = self
                    .occupied_range()
                    .map_or((lo, hi), |(f, l)| (i128::from(f), i128::from(l)));
                let (need_lo, need_hi) = (first.min(lo), last.max(hi));
                if need_hi - need_lo < max {
                    let spare = (max - (need_hi - need_lo + 1)).min(slack);
                    let start = if lo < w_lo { need_lo - spare } else { need_lo };
                    self.set_window(start, need_hi - need_lo + 1 + spare, 0);
                    return;
                }
            }
            self.coarsen_one();
        }
    }

    /// Moves the window to `len` bins from `lo` (both at the resolution after coarsening by
    /// `coarsen`), keeping every count.
    fn set_window(&mut self, lo: i128, len: i128, coarsen: u32) {
        let (lo, len) = (lo as i64, len as usize);
        self.counts.refit(self.lo, lo, len, coarsen);
        self.lo = lo;
        self.shift += coarsen;
    }

    /// Halves the resolution: bins `2c` and `2c + 1` become bin `c`.
    fn coarsen_one(&mut self) {
        match self.occupied_range() {
            Some((first, last)) => {
                let (first, last) = (i128::from(first >> 1), i128::from(last >> 1));
                self.set_window(first, last - first + 1, 1)
            }
            None => self.shift += 1,
        }
    }

    /// The first and last non-empty stored bins (at this histogram's resolution).
    pub(super) fn occupied_range(&self) -> Option<(i64, i64)> {
        let n = self.counts.len();
        let first = (0..n).find(|&i| self.counts.get(i) > 0)?;
        let last = (first..n).rev().find(|&i| self.counts.get(i) > 0)?;
        Some((self.lo + first as i64, self.lo + last as i64))
    }

    /// The resolution, as a power of two: each stored bin covers `2^shift` recorded bins.
    pub(super) fn shift(&self) -> u32 {
        self.shift
    }

    /// A histogram with `counts[i]` values in stored bin `lo + i` at resolution `2^shift`;
    /// [`Histogram::fine`] when `fine`.
    pub(super) fn from_counts(lo: i64, counts: Vec<u32>, shift: u32, fine: bool) -> Histogram {
        let (total, max) = counts
            .iter()
            .fold((0u64, 0u32), |(t, m), &c| (t + u64::from(c), m.max(c)));
        let counts = if max <= u32::from(u16::MAX) {
            Counts::Narrow(counts.iter().map(|&c| c as u16).collect())
        } else {
            Counts::Wide(counts)
        };
        Histogram {
            lo,
            counts,
            total,
            shift,
            fine,
        }
    }

    /// The first non-empty stored bin and the counts from it to the last non-empty one; `None`
    /// when empty. With [`Histogram::shift`] they rebuild the histogram through
    /// [`Histogram::from_counts`].
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

    /// Adds every count of `other` (of the same kind: both fine or neither). Exact; the result
    /// does not depend on merge order.
    pub fn merge(&mut self, other: &Histogram) {
        let Some((first, last)) = other.occupied_range() else {
            return;
        };
        while self.shift < other.shift {
            self.coarsen_one();
        }
        // Make room for the occupied bins of `other`, then add them.
        self.fit(first, last, other.shift);
        let d = self.shift - other.shift;
        let from = |i: usize| (((other.lo + i as i64) >> d) - self.lo) as usize;
        let (first, last) = ((first - other.lo) as usize, (last - other.lo) as usize);
        if d == 0 {
            // Same resolution: add slice to slice, staying 16-bit unless a sum passes 65,535 (a
            // wide `other` holds such a bin itself).
            let at = from(first);
            let len = last - first + 1;
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
        } else {
            for i in first..=last {
                let c = other.counts.get(i);
                if c > 0 {
                    self.counts.add(from(i), c);
                }
            }
        }
        self.total += other.total;
    }

    /// `(bin, count)` for every non-empty bin, ascending.
    /// Past [`Histogram::max_bins`], a bin stands for the `2^shift` bins from it.
    pub fn iter(&self) -> impl Iterator<Item = (i64, u32)> + '_ {
        (0..self.counts.len())
            .map(|i| ((self.lo + i as i64) << self.shift, self.counts.get(i)))
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

    /// The least resolution at which bins `lo..=hi` fit the window cap.
    fn least_shift(lo: i64, hi: i64) -> u32 {
        (0..64)
            .find(|&k| i128::from(hi >> k) - i128::from(lo >> k) < Histogram::MAX_BINS as i128)
            .unwrap()
    }

    #[test]
    fn values_spread_past_the_cap_coarsen_to_the_least_resolution_that_fits() {
        // Spread over 3 × MAX_BINS: two halvings are needed, and every value stays counted.
        let width = 3 * Histogram::MAX_BINS as i64;
        let values: Vec<i64> = (0..2_000).map(|i| (i * 7_919) % width - 1_000).collect();
        let h = from(&values);
        let (lo, hi) = (*values.iter().min().unwrap(), *values.iter().max().unwrap());
        assert_eq!(h.shift(), least_shift(lo, hi));
        assert_eq!(h.shift(), 2);
        assert_eq!(h.total(), 2_000);
        assert!(
            h.heap_bytes() <= Histogram::MAX_BINS * 4,
            "{}",
            h.heap_bytes()
        );
        // Quantiles are the lower edges of 4-bin-wide bins: within 4 bins of the exact ones.
        for p in [0.0, 0.1, 0.5, 0.9, 1.0] {
            let got = h.quantiles(&[p]).unwrap()[0];
            let exact = sorted_type7(&values, p);
            assert!(
                got <= exact + 1e-9 && exact - got < 4.0,
                "p {p}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn bins_at_the_ends_of_the_range_take_bounded_memory() {
        // A forged or runaway pair of bins 2^62 apart: no 2^62-bin allocation, both counted.
        let mut a = from(&[-(1 << 62), 5]);
        let b = from(&[1 << 62]);
        a.merge(&b);
        assert_eq!(a.total(), 3);
        assert_eq!(a.shift(), least_shift(-(1 << 62), 1 << 62));
        assert!(a.heap_bytes() <= Histogram::MAX_BINS * 4);
        assert_eq!(a.order_statistic(0), Some(-(1 << 62)));
        assert_eq!(a.order_statistic(2), Some(1 << 62));
    }

    #[test]
    fn fine_histograms_keep_unit_bins_over_a_wider_spread() {
        let values: Vec<i64> = (0..1_000).map(|i| i * 1_000).collect();
        let mut fine = Histogram::fine();
        let mut daily = Histogram::default();
        for &v in &values {
            fine.add(v);
            daily.add(v);
        }
        assert_eq!((fine.shift(), daily.shift()), (0, 5));
        assert_eq!(fine.quantiles(&[0.5]), Some(vec![499_500.0]));
        assert!(fine.max_bins() > daily.max_bins());
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
        fn coarse_histograms_do_not_depend_on_order_or_split(
            values in prop::collection::vec(-(1i64 << 22)..(1i64 << 22), 1..300),
            cut in 0usize..300,
            batch in 1usize..40,
        ) {
            // Values spread over up to 256 × MAX_BINS: added one by one in order, in batches in
            // reverse order, and split in two and merged, the counts and resolution are the same.
            let one = from(&values);
            let mut reversed = Histogram::default();
            let rev: Vec<i64> = values.iter().rev().copied().collect();
            for chunk in rev.chunks(batch) {
                reversed.add_all(chunk.iter().copied());
            }
            let cut = cut.min(values.len());
            let mut merged = from(&values[cut..]);
            merged.merge(&from(&values[..cut]));
            let (lo, hi) = (*values.iter().min().unwrap(), *values.iter().max().unwrap());
            prop_assert_eq!(one.shift(), least_shift(lo, hi));
            for h in [&reversed, &merged] {
                prop_assert_eq!(h.shift(), one.shift());
                prop_assert!(h.iter().eq(one.iter()));
                prop_assert!(h.heap_bytes() <= Histogram::MAX_BINS * 4);
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
