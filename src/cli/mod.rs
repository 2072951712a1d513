//! Command-line front end: argument parsing (clap), progress bars (indicatif), error
//! reporting (anyhow) and exit codes. All the work is done by the library.

use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

mod call;
mod common;
mod count;
mod plan;
mod progress;
mod run;
mod select;
mod signals;
mod simulate;
mod track;

/// Exit code for a run that failed on its input or environment.
const EXIT_RUNTIME: u8 = 1;
/// Exit code for a command line that cannot be understood.
const EXIT_USAGE: u8 = 2;

/// mitosieve — which stem-cell clones are healthy enough to grow into a therapy?
///
/// Counts mtDNA alleles per clone, calls heteroplasmy with calibrated intervals, and
/// selects clones below a mutation-load threshold.
#[derive(Debug, Parser)]
#[command(name = "mitosieve", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 success, 1 runtime error (bad input, I/O), 2 usage error, 130/143 interrupted by SIGINT/SIGTERM (unfinished files removed)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Count(count::Args),
    Simulate(simulate::Args),
    Call(call::Args),
    Select(select::Args),
    Run(run::Args),
    Plan(plan::Args),
    Track(track::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Run the command line; never panics on bad input.
pub fn main() -> ExitCode {
    // First, before any thread starts: SIGINT/SIGTERM remove unfinished files and exit.
    signals::install();
    let code = main_inner();
    if signals::interrupted() {
        // The signal thread is removing temporary files and exits with 130/143.
        loop {
            std::thread::park();
        }
    }
    code
}

fn main_inner() -> ExitCode {
    // htslib's own log lines would duplicate (less clearly) the errors mitosieve reports.
    unsafe { rust_htslib::htslib::hts_set_log_level(rust_htslib::htslib::htsLogLevel_HTS_LOG_OFF) };
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("mitosieve: error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// Exit 2 only for command-line mistakes: clap's, the CLI's own checks, and settings the
/// library refuses (they come from flags). Bad input, I/O and internal errors (which
/// say so and ask for a report) exit 1.
fn exit_code(e: &anyhow::Error) -> u8 {
    let usage = e.downcast_ref::<common::UsageError>().is_some()
        || e.chain().any(|c| {
            matches!(
                c.downcast_ref::<mitosieve::Error>(),
                Some(mitosieve::Error::Config(_))
            )
        });
    if usage {
        EXIT_USAGE
    } else {
        EXIT_RUNTIME
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Count(args) => count::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Call(args) => call::run(args),
        Command::Select(args) => select::run(args),
        Command::Run(args) => run::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Track(args) => track::run(args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "mitosieve", &mut std::io::stdout());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitosieve::Error;

    #[test]
    fn exit_codes_by_kind() {
        let usage = anyhow::Error::from(common::UsageError("--min-af must be …".into()));
        assert_eq!(exit_code(&usage), EXIT_USAGE);
        let setting = anyhow::Error::from(Error::Config("confidence must be in [0.5, 1)".into()));
        assert_eq!(exit_code(&setting), EXIT_USAGE);
        let input = anyhow::Error::from(Error::parse("policy.toml", 3, "unknown target"))
            .context("cannot read the policy");
        assert_eq!(exit_code(&input), EXIT_RUNTIME);
        let io = anyhow::Error::from(Error::io(
            "out",
            "cannot create output directory",
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        ));
        assert_eq!(exit_code(&io), EXIT_RUNTIME);
        let internal = anyhow::Error::from(Error::Internal("the counting thread panicked".into()));
        assert_eq!(exit_code(&internal), EXIT_RUNTIME);
        let msg = format!("{internal:#}");
        assert!(
            msg.starts_with("internal error: the counting thread panicked; this is a bug")
                && msg.contains("please report it"),
            "{msg}"
        );
    }
}
