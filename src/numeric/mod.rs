//! The small numeric pieces every layer above may use: the seeding rule ([`seed`]), the
//! standard normal distribution and the integral of a piecewise-linear rate. It imports nothing
//! from the rest of the crate.

mod normal;
mod rate;
pub mod seed;

pub(crate) use normal::{Z90, Z95, std_normal_cdf, std_normal_pdf};
pub(crate) use rate::integrate_rate;
