//! The `capsim` binary: parse flags, call one command, print the error chain, set the exit code.
//!
//! Exit codes: 0 success (also when the reader of standard output closes it early, as
//! `capsim ... | head -1` does: the files are written, only the display is cut short); 1 a run
//! failed (I/O such as a full disk, resources); 2 bad input (scenario file, flags); 130
//! interrupted by Ctrl-C or SIGTERM, nothing written.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::args::Cli::parse();
    match cli::dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if err
                .downcast_ref::<cli::StdoutError>()
                .is_some_and(cli::StdoutError::is_closed_pipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            if err.downcast_ref::<cli::Interrupted>().is_some() {
                ExitCode::from(cli::INTERRUPTED_EXIT)
            } else if cli::is_input_error(&err) {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
