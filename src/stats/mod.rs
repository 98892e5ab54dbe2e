//! Statistics of many trials: exact mergeable histograms, the percentile definition, the
//! per-run accumulator and the summary computed from it.
//!
//! This module knows nothing of scenarios, models or threads.

mod accumulator;
mod codec;
mod costs;
mod histogram;
mod paired;
mod precision;
mod quantile;
mod sensitivity;
mod summary;

pub use accumulator::{
    Accumulator, Bottleneck, DailyBuffer, DailyCell, Layout, Metric, TrialOutcome,
};
pub use codec::{DecodeError, decode_records, encode_records};
pub use costs::{ConstraintCost, ConstraintCosts};
pub use histogram::Histogram;
pub use paired::{
    Difference, FullCapacityDifference, MeanDifference, PairedComparison, TargetDifference,
    TrialRecord, newcombe_diff, paired_mean_diff, unpaired_mean_diff,
};
pub use precision::{PrecisionReport, PrecisionTarget, assess, trials_needed};
pub use quantile::{type7, wilson95};
pub use sensitivity::{Index, SobolIndices, average_ranks, pearson, sobol, spearman};
pub use summary::{
    BottleneckShare, DAILY_PERCENTILES, DailyRow, FullCapacityDate, GpuDistribution, PhaseSummary,
    Proportion, RunInfo, SCHEMA_VERSION, ShortfallAtDeadline, SiteInfo, SiteSummary, Summary,
    daily_rows,
};
