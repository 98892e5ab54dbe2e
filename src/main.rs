//! The `capsim` binary: parse flags, call one command, print the error chain, set the exit code.
//!
//! Exit codes: 0 success; 1 a run failed (I/O, resources); 2 bad input (scenario file, flags).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::args::Cli::parse();
    match cli::dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if cli::is_input_error(&err) {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
