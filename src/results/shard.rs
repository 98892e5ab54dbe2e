//! Sharded commands on disk: a shard's partial result, and the `trials.csv` a merged `run`
//! concatenates from its shards'.

use std::path::{Path, PathBuf};

use super::{ResultsError, write_atomic};
use crate::shard::{self, PartialBody, PartialHeader, TrialsCsvSources};

/// Writes `header` and `bodies` as `dir/<shard file name>` (e.g. `shard-0003-of-0016.capsim`),
/// atomically; returns its path.
pub fn write_partial(
    dir: &Path,
    header: PartialHeader,
    bodies: &[PartialBody],
) -> Result<PathBuf, ResultsError> {
    let path = dir.join(header.shard.file_name());
    write_atomic(&path, |w| Ok(shard::write_partial(w, header, bodies)?))?;
    Ok(path)
}

/// Writes the shards' checked `trials.csv` files as one `dir/trials.csv`, atomically: the
/// first header line, then every shard's rows in shard order.
pub fn write_merged_trials_csv(dir: &Path, sources: &TrialsCsvSources) -> Result<(), ResultsError> {
    write_atomic(&dir.join("trials.csv"), |w| Ok(sources.concatenate(w)?))
}
