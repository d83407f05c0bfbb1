//! `baton serve`: the engine behind the Camunda-compatible REST API.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use std::sync::Arc;

use baton::engine::{
    Clock, Config, Durability, Engine, Error, ManualClock, NewDeployment, SystemClock,
};
use baton::server::{self, Options};
use clap::{Args, ValueEnum};

/// Options of `baton serve`; each has a `BATON_*` environment variable.
#[derive(Debug, Args)]
pub(crate) struct Serve {
    /// The address to listen on.
    #[arg(long, env = "BATON_BIND", default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// The port to listen on (0 picks a free one; the address is printed).
    #[arg(long, env = "BATON_PORT", default_value_t = 8080)]
    port: u16,
    /// The database file, created if missing; `:memory:` keeps everything in memory.
    #[arg(long, env = "BATON_DB", default_value = "baton.db")]
    db: String,
    /// BPMN files, or folders of them, deployed at start (unchanged files keep
    /// their version). May be given more than once.
    #[arg(long, env = "BATON_DEPLOY", value_name = "PATH", value_delimiter = ',')]
    deploy: Vec<PathBuf>,
    /// Where the API lives.
    #[arg(long, env = "BATON_BASE_PATH", default_value = "/engine-rest")]
    base_path: String,
    /// `full` survives a power loss; `normal` only a crash of Baton (faster, for
    /// throw-away databases).
    #[arg(long, env = "BATON_DURABILITY", value_enum, default_value_t = DurabilityArg::Full)]
    durability: DurabilityArg,
    /// `manual` starts a clock that moves only through `POST /engine-rest/baton/clock`,
    /// so tests of timer processes run in milliseconds.
    #[arg(long, env = "BATON_CLOCK", value_enum, default_value_t = ClockArg::System)]
    clock: ClockArg,
}

/// `--clock`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ClockArg {
    /// The system clock.
    System,
    /// A clock that starts at the current time and moves only when told.
    Manual,
}

/// `--durability`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum DurabilityArg {
    /// synchronous=FULL.
    Full,
    /// synchronous=NORMAL.
    Normal,
}

impl Serve {
    /// Runs the server until SIGINT or SIGTERM.
    pub(crate) fn run(self) -> ExitCode {
        let started = Instant::now();
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("baton: cannot start the runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
        match runtime.block_on(self.serve(started)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("baton: {e:#}");
                ExitCode::FAILURE
            }
        }
    }

    async fn serve(self, started: Instant) -> anyhow::Result<()> {
        let base = if self.db == ":memory:" {
            Config::memory()
        } else {
            Config::file(&self.db)
        };
        let durability = match self.durability {
            DurabilityArg::Full => Durability::Full,
            DurabilityArg::Normal => Durability::Normal,
        };
        let manual = match self.clock {
            ClockArg::System => None,
            ClockArg::Manual => Some(Arc::new(ManualClock::new(SystemClock.now()))),
        };
        let config = match &manual {
            Some(clock) => base.clock(clock.clone()),
            None => base,
        };
        let engine = Engine::open(config.durability(durability))
            .with_context(|| format!("cannot open the database {}", self.db))?;
        if !self.deploy.is_empty() {
            deploy(&engine, &self.deploy).await?;
        }
        let addr = SocketAddr::new(self.bind, self.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr().context("no local address")?;
        let options = Options {
            base_path: normalise_base(&self.base_path),
            manual_clock: manual,
            ..Options::default()
        };
        // Tests and scripts read this line to learn the address.
        println!("Baton listening on http://{local}{}", options.base_path);
        tracing::info!(
            address = %local,
            database = %self.db,
            ready_ms = started.elapsed().as_secs_f64() * 1000.0,
            "ready"
        );
        server::serve(listener, engine, options, shutdown_signal())
            .await
            .context("the server failed")?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// `/engine-rest`, whatever slashes were given.
fn normalise_base(base: &str) -> String {
    let trimmed = base.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// Resolves at SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// The `.bpmn` files of `paths` (folders searched recursively), sorted.
pub(crate) fn bpmn_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            let entries = std::fs::read_dir(path)
                .with_context(|| format!("cannot read the folder {}", path.display()))?;
            for entry in entries {
                let entry =
                    entry.with_context(|| format!("cannot read the folder {}", path.display()))?;
                let p = entry.path();
                if p.is_dir() || p.extension().is_some_and(|e| e == "bpmn") {
                    walk(&p, out)?;
                }
            }
        } else {
            out.push(path.to_owned());
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out)?;
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Deploys the models of `--deploy` as one deployment; unchanged files keep their
/// version, so restarting on the same database creates nothing new.
async fn deploy(engine: &Engine, paths: &[PathBuf]) -> anyhow::Result<()> {
    let files = bpmn_files(paths)?;
    if files.is_empty() {
        bail!("--deploy found no .bpmn files");
    }
    let mut resources = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let name = f.file_name().map_or_else(
            || f.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        if resources
            .iter()
            .any(|(n, _): &(String, Vec<u8>)| *n == name)
        {
            bail!("--deploy found two files named {name}; resource names must be unique");
        }
        resources.push((name, bytes));
    }
    let result = engine
        .deploy(NewDeployment {
            name: Some("baton serve --deploy".into()),
            source: Some("baton serve".into()),
            resources,
            duplicate_filtering: true,
            changed_only: true,
            ..NewDeployment::default()
        })
        .await;
    match result {
        Ok(r) => {
            for d in &r.definitions {
                tracing::info!(definition = %d.id, resource = %d.resource_name, "deployed");
            }
            eprintln!(
                "baton: deployed {} file(s), {} new process definition(s)",
                files.len(),
                r.definitions.len()
            );
            Ok(())
        }
        Err(Error::Deployment { resource, problems }) => {
            for p in &problems {
                eprintln!("{resource}:{p}");
            }
            bail!("{resource} is not a valid model; nothing was deployed")
        }
        Err(e) => Err(e).context("the deployment failed"),
    }
}
