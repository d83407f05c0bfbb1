//! `baton serve`: the engine behind the Camunda-compatible REST API.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use std::sync::Arc;

use baton::engine::{
    ADMIN_GROUP, Clock, Config, Durability, Engine, Group, GroupQuery, ManualClock, NewDeployment,
    SystemClock, User, UserQuery,
};
use baton::server::{self, Auth, OidcConfig, Options};
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
    /// How long a client has to send a request's head (request line and headers),
    /// from connecting or from the request's first byte; `0` for no bound.
    #[arg(long, env = "BATON_HEADER_TIMEOUT", value_name = "DURATION", default_value = "20s", value_parser = duration)]
    header_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request; `0` for no
    /// bound.
    #[arg(long, env = "BATON_IDLE_TIMEOUT", value_name = "DURATION", default_value = "120s", value_parser = duration)]
    idle_timeout: Duration,
    /// How long a request body may pause while it is read before the request is
    /// answered 408; `0` for no bound.
    #[arg(long, env = "BATON_BODY_TIMEOUT", value_name = "DURATION", default_value = "30s", value_parser = duration)]
    body_timeout: Duration,
    /// The most connections served at once (never more than the open-files
    /// limit less 64).
    #[arg(long, env = "BATON_MAX_CONNECTIONS", default_value = "10000")]
    max_connections: NonZeroUsize,
    /// How often to log a one-line summary of what the engine did (instances
    /// started and ended, tasks completed, incidents), when it did anything; `0`
    /// for never.
    #[arg(long, env = "BATON_SUMMARY_EVERY", value_name = "DURATION", default_value = "60s", value_parser = duration)]
    summary_every: Duration,
    /// Who may call the API: `none` lets anyone in; `basic` asks every request
    /// (but `GET /engine`) for HTTP Basic credentials of a user of Baton's
    /// identity store; `oidc` for a bearer token of an OpenID Connect provider.
    #[arg(long, env = "BATON_AUTH", value_enum, default_value_t = AuthArg::None)]
    auth: AuthArg,
    /// A user created at start if missing, with this password, and made a member
    /// of `camunda-admin` (which may do anything). A user that exists keeps its
    /// password.
    #[arg(long, env = "BATON_ADMIN_USER", value_name = "NAME:PASSWORD")]
    admin_user: Option<AdminUser>,
    /// With `--auth oidc`: the issuer tokens must name (`iss`), exactly.
    #[arg(long, env = "BATON_OIDC_ISSUER", value_name = "URL")]
    oidc_issuer: Option<String>,
    /// With `--auth oidc`: the audience tokens must name (`aud`), such as the
    /// client id Baton is registered under.
    #[arg(long, env = "BATON_OIDC_AUDIENCE", value_name = "AUD")]
    oidc_audience: Option<String>,
    /// With `--auth oidc`: the provider's signing keys, a JWKS document as a
    /// file or an http:// or https:// URL, read at start and again when a token
    /// names a key it does not have (at most every 30 s).
    #[arg(long, env = "BATON_OIDC_JWKS", value_name = "PATH_OR_URL")]
    oidc_jwks: Option<String>,
    /// With `--auth oidc`: the claim holding the user id.
    #[arg(
        long,
        env = "BATON_OIDC_USER_CLAIM",
        value_name = "CLAIM",
        default_value = "sub"
    )]
    oidc_user_claim: String,
    /// With `--auth oidc`: the claim holding the user's groups (a list of
    /// strings), added to the user's groups in Baton's identity store.
    #[arg(
        long,
        env = "BATON_OIDC_GROUPS_CLAIM",
        value_name = "CLAIM",
        default_value = "groups"
    )]
    oidc_groups_claim: String,
    /// With `--auth oidc` and an https:// `--oidc-jwks`: a PEM file of
    /// certificate authorities to trust besides the system's root certificates,
    /// such as the private CA that signed the provider's certificate.
    #[arg(long, env = "BATON_OIDC_CA", value_name = "PATH")]
    oidc_ca: Option<PathBuf>,
}

/// `--auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AuthArg {
    /// No authentication.
    None,
    /// HTTP Basic, against Baton's users.
    Basic,
    /// Bearer tokens of an OpenID Connect provider.
    Oidc,
}

/// `--admin-user NAME:PASSWORD`, as given: read only once the server starts, so
/// that a malformed value is never echoed in an error message (it may hold a
/// password), and never shown by `Debug` either.
#[derive(Clone)]
struct AdminUser(String);

impl std::str::FromStr for AdminUser {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(AdminUser(text.to_owned()))
    }
}

impl std::fmt::Debug for AdminUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminUser(..)")
    }
}

impl AdminUser {
    /// The name and the password: the password is what follows the first colon.
    fn parts(&self) -> anyhow::Result<(&str, &str)> {
        let Some((name, password)) = self.0.split_once(':') else {
            bail!("--admin-user takes NAME:PASSWORD, and the value given has no colon");
        };
        if name.trim().is_empty() {
            bail!("--admin-user takes NAME:PASSWORD, and the name is empty");
        }
        if password.is_empty() {
            bail!("--admin-user takes NAME:PASSWORD, and the password is empty");
        }
        Ok((name, password))
    }
}

impl Serve {
    /// The token checks of `--auth oidc`, with the provider's keys read.
    async fn oidc(&self) -> anyhow::Result<server::Oidc> {
        let need = |value: &Option<String>, flag: &str| match value {
            Some(v) if !v.trim().is_empty() => Ok(v.clone()),
            _ => Err(anyhow::anyhow!("--auth oidc needs {flag}")),
        };
        let mut config = OidcConfig::new(
            need(&self.oidc_issuer, "--oidc-issuer URL (BATON_OIDC_ISSUER)")?,
            need(
                &self.oidc_audience,
                "--oidc-audience AUD (BATON_OIDC_AUDIENCE)",
            )?,
            need(&self.oidc_jwks, "--oidc-jwks PATH_OR_URL (BATON_OIDC_JWKS)")?,
        );
        config.user_claim.clone_from(&self.oidc_user_claim);
        config.groups_claim.clone_from(&self.oidc_groups_claim);
        config.ca_file = self
            .oidc_ca
            .clone()
            .filter(|path| !path.as_os_str().is_empty());
        Ok(server::Oidc::load(config).await?)
    }
}

/// The admin user of `--admin-user`: created with `password` if missing, the
/// group `camunda-admin` created as Camunda creates it if missing, and the
/// membership added. A user that exists keeps its password.
async fn ensure_admin(engine: &Engine, name: &str, password: &str) -> anyhow::Result<()> {
    if engine.user(name).await?.is_none() {
        let user = User {
            id: name.to_owned(),
            ..User::default()
        };
        engine
            .create_user(user, Some(password))
            .await
            .with_context(|| format!("cannot create the admin user {name}"))?;
        tracing::info!(user = name, "created the admin user");
    } else {
        tracing::info!(
            user = name,
            "the admin user exists; its password is left as it is"
        );
    }
    let query = GroupQuery {
        id: Some(ADMIN_GROUP.to_owned()),
        ..GroupQuery::default()
    };
    if engine.groups(query).await?.is_empty() {
        let group = Group {
            id: ADMIN_GROUP.to_owned(),
            name: Some("camunda BPM Administrators".to_owned()),
            kind: Some("SYSTEM".to_owned()),
        };
        engine
            .create_group(group)
            .await
            .with_context(|| format!("cannot create the group {ADMIN_GROUP}"))?;
    }
    engine
        .add_group_member(ADMIN_GROUP, name)
        .await
        .with_context(|| format!("cannot add {name} to {ADMIN_GROUP}"))?;
    Ok(())
}

/// Reads a duration: a whole number with `ms`, `s` or `m` after it, or alone
/// for seconds (`500ms`, `20s`, `2m`, `20`).
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 500ms, 20s or 2m"))?;
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(format!(
            "`{text}` is not a duration such as 500ms, 20s or 2m"
        )),
    }
}

/// `None` for zero: no bound.
fn bound(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
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
        // Connections are capped below the open-files limit: raise it as far as
        // the system allows first (the server logs the limit it then works with).
        server::raise_open_files_limit();
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
        let admin = match &self.admin_user {
            Some(admin) => Some(admin.parts()?),
            None => None,
        };
        let auth = match self.auth {
            AuthArg::None => Auth::None,
            AuthArg::Basic => Auth::Basic,
            AuthArg::Oidc => Auth::Oidc(self.oidc().await?),
        };
        let engine = Engine::open(config.durability(durability))
            .with_context(|| format!("cannot open the database {}", self.db))?;
        if let Some((name, password)) = admin {
            ensure_admin(&engine, name, password).await?;
        }
        if self.auth == AuthArg::Basic && engine.user_count(UserQuery::default()).await? == 0 {
            tracing::warn!(
                "--auth basic with no users: every request will be refused; \
                 create one with --admin-user NAME:PASSWORD"
            );
        }
        if !self.deploy.is_empty() {
            deploy(&engine, &self.deploy).await?;
        }
        let addr = SocketAddr::new(self.bind, self.port);
        let listener = listen(addr).with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr().context("no local address")?;
        let options = Options {
            base_path: normalise_base(&self.base_path),
            manual_clock: manual,
            header_timeout: bound(self.header_timeout),
            idle_timeout: bound(self.idle_timeout),
            body_timeout: bound(self.body_timeout),
            max_connections: self.max_connections.get(),
            auth,
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
        if let Some(every) = bound(self.summary_every) {
            tokio::spawn(summarise(engine.clone(), every));
        }
        // The server stops at SIGINT or SIGTERM, or when the engine stops for good
        // (its database file was replaced or deleted): then with that error.
        let watched = engine.clone();
        let (fault, faulted) = tokio::sync::oneshot::channel();
        let stop = async move {
            tokio::select! {
                () = shutdown_signal() => {}
                e = watched.failed() => {
                    let _ = fault.send(e);
                }
            }
        };
        server::serve(listener, engine, options, stop)
            .await
            .context("the server failed")?;
        if let Ok(e) = faulted.await {
            return Err(anyhow::Error::new(e).context("stopped"));
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// A listener on `addr` with a listen queue of 1,024 (the standard library's is
/// 128): when every connection is busy at the connection cap, new ones wait
/// there, and a burst of connections is not dropped.
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
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

/// Logs, every `every`, one line of what the engine did in that time, if anything.
async fn summarise(engine: Engine, every: Duration) {
    let mut last = engine.activity();
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let now = engine.activity();
        let done = now.since(last);
        last = now;
        if done == baton::engine::Activity::default() {
            continue;
        }
        tracing::info!(
            instances_started = done.instances_started,
            instances_ended = done.instances_ended,
            tasks_completed = done.tasks_completed,
            incidents = done.incidents,
            "in the last {}: {} instance(s) started, {} ended, {} external task(s) completed, \
             {} incident(s)",
            humantime(every),
            done.instances_started,
            done.instances_ended,
            done.tasks_completed,
            done.incidents
        );
    }
}

/// `60 s`, `500 ms`.
fn humantime(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
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
            // The engine logs what it deployed, and which versions.
            eprintln!(
                "baton: deployed {} file(s), {} new process definition(s)",
                files.len(),
                r.definitions.len()
            );
            Ok(())
        }
        Err(e) if !e.invalid_resources().is_empty() => {
            let invalid = e.invalid_resources();
            for (resource, problems) in &invalid {
                for p in *problems {
                    eprintln!("{resource}:{p}");
                }
            }
            let names: Vec<&str> = invalid.iter().map(|(r, _)| *r).collect();
            bail!(
                "{} {} not a valid model; nothing was deployed",
                names.join(", "),
                if names.len() == 1 { "is" } else { "are" }
            )
        }
        Err(e) => Err(e).context("the deployment failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_a_unit_or_as_seconds() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("15"), Ok(Duration::from_secs(15)));
        assert_eq!(duration("0"), Ok(Duration::ZERO));
        assert!(duration("1h").is_err());
        assert!(duration("s").is_err());
        assert!(duration("-1s").is_err());
        assert_eq!(bound(Duration::ZERO), None);
    }

    #[derive(clap::Parser)]
    struct Command {
        #[command(flatten)]
        serve: Serve,
    }

    #[test]
    fn the_flags_defaults_are_the_servers() {
        use clap::Parser as _;
        let serve = Command::parse_from(["baton"]).serve;
        let defaults = Options::default();
        assert_eq!(bound(serve.header_timeout), defaults.header_timeout);
        assert_eq!(bound(serve.idle_timeout), defaults.idle_timeout);
        assert_eq!(bound(serve.body_timeout), defaults.body_timeout);
        assert_eq!(serve.max_connections.get(), defaults.max_connections);
        assert_eq!(serve.auth, AuthArg::None);
        assert!(matches!(defaults.auth, Auth::None));
    }

    #[test]
    fn the_admin_user_is_name_colon_password() {
        let parts = |s: &str| {
            AdminUser(s.to_owned())
                .parts()
                .map(|(n, p)| (n.to_owned(), p.to_owned()))
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            parts("admin:s3cr:et"),
            Ok(("admin".into(), "s3cr:et".into()))
        );
        for bad in ["admin", ":pw", " :pw", "admin:", ""] {
            let e = parts(bad).expect_err(bad);
            assert!(e.contains("NAME:PASSWORD"), "{e}");
        }
        assert_eq!(
            format!("{:?}", AdminUser("a:secret".into())),
            "AdminUser(..)"
        );
    }
}
