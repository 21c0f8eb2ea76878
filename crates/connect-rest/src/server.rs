//! The listener: serves the router over HTTP/1.1 with the connection limits Kafka Connect's
//! Jetty has and `axum::serve` lacks.
//!
//! * A connection with no I/O for [`ServerLimits::idle_timeout`] (Jetty's 30 s idle timeout)
//!   while no request is being handled is closed.
//! * A request head must be complete within [`ServerLimits::header_read_timeout`] of its first
//!   byte, so a client sending a byte at a time is cut off although each byte is I/O (Jetty's
//!   idle timeout alone would let it go on forever).
//! * At most [`ServerLimits::max_connections`] connections are open; further ones wait in the
//!   kernel's accept queue until one closes.
//! * An HTTP/1.1 request without `Host` is `400` (Jetty's "No Host"); up to
//!   [`ServerLimits::max_headers`] header fields are read (Jetty limits only their total size).
//!
//! [`serve_tls`] does the same over TLS (`https://` listeners).
//!
//! Errors found below the router (a bad request line, a head that is too large, a missing
//! `Host`) are answered with an empty body, as Jetty's are not Kafka's JSON either.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, Request, StatusCode, Version, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// Jetty's default idle timeout (`ServerConnector`), which Kafka Connect keeps.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest time from a request head's first byte to its end (Apache httpd's `mod_reqtimeout`
/// waits 20 s for a head; a real client sends one in milliseconds).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(20);

/// Open connections allowed by default (`sluice.rest.max.connections`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Header fields read per request. Jetty counts only bytes (8 KiB of head, so at most about
/// 2,000 of the shortest fields); hyper's default of 100 refused requests Jetty serves.
pub const DEFAULT_MAX_HEADERS: usize = 2048;

/// The listener's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Longest time without I/O while no request is handled.
    pub idle_timeout: Duration,
    /// Longest time from a request head's first byte to its end.
    pub header_read_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Most header fields in a request (`431` beyond).
    pub max_headers: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_headers: DEFAULT_MAX_HEADERS,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish and
/// returns once every connection has closed.
///
/// # Errors
/// None at present: accept errors (a full file table, an aborted handshake) are logged and the
/// loop goes on, as Jetty's acceptor does.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    serve_with(listener, app, limits, None, shutdown).await
}

/// [`serve`] over TLS (an `https://` listener). The handshake is done on the connection's own
/// task and must finish within [`ServerLimits::header_read_timeout`]; a failed one (no client
/// certificate where one is required, an untrusted one, a plain-HTTP client) closes the
/// connection and is logged at debug.
///
/// # Errors
/// As [`serve`].
pub async fn serve_tls(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    serve_with(
        listener,
        app,
        limits,
        Some(tokio_rustls::TlsAcceptor::from(tls)),
        shutdown,
    )
    .await
}

async fn serve_with(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // hyper counts from when it starts waiting for a head, which is the idle wait; the
        // head's own deadline is kept by `Connection::run`.
        .header_read_timeout(limits.idle_timeout)
        .max_headers(limits.max_headers)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "could not accept a connection");
                    // A full file table stays full for a while; do not spin on it.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let conn = Connection {
            builder: builder.clone(),
            app: app.clone(),
            idle_timeout: limits.idle_timeout,
            header_read_timeout: limits.header_read_timeout,
            stop: stop_rx.clone(),
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => conn.run(stream).await,
                Some(acceptor) => {
                    match tokio::time::timeout(conn.header_read_timeout, acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls_stream)) => conn.run(tls_stream).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    drop(stop_rx);
    // No receiver left means no connection left to tell.
    stop_tx.send(true).ok();
    // Every connection holds a receiver; the channel closes when the last one ends.
    stop_tx.closed().await;
    Ok(())
}

/// When a connection last did I/O, how many of its requests are being handled, and when the
/// head being received began.
#[derive(Debug)]
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
    /// Milliseconds since `start` plus one when the first byte of a head was read; 0 when no
    /// head is being received.
    head_since_ms: AtomicU64,
    /// Wakes the watchdog when a head begins, so it can take the head's deadline.
    head_started: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            head_since_ms: AtomicU64::new(0),
            head_started: Notify::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn touch(&self) {
        self.last_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Bytes arrived: with no request being handled they belong to the next head.
    fn read(&self) {
        self.touch();
        if self.in_flight.load(Ordering::Relaxed) == 0 {
            let since = self.now_ms() + 1;
            // Only the first byte of a head sets it; later bytes leave it.
            if self
                .head_since_ms
                .compare_exchange(0, since, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                self.head_started.notify_one();
            }
        }
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    /// When the head being received began, if one is.
    fn head_since(&self) -> Option<Instant> {
        match self.head_since_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(self.start + Duration::from_millis(ms - 1)),
        }
    }
}

/// Counts a request as being handled until dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        // hyper calls the service once the head is complete.
        activity.head_since_ms.store(0, Ordering::Relaxed);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// A stream that records when it last read or wrote.
struct Tracked<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Jetty's answer to an HTTP/1.1 request without `Host`.
fn missing_host() -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

struct Connection {
    builder: http1::Builder,
    app: Router,
    idle_timeout: Duration,
    header_read_timeout: Duration,
    stop: watch::Receiver<bool>,
}

impl Connection {
    async fn run<T>(mut self, stream: T)
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: activity.clone(),
        });
        let app = self.app.clone();
        let requests = activity.clone();
        let service = service_fn(move |req: Request<Incoming>| {
            let app = app.clone();
            let guard = InFlight::new(requests.clone());
            async move {
                let _guard = guard;
                if req.version() == Version::HTTP_11 && !req.headers().contains_key(header::HOST) {
                    return Ok::<_, Infallible>(missing_host());
                }
                app.oneshot(req).await
            }
        });
        let conn = self.builder.serve_connection(io, service);
        tokio::pin!(conn);
        let mut stopping = false;
        loop {
            let idle_deadline = activity.last() + self.idle_timeout;
            let head_deadline = activity.head_since().map(|t| t + self.header_read_timeout);
            let deadline = head_deadline.map_or(idle_deadline, |h| h.min(idle_deadline));
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                () = activity.head_started.notified() => {}
                changed = self.stop.changed(), if !stopping => {
                    stopping = true;
                    if changed.is_ok() {
                        conn.as_mut().graceful_shutdown();
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    let now = Instant::now();
                    if activity.head_since().is_some_and(|t| t + self.header_read_timeout <= now) {
                        tracing::debug!(timeout = ?self.header_read_timeout, "closing a connection whose request head is too slow");
                        return;
                    }
                    let idle = activity.last() + self.idle_timeout <= now;
                    if idle && activity.in_flight.load(Ordering::Relaxed) == 0 {
                        tracing::debug!(timeout = ?self.idle_timeout, "closing an idle connection");
                        return;
                    }
                    if idle {
                        // A request is being handled; look again a timeout later.
                        activity.touch();
                    }
                }
            }
        }
    }
}
