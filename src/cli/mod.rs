//! The command-line layer: the only home of clap, anyhow and the terminal.

pub(crate) mod app;
pub(crate) mod args;
pub(crate) mod backtest;
pub(crate) mod bench;
pub(crate) mod compare;
pub(crate) mod sensitivity;
pub(crate) mod shard;
pub(crate) mod sweep;

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
}
