//! A compact, exact binary encoding of an [`Accumulator`], the body of a shard's partial result.
//!
//! Every integer is an unsigned LEB128 varint (signed ones zigzag-mapped first), so small counts
//! take one byte. A histogram is its number of bins from the first to the last non-empty one
//! (0 when empty), then that first bin, its resolution (log2 of the recorded bins per stored
//! bin: 0 unless the values spread over more than [`Histogram::MAX_BINS`]), then each count.
//! Exact sums are 128-bit varints. The layout comes first, so a decoder can size everything
//! before reading it. Decoding checks every length against the bytes left and every
//! histogram's total against the trial count: a truncated or corrupted body is an error, never a
//! panic or a huge allocation. A decoded histogram spans at most the bins a run's histogram of
//! its kind may hold ([`Histogram::max_bins`]), so what a partial claims cannot take more memory
//! than the run that wrote it could; merged histograms coarsen rather than grow past it, and
//! [`Accumulator::check_merge`] refuses merges whose counts or sums would not fit. The byte
//! layout is specified in `docs/sharding.md`; changing it needs a new partial format version.

use super::accumulator::{Accumulator, DailyCell, Layout};
use super::histogram::{CountSlice, Histogram};
use super::paired::TrialRecord;
use super::schema::{Bottleneck, Metric};

/// Why an encoded accumulator could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes ended inside a value.
    #[error("the data ends early (truncated file?)")]
    Truncated,
    /// A value is out of range or inconsistent with the rest.
    #[error("inconsistent data: {0}")]
    Invalid(&'static str),
}

/// Most bytes one LEB128 varint of 64 bits takes.
const MAX_VARINT_BYTES: u64 = 10;

/// Most bytes one LEB128 varint of 128 bits (a sum) takes.
const MAX_WIDE_VARINT_BYTES: u64 = 19;

/// Most bytes one bin count takes (counts fit 32 bits).
const MAX_COUNT_BYTES: u64 = 5;

impl Layout {
    /// The most bytes an encoded accumulator of this layout can take and still decode: its
    /// fixed fields, every sum, every histogram's header and the counts of as many bins as each
    /// histogram may hold ([`Histogram::max_bins`]). A reader stops inflating a partial's body
    /// past this, whatever its header claims.
    pub fn max_encoded_bytes(&self) -> u64 {
        let (days, sites, phases) = (self.days as u64, self.sites as u64, self.phases as u64);
        let cells = days.saturating_mul(Metric::COUNT as u64);
        // Every histogram but the fine one (GPUs at the deadline): daily cells, full-capacity
        // days, each site's racks and each phase's energization day.
        let coarse = cells
            .saturating_add(1)
            .saturating_add(sites)
            .saturating_add(phases);
        // Layout (days, deadline, widths, sites, phases, target), trials, met by deadline.
        let fixed = (6 + Metric::COUNT + 2) as u64;
        let sums = cells
            .saturating_add(sites.saturating_mul(days))
            .saturating_add(1 + 3 * Bottleneck::COUNT as u64);
        // Length, first bin and resolution of each histogram.
        let headers = coarse.saturating_add(1).saturating_mul(3);
        let bins = coarse
            .saturating_mul(Histogram::MAX_BINS as u64)
            .saturating_add(Histogram::MAX_BINS_FINE as u64);
        fixed
            .saturating_add(headers)
            .saturating_mul(MAX_VARINT_BYTES)
            .saturating_add(sums.saturating_mul(MAX_WIDE_VARINT_BYTES))
            .saturating_add(bins.saturating_mul(MAX_COUNT_BYTES))
    }
}

impl Accumulator {
    /// Appends the exact encoding of `self` to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let lay = &self.layout;
        put(out, lay.days as u64);
        put(out, lay.deadline_day as u64);
        for w in lay.bin_width {
            put_signed(out, w);
        }
        put(out, lay.sites as u64);
        put(out, lay.phases as u64);
        put(out, lay.target_gpus);
        put(out, self.trials);
        for cell in &self.daily {
            put_histogram(out, &cell.histogram);
            put_signed_wide(out, cell.sum);
        }
        for &n in &self.site_online_gpus {
            put_wide(out, n);
        }
        put_histogram(out, &self.full_capacity_day);
        put(out, self.met_by_deadline);
        put_histogram(out, &self.available_at_deadline);
        put_wide(out, self.available_at_deadline_sum);
        for &n in self
            .shortfall_gpu_days
            .iter()
            .chain(&self.waiting_rack_days)
            .chain(&self.waiting_usd_days)
        {
            put_wide(out, n);
        }
        for h in self
            .site_online_racks
            .iter()
            .chain(&self.phase_energized_day)
        {
            put_histogram(out, h);
        }
    }

    /// Reads back an accumulator written by [`Accumulator::encode`]; `bytes` must hold exactly
    /// one.
    pub fn decode(bytes: &[u8]) -> Result<Accumulator, DecodeError> {
        let mut r = Reader::new(bytes);
        let days = r.count()?;
        let deadline_day = r.count()?;
        let mut bin_width = [0i64; Metric::COUNT];
        for w in &mut bin_width {
            *w = r.signed()?;
            if *w <= 0 {
                return Err(DecodeError::Invalid("a bin width is not positive"));
            }
        }
        let sites = r.count()?;
        let phases = r.count()?;
        let target_gpus = r.u64()?;
        if days == 0 || deadline_day >= days {
            return Err(DecodeError::Invalid(
                "the deadline lies outside the simulated days",
            ));
        }
        // Each daily cell and per-site sum takes at least one byte: bounds the allocations.
        let cells = days
            .checked_mul(Metric::COUNT)
            .filter(|&c| c <= r.left())
            .ok_or(DecodeError::Truncated)?;
        if sites.saturating_mul(days) > r.left() || phases > r.left() {
            return Err(DecodeError::Truncated);
        }
        let layout = Layout {
            days,
            deadline_day,
            bin_width,
            sites,
            phases,
            target_gpus,
        };
        let trials = r.u64()?;
        if trials > u64::from(u32::MAX) {
            return Err(DecodeError::Invalid(
                "more trials than a histogram can count",
            ));
        }
        let mut daily = Vec::with_capacity(cells);
        for _ in 0..cells {
            let histogram = r.histogram(false)?;
            if histogram.total() != trials {
                return Err(DecodeError::Invalid(
                    "a daily histogram does not count every trial",
                ));
            }
            let sum = r.signed_wide()?;
            daily.push(DailyCell { histogram, sum });
        }
        let site_online_gpus = (0..sites * days)
            .map(|_| r.wide())
            .collect::<Result<_, _>>()?;
        let full_capacity_day = r.histogram(false)?;
        let met_by_deadline = r.u64()?;
        if full_capacity_day.total() > trials || met_by_deadline > full_capacity_day.total() {
            return Err(DecodeError::Invalid(
                "more trials reached the target than were run",
            ));
        }
        if full_capacity_day
            .occupied_range()
            .is_some_and(|(lo, hi)| lo < 0 || hi >= days as i64)
        {
            return Err(DecodeError::Invalid(
                "a full-capacity day lies outside the simulated days",
            ));
        }
        let available_at_deadline = r.histogram(true)?;
        let available_at_deadline_sum = r.wide()?;
        let mut shortfall_gpu_days = [0u128; Bottleneck::COUNT];
        let mut waiting_rack_days = [0u128; Bottleneck::COUNT];
        let mut waiting_usd_days = [0u128; Bottleneck::COUNT];
        for n in shortfall_gpu_days
            .iter_mut()
            .chain(&mut waiting_rack_days)
            .chain(&mut waiting_usd_days)
        {
            *n = r.wide()?;
        }
        let mut per_trial = || -> Result<Histogram, DecodeError> {
            let h = r.histogram(false)?;
            if h.total() != trials {
                return Err(DecodeError::Invalid(
                    "a per-trial histogram does not count every trial",
                ));
            }
            Ok(h)
        };
        if available_at_deadline.total() != trials {
            return Err(DecodeError::Invalid(
                "a per-trial histogram does not count every trial",
            ));
        }
        let site_online_racks = (0..sites).map(|_| per_trial()).collect::<Result<_, _>>()?;
        let phase_energized_day = (0..phases).map(|_| per_trial()).collect::<Result<_, _>>()?;
        if r.left() != 0 {
            return Err(DecodeError::Invalid(
                "bytes left over after the accumulator",
            ));
        }
        Ok(Accumulator {
            layout,
            trials,
            daily,
            site_online_gpus,
            full_capacity_day,
            met_by_deadline,
            available_at_deadline,
            available_at_deadline_sum,
            shortfall_gpu_days,
            waiting_rack_days,
            waiting_usd_days,
            site_online_racks,
            phase_energized_day,
        })
    }
}

impl Accumulator {
    /// Checks that `other` can be merged into `self` with nothing wrapping: the same layout, at
    /// most `u32::MAX` trials together (so no bin count can wrap) and every sum within its
    /// integer type. (Merged histograms cannot sprawl: they coarsen past their bin cap.) Says
    /// what would go wrong.
    pub fn check_merge(&self, other: &Accumulator) -> Result<(), &'static str> {
        if self.layout != other.layout {
            return Err("its accumulator layout differs");
        }
        if self
            .trials
            .checked_add(other.trials)
            .is_none_or(|t| t > u64::from(u32::MAX))
        {
            return Err(
                "together they hold more trials than a histogram can count (4,294,967,295)",
            );
        }
        let fits = |a: u128, b: u128| a.checked_add(b).is_some();
        let sums_fit = self
            .daily
            .iter()
            .zip(&other.daily)
            .all(|(a, b)| a.sum.checked_add(b.sum).is_some())
            && self
                .site_online_gpus
                .iter()
                .zip(&other.site_online_gpus)
                .all(|(&a, &b)| fits(a, b))
            && self
                .shortfall_gpu_days
                .iter()
                .chain(&self.waiting_rack_days)
                .chain(&self.waiting_usd_days)
                .zip(
                    other
                        .shortfall_gpu_days
                        .iter()
                        .chain(&other.waiting_rack_days)
                        .chain(&other.waiting_usd_days),
                )
                .all(|(&a, &b)| fits(a, b))
            && self
                .met_by_deadline
                .checked_add(other.met_by_deadline)
                .is_some()
            && fits(
                self.available_at_deadline_sum,
                other.available_at_deadline_sum,
            );
        if !sums_fit {
            return Err("a sum would overflow");
        }
        Ok(())
    }
}

/// Appends `records` (what `compare` keeps of each trial): per trial, the available GPUs at the
/// deadline, then the full-capacity day plus one (0 for never).
pub fn encode_records(records: &[TrialRecord], out: &mut Vec<u8>) {
    for r in records {
        put(out, r.available_gpus_at_deadline);
        put(out, r.reached().map_or(0, |d| u64::from(d) + 1));
    }
}

/// Reads back `count` records written by [`encode_records`]; `deadline_day` decides which met
/// the target by the deadline. `bytes` must hold exactly those records.
pub fn decode_records(
    bytes: &[u8],
    count: u64,
    deadline_day: usize,
) -> Result<Vec<TrialRecord>, DecodeError> {
    let mut r = Reader::new(bytes);
    // Two bytes at least per record: bounds the allocation.
    if count > (bytes.len() / 2) as u64 {
        return Err(DecodeError::Truncated);
    }
    let mut records = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let available = r.u64()?;
        let day = match r.u64()? {
            0 => None,
            d => Some(
                u32::try_from(d - 1)
                    .ok()
                    .filter(|&d| d != TrialRecord::NEVER)
                    .ok_or(DecodeError::Invalid("a full-capacity day is out of range"))?,
            ),
        };
        records.push(TrialRecord::new(day, available, deadline_day));
    }
    if r.left() != 0 {
        return Err(DecodeError::Invalid(
            "bytes left over after the trial records",
        ));
    }
    Ok(records)
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// A 128-bit sum, as an unsigned LEB128 varint (at most 19 bytes).
fn put_wide(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed_wide(out: &mut Vec<u8>, v: i128) {
    put_wide(out, ((v << 1) ^ (v >> 127)) as u128);
}

fn put_histogram(out: &mut Vec<u8>, h: &Histogram) {
    fn put_counts<T: Copy + Into<u64>>(out: &mut Vec<u8>, h: &Histogram, first: i64, counts: &[T]) {
        put(out, counts.len() as u64);
        put_signed(out, first);
        put(out, u64::from(h.shift()));
        for &c in counts {
            put(out, c.into());
        }
    }
    match h.occupied() {
        None => put(out, 0),
        Some((first, CountSlice::Narrow(counts))) => put_counts(out, h, first, counts),
        Some((first, CountSlice::Wide(counts))) => put_counts(out, h, first, counts),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let &b = self.bytes.get(self.at).ok_or(DecodeError::Truncated)?;
            self.at += 1;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(DecodeError::Invalid("a number does not fit 64 bits"));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError::Invalid("a number does not fit 64 bits"))
    }

    /// A 128-bit varint written by [`put_wide`].
    fn wide(&mut self) -> Result<u128, DecodeError> {
        let mut v = 0u128;
        for shift in (0..128).step_by(7) {
            let &b = self.bytes.get(self.at).ok_or(DecodeError::Truncated)?;
            self.at += 1;
            let bits = u128::from(b & 0x7f);
            if shift == 126 && bits > 3 {
                return Err(DecodeError::Invalid("a sum does not fit 128 bits"));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError::Invalid("a sum does not fit 128 bits"))
    }

    fn signed_wide(&mut self) -> Result<i128, DecodeError> {
        let z = self.wide()?;
        Ok((z >> 1) as i128 ^ -((z & 1) as i128))
    }

    fn signed(&mut self) -> Result<i64, DecodeError> {
        let z = self.u64()?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }

    /// A length or index that must fit in memory.
    fn count(&mut self) -> Result<usize, DecodeError> {
        usize::try_from(self.u64()?).map_err(|_| DecodeError::Invalid("a length is too large"))
    }

    /// A histogram; `fine` as [`Histogram::fine`].
    fn histogram(&mut self, fine: bool) -> Result<Histogram, DecodeError> {
        let empty = if fine {
            Histogram::fine()
        } else {
            Histogram::default()
        };
        let len = self.count()?;
        if len == 0 {
            return Ok(empty);
        }
        if len > empty.max_bins() {
            return Err(DecodeError::Invalid(
                "a histogram spans more bins than any run keeps",
            ));
        }
        if len > self.left() {
            return Err(DecodeError::Truncated);
        }
        let first = self.signed()?;
        let shift =
            u32::try_from(self.u64()?)
                .ok()
                .filter(|&s| s < 63)
                .ok_or(DecodeError::Invalid(
                    "a histogram's resolution is out of range",
                ))?;
        let last = first
            .checked_add(len as i64 - 1)
            .filter(|&l| (first << shift) >> shift == first && (l << shift) >> shift == l);
        if last.is_none() {
            return Err(DecodeError::Invalid("a histogram's bins overflow"));
        }
        let mut counts = Vec::with_capacity(len);
        for _ in 0..len {
            // Most counts are one byte: read those without the general varint loop.
            let c = match self.bytes.get(self.at) {
                Some(&b) if b < 0x80 => {
                    self.at += 1;
                    u32::from(b)
                }
                _ => u32::try_from(self.u64()?)
                    .map_err(|_| DecodeError::Invalid("a bin count does not fit 32 bits"))?,
            };
            counts.push(c);
        }
        if counts[0] == 0 || counts[len - 1] == 0 {
            return Err(DecodeError::Invalid("a histogram has empty end bins"));
        }
        Ok(Histogram::from_counts(first, counts, shift, fine))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{DailyBuffer, TrialOutcome};
    use proptest::prelude::*;

    fn filled(trials: u64) -> Accumulator {
        let layout = Layout {
            days: 4,
            deadline_day: 2,
            bin_width: Metric::ALL.map(|m| match m {
                Metric::EnergizedMw | Metric::ItMwInUse | Metric::StrandedMw => 100,
                Metric::Fp8EflopsAvailable => 3,
                _ => 72,
            }),
            sites: 2,
            phases: 3,
            target_gpus: 1000,
        };
        let mut acc = Accumulator::new(layout);
        let mut buf = DailyBuffer::new(acc.layout(), 8);
        for t in 0..trials {
            let t = t as i64;
            for d in 0..4 {
                buf.record_day(
                    d,
                    &[(t * 997 + d as i64 * 7919) % 100_000 - 500; Metric::COUNT],
                );
                acc.record_site_online(d, [t as u64, 2 * t as u64].into_iter());
            }
            if buf.end_trial() {
                acc.absorb(&mut buf);
            }
            acc.push(&TrialOutcome {
                full_capacity_day: (t % 3 != 0).then_some((t % 4) as u32),
                available_gpus_at_deadline: (t * 72) as u64,
                shortfall_gpu_days: std::array::from_fn(|b| match Bottleneck::ALL[b] {
                    Bottleneck::Space => t as u64,
                    _ => b as u64 + 1,
                }),
                waiting_rack_days: std::array::from_fn(|b| t as u64 * b as u64),
                waiting_usd_days: std::array::from_fn(|b| u128::from(t as u64) << (40 + b)),
                site_online_racks_at_deadline: vec![t as u64, 1],
                phase_energized_day: vec![-3 - t, 0, 900 + t],
                ..TrialOutcome::default()
            });
        }
        acc.absorb(&mut buf);
        acc
    }

    fn same(a: &Accumulator, b: &Accumulator) {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        a.encode(&mut x);
        b.encode(&mut y);
        assert_eq!(x, y);
    }

    #[test]
    fn round_trips_exactly() {
        for trials in [0, 1, 5, 70_000] {
            let acc = filled(trials);
            let mut bytes = Vec::new();
            acc.encode(&mut bytes);
            let back = Accumulator::decode(&bytes).unwrap();
            assert_eq!(back.trials(), trials);
            same(&acc, &back);
            for m in Metric::ALL {
                for d in 0..4 {
                    assert_eq!(
                        back.daily(m, d).histogram.iter().collect::<Vec<_>>(),
                        acc.daily(m, d).histogram.iter().collect::<Vec<_>>()
                    );
                    assert_eq!(back.daily(m, d).sum, acc.daily(m, d).sum);
                }
            }
        }
    }

    #[test]
    fn decoded_parts_merge_like_the_originals() {
        let (mut a, b) = (filled(40), filled(9));
        let mut bytes = Vec::new();
        b.encode(&mut bytes);
        let mut decoded = filled(40);
        decoded.merge(&Accumulator::decode(&bytes).unwrap());
        a.merge(&b);
        same(&a, &decoded);
    }

    #[test]
    fn trial_records_round_trip() {
        let records = vec![
            TrialRecord::new(Some(0), 0, 5),
            TrialRecord::new(Some(5), 300_000, 5),
            TrialRecord::new(Some(6), 7, 5),
            TrialRecord::new(None, u64::MAX, 5),
            TrialRecord::new(Some(TrialRecord::NEVER - 1), 1, 5),
        ];
        let mut bytes = Vec::new();
        encode_records(&records, &mut bytes);
        assert_eq!(decode_records(&bytes, 5, 5).unwrap(), records);
        assert!(decode_records(&bytes, 6, 5).is_err());
        assert!(decode_records(&bytes[..bytes.len() - 1], 5, 5).is_err());
    }

    #[test]
    fn damaged_bytes_are_errors_not_panics() {
        let mut bytes = Vec::new();
        filled(30).encode(&mut bytes);
        for cut in [0, 1, 5, bytes.len() / 2, bytes.len() - 1] {
            assert!(Accumulator::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Accumulator::decode(&longer).is_err());
        // Flip bytes all over (sums are free integers, so some flips still decode; the partial
        // file's checksum catches those): decoding must fail or succeed, never panic.
        for i in (0..bytes.len()).step_by(bytes.len() / 400 + 1) {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x5a;
            let _ = Accumulator::decode(&damaged);
        }
    }

    /// Every histogram of `acc`, in encoding order.
    fn histograms(acc: &Accumulator) -> impl Iterator<Item = &Histogram> {
        acc.daily
            .iter()
            .map(|c| &c.histogram)
            .chain([&acc.full_capacity_day, &acc.available_at_deadline])
            .chain(&acc.site_online_racks)
            .chain(&acc.phase_energized_day)
    }

    /// Bins from the first to the last non-empty bin of `h` (0 when empty).
    fn span(h: &Histogram) -> u64 {
        h.occupied_range()
            .map_or(0, |(lo, hi)| (hi - lo + 1) as u64)
    }

    /// Decodes `bytes`; when they decode, checks that what was allocated is bounded by them:
    /// every cell, sum and histogram bin takes at least one byte.
    fn decode_bounded(bytes: &[u8]) -> Result<(), TestCaseError> {
        if let Ok(acc) = Accumulator::decode(bytes) {
            let bins: u64 = histograms(&acc).map(span).sum();
            let held = acc.daily.len() as u64 + acc.site_online_gpus.len() as u64 + bins;
            prop_assert!(
                held <= bytes.len() as u64,
                "{held} values from {} bytes",
                bytes.len()
            );
            prop_assert!(bytes.len() as u64 <= acc.layout.max_encoded_bytes());
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic_and_allocate_at_most_what_they_hold(
            bytes in proptest::collection::vec(any::<u8>(), 0..4000),
        ) {
            decode_bounded(&bytes)?;
        }

        #[test]
        fn damaged_encodings_never_panic_and_allocate_at_most_what_they_hold(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
            cut in any::<prop::sample::Index>(),
            insert in proptest::collection::vec(any::<u8>(), 0..12),
        ) {
            let mut bytes = Vec::new();
            filled(12).encode(&mut bytes);
            for (at, flip) in flips {
                let at = at.index(bytes.len());
                bytes[at] ^= flip;
            }
            decode_bounded(&bytes)?;
            let at = cut.index(bytes.len());
            decode_bounded(&bytes[..at])?;
            bytes.splice(at..at, insert);
            decode_bounded(&bytes)?;
        }
    }

    #[test]
    fn a_histogram_wider_than_the_limit_is_refused() {
        // Layout of one day, no sites, no phases, one trial; then the first daily histogram,
        // one bin wider than a daily histogram may be.
        let mut bytes = Vec::new();
        for v in [1, 0] {
            put(&mut bytes, v);
        }
        for _ in 0..Metric::COUNT {
            put_signed(&mut bytes, 1);
        }
        for v in [0, 0, 5, 1] {
            put(&mut bytes, v);
        }
        let wide = Histogram::MAX_BINS as u64 + 1;
        put(&mut bytes, wide);
        put_signed(&mut bytes, 0);
        put(&mut bytes, 0);
        put(&mut bytes, 1);
        bytes.extend(std::iter::repeat_n(0, wide as usize - 2));
        put(&mut bytes, 1);
        assert_eq!(
            Accumulator::decode(&bytes).unwrap_err(),
            DecodeError::Invalid("a histogram spans more bins than any run keeps")
        );
    }

    #[test]
    fn real_encodings_fit_their_layouts_limit() {
        for trials in [0, 1, 70_000] {
            let acc = filled(trials);
            let mut bytes = Vec::new();
            acc.encode(&mut bytes);
            assert!(bytes.len() as u64 <= acc.layout.max_encoded_bytes());
        }
    }

    #[test]
    fn merges_that_would_wrap_are_refused_and_distant_ones_coarsen() {
        let (a, b) = (filled(40), filled(9));
        assert_eq!(a.check_merge(&b), Ok(()));
        let mut other_layout = filled(9);
        other_layout.layout.sites = 3;
        assert_eq!(
            a.check_merge(&other_layout),
            Err("its accumulator layout differs")
        );
        let mut many = filled(9);
        many.trials = u64::from(u32::MAX) - 20;
        assert!(a.check_merge(&many).unwrap_err().contains("more trials"));
        let mut big_sum = filled(9);
        big_sum.daily[3].sum = i128::MAX;
        assert_eq!(a.check_merge(&big_sum), Err("a sum would overflow"));
        let mut big_site = filled(9);
        big_site.site_online_gpus[7] = u128::MAX;
        assert_eq!(a.check_merge(&big_site), Err("a sum would overflow"));
        for far in [1_000_000_000, 1 << 62, -(1 << 62)] {
            let mut distant = filled(9);
            distant.available_at_deadline = Histogram::from_counts(far, vec![9], 0, true);
            assert_eq!(a.check_merge(&distant), Ok(()));
            let mut merged = a.clone();
            merged.merge(&distant);
            let h = &merged.available_at_deadline;
            assert_eq!(h.total(), 49);
            assert!(h.heap_bytes() <= Histogram::MAX_BINS_FINE * 4, "{far}");
        }
    }
}
