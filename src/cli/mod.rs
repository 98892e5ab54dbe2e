//! The command-line layer: the only home of clap, anyhow, the terminal and signals.

pub(crate) mod args;
pub(crate) mod backtest;
pub(crate) mod bench;
pub(crate) mod common;
pub(crate) mod compare;
pub(crate) mod folder;
pub(crate) mod merge;
pub(crate) mod plot;
pub(crate) mod run;
pub(crate) mod sensitivity;
pub(crate) mod shard;
pub(crate) mod solve;
pub(crate) mod sweep;
pub(crate) mod validate;

use args::{Cli, Command};
pub(crate) use common::{INTERRUPTED_EXIT, Interrupted, StdoutError, is_input_error};

pub(crate) fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Validate(a) => validate::validate(a),
        Command::Bench(a) => bench::bench(a),
        Command::Plot(a) => plot::plot(a),
        Command::Merge(a) => merge::merge(a),
        Command::Compare(a) => compare::compare(a),
        Command::Sensitivity(a) => sensitivity::sensitivity(a),
        Command::Sweep(a) => sweep::sweep(a),
        Command::Solve(a) => solve::solve(a),
        Command::Backtest(a) => backtest::backtest(a),
    }
}
