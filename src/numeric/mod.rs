//! The small numeric pieces every layer above may use: the seeding rule ([`seed`]), the
//! standard normal distribution, the integral of a piecewise-linear rate and counts written
//! with thousands separators. It imports nothing
//! from the rest of the crate.

mod format;
mod normal;
mod rate;
pub mod seed;

pub use format::thousands;
pub(crate) use normal::{Z90, Z95, std_normal_cdf, std_normal_pdf};
pub(crate) use rate::integrate_rate;
