//! The `baton` command line.
//!
//! `baton serve` runs the engine behind the Camunda-compatible REST API.
//! `baton validate FILE|DIR...` checks models before they are deployed; it is what
//! a user runs on their models and what CI pipelines call.

mod serve;

/// mimalloc instead of the system allocator: the engine's writer thread frees much of
/// what the HTTP threads allocated (requests, variables), and glibc's allocator spends
/// a quarter of the writer's time on such cross-thread frees and its arena locks.
/// Built with its `override` feature, it also serves C's `malloc` and `free`, so
/// SQLite's own allocations (the writer's in-memory savepoint journal above all, a few
/// small pieces for every page a command changes) take mimalloc's fast path too, and
/// what a burst of queries freed goes back to the system the same way.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use baton::bpmn::{self, Limits, Problem};
use clap::{Parser, Subcommand};

/// A lightweight BPMN 2.0 engine that speaks the Camunda 7 REST API.
#[derive(Debug, Parser)]
#[command(name = "baton", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the Camunda 7 REST API at http://127.0.0.1:8080/engine-rest.
    ///
    /// Logs go to stderr (set RUST_LOG, e.g. RUST_LOG=debug); the address is printed
    /// on stdout once the server listens. SIGINT or SIGTERM shut it down cleanly.
    Serve(Box<serve::Serve>),
    /// Check BPMN files as a deployment would, printing every problem found.
    ///
    /// Prints `FILE:LINE:COL: error[CODE]: message` (or `warning`) per problem
    /// and one summary line per file. Exits 0 when every file is valid
    /// (warnings allowed), 1 otherwise.
    Validate {
        /// The .bpmn files to check; a folder stands for the .bpmn files in it,
        /// searched recursively.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(serve) => {
            init_logging();
            serve.run()
        }
        Command::Validate { files } => {
            // Folders stand for the models in them; files are taken as given, so an
            // unreadable one is reported per file.
            let mut expanded = Vec::new();
            for path in files {
                if path.is_dir() {
                    match serve::bpmn_files(std::slice::from_ref(&path)) {
                        Ok(found) if found.is_empty() => {
                            eprintln!("{}: no .bpmn files in this folder", path.display());
                            return ExitCode::FAILURE;
                        }
                        Ok(found) => expanded.extend(found),
                        Err(e) => {
                            eprintln!("{}: {e:#}", path.display());
                            return ExitCode::FAILURE;
                        }
                    }
                } else {
                    expanded.push(path);
                }
            }
            validate(&expanded)
        }
    }
}

fn validate(files: &[PathBuf]) -> ExitCode {
    let limits = Limits::default();
    let mut all_valid = true;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in files {
        let name = file.display();
        let report = match std::fs::metadata(file).and_then(|meta| {
            // Refuse oversized files before reading them into memory.
            if meta.len() > limits.max_bytes as u64 {
                Ok(Err(meta.len()))
            } else {
                std::fs::read(file).map(Ok)
            }
        }) {
            Err(error) => {
                all_valid = false;
                writeln!(out, "{name}: error: cannot read the file: {error}")
            }
            Ok(bytes) => {
                let result = match bytes {
                    Ok(bytes) => bpmn::parse_bytes(&bytes, &limits),
                    Err(len) => Err(bpmn::Error::too_large(len, &limits)),
                };
                let (problems, summary) = match result {
                    Ok(parsed) => {
                        let processes = parsed.definitions.executable_processes().count();
                        let nodes: usize = parsed
                            .definitions
                            .executable_processes()
                            .map(|p| p.nodes.len())
                            .sum();
                        let summary = format!(
                            "valid: {} executable {}, {nodes} flow nodes{}",
                            processes,
                            plural(processes, "process", "processes"),
                            counted(parsed.warnings.len(), "warning", "warnings", ", ")
                        );
                        (parsed.warnings, summary)
                    }
                    Err(error) => {
                        all_valid = false;
                        let problems = error.into_problems();
                        let errors = problems.iter().filter(|p| p.is_error()).count();
                        let warnings = problems.len() - errors;
                        let summary = format!(
                            "invalid: {errors} {}{}",
                            plural(errors, "error", "errors"),
                            counted(warnings, "warning", "warnings", ", ")
                        );
                        (problems, summary)
                    }
                };
                print_problems(&mut out, &name.to_string(), &problems)
                    .and_then(|()| writeln!(out, "{name}: {summary}"))
            }
        };
        if report.is_err() {
            // stdout is gone (a closed pipe): nothing more to say.
            return ExitCode::FAILURE;
        }
    }
    if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default: info for Baton, warn otherwise).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,baton=info,baton_server=info,baton_engine=info")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn print_problems(out: &mut impl Write, name: &str, problems: &[Problem]) -> std::io::Result<()> {
    for problem in problems {
        writeln!(out, "{name}:{problem}")?;
    }
    Ok(())
}

fn plural(count: usize, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 { one } else { many }
}

fn counted(count: usize, one: &str, many: &str, separator: &str) -> String {
    match count {
        0 => String::new(),
        1 => format!("{separator}1 {one}"),
        n => format!("{separator}{n} {many}"),
    }
}
