//! The command-line layer: the only home of clap, anyhow, the terminal and signals.

pub(crate) mod app;
pub(crate) mod args;
pub(crate) mod backtest;
pub(crate) mod bench;
pub(crate) mod compare;
pub(crate) mod folder;
pub(crate) mod sensitivity;
pub(crate) mod shard;
pub(crate) mod sweep;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, LazyLock, Once};

use args::{Cli, Command};

pub(crate) fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(a) => app::run(a),
        Command::Validate(a) => app::validate(a),
        Command::Bench(a) => bench::bench(a),
        Command::Plot(a) => app::plot(a),
        Command::Merge(a) => shard::merge(a),
        Command::Compare(a) => compare::compare(a),
        Command::Sensitivity(a) => sensitivity::sensitivity(a),
        Command::Sweep(a) => sweep::sweep(a),
        Command::Backtest(a) => backtest::backtest(a),
    }
}

/// Bad input (exit code 2) rather than a failed run.
pub(crate) fn is_input_error(err: &anyhow::Error) -> bool {
    err.downcast_ref::<capsim::scenario::ScenarioError>()
        .is_some()
        || err.downcast_ref::<app::InputError>().is_some()
        || err
            .downcast_ref::<capsim::results::ResultsError>()
            .is_some_and(capsim::results::ResultsError::is_input_error)
        || err
            .downcast_ref::<capsim::analysis::AnalysisError>()
            .is_some_and(capsim::analysis::AnalysisError::is_input_error)
}

/// Raised by the first Ctrl-C (SIGINT) or SIGTERM once a command writing a results folder has
/// started: the engine starts no further batch and the command stops without writing.
pub(crate) static CANCEL: LazyLock<Arc<AtomicBool>> =
    LazyLock::new(|| Arc::new(AtomicBool::new(false)));

/// Exit code of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
pub(crate) const INTERRUPTED_EXIT: u8 = 130;

/// Makes the first SIGINT or SIGTERM raise [`CANCEL`] and a second one exit at once with
/// [`INTERRUPTED_EXIT`] (stale staging folders are then removed by the next run). Idempotent.
pub(crate) fn install_signal_handlers() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        use signal_hook::flag;
        for signal in [SIGINT, SIGTERM] {
            // Registered first, so the first signal finds the flag still down and only raises it.
            let _ = flag::register_conditional_shutdown(
                signal,
                i32::from(INTERRUPTED_EXIT),
                Arc::clone(&CANCEL),
            );
            let _ = flag::register(signal, Arc::clone(&CANCEL));
        }
    });
}

/// A run stopped by Ctrl-C or SIGTERM before writing anything.
#[derive(Debug, thiserror::Error)]
#[error(
    "interrupted after {done} of {total} trials; nothing written, {} {}",
    out.display(),
    if *existed { "unchanged" } else { "not created" }
)]
pub(crate) struct Interrupted {
    /// Trials finished when the run stopped.
    pub(crate) done: u64,
    /// Trials the run was to do.
    pub(crate) total: u64,
    /// The results folder, as the user named it.
    pub(crate) out: PathBuf,
    /// Whether that folder existed (and so was left as it was).
    pub(crate) existed: bool,
}

/// Writing to standard output failed: a closed pipe (the reader stopped reading, as in
/// `capsim run ... | head -1`) or another error, such as a full disk.
#[derive(Debug, thiserror::Error)]
#[error("writing to standard output")]
pub(crate) struct StdoutError(#[from] pub(crate) std::io::Error);

impl StdoutError {
    /// Whether the reader closed the pipe.
    pub(crate) fn is_closed_pipe(&self) -> bool {
        self.0.kind() == std::io::ErrorKind::BrokenPipe
    }
}

/// Writes to standard output through `write`, then flushes; any failure is a [`StdoutError`].
/// Never panics, unlike `print!`.
pub(crate) fn to_stdout(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), StdoutError> {
    let mut out = std::io::stdout().lock();
    write(&mut out)?;
    out.flush()?;
    Ok(())
}
