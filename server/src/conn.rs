//! Connections: Baton's accept loop over hyper, with the bounds that keep slow
//! clients from holding the server (`axum::serve` has none).
//!
//! Each connection is, at any moment, in one [`Phase`], kept in one atomic word
//! with the instant it entered it:
//!
//! - `Fresh`: accepted, not yet read from. Its request may already be waiting
//!   in the socket, so it is never closed to make room.
//! - `Head`: reading a request's head (request line and headers). The head must
//!   be complete within the header bound, counted from the accept for a new
//!   connection and from the request's first byte on a kept-alive one.
//! - `Busy`: from a complete head to the end of its answer: the server's turn, so
//!   no bound applies (a long poll waits here for up to 30 minutes). While the
//!   handler reads the body, the body bound applies to each wait for more of it
//!   ([`Guarded`]); a body that stops arriving is answered 408.
//! - `Idle`: kept alive after an answer, waiting for the next request; closed
//!   once the idle bound passes without its first byte.
//!
//! hyper's own `header_read_timeout` is not used: it starts when hyper begins
//! reading a head, which on a kept-alive connection is right after the previous
//! answer, so it would bound the idle wait and the head together, by one value.
//! The phases are set where they are known instead: the socket wrapper
//! ([`Watched`]) sees the first byte, the service sees the complete head, and
//! the end of the answer is the first flush of the socket after hyper dropped
//! the answer's body ([`Answer`]), so an answer still being written is never
//! cut by an eviction or a shutdown. All of these run inside the connection's
//! task while it polls hyper, and after each poll the task looks at the phase
//! and keeps its one timer no later than the phase's deadline ([`run`]).
//!
//! Connections are capped ([`Registry`]) below the process's open-files limit.
//! At the cap, the connection that has been idle or stuck in a head the longest
//! (stuck heads first) is closed to make room for the new one; when every
//! connection is busy, the new one waits until one ends or goes idle, and the
//! connections after it wait in the kernel's listen queue. Closing a stuck or
//! idle connection costs its client nothing it was owed (at worst a
//! reconnect), while leaving every new connection in the listen queue, or
//! refusing it, would let a crowd of silent sockets lock every well-behaved
//! client out until their bounds ran out.
//!
//! A connection is never closed to make room before it has been waiting for
//! its head for [`EVICTION_GRACE_MS`] (its bytes may be on their way), and a
//! chosen one gets a last look: its task polls hyper once more before closing,
//! and if the head was there after all (the task, not the client, was late, as
//! on a loaded machine), the connection stays and another is chosen.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::response::IntoResponse;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;

use crate::error::ApiError;

/// How long a client may take to send, each `None` for no bound.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// A request's head, from the accept or from its first byte.
    pub(crate) header: Option<Duration>,
    /// The wait for the next request on a kept-alive connection.
    pub(crate) idle: Option<Duration>,
    /// Each wait for more of a request's body, while the handler reads it.
    pub(crate) body: Option<Duration>,
}

/// File descriptors left for everything that is not a connection: the
/// database, its WAL and shared memory, read connections, the runtime's own,
/// standard streams, the listener.
const FD_HEADROOM: u64 = 64;

/// The most connections served at once: `max`, and fewer than the process's
/// open-files limit by [`FD_HEADROOM`] (by half the limit when it is tiny).
/// Returns the cap and the limit it was derived from.
pub(crate) fn connection_cap(max: usize) -> (usize, Option<u64>) {
    let limit = open_files_limit();
    let by_files = limit.map_or(usize::MAX, |limit| {
        let left = limit.saturating_sub(FD_HEADROOM.min(limit / 2));
        usize::try_from(left).unwrap_or(usize::MAX)
    });
    (max.min(by_files).max(1), limit)
}

/// The soft limit on open files, `None` when unlimited or unknown.
#[cfg(unix)]
pub(crate) fn open_files_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// The soft limit on open files, `None` when unlimited or unknown.
#[cfg(not(unix))]
pub(crate) fn open_files_limit() -> Option<u64> {
    None
}

/// Raises the soft limit on open files to the hard limit, if it is finite.
#[cfg(unix)]
pub(crate) fn raise_open_files_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if let (Some(soft), Some(hard)) = (limit.current, limit.maximum) {
        if soft < hard {
            let raised = Rlimit {
                current: Some(hard),
                maximum: Some(hard),
            };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::debug!(error = %e, soft, hard, "cannot raise the open-files limit");
            }
        }
    }
    open_files_limit()
}

/// Raises the soft limit on open files to the hard limit, if it is finite.
#[cfg(not(unix))]
pub(crate) fn raise_open_files_limit() -> Option<u64> {
    None
}

/// Where a connection is in its request cycle; see the module's comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Fresh = 0,
    Head = 1,
    Busy = 2,
    Idle = 3,
}

impl Phase {
    fn from_bits(bits: u64) -> Phase {
        match bits & 3 {
            0 => Phase::Fresh,
            1 => Phase::Head,
            2 => Phase::Busy,
            _ => Phase::Idle,
        }
    }
}

/// One connection's state, shared by its task, its socket wrapper, its service
/// and the registry.
struct Conn {
    /// The phase in the low two bits, the milliseconds since the registry's
    /// epoch at which it was entered above them.
    state: AtomicU64,
    /// Set by the registry to close the connection now, to make room.
    evicted: AtomicBool,
    /// The state word when it was chosen for eviction: if its task finds it
    /// changed, the connection moved on meanwhile and is not closed.
    evicted_state: AtomicU64,
    /// Set when hyper is done with an answer's body; the first flush after it
    /// has handed the whole answer to the socket, and makes the connection idle.
    answered: AtomicBool,
    /// Wakes the connection's task when it is evicted.
    evict: Notify,
    registry: Arc<Registry>,
}

impl Conn {
    fn load(&self) -> (Phase, u64) {
        let word = self.state.load(Ordering::SeqCst);
        (Phase::from_bits(word), word >> 2)
    }

    fn phase(&self) -> Phase {
        self.load().0
    }

    fn store(&self, phase: Phase, since: u64) {
        self.state
            .store((since << 2) | phase as u64, Ordering::SeqCst);
        if phase != Phase::Busy && self.registry.waiting.load(Ordering::SeqCst) {
            // It may now make room for the connection waiting at the cap.
            self.registry.space.notify_one();
        }
    }

    /// Enters `phase` now. Every phase change happens while the connection's
    /// task polls hyper, and the task looks at the phase after each such poll.
    fn enter(&self, phase: Phase) {
        self.store(phase, self.registry.now_ms());
    }

    /// A read from the socket was tried, and brought bytes or not.
    fn read(&self, got_bytes: bool) {
        let (phase, since) = self.load();
        match phase {
            // Its deadline is unchanged: the head is due from the accept.
            Phase::Fresh => self.store(Phase::Head, since),
            Phase::Idle if got_bytes => self.enter(Phase::Head),
            _ => {}
        }
    }

    /// When the current phase's bound runs out, if it has one.
    fn deadline(&self, bounds: &Bounds) -> Option<Instant> {
        let (phase, since) = self.load();
        let bound = match phase {
            Phase::Fresh | Phase::Head => bounds.header,
            Phase::Idle => bounds.idle,
            Phase::Busy => None,
        }?;
        Some(self.registry.epoch + Duration::from_millis(since) + bound)
    }
}

/// The connections being served, and the cap on their number.
pub(crate) struct Registry {
    epoch: Instant,
    cap: usize,
    inner: Mutex<Inner>,
    /// True while a new connection waits at the cap: phase changes that free
    /// room then notify [`Registry::space`].
    waiting: AtomicBool,
    /// Notified when a connection ends, or, while one waits at the cap, when a
    /// connection becomes one that may be closed to make room.
    space: Notify,
}

struct Inner {
    conns: HashMap<u64, Arc<Conn>>,
    next_id: u64,
    /// Evicted connections whose task has not ended yet.
    evicting: usize,
    /// When the cap was last reported, to report it once a minute at most.
    reported: Option<Instant>,
}

/// How long a connection must have been waiting for (the rest of) its head
/// before it may be closed to make room, in milliseconds: a younger one's bytes
/// may be on their way, or already arrived and not yet read by its task.
const EVICTION_GRACE_MS: u64 = 100;

/// What to do at the cap.
enum Choice<'a> {
    /// Close this connection, found in this state word.
    Evict(&'a Arc<Conn>, u64),
    /// Nothing to close before this instant (in milliseconds since the epoch),
    /// when a connection waiting for its head will have waited long enough.
    WaitUntil(u64),
    /// Nothing to close: wait until a connection ends or goes idle.
    Wait,
}

impl Inner {
    /// The connection to close to make room, `now` being the milliseconds since
    /// the epoch: the one stuck in a head the longest (for at least
    /// [`EVICTION_GRACE_MS`]), else the one idle the longest; never a fresh or
    /// busy one.
    fn victim(&self, now: u64) -> Choice<'_> {
        let mut head: Option<(u64, &Arc<Conn>)> = None;
        let mut idle: Option<(u64, &Arc<Conn>)> = None;
        let mut maturing: Option<u64> = None;
        for conn in self.conns.values() {
            if conn.evicted.load(Ordering::SeqCst) {
                continue;
            }
            let word = conn.state.load(Ordering::SeqCst);
            let (phase, since) = (Phase::from_bits(word), word >> 2);
            let oldest = match phase {
                Phase::Head if now.saturating_sub(since) >= EVICTION_GRACE_MS => &mut head,
                Phase::Head => {
                    let at = since + EVICTION_GRACE_MS;
                    maturing = Some(maturing.map_or(at, |m| m.min(at)));
                    continue;
                }
                Phase::Idle => &mut idle,
                Phase::Fresh | Phase::Busy => continue,
            };
            if oldest.is_none_or(|(w, _)| since < w >> 2) {
                *oldest = Some((word, conn));
            }
        }
        match (head.or(idle), maturing) {
            (Some((word, conn)), _) => Choice::Evict(conn, word),
            (None, Some(at)) => Choice::WaitUntil(at),
            (None, None) => Choice::Wait,
        }
    }
}

/// A connection admitted by the registry; dropping it gives its place back.
struct Admitted {
    id: u64,
    conn: Arc<Conn>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let registry = &self.conn.registry;
        {
            let mut inner = registry.lock();
            inner.conns.remove(&self.id);
            if self.conn.evicted.load(Ordering::SeqCst) {
                inner.evicting = inner.evicting.saturating_sub(1);
            }
        }
        registry.space.notify_one();
    }
}

impl Registry {
    pub(crate) fn new(cap: usize) -> Arc<Registry> {
        Arc::new(Registry {
            epoch: Instant::now(),
            cap,
            inner: Mutex::new(Inner {
                conns: HashMap::new(),
                next_id: 0,
                evicting: 0,
                reported: None,
            }),
            waiting: AtomicBool::new(false),
            space: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX >> 2)
    }

    /// A place for a new connection: at once below the cap; at the cap, once
    /// the connection idle or stuck the longest has been closed, or, when all
    /// are busy, once one ends or becomes idle.
    async fn admit(self: &Arc<Self>) -> Admitted {
        loop {
            let wake = {
                let mut inner = self.lock();
                if inner.conns.len() < self.cap {
                    self.waiting.store(false, Ordering::SeqCst);
                    let id = inner.next_id;
                    inner.next_id += 1;
                    let conn = Arc::new(Conn {
                        state: AtomicU64::new((self.now_ms() << 2) | Phase::Fresh as u64),
                        evicted: AtomicBool::new(false),
                        evicted_state: AtomicU64::new(0),
                        answered: AtomicBool::new(false),
                        evict: Notify::new(),
                        registry: Arc::clone(self),
                    });
                    inner.conns.insert(id, Arc::clone(&conn));
                    return Admitted { id, conn };
                }
                self.waiting.store(true, Ordering::SeqCst);
                let now = Instant::now();
                let report = inner
                    .reported
                    .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(60));
                if report {
                    inner.reported = Some(now);
                }
                // One eviction at a time: the next is decided once it is gone.
                let mut wake = None;
                if inner.evicting == 0 {
                    match inner.victim(self.now_ms()) {
                        Choice::Evict(victim, word) => {
                            // The state it was chosen in: the task compares.
                            let victim = Arc::clone(victim);
                            victim.evicted_state.store(word, Ordering::SeqCst);
                            victim.evicted.store(true, Ordering::SeqCst);
                            victim.evict.notify_one();
                            inner.evicting += 1;
                        }
                        Choice::WaitUntil(at) => {
                            wake = Some(self.epoch + Duration::from_millis(at));
                        }
                        Choice::Wait => {}
                    }
                }
                if report {
                    tracing::warn!(
                        connections = self.cap,
                        "at the connection limit: closing the connections idle or stuck \
                         the longest to make room, new ones wait while all are busy"
                    );
                }
                wake
            };
            match wake {
                Some(at) => {
                    tokio::select! {
                        () = self.space.notified() => {}
                        () = tokio::time::sleep_until(at) => {}
                    }
                }
                None => self.space.notified().await,
            }
        }
    }

    /// Takes back the eviction of `conn`, whose request went on before its task
    /// saw the eviction, and lets the waiting connection look for another.
    fn decline(&self, conn: &Conn) {
        {
            let mut inner = self.lock();
            if conn.evicted.swap(false, Ordering::SeqCst) {
                inner.evicting = inner.evicting.saturating_sub(1);
            }
        }
        self.space.notify_one();
    }

    /// Resolves once every connection has ended.
    async fn drained(&self) {
        loop {
            if self.lock().conns.is_empty() {
                return;
            }
            self.space.notified().await;
        }
    }
}

/// What serves each request: the router, and the base path for normalising.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) router: axum::Router,
    pub(crate) base: Arc<str>,
}

/// Accepts connections on `listener` and serves them until `signal`, then
/// turns `stop` true (answering parked long polls), lets requests in flight
/// finish, and returns once every connection is closed.
pub(crate) async fn serve(
    listener: TcpListener,
    app: App,
    bounds: Bounds,
    registry: Arc<Registry>,
    stop: watch::Sender<bool>,
    signal: impl Future<Output = ()>,
) {
    let mut signal = pin!(signal);
    let mut pause = ACCEPT_PAUSE;
    loop {
        let tcp = tokio::select! {
            () = &mut signal => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    pause = ACCEPT_PAUSE;
                    tcp
                }
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // EMFILE and its kind: retrying at once would spin.
                    tracing::warn!(error = %e, retry_ms = pause.as_millis(), "cannot accept a connection");
                    tokio::select! {
                        () = &mut signal => break,
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(MAX_ACCEPT_PAUSE);
                    continue;
                }
            },
        };
        let admitted = tokio::select! {
            () = &mut signal => break,
            admitted = registry.admit() => admitted,
        };
        // Answers go out at once rather than waiting for the previous segment's ACK.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        tokio::spawn(run(admitted, tcp, app.clone(), bounds, stop.subscribe()));
    }
    drop(listener);
    tracing::info!("shutting down: answering long polls, finishing requests");
    stop.send_replace(true);
    registry.drained().await;
}

/// The first pause after an accept error such as running out of file
/// descriptors; it doubles up to [`MAX_ACCEPT_PAUSE`] while errors go on.
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

/// The longest pause between accept attempts that fail.
const MAX_ACCEPT_PAUSE: Duration = Duration::from_secs(1);

/// Errors about one connection, not about the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// Serves one connection until it ends, runs out of its phase's bound, is
/// evicted, or (after `stop`) finishes its request in flight.
async fn run(
    admitted: Admitted,
    tcp: TcpStream,
    app: App,
    bounds: Bounds,
    mut stop: watch::Receiver<bool>,
) {
    let conn = Arc::clone(&admitted.conn);
    let io = TokioIo::new(Watched {
        tcp,
        conn: Arc::clone(&conn),
    });
    let service = Service {
        app,
        conn: Arc::clone(&conn),
        body_bound: bounds.body,
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The bounds are kept here, per phase; see the module's comment.
    builder.header_read_timeout(None);
    let mut connection = pin!(builder.serve_connection(io, service));
    let mut evicted = pin!(conn.evict.notified());
    let mut stopping = pin!(stop.changed());
    let mut draining = false;
    // The timer is never later than the current phase's deadline: it is reset
    // when a deadline comes earlier, and when it fires early (the phase moved
    // on), it is set again. So a request costs no timer operation.
    let mut timer = pin!(tokio::time::sleep(Duration::ZERO));
    let mut armed = false;
    let end = std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = connection.as_mut().poll(cx) {
            return Poll::Ready(End::Done(done));
        }
        // Every phase change happened in that poll: look at the phase now.
        if !draining && stopping.as_mut().poll(cx).is_ready() {
            draining = true;
            if conn.phase() != Phase::Busy {
                return Poll::Ready(End::Stopped);
            }
            connection.as_mut().graceful_shutdown();
            if let Poll::Ready(done) = connection.as_mut().poll(cx) {
                return Poll::Ready(End::Done(done));
            }
        }
        while evicted.as_mut().poll(cx).is_ready() {
            evicted.set(conn.evict.notified());
            if conn.evicted.load(Ordering::SeqCst) {
                // hyper was polled just above: if the head had arrived (the
                // task was late, not the client), the connection moved on, and
                // stays.
                if conn.state.load(Ordering::SeqCst) == conn.evicted_state.load(Ordering::SeqCst) {
                    return Poll::Ready(End::Evicted);
                }
                conn.registry.decline(&conn);
            }
        }
        loop {
            let deadline = conn.deadline(&bounds);
            if let Some(at) = deadline {
                if !armed || at < timer.deadline() {
                    timer.as_mut().reset(at);
                    armed = true;
                }
            }
            if !armed || timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            armed = false;
            if deadline.is_some_and(|at| at <= Instant::now()) {
                return Poll::Ready(End::TimedOut(conn.phase()));
            }
        }
    })
    .await;
    match end {
        End::Done(Ok(())) | End::Stopped => {}
        End::Done(Err(e)) => tracing::debug!(error = %e, "connection ended with an error"),
        End::Evicted => tracing::debug!("connection closed to make room for a new one"),
        End::TimedOut(phase) => tracing::debug!(?phase, "connection timed out"),
    }
}

/// Why [`run`] ended.
enum End {
    /// hyper finished the connection.
    Done(Result<(), hyper::Error>),
    /// Closed at shutdown, between requests.
    Stopped,
    /// Closed to make room for a new connection.
    Evicted,
    /// Closed when its phase's bound ran out.
    TimedOut(Phase),
}

/// The socket, noting the reads that move its connection's phase.
struct Watched {
    tcp: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.tcp).poll_read(cx, buf);
        self.conn.read(buf.filled().len() > before);
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flushed = Pin::new(&mut self.tcp).poll_flush(cx);
        // hyper flushes the socket once its own buffer is empty.
        if matches!(flushed, Poll::Ready(Ok(())))
            && self.conn.answered.swap(false, Ordering::SeqCst)
        {
            self.conn.enter(Phase::Idle);
        }
        flushed
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// One connection's hyper service: marks it busy, bounds the body's pauses,
/// and marks it idle again when the answer is done.
struct Service {
    app: App,
    conn: Arc<Conn>,
    body_bound: Option<Duration>,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Service {
    type Response = Response<Answer>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Answer>, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        // A pipelined request may come before the previous answer is flushed.
        self.conn.answered.store(false, Ordering::SeqCst);
        self.conn.enter(Phase::Busy);
        let stalled = Arc::new(AtomicBool::new(false));
        let bound = self.body_bound;
        let request: Request = request.map(|body| match bound {
            Some(bound) => Body::new(Guarded {
                inner: body,
                bound,
                timer: None,
                armed: false,
                stalled: Arc::clone(&stalled),
            }),
            None => Body::new(body),
        });
        let request = crate::normalise(request, &self.app.base);
        let router = self.app.router.clone();
        let conn = Arc::clone(&self.conn);
        Box::pin(async move {
            let response = match router.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            // A command that completed is never reported as timed out.
            let response = match bound {
                Some(bound)
                    if stalled.load(Ordering::SeqCst) && !response.status().is_success() =>
                {
                    tracing::info!(
                        status = response.status().as_u16(),
                        bound_ms = bound.as_millis(),
                        "a request body stopped arriving: answered 408 instead"
                    );
                    stalled_body(bound)
                }
                _ => response,
            };
            Ok(response.map(|inner| Answer { inner, conn }))
        })
    }
}

/// The 408 for a body that stopped arriving; the connection closes after it,
/// since the rest of the body may still come.
fn stalled_body(bound: Duration) -> Response<Body> {
    let mut response = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "InvalidRequestException",
        format!(
            "The request body stopped arriving: nothing came for {bound:?}, so the request was not processed"
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The body of a request, failing when the client sends nothing for the body
/// bound while the handler waits for more. Time the handler spends elsewhere
/// does not count: the bound is on the client.
struct Guarded {
    inner: Incoming,
    bound: Duration,
    /// Allocated at the first wait; most bodies arrive with their head.
    timer: Option<Pin<Box<Sleep>>>,
    /// Whether the timer runs for the current wait.
    armed: bool,
    /// Set when the body failed for its bound, so the answer becomes a 408.
    stalled: Arc<AtomicBool>,
}

/// The error a [`Guarded`] body fails with.
#[derive(Debug)]
struct Stalled(Duration);

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no part of the request body arrived for {:?}", self.0)
    }
}

impl std::error::Error for Stalled {}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.armed = false;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let deadline = Instant::now() + this.bound;
                let timer = match &mut this.timer {
                    Some(timer) => {
                        if !this.armed {
                            timer.as_mut().reset(deadline);
                        }
                        timer
                    }
                    None => this
                        .timer
                        .insert(Box::pin(tokio::time::sleep_until(deadline))),
                };
                this.armed = true;
                if timer.as_mut().poll(cx).is_ready() {
                    this.stalled.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err(Box::new(Stalled(this.bound)))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The body of an answer; once hyper is done with it (and drops it), the
/// connection is idle as soon as the answer is flushed.
struct Answer {
    inner: Body,
    conn: Arc<Conn>,
}

impl http_body::Body for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.conn.answered.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(registry: &Arc<Registry>, phase: Phase, since: u64) -> Arc<Conn> {
        let conn = Arc::new(Conn {
            state: AtomicU64::new((since << 2) | phase as u64),
            evicted: AtomicBool::new(false),
            evicted_state: AtomicU64::new(0),
            answered: AtomicBool::new(false),
            evict: Notify::new(),
            registry: Arc::clone(registry),
        });
        let mut inner = registry.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        inner.conns.insert(id, Arc::clone(&conn));
        conn
    }

    #[test]
    fn the_victim_is_the_oldest_stuck_head_then_the_oldest_idle() {
        let now = 10_000;
        let young = now - EVICTION_GRACE_MS / 2;
        let registry = Registry::new(10);
        add(&registry, Phase::Busy, 1);
        add(&registry, Phase::Fresh, 2);
        let idle_old = add(&registry, Phase::Idle, 3);
        add(&registry, Phase::Idle, 9);
        let head_old = add(&registry, Phase::Head, 5);
        add(&registry, Phase::Head, young);
        let pick = |registry: &Arc<Registry>| match registry.lock().victim(now) {
            Choice::Evict(conn, _) => Some(Arc::clone(conn)),
            _ => None,
        };
        assert!(pick(&registry).is_some_and(|c| Arc::ptr_eq(&c, &head_old)));
        head_old.evicted.store(true, Ordering::SeqCst);
        // The other head has waited for less than the grace: the idle one goes.
        assert!(pick(&registry).is_some_and(|c| Arc::ptr_eq(&c, &idle_old)));

        let busy = Registry::new(10);
        add(&busy, Phase::Busy, 1);
        add(&busy, Phase::Fresh, 2);
        assert!(matches!(busy.lock().victim(now), Choice::Wait));
        add(&busy, Phase::Head, young);
        add(&busy, Phase::Head, young + 1);
        let mature = young + EVICTION_GRACE_MS;
        assert!(
            matches!(busy.lock().victim(now), Choice::WaitUntil(at) if at == mature),
            "the first head to have waited long enough"
        );
        assert!(matches!(
            busy.lock().victim(mature),
            Choice::Evict(_, word) if word == (young << 2) | Phase::Head as u64
        ));
    }

    #[test]
    fn deadlines_follow_the_phase() {
        let registry = Registry::new(10);
        let bounds = Bounds {
            header: Some(Duration::from_secs(20)),
            idle: Some(Duration::from_secs(120)),
            body: Some(Duration::from_secs(30)),
        };
        let conn = add(&registry, Phase::Fresh, 1000);
        let at = |ms: u64| Some(registry.epoch + Duration::from_millis(ms));
        assert_eq!(conn.deadline(&bounds), at(21_000));
        conn.read(false);
        assert_eq!(
            conn.load(),
            (Phase::Head, 1000),
            "the head is due from the accept"
        );
        conn.store(Phase::Busy, 2000);
        assert_eq!(conn.deadline(&bounds), None);
        conn.read(true);
        assert_eq!(conn.phase(), Phase::Busy, "a busy connection stays busy");
        conn.store(Phase::Idle, 3000);
        assert_eq!(conn.deadline(&bounds), at(123_000));
        conn.read(false);
        assert_eq!(conn.phase(), Phase::Idle, "nothing arrived");
        conn.read(true);
        assert_eq!(conn.phase(), Phase::Head, "a new request began");
    }
}
