//! What every command shares: flags to scenarios and trial counts, input errors, progress bars,
//! Ctrl-C, and writing to standard output. Imports nothing else of the CLI but its flags.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, LazyLock, Once};

use anyhow::{Context, Result, bail};
use capsim::model::Model;
use capsim::scenario::{self, Scenario};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{OutputFlags, RunFlags, ScenarioArgs};
pub(crate) use capsim::analysis::run::{DEFAULT_SEED, DEFAULT_TRIALS};

/// An error in what the user gave us (scenario or flags): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct InputError(pub(crate) String);

/// Trials and seed of a command: the flag, else the scenario's value, else the default; the
/// trial count must lie in `min_trials..=u32::MAX`.
pub(crate) fn trials_and_seed(
    flags: &RunFlags,
    scenario: &Scenario,
    min_trials: u64,
) -> Result<(u64, u64)> {
    let trials = flags.trials.or(scenario.trials).unwrap_or(DEFAULT_TRIALS);
    let seed = flags.seed.or(scenario.seed).unwrap_or(DEFAULT_SEED);
    if trials < min_trials || trials > u64::from(u32::MAX) {
        bail!(InputError(format!(
            "--trials must be between {min_trials} and {} (found {trials})",
            u32::MAX
        )));
    }
    Ok((trials, seed))
}

/// The results folder of a command: `--out`, else `out/<default_name>`. Not created here: a
/// [`ResultsFolder`] builds it.
pub(crate) fn out_dir(flags: &RunFlags, default_name: &str) -> Result<PathBuf> {
    Ok(flags
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(default_name)))
}

/// Prints `value` as pretty JSON on stdout.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(value)?;
    Ok(to_stdout(|w| writeln!(w, "{json}"))?)
}

pub(crate) fn load(args: &ScenarioArgs) -> Result<Scenario> {
    Ok(scenario::load(&args.scenario, &args.overrides)?)
}

pub(crate) fn compile(s: &Scenario) -> Result<Model> {
    Model::compile(s).context("compiling the scenario")
}

/// A progress bar on stderr counting `total` trials (`what` names them, e.g. "trials (all
/// scenarios)"), with rate and ETA; hidden when `hidden` or when stderr is not a terminal.
pub(crate) fn progress_bar(total: u64, hidden: bool, what: &str) -> ProgressBar {
    if hidden || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template =
        format!("{{bar:40.cyan/blue}} {{human_pos}}/{{human_len}} {what}  {{rate}}  ETA {{eta}}");
    bar.set_style(
        ProgressStyle::with_template(&template)
            .map(|style| {
                style.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0} trials/s", state.per_sec());
                    },
                )
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Bad input (exit code 2) rather than a failed run.
pub(crate) fn is_input_error(err: &anyhow::Error) -> bool {
    err.downcast_ref::<capsim::scenario::ScenarioError>()
        .is_some()
        || err.downcast_ref::<InputError>().is_some()
        || err
            .downcast_ref::<capsim::results::ResultsError>()
            .is_some_and(capsim::results::ResultsError::is_input_error)
        || err
            .downcast_ref::<capsim::shard::MergeError>()
            .is_some_and(capsim::shard::MergeError::is_input_error)
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

/// The charts a command draws: none with `--no-charts`, else as its chart flags ask, with this
/// command line quoted in `report.html`'s provenance.
pub(crate) fn chart_options(flags: &OutputFlags) -> Result<Option<capsim::results::ChartOptions>> {
    if flags.no_charts {
        return Ok(None);
    }
    let mut options = flags.chart.options()?;
    options.command = Some(command_line());
    Ok(Some(options))
}

/// The command line as typed: arguments joined by spaces, each one holding a space, a quote or
/// another character a shell would interpret put in single quotes.
pub(crate) fn command_line() -> String {
    std::env::args_os()
        .map(|arg| shell_quoted(&arg.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `arg` as a shell would need it typed: as is when plain, else in single quotes.
fn shell_quoted(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./=:,+@%^".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod command_line_tests {
    use super::shell_quoted;

    #[test]
    fn arguments_with_spaces_or_quotes_are_single_quoted() {
        assert_eq!(shell_quoted("run"), "run");
        assert_eq!(shell_quoted("--set=a.b=1.5"), "--set=a.b=1.5");
        assert_eq!(shell_quoted("my scenario.toml"), "'my scenario.toml'");
        assert_eq!(shell_quoted("it's"), r"'it'\''s'");
        assert_eq!(shell_quoted(""), "''");
    }
}
