//! A solve's results folder: `solve.json` and `solve.csv`.

use std::path::Path;

use super::{ResultsError, write_atomic};
use crate::analysis::solve::SolveResult;
use crate::output;

/// Writes `solve.json` and `solve.csv` of `result` into `dir`; returns their names, in the
/// order written.
pub fn write_solve(dir: &Path, result: &SolveResult) -> Result<Vec<&'static str>, ResultsError> {
    write_atomic(&dir.join("solve.json"), |w| {
        output::write_solve_json(result, w)
    })?;
    write_atomic(&dir.join("solve.csv"), |w| {
        output::write_solve_csv(result, w)
    })?;
    Ok(vec!["solve.json", "solve.csv"])
}
