//! The largest inputs a scenario may hold, each with the reason for its value.
//!
//! `validate` refuses anything beyond these with the file, line and field, so that everything
//! downstream (the model's day tables, the engine's `u32` rack counts per batch and `i64` daily
//! values, its per-site buffers) stays within its types and within a bounded memory. The values
//! leave margins of 100× or more over the largest build-outs on record: about 1,000 NVL72 racks
//! a week for the whole industry in 2025 (`docs/sources.md`, rows S1 and B14).

use jiff::civil::Date;

/// Longest horizon, days after the start (20 years of 366 days): daily statistics grow with it.
pub const MAX_HORIZON_DAYS: i64 = 20 * 366;
/// Largest magnitude of any day-valued draw (slip, delay, transit, commissioning, burn-in, fix,
/// rework, pod test), days: the longest horizon. A delay beyond it lands after any horizon, so
/// nothing is lost, and a day table ([`crate::model::DayDist`]) has at most 2 × 7,320 + 1 entries.
pub const MAX_DAYS_DRAWN: i64 = MAX_HORIZON_DAYS;
/// Longest repair of an interrupted GPU, days (10 years): the repair-survival table stops there.
pub const MAX_REPAIR_DAYS: i64 = 3653;
/// Earliest and latest start date: every date the model derives (start ± 3 × 7,320 days at most)
/// stays far inside the calendar the date library supports (years −9999 to 9999).
pub const EARLIEST_START: Date = jiff::civil::date(1900, 1, 1);
/// See [`EARLIEST_START`].
pub const LATEST_START: Date = jiff::civil::date(2200, 12, 31);
/// Every other date lies within this many days before the start or after the horizon: a
/// schedule, a phase or a power step further out cannot matter to any draw (draws move dates by
/// at most [`MAX_DAYS_DRAWN`]), and a stream's planned weeks stay a bounded list.
pub const DATE_MARGIN_DAYS: i64 = MAX_DAYS_DRAWN;
/// Largest planned rate of one stream, racks per week, after `rate_scale`: 100× the whole
/// industry's NVL72 output in 2025. With [`MAX_NOISE`] a weekly batch stays below 10⁷ racks,
/// 400× under the engine's `u32` batch counts; with [`MAX_STREAMS`], [`MAX_GPUS_PER_RACK`] and
/// the longest horizon, GPUs delivered stay below 10¹⁷, 90× under the `i64` daily values.
pub const MAX_RACKS_PER_WEEK: f64 = 100_000.0;
/// Most GPUs all streams together may deliver over the horizon, at their planned peak rates and
/// the top of their noise (10¹⁵, about 10⁸ times the world's installed AI GPUs): every daily
/// GPU count then stays far inside `i64`, and the sums of a batch of trials cannot wrap.
pub const MAX_PLAN_GPUS: f64 = 1e15;
/// Most dense FP8 PFLOPS all streams together may deliver, reckoned as [`MAX_PLAN_GPUS`]: the
/// daily FP8 figures and their sums stay inside `i64`.
pub const MAX_PLAN_FP8_PFLOPS: f64 = 1e16;
/// Most value all streams together may deliver, USD, reckoned as [`MAX_PLAN_GPUS`] (racks ×
/// `price_per_rack_usd`; 10¹⁸, ten thousand times the world's yearly output): the money figures
/// and their sums stay inside the engine's integers.
pub const MAX_PLAN_USD: f64 = 1e18;
/// Most facility power of all phases of all sites together, MW (after `power_scale`; 100 TW):
/// the daily kW figures and their sums stay inside `i64`.
pub const MAX_PLAN_MW: f64 = 1e8;
/// Largest multiplicative noise on a weekly batch (the draw's 1 − 10⁻¹⁵ quantile for a
/// log-normal).
pub const MAX_NOISE: f64 = 100.0;
/// Largest install rate of one site (and campus ceiling), racks per day: 100× the industry's
/// weekly output installed each day. Keeps a crew's cumulative installs, rate × day, exact in
/// `f64` (below 2⁵³), so more crews never install fewer racks.
pub const MAX_INSTALL_RACKS_PER_DAY: f64 = 100_000.0;
/// Most GPUs in one rack (an NVL576 rack holds 576).
pub const MAX_GPUS_PER_RACK: u32 = 10_000;
/// Smallest and largest IT power of one rack, kW (an 8-GPU HGX server draws about 10 kW, an
/// NVL72 rack about 136 kW): racks per kW of power stay finite and exact.
pub const MIN_RACK_IT_KW: f64 = 0.1;
/// See [`MIN_RACK_IT_KW`].
pub const MAX_RACK_IT_KW: f64 = 10_000.0;
/// Largest count of racks anywhere (caps, floor space, a status): with
/// [`MAX_GPUS_PER_RACK`], GPU totals stay below 2⁵³, exact in `f64` and far inside `i64`.
pub const MAX_RACKS: u64 = 10_000_000_000;
/// Largest GPU target.
pub const MAX_TARGET_GPUS: u64 = 100_000_000_000_000;
/// Largest facility power of one phase or one power limit step, MW (100 GW; the largest
/// campuses announced are about 5 GW).
pub const MAX_MW: f64 = 100_000.0;
/// Largest `power_scale` of a site.
pub const MAX_POWER_SCALE: f64 = 100.0;
/// Largest PUE (no data center runs above about 3; this catches a misplaced decimal point).
pub const MAX_PUE: f64 = 10.0;
/// Largest dense FP8 or BF16 PFLOPS per GPU (a GB300 GPU gives 5).
pub const MAX_PFLOPS_PER_GPU: f64 = 1_000_000.0;
/// Largest rack price, USD.
pub const MAX_PRICE_USD: f64 = 1e12;
/// Most interruptions per GPU per year (50× the 0.1–0.2 on record, `docs/sources.md` row D15):
/// with [`MAX_REPAIR_DAYS`] and 10¹⁷ GPUs online, the engine's Poisson mean of GPUs in repair
/// stays at most 10¹⁹, below the sampler's limit of about 1.8 × 10¹⁹.
pub const MAX_INTERRUPTIONS_PER_GPU_YEAR: f64 = 10.0;
/// Largest observed value (GPUs, racks or MW), exact in `f64`.
pub const MAX_OBSERVED_VALUE: f64 = 1e15;
/// Most trials a scenario may ask for: trial counts stay inside `u32` with a margin of 4.
pub const MAX_TRIALS: u64 = 1_000_000_000;
/// Most worker threads a run may ask for: the largest two-socket servers have 384 to 768
/// hardware threads; more threads than that only add start-up time and per-thread buffers (up to
/// about 128 MB each at the scenario limits), never speed.
pub const MAX_THREADS: usize = 1024;
/// Longest id, region or name, characters: ids are printed in tables and messages.
pub const MAX_ID_CHARS: usize = 128;
/// Most supply streams.
pub const MAX_STREAMS: usize = 1_000;
/// Most points in one supply schedule.
pub const MAX_SCHEDULE_POINTS: usize = 10_000;
/// Most sites.
pub const MAX_SITES: usize = 10_000;
/// Most power phases over all sites (each is a per-trial input).
pub const MAX_PHASES: usize = 100_000;
/// Most rack types (built-ins included).
pub const MAX_ACCELERATORS: usize = 1_000;
/// Most power limits, and most steps in one limit (the model keeps one value per limit and day).
pub const MAX_POWER_LIMITS: usize = 1_000;
/// See [`MAX_POWER_LIMITS`].
pub const MAX_LIMIT_STEPS: usize = 10_000;
/// Most input patterns over all correlation groups (each is matched against every input).
pub const MAX_CORRELATION_PATTERNS: usize = 1_000;
/// Most observations.
pub const MAX_OBSERVATIONS: usize = 100_000;
/// Most (site, rack type, day) cells: the engine keeps about 32 bytes per cell for each worker
/// thread (arrivals and bring-up ends by day), so this bounds a thread's buffers near 128 MB.
pub const MAX_SITE_TYPE_DAYS: u64 = 4_000_000;
/// Largest scenario file, bytes (16 MiB; the shipped base scenario is about 20 KB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Deepest `extends` chain (a file, its base, its base's base, ...).
pub const MAX_EXTENDS_DEPTH: usize = 64;
/// Most diagnostics one check reports; the rest are counted.
pub const MAX_DIAGNOSTICS: usize = 50;
