//! The CLI's side of a results folder ([`capsim::results::ResultsFolder`]): Ctrl-C and SIGTERM
//! turn into a clean stop that writes nothing, and notes go to stderr.

use std::path::Path;
use std::sync::atomic::Ordering;

use anyhow::Result;
use capsim::results;

use super::common::{CANCEL, Interrupted, install_signal_handlers};

/// A results folder being built by a command; see [`results::ResultsFolder`].
#[derive(Debug)]
pub(crate) struct ResultsFolder(results::ResultsFolder);

impl ResultsFolder {
    /// Starts a results folder for `command` at `target` and turns Ctrl-C and SIGTERM into a
    /// clean stop (see [`install_signal_handlers`]).
    pub(crate) fn create(target: &Path, command: &'static str) -> Result<ResultsFolder> {
        install_signal_handlers();
        Ok(ResultsFolder(results::ResultsFolder::create(
            target, command,
        )?))
    }

    /// Where to write the folder's files until [`commit`](Self::commit).
    pub(crate) fn path(&self) -> &Path {
        self.0.path()
    }

    /// The folder as the user named it.
    pub(crate) fn shown(&self) -> &Path {
        self.0.shown()
    }

    /// `result`, unless Ctrl-C or SIGTERM arrived: then the interruption, after `done` of `total`
    /// trials, with nothing written.
    pub(crate) fn unless_interrupted<T>(
        &self,
        result: Result<T>,
        done: u64,
        total: u64,
    ) -> Result<T> {
        if CANCEL.load(Ordering::Relaxed) {
            return Err(Interrupted {
                done,
                total,
                out: self.shown().to_path_buf(),
                existed: self.0.target_exists(),
            }
            .into());
        }
        result
    }

    /// Swaps the finished folder into place; a leftover of the old one is noted on stderr.
    pub(crate) fn commit(self) -> Result<()> {
        if let Some(note) = self.0.commit()? {
            eprintln!("note: {note}");
        }
        Ok(())
    }
}
