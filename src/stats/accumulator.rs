//! `Accumulator`: everything a run keeps about its trials, in memory that does not grow with the
//! trial count.
//!
//! Every field is an integer count or an integer sum, so [`Accumulator::merge`] is exact,
//! associative and commutative: accumulators filled by any number of threads, in any order, or
//! by separate shards, merge into bit-identical results. Daily metrics are kept as one
//! [`Histogram`] and one integer sum per (metric, day); values are recorded in the metric's base
//! unit (GPUs, kW, PFLOPS) and binned at the metric's resolution. Its arrays are sized by
//! [`Metric::COUNT`] and [`Bottleneck::COUNT`] (`stats::schema`, which also says how to add a
//! metric).

use super::histogram::Histogram;
use super::schema::{Bottleneck, Metric};

/// What one trial produced, besides its daily series (recorded directly).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrialOutcome {
    /// First day with online GPUs >= target, if any within the horizon.
    pub full_capacity_day: Option<u32>,
    /// Online GPUs at the end of the deadline day.
    pub online_gpus_at_deadline: u64,
    /// Available GPUs at the end of the deadline day.
    pub available_gpus_at_deadline: u64,
    /// GPUs delivered by the end of the deadline day.
    pub delivered_gpus_at_deadline: u64,
    /// Missing GPUs summed over the days up to and including the deadline, by cause, in
    /// `Bottleneck::ALL` order (GPU-days).
    pub shortfall_gpu_days: [u64; Bottleneck::COUNT],
    /// Racks delivered but not online, summed over the days up to and including the deadline,
    /// by cause in `Bottleneck::ALL` order (rack-days; supply is 0).
    pub waiting_rack_days: [u64; Bottleneck::COUNT],
    /// Their value summed the same way (USD-days: rack-days × price).
    pub waiting_usd_days: [u128; Bottleneck::COUNT],
    /// Racks online at each site at the end of the deadline day.
    pub site_online_racks_at_deadline: Vec<u64>,
    /// Day each phase is energized (sites in order, phases in order); may lie outside the horizon.
    pub phase_energized_day: Vec<i64>,
    /// Per-trial inputs, for `trials.csv` (stream slips, install rates, phase delays).
    pub inputs: Vec<f64>,
    /// The value of each of the model's probes ([`crate::model::Model::probes`]) at the end of
    /// its day, in probe order; empty when the model has none.
    pub probes: Vec<f64>,
}

/// The shape of what is accumulated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Simulated days.
    pub days: usize,
    /// Day index of the deadline.
    pub deadline_day: usize,
    /// Bin width of each metric, in its base unit, in `Metric::ALL` order.
    pub bin_width: [i64; Metric::COUNT],
    /// Number of sites.
    pub sites: usize,
    /// Number of phases over all sites.
    pub phases: usize,
    /// Target GPUs.
    pub target_gpus: u64,
}

/// Cells per tile of a [`DailyBuffer`]: one 64-byte cache line of `i32` bins.
const TILE: usize = 16;

/// The daily values of a few trials, binned, waiting to be absorbed into an [`Accumulator`].
///
/// Layout: each metric's days are grouped in tiles of 16 consecutive days; a tile holds the 16
/// bins of every buffered trial, trial after trial. Recording a day writes one bin per metric at
/// one offset per day; absorbing reads each tile's 16 columns, one histogram at a time. The rare
/// bin outside `i32` (only plans near the input limits reach one) is kept aside, exactly.
#[derive(Debug, Clone)]
pub struct DailyBuffer {
    days: usize,
    capacity: usize,
    len: usize,
    /// Distance between tiles, in bins; padded by one line so tiles do not alias in the caches.
    tile_stride: usize,
    /// Distance between the first tiles of consecutive metrics, in bins.
    metric_stride: usize,
    /// `bins[(m * tiles_per_metric + day / TILE) * tile_stride + t * TILE + day % TILE]` for
    /// metric m on `day` of buffered trial t: each metric's days start a fresh tile, so one
    /// offset per day serves every metric.
    bins: Vec<i32>,
    /// Exact sums per cell of the buffered trials. They cannot wrap: the scenario limits keep
    /// every daily value below 10¹⁶ (`docs/limits.md`), and at most
    /// [`DailyBuffer::MAX_TRIALS`] trials are buffered.
    sums: Vec<i64>,
    /// Each metric's bin division.
    divisors: [Divisor; Metric::COUNT],
    /// Bins outside `i32`, in recording order; their slots in `bins` hold a wrapped value that
    /// absorbing replaces.
    spilled: Vec<Spilled>,
}

/// A bin of a [`DailyBuffer`] too large for its `i32` slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Spilled {
    metric: usize,
    day: usize,
    trial: usize,
    bin: i64,
}

/// Exact ⌊v / w⌋ for a fixed positive width w, without a hardware division: one multiply-high
/// by ⌈2⁶⁴ / w⌉, exact for every 0 ≤ v < 2³² (Lemire, Kaser and Kurz, "Faster remainder by
/// direct computation", 2019); other values take the division.
#[derive(Debug, Clone, Copy)]
struct Divisor {
    width: i64,
    /// ⌈2⁶⁴ / width⌉; 0 for width 1 (the quotient is then the value).
    magic: u64,
}

impl Divisor {
    fn new(width: i64) -> Divisor {
        assert!(width > 0, "bin widths are positive");
        let magic = if width == 1 {
            0
        } else {
            u64::MAX / width as u64 + 1
        };
        Divisor { width, magic }
    }

    #[inline]
    fn floor_div(self, v: i64) -> i64 {
        if self.magic == 0 {
            v
        } else if (0..1 << 32).contains(&v) {
            ((u128::from(v as u64) * u128::from(self.magic)) >> 64) as i64
        } else {
            v.div_euclid(self.width)
        }
    }
}

impl DailyBuffer {
    /// Most trials a buffer holds before it must be absorbed.
    pub const MAX_TRIALS: usize = 256;

    /// A buffer for `capacity` trials of `layout` (1 to [`DailyBuffer::MAX_TRIALS`]).
    pub fn new(layout: &Layout, capacity: usize) -> DailyBuffer {
        let capacity = capacity.clamp(1, Self::MAX_TRIALS);
        let tile_stride = (capacity + 1) * TILE;
        let metric_stride = layout.days.div_ceil(TILE) * tile_stride;
        DailyBuffer {
            days: layout.days,
            capacity,
            len: 0,
            tile_stride,
            metric_stride,
            bins: vec![0; Metric::COUNT * metric_stride],
            sums: vec![0; layout.days * Metric::COUNT],
            divisors: layout.bin_width.map(Divisor::new),
            spilled: Vec::new(),
        }
    }

    /// Records the end-of-day values of the current trial, in base units, in `Metric::ALL`
    /// order.
    #[inline]
    pub fn record_day(&mut self, day: usize, values: &[i64; Metric::COUNT]) {
        let at = (day / TILE) * self.tile_stride + self.len * TILE + day % TILE;
        // Bits of every bin (complemented when negative): any at or above bit 31 means a bin
        // did not fit its `i32` slot. One test a day keeps the loop branch-free.
        let mut high = 0i64;
        for (m, (&v, divisor)) in values.iter().zip(&self.divisors).enumerate() {
            let bin = divisor.floor_div(v);
            high |= bin ^ (bin >> 63);
            self.bins[at + m * self.metric_stride] = bin as i32;
            self.sums[m * self.days + day] += v;
        }
        if high > i64::from(i32::MAX) {
            self.spill_day(day, values);
        }
    }

    /// Keeps aside the bins of `day` of the current trial that do not fit `i32`.
    #[cold]
    fn spill_day(&mut self, day: usize, values: &[i64; Metric::COUNT]) {
        for (m, (&v, divisor)) in values.iter().zip(&self.divisors).enumerate() {
            let bin = divisor.floor_div(v);
            if i32::try_from(bin).is_err() {
                self.spilled.push(Spilled {
                    metric: m,
                    day,
                    trial: self.len,
                    bin,
                });
            }
        }
    }

    /// Closes the current trial; returns true when the buffer is full and must be absorbed.
    pub fn end_trial(&mut self) -> bool {
        self.len += 1;
        self.len == self.capacity
    }

    /// Trials buffered.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no trial is buffered.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One histogram and one exact sum per (metric, day).
#[derive(Debug, Clone, Default)]
pub struct DailyCell {
    /// Binned values.
    pub histogram: Histogram,
    /// Exact sum of the (unbinned) values, in base units (128-bit: no trial count or value
    /// the scenario bounds allow can overflow it).
    pub sum: i128,
}

/// Streaming, mergeable statistics of a set of trials.
#[derive(Debug, Clone)]
pub struct Accumulator {
    pub(super) layout: Layout,
    pub(super) trials: u64,
    pub(super) daily: Vec<DailyCell>,
    /// Exact sums of each site's online GPUs: `[site * days + day]`.
    pub(super) site_online_gpus: Vec<u128>,
    pub(super) full_capacity_day: Histogram,
    pub(super) met_by_deadline: u64,
    pub(super) available_at_deadline: Histogram,
    pub(super) available_at_deadline_sum: u128,
    pub(super) shortfall_gpu_days: [u128; Bottleneck::COUNT],
    pub(super) waiting_rack_days: [u128; Bottleneck::COUNT],
    pub(super) waiting_usd_days: [u128; Bottleneck::COUNT],
    pub(super) site_online_racks: Vec<Histogram>,
    pub(super) phase_energized_day: Vec<Histogram>,
}

impl Accumulator {
    /// An empty accumulator. Allocates only the per-day headers; histograms grow as trials come.
    pub fn new(layout: Layout) -> Accumulator {
        Accumulator {
            daily: vec![DailyCell::default(); layout.days * Metric::COUNT],
            site_online_gpus: vec![0; layout.sites * layout.days],
            full_capacity_day: Histogram::default(),
            met_by_deadline: 0,
            available_at_deadline: Histogram::fine(),
            available_at_deadline_sum: 0,
            shortfall_gpu_days: [0; Bottleneck::COUNT],
            waiting_rack_days: [0; Bottleneck::COUNT],
            waiting_usd_days: [0; Bottleneck::COUNT],
            site_online_racks: vec![Histogram::default(); layout.sites],
            phase_energized_day: vec![Histogram::default(); layout.phases],
            trials: 0,
            layout,
        }
    }

    /// Adds the daily values buffered in `buf` and empties it. It walks the buffer tile by tile
    /// (16 cells), so each histogram is loaded once per buffer rather than once per trial: the
    /// histograms together are far larger than the CPU caches.
    pub fn absorb(&mut self, buf: &mut DailyBuffer) {
        let days = self.layout.days;
        // Spilled bins by cell, then trial, to be met in the cells' order below.
        buf.spilled.sort_unstable();
        let mut spilled = buf.spilled.iter().peekable();
        // An empty buffer has no rows to read (it may still have sums to clear).
        if buf.len > 0 {
            for (m, metric_cells) in self.daily.chunks_mut(days.max(1)).enumerate() {
                for (k, cells) in metric_cells.chunks_mut(TILE).enumerate() {
                    let first = m * buf.metric_stride + k * buf.tile_stride;
                    let rows = &buf.bins[first..][..buf.len * TILE];
                    for (lane, target) in cells.iter_mut().enumerate() {
                        let column = rows[lane..].iter().step_by(TILE);
                        let day = k * TILE + lane;
                        if spilled.peek().is_none_or(|s| (s.metric, s.day) != (m, day)) {
                            target.histogram.add_all(column.map(|&b| i64::from(b)));
                            continue;
                        }
                        // This cell holds spilled bins: put them back in their trials' places.
                        let mut bins: Vec<i64> = column.map(|&b| i64::from(b)).collect();
                        while let Some(s) = spilled.next_if(|s| (s.metric, s.day) == (m, day)) {
                            bins[s.trial] = s.bin;
                        }
                        target.histogram.add_all(bins.into_iter());
                    }
                }
            }
        }
        buf.spilled.clear();
        for (target, sum) in self.daily.iter_mut().zip(&buf.sums) {
            target.sum += i128::from(*sum);
        }
        buf.len = 0;
        buf.sums.fill(0);
    }

    /// Records the online GPUs of every site at the end of `day` (sites in scenario order).
    #[inline]
    pub fn record_site_online(&mut self, day: usize, online_gpus: impl Iterator<Item = u64>) {
        let days = self.layout.days;
        for (site, gpus) in online_gpus.enumerate() {
            self.site_online_gpus[site * days + day] += u128::from(gpus);
        }
    }

    /// Records a finished trial.
    pub fn push(&mut self, o: &TrialOutcome) {
        self.trials += 1;
        if let Some(d) = o.full_capacity_day {
            self.full_capacity_day.add(i64::from(d));
            if d as usize <= self.layout.deadline_day {
                self.met_by_deadline += 1;
            }
        }
        self.available_at_deadline
            .add(o.available_gpus_at_deadline as i64);
        self.available_at_deadline_sum += u128::from(o.available_gpus_at_deadline);
        for (total, &d) in self
            .shortfall_gpu_days
            .iter_mut()
            .zip(&o.shortfall_gpu_days)
        {
            *total += u128::from(d);
        }
        for (total, &d) in self.waiting_rack_days.iter_mut().zip(&o.waiting_rack_days) {
            *total += u128::from(d);
        }
        for (total, &d) in self.waiting_usd_days.iter_mut().zip(&o.waiting_usd_days) {
            *total += d;
        }
        for (h, &r) in self
            .site_online_racks
            .iter_mut()
            .zip(&o.site_online_racks_at_deadline)
        {
            h.add(r as i64);
        }
        for (h, &d) in self
            .phase_energized_day
            .iter_mut()
            .zip(&o.phase_energized_day)
        {
            h.add(d);
        }
    }

    /// Adds `other` (same layout) into `self`. Exact and order-independent.
    pub fn merge(&mut self, other: &Accumulator) {
        debug_assert_eq!(self.layout, other.layout);
        self.trials += other.trials;
        for (a, b) in self.daily.iter_mut().zip(&other.daily) {
            a.histogram.merge(&b.histogram);
            a.sum += b.sum;
        }
        for (a, b) in self
            .site_online_gpus
            .iter_mut()
            .zip(&other.site_online_gpus)
        {
            *a += b;
        }
        self.full_capacity_day.merge(&other.full_capacity_day);
        self.met_by_deadline += other.met_by_deadline;
        self.available_at_deadline
            .merge(&other.available_at_deadline);
        self.available_at_deadline_sum += other.available_at_deadline_sum;
        for (x, y) in self
            .shortfall_gpu_days
            .iter_mut()
            .zip(&other.shortfall_gpu_days)
        {
            *x += y;
        }
        for (x, y) in self
            .waiting_rack_days
            .iter_mut()
            .chain(&mut self.waiting_usd_days)
            .zip(
                other
                    .waiting_rack_days
                    .iter()
                    .chain(&other.waiting_usd_days),
            )
        {
            *x += y;
        }
        for (a, b) in self
            .site_online_racks
            .iter_mut()
            .zip(&other.site_online_racks)
        {
            a.merge(b);
        }
        for (a, b) in self
            .phase_energized_day
            .iter_mut()
            .zip(&other.phase_energized_day)
        {
            a.merge(b);
        }
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Trials recorded.
    pub fn trials(&self) -> u64 {
        self.trials
    }

    /// The cell of `metric` on `day`.
    pub fn daily(&self, metric: Metric, day: usize) -> &DailyCell {
        &self.daily[metric as usize * self.layout.days + day]
    }

    /// Exact sum over trials of site `site`'s online GPUs at the end of `day`.
    pub fn site_online_gpus_sum(&self, site: usize, day: usize) -> u128 {
        self.site_online_gpus[site * self.layout.days + day]
    }

    /// Full-capacity days of the trials that reached the target.
    pub fn full_capacity_day(&self) -> &Histogram {
        &self.full_capacity_day
    }

    /// Trials whose full capacity came on or before the deadline.
    pub fn met_by_deadline(&self) -> u64 {
        self.met_by_deadline
    }

    /// Available GPUs at the deadline, one bin per GPU.
    pub fn available_at_deadline(&self) -> &Histogram {
        &self.available_at_deadline
    }

    /// Exact sum of available GPUs at the deadline.
    pub fn available_at_deadline_sum(&self) -> u128 {
        self.available_at_deadline_sum
    }

    /// Missing GPU-days up to the deadline by cause, summed over all trials.
    pub fn shortfall_gpu_days(&self) -> [u128; Bottleneck::COUNT] {
        self.shortfall_gpu_days
    }

    /// Rack-days delivered but not online up to the deadline by cause, summed over all trials.
    pub fn waiting_rack_days(&self) -> [u128; Bottleneck::COUNT] {
        self.waiting_rack_days
    }

    /// The value of those rack-days (USD-days) by cause, summed over all trials.
    pub fn waiting_usd_days(&self) -> [u128; Bottleneck::COUNT] {
        self.waiting_usd_days
    }

    /// Racks online at the deadline at site `i`.
    pub fn site_online_racks(&self, i: usize) -> &Histogram {
        &self.site_online_racks[i]
    }

    /// Energization day of phase `i` (sites and phases flattened in order).
    pub fn phase_energized_day(&self, i: usize) -> &Histogram {
        &self.phase_energized_day[i]
    }

    /// Heap bytes held (for the bench command's memory report).
    pub fn heap_bytes(&self) -> usize {
        self.daily
            .iter()
            .map(|c| c.histogram.heap_bytes())
            .sum::<usize>()
            + self.daily.len() * std::mem::size_of::<DailyCell>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            days: 3,
            deadline_day: 1,
            bin_width: Metric::ALL.map(|m| match m {
                Metric::EnergizedMw | Metric::ItMwInUse | Metric::StrandedMw => 1000,
                _ => 1,
            }),
            sites: 1,
            phases: 1,
            target_gpus: 10,
        }
    }

    /// One GPU-day short for supply, two in bring-up.
    fn shortfall_of_one_trial() -> [u64; Bottleneck::COUNT] {
        let mut gpu_days = [0; Bottleneck::COUNT];
        gpu_days[Bottleneck::Supply as usize] = 1;
        gpu_days[Bottleneck::BringUp as usize] = 2;
        gpu_days
    }

    fn trial(acc: &mut Accumulator, full: Option<u32>, level: i64) {
        let mut buf = DailyBuffer::new(acc.layout(), 1);
        for d in 0..3 {
            buf.record_day(d, &[level * d as i64; Metric::COUNT]);
        }
        buf.end_trial();
        acc.absorb(&mut buf);
        acc.push(&TrialOutcome {
            full_capacity_day: full,
            available_gpus_at_deadline: level as u64,
            shortfall_gpu_days: shortfall_of_one_trial(),
            site_online_racks_at_deadline: vec![1],
            phase_energized_day: vec![0],
            ..TrialOutcome::default()
        });
    }

    #[test]
    fn bins_past_the_i32_range_are_counted_exactly() {
        // Three trials, two days: some bins far outside i32, on the same cell and on others,
        // give the same histograms as adding every bin directly.
        let lay = layout();
        let mut buf = DailyBuffer::new(&lay, 4);
        let mut acc = Accumulator::new(lay.clone());
        let big = i64::from(i32::MAX) + 1;
        let trials = [[5, big * 1000], [-(1 << 40), 7], [big, -big * 1000]];
        for values in trials {
            for (day, &v) in values.iter().enumerate() {
                let mut row = [0i64; Metric::COUNT];
                row[Metric::OnlineGpus as usize] = v; // 1-GPU bins
                row[Metric::EnergizedMw as usize] = v; // 1000-kW bins
                buf.record_day(day, &row);
            }
            buf.end_trial();
        }
        acc.absorb(&mut buf);
        for day in 0..2 {
            let column: Vec<i64> = trials.iter().map(|t| t[day]).collect();
            for (metric, width) in [(Metric::OnlineGpus, 1), (Metric::EnergizedMw, 1000)] {
                let mut direct = Histogram::default();
                for v in &column {
                    direct.add(v.div_euclid(width));
                }
                let got = &acc.daily(metric, day).histogram;
                assert!(got.iter().eq(direct.iter()), "{metric:?} day {day}");
                let sum: i64 = column.iter().sum();
                assert_eq!(acc.daily(metric, day).sum, i128::from(sum));
            }
        }
        assert!(buf.spilled.is_empty());
    }

    #[test]
    fn buffered_bins_are_exact_floors() {
        // The multiply-high covers 0 <= v < 2^32; other values take the division. Check both
        // sides of that edge, multiples of each width and their neighbours, and the extremes.
        let mut values = vec![0i64, 1, 71, 72, 143, 144, 299_999, 300_024, 1_000_000_007];
        values.extend([u32::MAX as i64 - 1, u32::MAX as i64, 1 << 32, (1 << 32) + 1]);
        values.extend([i64::MAX, -1, -72, -73, i64::MIN]);
        for w in [
            1i64,
            2,
            3,
            7,
            72,
            100,
            144,
            1000,
            4_608,
            65_537,
            1 << 31,
            u32::MAX as i64,
        ] {
            let divisor = Divisor::new(w);
            let multiples = (0..2000).flat_map(|k| [k * w - 1, k * w, k * w + 1]);
            for v in values.iter().copied().chain(multiples) {
                assert_eq!(divisor.floor_div(v), v.div_euclid(w), "{v} / {w}");
            }
        }
        // And every value below 2^20 for a width that is not a power of two.
        let divisor = Divisor::new(72);
        for v in 0..1 << 20 {
            assert_eq!(divisor.floor_div(v), v / 72, "{v} / 72");
        }
    }

    #[test]
    fn merging_split_trials_equals_one_pass() {
        let mut whole = Accumulator::new(layout());
        let mut a = Accumulator::new(layout());
        let mut b = Accumulator::new(layout());
        for (i, full) in [Some(1), None, Some(2), Some(0)].into_iter().enumerate() {
            trial(&mut whole, full, i as i64 * 7);
            trial(if i % 2 == 0 { &mut a } else { &mut b }, full, i as i64 * 7);
        }
        b.merge(&a);
        assert_eq!(b.trials(), 4);
        assert_eq!(b.met_by_deadline(), whole.met_by_deadline());
        assert_eq!(b.met_by_deadline(), 2);
        for m in Metric::ALL {
            for d in 0..3 {
                assert_eq!(b.daily(m, d).sum, whole.daily(m, d).sum);
                let q = [0.1, 0.5, 0.9];
                assert_eq!(
                    b.daily(m, d).histogram.quantiles(&q),
                    whole.daily(m, d).histogram.quantiles(&q)
                );
            }
        }
        assert_eq!(
            b.shortfall_gpu_days(),
            shortfall_of_one_trial().map(|d| u128::from(d) * 4)
        );
    }
}
