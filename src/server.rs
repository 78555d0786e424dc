//! The HTTP listener: hyper with the limits axum's default `serve` lacks.
//! - a new connection must start its first request within the preface
//!   timeout, else it is closed: the auto (HTTP/1 + HTTP/2) builder reads
//!   the protocol preface with no timer of its own;
//! - a client must finish sending its headers within `HEADER_TIMEOUT`
//!   (hyper's timer, which also closes idle HTTP/1 keep-alive connections);
//! - a connection with no request in flight for the idle timeout is shut
//!   down gracefully, and HTTP/2 peers that stop answering pings are dropped;
//! - at most `max_connections` at once, and at most `max_per_peer` from one
//!   address; more are closed at accept, except that at the global cap the
//!   oldest connection that has not yet asked anything makes room;
//! - on shutdown, in-flight requests get `SHUTDOWN_GRACE` to finish.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::net::IpAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulConnection;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::ConnectionConfig;

pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The default of `KASSA_MAX_CONNECTIONS`.
pub const MAX_CONNECTIONS: usize = 10_000;
/// How long a new connection waits for an evicted one's place.
const EVICTION_WAIT: Duration = Duration::from_millis(100);
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &ConnectionConfig,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let builder = builder(limits);
    let mut gate = Gate::new(limits);
    // Cancelled when the grace period is over: remaining connections are cut.
    let force = CancellationToken::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                Err(e) => {
                    // Usually out of file descriptors: back off rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(places) = gate.admit(peer.ip()).await else { continue };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        gate.track(&activity);
        let service = Tracked { inner: TowerToHyperService::new(app.clone()), activity: activity.clone() };
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let watch = Watch { limits: limits.clone(), shutdown: shutdown.clone(), force: force.clone() };
        tokio::spawn(async move {
            watch.drive(conn, &activity).await;
            drop(places);
        });
    }
    drop(listener);
    // Every open connection holds one slot: all slots back means all closed.
    let all = u32::try_from(gate.max).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, gate.slots.acquire_many(all)).await.is_err() {
        tracing::warn!("shutdown grace period over; closing remaining connections");
        force.cancel();
    }
    Ok(())
}

/// Who gets in: at most `max` connections, at most `max_per_peer` per peer.
/// When full, the oldest connection that has not yet started a request
/// makes room for a new one, so silent connections from many addresses
/// cannot lock everyone else out even for the preface timeout.
struct Gate {
    slots: Arc<Semaphore>,
    max: usize,
    peers: Arc<Peers>,
    /// Connections in the order they came, dropped lazily once they spoke.
    unproven: VecDeque<Weak<Activity>>,
    full: Refusals,
    crowded: Refusals,
}

/// A connection's places under both caps, given back on drop.
type Places = (OwnedSemaphorePermit, PeerSlot);

impl Gate {
    fn new(limits: &ConnectionConfig) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.max_connections)),
            max: limits.max_connections,
            peers: Arc::new(Peers::new(limits.max_per_peer)),
            unproven: VecDeque::new(),
            full: Refusals::default(),
            crowded: Refusals::default(),
        }
    }

    async fn admit(&mut self, ip: IpAddr) -> Option<Places> {
        let Some(peer) = self.peers.admit(ip) else {
            self.crowded.note("a peer address is at its connection cap; closing its new connections");
            return None;
        };
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Some((slot, peer));
        }
        if self.evict_oldest_silent() {
            let freed = tokio::time::timeout(EVICTION_WAIT, self.slots.clone().acquire_owned()).await;
            if let Ok(Ok(slot)) = freed {
                return Some((slot, peer));
            }
        }
        self.full.note("connection limit reached and no silent connection to drop; closing new connections");
        None
    }

    fn track(&mut self, activity: &Arc<Activity>) {
        if self.unproven.len() >= self.max.saturating_mul(2).max(64) {
            self.unproven.retain(|w| w.upgrade().is_some_and(|a| !a.started.load(Ordering::Acquire)));
        }
        self.unproven.push_back(Arc::downgrade(activity));
    }

    fn evict_oldest_silent(&mut self) -> bool {
        while let Some(w) = self.unproven.pop_front() {
            if let Some(a) = w.upgrade().filter(|a| !a.started.load(Ordering::Acquire)) {
                a.evict.cancel();
                return true;
            }
        }
        false
    }
}

fn builder(limits: &ConnectionConfig) -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    let mut h2 = builder.http2();
    h2.timer(TokioTimer::new());
    if let Some(every) = limits.http2_keepalive {
        h2.keep_alive_interval(every).keep_alive_timeout(every);
    }
    builder
}

/// How one connection is watched: for its first request, for idleness,
/// and for the server's shutdown.
struct Watch {
    limits: ConnectionConfig,
    shutdown: CancellationToken,
    force: CancellationToken,
}

impl Watch {
    async fn drive<C: GracefulConnection>(self, conn: C, activity: &Activity) {
        let mut conn = pin!(conn);
        let mut closing = false;
        let (preface, idle) = (self.limits.preface_timeout, self.limits.idle_timeout);
        let mut check = activity.born + preface.min(idle);
        loop {
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = self.force.cancelled() => return,
                _ = activity.evict.cancelled(), if !closing => {
                    if !activity.started.load(Ordering::Acquire) {
                        return;
                    }
                    // It spoke just now: let it finish, as at shutdown.
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
                _ = self.shutdown.cancelled(), if !closing => {
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
                _ = tokio::time::sleep_until(check), if !closing => match activity.verdict(preface, idle) {
                    // Nothing was ever asked on it, so nothing is lost: cut it.
                    Verdict::Silent => return,
                    Verdict::Idle => {
                        conn.as_mut().graceful_shutdown();
                        closing = true;
                    }
                    Verdict::Busy(next) => check = next,
                },
            }
        }
    }
}

/// What a connection is doing, updated by `Tracked` as requests come and go.
struct Activity {
    born: Instant,
    started: AtomicBool,
    in_flight: AtomicUsize,
    /// When the last request ended, in milliseconds after `born`.
    last_ms: AtomicU64,
    /// Cancelled to make room for a new connection while this one is silent.
    evict: CancellationToken,
}

enum Verdict {
    /// No request ever started.
    Silent,
    /// No request in flight for the idle timeout.
    Idle,
    /// Look again then.
    Busy(Instant),
}

impl Activity {
    fn new() -> Self {
        Self {
            born: Instant::now(),
            started: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            last_ms: 0.into(),
            evict: CancellationToken::new(),
        }
    }

    fn verdict(&self, preface: Duration, idle: Duration) -> Verdict {
        let now = Instant::now();
        if !self.started.load(Ordering::Acquire) {
            let deadline = self.born + preface;
            return if now >= deadline { Verdict::Silent } else { Verdict::Busy(deadline) };
        }
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Verdict::Busy(now + idle);
        }
        let idle_from = self.born + Duration::from_millis(self.last_ms.load(Ordering::Acquire));
        if now >= idle_from + idle {
            Verdict::Idle
        } else {
            Verdict::Busy(idle_from + idle)
        }
    }
}

/// Held while a request is being answered.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn begin(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.started.store(true, Ordering::Release);
        Self(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let ms = u64::try_from(self.0.born.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last_ms.store(ms, Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The app as hyper calls it, counting the requests in flight.
#[derive(Clone)]
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S, R> hyper::service::Service<R> for Tracked<S>
where
    S: hyper::service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn call(&self, req: R) -> Self::Future {
        let guard = InFlight::begin(&self.activity);
        let fut = self.inner.call(req);
        Box::pin(async move {
            let res = fut.await;
            drop(guard);
            res
        })
    }
}

/// Open connections per peer address. IPv4-mapped addresses count as IPv4;
/// IPv6 ones by their /64, which one host usually holds whole.
struct Peers {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's place in its peer's count, given back on drop.
struct PeerSlot(Option<(Arc<Peers>, IpAddr)>);

impl Peers {
    fn new(max: usize) -> Self {
        Self { max, open: Mutex::new(HashMap::new()) }
    }

    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<PeerSlot> {
        if self.max == 0 {
            return Some(PeerSlot(None));
        }
        let key = peer_key(ip);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(PeerSlot(Some((self.clone(), key))))
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let Some((peers, key)) = self.0.take() else { return };
        let mut open = peers.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&key);
            }
        }
    }
}

fn peer_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

/// Refused connections are logged at most once per 10 s, with a count, so
/// a flood of them does not flood the log too.
#[derive(Default)]
struct Refusals {
    since_last: u64,
    last: Option<Instant>,
}

impl Refusals {
    fn note(&mut self, what: &'static str) {
        self.since_last += 1;
        if self.last.is_some_and(|at| at.elapsed() < Duration::from_secs(10)) {
            return;
        }
        tracing::warn!(refused = self.since_last, "{what}");
        self.since_last = 0;
        self.last = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_counted_by_address_and_ipv6_by_its_64() {
        let peers = Arc::new(Peers::new(2));
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let first = peers.admit(a);
        let second = peers.admit(b);
        assert!(first.is_some() && second.is_some());
        assert!(peers.admit(a).is_none(), "the /64 is at its cap");
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        let _one = peers.admit(v4);
        let _two = peers.admit(mapped);
        assert!(peers.admit(v4).is_none(), "a mapped address counts as its IPv4 one");
        drop(first);
        assert!(peers.admit(b).is_some(), "a closed connection gives its place back");
    }
}
