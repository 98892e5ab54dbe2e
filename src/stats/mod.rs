//! Statistics of many trials: the output schema (which metrics and causes a run reports, and
//! their names), exact mergeable histograms, the percentile definition, the per-run
//! accumulator and the summary computed from it.
//!
//! This module knows nothing of scenarios, models or threads.

mod accumulator;
mod codec;
mod costs;
mod histogram;
mod paired;
mod precision;
mod quantile;
mod schema;
mod sensitivity;
mod summary;

pub use accumulator::{Accumulator, DailyBuffer, DailyCell, Layout, TrialOutcome};
pub use codec::{DecodeError, decode_records, encode_records};
pub use costs::{ConstraintCost, ConstraintCosts};
pub use histogram::Histogram;
pub use paired::{
    Difference, FullCapacityDifference, MeanDifference, PairedComparison, TargetDifference,
    TrialRecord, newcombe_diff, paired_mean_diff, unpaired_mean_diff,
};
pub use precision::{PrecisionReport, PrecisionTarget, assess, trials_needed};
pub use quantile::{type7, wilson95};
pub use schema::{
    Bottleneck, DailyStat, Metric, REACHED_TARGET_COLUMN, RecordedUnit, site_of_online_column,
    site_online_column,
};
pub use sensitivity::{Index, SobolIndices, average_ranks, pearson, sobol, spearman};
pub(crate) use summary::date_after;
pub use summary::{
    BottleneckShare, DailyRow, FullCapacityDate, GpuDistribution, IdleByCause, Money, PhaseSummary,
    Proportion, RackPrice, RunInfo, SCHEMA_VERSION, ShortfallAtDeadline, SiteInfo, SiteSummary,
    Summary, UsdDistribution, daily_rows,
};
