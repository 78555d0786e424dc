//! Connections that never send a byte (issue 16, defect 2): the preface
//! timeout, the idle timeout, and the per-peer cap keep the listener free
//! for everyone else.
//!
//! The flood test needs no storage and holds thousands of file descriptors,
//! so it runs once, on the first enabled backend, rather than on both at
//! the same time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::backend_test;
use crate::helpers::{spawn_with, Backend, TestApp};
use kassa::config::Config;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};

/// The attacker's own loopback address, so that the per-peer cap it meets is
/// not the one of the probes (which come from 127.0.0.1).
const ATTACKER: [u8; 4] = [127, 0, 0, 2];

fn addr(app: &TestApp) -> SocketAddr {
    app.base.trim_start_matches("http://").parse().unwrap()
}

async fn connect_from(source: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((source, 0)))?;
    socket.connect(to).await
}

/// Waits for the server to close `s`; returns how long that took, or None.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 256];
    tokio::time::timeout(limit, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .ok()
    .map(|()| start.elapsed())
}

/// How many of `streams` the server still holds open (not at EOF).
fn count_open(streams: &mut [std::net::TcpStream]) -> usize {
    use std::io::Read;
    let mut buf = [0u8; 16];
    let mut open = 0;
    for s in streams {
        if matches!(s.read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock) {
            open += 1;
        }
    }
    open
}

/// The soft limit on open files, from /proc (no setrlimit: unsafe code is
/// forbidden here). None where it cannot be read.
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Every `/healthz` on a fresh connection, until `stop`: the slowest answer.
async fn probe(base: String, stop: tokio_util::sync::CancellationToken) -> (usize, Duration) {
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let (mut count, mut slowest) = (0, Duration::ZERO);
    while !stop.is_cancelled() {
        let start = Instant::now();
        let r = tokio::time::timeout(Duration::from_secs(5), http.get(format!("{base}/healthz")).send()).await;
        let took = start.elapsed();
        let status = r.expect("/healthz did not answer within 5 s").expect("/healthz was refused").status();
        assert_eq!(status, 200);
        assert!(took < Duration::from_secs(1), "/healthz took {took:?}");
        count += 1;
        slowest = slowest.max(took);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (count, slowest)
}

/// Opens `n` connections that never send a byte, from `sources` in turn, on
/// a runtime of its own (an attacker does not share the server's). Paced at
/// about 5,000 a second: faster than the server accepts, the kernel's accept
/// queue overflows and drops everyone's SYNs, a connect flood that is the
/// kernel's to absorb (SYN cookies, backlog), not the silent connections
/// this is about.
fn open_silently(to: SocketAddr, sources: Vec<[u8; 4]>, n: usize) -> Vec<std::net::TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let mut set = tokio::task::JoinSet::new();
            for i in out.len()..n.min(out.len() + 100) {
                set.spawn(connect_from(sources[i % sources.len()], to));
            }
            while let Some(s) = set.join_next().await {
                out.push(s.unwrap().unwrap().into_std().unwrap());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        out
    })
}

/// Two floods at once would need twice the descriptors.
static FLOODS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The app for a flood: it needs no storage, so the first enabled backend.
async fn flood_target(tweak: impl Fn(&mut Config)) -> Option<TestApp> {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Some(app) = spawn_with(backend, &tweak).await {
            return Some(app);
        }
    }
    None
}

/// How many silent connections this process can open: each is one
/// descriptor here (the client end), plus up to `server_side` held by the
/// server; room is left for its database and the tests running alongside.
fn flood_size(server_side: usize) -> usize {
    let n = open_files_limit().map_or(10_000, |l| l.saturating_sub(server_side + 2_000)).min(10_000);
    if n < 10_000 {
        eprintln!("NOTE: the open-files limit allows {n} silent connections, not 10,000 (raise `ulimit -n`)");
    }
    n
}

/// Opens `n` silent connections from `sources` while `/healthz` is probed;
/// returns them, how long opening took, and how many the server holds.
async fn flood(app: &TestApp, sources: Vec<[u8; 4]>, n: usize) -> (Vec<std::net::TcpStream>, Duration, usize) {
    let to = addr(app);
    let opened = Instant::now();
    let attacker = std::thread::spawn(move || open_silently(to, sources, n));
    let mut silent = tokio::task::spawn_blocking(move || attacker.join().unwrap()).await.unwrap();
    let took = opened.elapsed();
    assert_eq!(silent.len(), n);
    // Let the server catch up with its accept queue, then count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = count_open(&mut silent);
    (silent, took, held)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_silent_connections_leave_healthz_answering() {
    let Some(app) = flood_target(|_| {}).await else { return };
    let _one_at_a_time = FLOODS.lock().await;
    let defaults = Config::for_addr(addr(&app)).connections;
    let n = flood_size(defaults.max_per_peer);
    let stop = tokio_util::sync::CancellationToken::new();
    let prober = tokio::spawn(probe(app.base.clone(), stop.clone()));
    let (mut silent, open_took, held) = flood(&app, vec![ATTACKER], n).await;
    let cap = defaults.max_per_peer;
    assert!(held <= cap, "the server holds {held} connections of one peer; the cap is {cap}");

    // The ones it holds are cut at the preface timeout (10 s by default).
    tokio::time::sleep(defaults.preface_timeout + Duration::from_millis(1500)).await;
    let left = count_open(&mut silent);
    stop.cancel();
    let (probes, slowest) = prober.await.unwrap();
    eprintln!(
        "{n} silent connections from one address opened in {open_took:?}; {held} held after 0.5 s, {left} after \
         the preface timeout; {probes} /healthz probes on new connections meanwhile, slowest {slowest:?}"
    );
    assert_eq!(left, 0, "silent connections outlived the preface timeout");
    assert!(probes >= 20, "only {probes} probes ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_from_many_addresses_cannot_fill_the_connection_cap() {
    const MAX: usize = 2_000;
    let Some(app) = flood_target(|c| c.connections.max_connections = MAX).await else { return };
    let _one_at_a_time = FLOODS.lock().await;
    let n = flood_size(MAX);
    // 40 addresses, each under the per-peer cap: only the global cap holds them.
    let sources: Vec<[u8; 4]> = (2..42).map(|i| [127, 0, 0, i]).collect();
    let stop = tokio_util::sync::CancellationToken::new();
    let prober = tokio::spawn(probe(app.base.clone(), stop.clone()));
    let (_silent, open_took, held) = flood(&app, sources, n).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.cancel();
    let (probes, slowest) = prober.await.unwrap();
    eprintln!(
        "{n} silent connections from 40 addresses opened in {open_took:?} against a cap of {MAX}; {held} held; \
         {probes} /healthz probes on new connections meanwhile, slowest {slowest:?}"
    );
    assert!(held <= MAX, "{held} held");
    assert!(probes >= 20, "only {probes} probes ran");
}

backend_test!(
    a_silent_connection_is_closed_after_the_preface_timeout,
    config = |c: &mut Config| c.connections.preface_timeout = Duration::from_secs(1),
    |app| {
        let mut silent = TcpStream::connect(addr(&app)).await.unwrap();
        // Half an HTTP/2 preface: the protocol is still undecided.
        let mut partial = TcpStream::connect(addr(&app)).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut partial, b"PRI * HTTP/2.0\r\n").await.unwrap();
        let took = closed_within(&mut silent, Duration::from_secs(5)).await.expect("never closed");
        assert!(took >= Duration::from_millis(900), "closed after {took:?}, before the timeout");
        closed_within(&mut partial, Duration::from_secs(2)).await.expect("a half-sent preface kept it open");
        assert_eq!(app.get("/healthz").await.status, 200);
    }
);

backend_test!(
    a_peer_over_its_connection_cap_is_closed_at_once,
    config = |c: &mut Config| c.connections.max_per_peer = 3,
    |app| {
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(connect_from(ATTACKER, addr(&app)).await.unwrap());
        }
        let mut fourth = connect_from(ATTACKER, addr(&app)).await.unwrap();
        let took = closed_within(&mut fourth, Duration::from_secs(2)).await.expect("the fourth was kept");
        assert!(took < Duration::from_secs(1), "{took:?}");
        // Another address is not affected, and a closed connection frees its place.
        assert_eq!(app.get("/healthz").await.status, 200);
        drop(held.pop());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut again = connect_from(ATTACKER, addr(&app)).await.unwrap();
        assert!(closed_within(&mut again, Duration::from_millis(500)).await.is_none(), "its place was not freed");
    }
);

backend_test!(
    an_idle_http2_connection_is_closed_after_the_idle_timeout,
    config = |c: &mut Config| c.connections.idle_timeout = Duration::from_secs(1),
    |app| {
        use http_body_util::Empty;
        use hyper::body::Bytes;
        use hyper_util::rt::{TokioExecutor, TokioIo};
        let io = TokioIo::new(TcpStream::connect(addr(&app)).await.unwrap());
        let (mut send, conn) =
            hyper::client::conn::http2::handshake::<_, _, Empty<Bytes>>(TokioExecutor::new(), io).await.unwrap();
        let driver = tokio::spawn(conn);
        let req = hyper::Request::get(format!("{}/healthz", app.base)).body(Empty::new()).unwrap();
        assert_eq!(send.send_request(req).await.unwrap().status(), 200);
        let start = Instant::now();
        let ended = tokio::time::timeout(Duration::from_secs(5), driver).await;
        assert!(ended.is_ok(), "the idle HTTP/2 connection was still open after 5 s");
        assert!(start.elapsed() >= Duration::from_millis(800), "closed after {:?}", start.elapsed());
    }
);

backend_test!(
    at_the_connection_cap_the_oldest_silent_connection_makes_room,
    config = |c: &mut Config| c.connections.max_connections = 20,
    |app| {
        let mut silent = Vec::new();
        for _ in 0..20 {
            silent.push(connect_from(ATTACKER, addr(&app)).await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let start = Instant::now();
        assert_eq!(app.get("/healthz").await.status, 200);
        assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
        closed_within(&mut silent[0], Duration::from_secs(1)).await.expect("the oldest silent one was kept");
        assert!(closed_within(&mut silent[19], Duration::from_millis(300)).await.is_none(), "the newest was dropped");
    }
);
