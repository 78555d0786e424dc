//! A confirm storm under SIGKILL (issue 19): a `kassa serve` killed while 32
//! clients confirm Checkout Sessions against a fake gateway, then restarted
//! on the same database. Once the pending-payments resolver has run, no
//! PaymentIntent was charged twice, none is stuck, every acknowledged
//! payment stands, and a same-key retry gets what really happened.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::backend_test;
use crate::cli::kassa;
use crate::crash::{approvals, ledger_gateway, ready, serve};

/// The server as its clients see it.
struct Kassa {
    base: String,
    sk: String,
    route: String,
    http: reqwest::Client,
}

impl Kassa {
    async fn create_session(&self) -> reqwest::Result<reqwest::Response> {
        let form = [
            ("mode", "payment"),
            ("success_url", "https://shop.example/ok"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "700"),
            ("line_items[0][price_data][product_data][name]", "T"),
            ("line_items[0][quantity]", "1"),
            ("processor_route", self.route.as_str()),
        ];
        let url = format!("{}/v1/checkout/sessions", self.base);
        self.http.post(url).bearer_auth(&self.sk).form(&form).timeout(Duration::from_secs(10)).send().await
    }

    async fn confirm(&self, id: &str, key: &str) -> reqwest::Result<reqwest::Response> {
        let url = format!("{}/v1/checkout/sessions/{id}/confirm", self.base);
        let form = [("payment_method", "pm_card_visa")];
        let req = self.http.post(url).bearer_auth(&self.sk).header("idempotency-key", key).form(&form);
        req.timeout(Duration::from_secs(10)).send().await
    }

    /// Every object of a list endpoint, page by page.
    async fn list_all(&self, path: &str, extra: &[(&str, &str)]) -> Vec<Value> {
        let mut all: Vec<Value> = Vec::new();
        loop {
            let mut q: Vec<(&str, &str)> = vec![("limit", "100")];
            q.extend_from_slice(extra);
            let last = all.last().map(|o| o["id"].as_str().unwrap().to_owned());
            if let Some(after) = &last {
                q.push(("starting_after", after));
            }
            let r = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.sk).query(&q).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            let page: Value = r.json().await.unwrap();
            all.extend(page["data"].as_array().unwrap().iter().cloned());
            if page["has_more"] != true {
                return all;
            }
        }
    }
}

/// What the clients saw before the kill.
#[derive(Default)]
struct Seen {
    /// Sessions whose create was answered.
    sessions: Vec<String>,
    /// Confirms answered: session, HTTP status, the session status answered.
    answered: Vec<(String, u16, String)>,
    /// Confirms sent whose answer never came: session and idempotency key.
    interrupted: Vec<(String, String)>,
}

/// One client: create a session, confirm it under its own key, again,
/// until the server goes away.
async fn client(k: Arc<Kassa>, w: usize, stop: Arc<AtomicBool>, seen: Arc<Mutex<Seen>>) {
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let Ok(r) = k.create_session().await else { return };
        if r.status() != 200 {
            continue;
        }
        let Ok(s) = r.json::<Value>().await else { return };
        let id = s["id"].as_str().unwrap().to_owned();
        seen.lock().unwrap().sessions.push(id.clone());
        let key = format!("storm-{w}-{i}");
        let answered = match k.confirm(&id, &key).await {
            Ok(r) => {
                let status = r.status().as_u16();
                r.json::<Value>().await.ok().map(|b| (status, b["status"].as_str().unwrap_or_default().to_owned()))
            }
            Err(_) => None,
        };
        let mut seen = seen.lock().unwrap();
        match answered {
            Some((status, session_status)) => seen.answered.push((id, status, session_status)),
            None => {
                seen.interrupted.push((id, key));
                return;
            }
        }
    }
}

/// Confirms answered paid.
fn paid(answered: &[(String, u16, String)]) -> usize {
    answered.iter().filter(|(_, status, shown)| *status == 200 && shown == "complete").count()
}

/// Runs the storm and SIGKILLs the server in the middle of it.
async fn storm(k: &Arc<Kassa>, child: &mut std::process::Child) -> Seen {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..32).map(|w| tokio::spawn(client(k.clone(), w, stop.clone(), seen.clone()))).collect();
    // Killed once the storm is under way: after a count, not a time, since
    // a loaded machine takes longer to reach it (the deadline only bounds
    // a server that never answers).
    let deadline = Instant::now() + Duration::from_secs(30);
    while paid(&seen.lock().unwrap().answered) < 60 {
        assert!(Instant::now() < deadline, "the storm never reached 60 paid confirms");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush, in-flight charges cut off
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let mut seen = seen.lock().unwrap();
    std::mem::take(&mut *seen)
}

/// Waits (up to 60 s: claims are first looked up about 33 s after they were
/// made, `engine::payment::route::lookup_at`, and the resolver runs every
/// 5 s) until no PaymentIntent is still being paid; returns them all.
async fn settled(k: &Kassa) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pis = k.list_all("/v1/payment_intents", &[]).await;
        let open: Vec<&Value> =
            pis.iter().filter(|p| matches!(p["status"].as_str(), Some("processing" | "requires_action"))).collect();
        if open.is_empty() {
            return pis;
        }
        let ids: Vec<&str> = open.iter().filter_map(|p| p["id"].as_str()).collect();
        assert!(Instant::now() < deadline, "stuck after the resolvers ran: {ids:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A retry's answer: session, HTTP status, whether it was a replay, and the
/// session status (or error code) it answered.
type Retried = (String, u16, bool, String);

/// Retries every interrupted confirm with its own key; returns, per
/// session, the status, whether it was a replay, and the session status.
async fn retry(k: &Kassa, interrupted: &[(String, String)]) -> Vec<Retried> {
    let mut out = Vec::new();
    for (id, key) in interrupted {
        let r = k.confirm(id, key).await.unwrap();
        let status = r.status().as_u16();
        let replayed = r.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
        let body: Value = r.json().await.unwrap();
        let shown = body["status"].as_str().or(body["error"]["code"].as_str()).unwrap_or_default().to_owned();
        out.push((id.clone(), status, replayed, shown));
    }
    out
}

backend_test!(a_server_killed_during_a_confirm_storm_charges_no_intent_twice_and_strands_none, |app| {
    let db = crate::helpers::test_db(app.backend).await.unwrap();
    let out = kassa(&db.url).args(["account", "create", "--name", "storm", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let account: Value = serde_json::from_slice(&out.stdout).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(&db.url, port);
    ready(&base).await;
    let (gw, ledger) = ledger_gateway().await;
    let mut k = Kassa {
        base,
        sk: account["secret_key"].as_str().unwrap().to_owned(),
        route: String::new(),
        http: reqwest::Client::new(),
    };
    // One processor, 1 s timeout: a slow answer under load is looked up,
    // never sent elsewhere, and a claim is looked up ~33 s after it was made.
    let r = k
        .http
        .post(format!("{}/v1/processor_routes", k.base))
        .bearer_auth(&k.sk)
        .form(&[("processors[0][type]", "http"), ("processors[0][url]", &gw), ("processors[0][timeout_ms]", "1000")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    k.route = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let k = Arc::new(k);

    let seen = storm(&k, &mut child).await;
    let paid_before = paid(&seen.answered);
    assert!(!seen.interrupted.is_empty(), "the kill cut confirms off");

    let mut again = serve(&db.url, port);
    ready(&k.base).await;
    let pending = k.list_all("/v1/payment_intents", &[]).await;
    let pending = pending.iter().filter(|p| p["status"] == "processing").count();
    // The case this test exists for: charges the kill left for the resolvers.
    assert!(pending > 0, "the kill left no payment in flight for the resolvers");
    // At once, while claims of the killed server may still be unresolved.
    let first = retry(&k, &seen.interrupted).await;
    let pis = settled(&k).await;
    let (_, calls_before) = approvals(&ledger);
    // After the resolvers: every interrupted confirm has a recorded answer.
    let second = retry(&k, &seen.interrupted).await;
    let (by_pi, calls_after) = approvals(&ledger);
    eprintln!(
        "storm ({:?}): {} sessions, {} confirms answered ({paid_before} paid), {} interrupted, {pending} intents \
         processing at restart, {} gateway calls",
        app.backend,
        seen.sessions.len(),
        seen.answered.len(),
        seen.interrupted.len(),
        calls_after
    );
    eprintln!("retries at restart: {:?}\nretries after the resolvers: {:?}", tally(&first), tally(&second));
    assert_eq!(calls_before, calls_after, "a same-key retry of a settled confirm never reaches the gateway");
    let unpaid = check(&k, &seen, (&first[..], &second[..]), &pis, &by_pi).await;
    pay_again(&k, &ledger, &unpaid).await;
    again.kill().unwrap();
    again.wait().unwrap();
});

/// Money and records agree once the resolvers have run.
fn check_charges(pis: &HashMap<&str, &Value>, by_pi: &HashMap<String, Vec<String>>) {
    // The gateway dedupes by key and kassa gives every try of an intent its
    // own key, so two approved keys of one intent are two charges.
    for (pi, keys) in by_pi {
        assert_eq!(keys.len(), 1, "{pi} was charged twice: {keys:?}");
    }
    for (id, p) in pis {
        // Nothing here captures manually or cancels: a settled intent is
        // paid or free for another try; `processing` would be a claim no
        // resolver finished, `requires_action` a gateway page never shown.
        let status = p["status"].as_str().unwrap();
        assert!(matches!(status, "succeeded" | "requires_payment_method"), "{id} is stuck {status}: {p}");
        // Succeeded only with a charge behind it, and no charge left
        // unrecorded (a charge whose answer the kill cut off was found by
        // the resolver's lookup).
        assert_eq!(status == "succeeded", by_pi.contains_key(*id), "{id} is {status}; gateway: {:?}", by_pi.get(*id));
    }
    for pi in by_pi.keys() {
        assert!(pis.contains_key(pi.as_str()), "{pi} was charged but kassa has no such intent");
    }
}

/// Sessions agree with their intents, and answered confirms still stand.
fn check_sessions(seen: &Seen, sessions: &HashMap<&str, &Value>, pis: &HashMap<&str, &Value>) {
    for id in &seen.sessions {
        assert!(sessions.contains_key(id.as_str()), "acknowledged session {id} was lost");
    }
    let mut named = HashSet::new();
    for (id, s) in sessions {
        let state = (s["status"].as_str(), s["payment_status"].as_str());
        let Some(pi) = s["payment_intent"].as_str() else {
            // Never claimed: nothing was charged for it.
            assert_eq!(state, (Some("open"), Some("unpaid")), "{id}: {s}");
            continue;
        };
        // One intent per session: an intent no session names would be a
        // second intent of some session, a second chance to charge it.
        assert!(named.insert(pi), "{pi} is named by two sessions");
        let paid = pis.get(pi).is_some_and(|p| p["status"] == "succeeded");
        let want = if paid { (Some("complete"), Some("paid")) } else { (Some("open"), Some("unpaid")) };
        assert_eq!(state, want, "{id} and its intent {pi} disagree: {s}");
    }
    for pi in pis.keys() {
        assert!(named.contains(pi), "{pi} belongs to no session");
    }
    for (id, status, shown) in &seen.answered {
        let s = sessions[id.as_str()];
        match (*status, shown.as_str()) {
            (200, "complete") => assert_eq!(s["status"], "complete", "{id} was answered paid: {s}"),
            (402, _) => assert_eq!(s["status"], "open", "{id} was answered declined: {s}"),
            _ => {}
        }
    }
}

/// What same-key retries were answered. At once after the restart a
/// retry may find the killed server's claim still held (409), may replay
/// an answer recorded before the kill, or, when the kill came before the
/// claim, runs as the first confirm. After the resolvers, every retry
/// replays a recorded answer that matches what the session became.
fn check_retries(first: &[Retried], second: &[Retried], sessions: &HashMap<&str, &Value>) {
    for (id, status, _, shown) in first {
        let ok = matches!(
            (*status, shown.as_str()),
            (200, _) | (402, _) | (502, _) | (409, "checkout_session_confirm_in_progress")
        );
        assert!(ok, "{id}: a retry at restart answered {status} {shown}");
    }
    for (id, status, replayed, shown) in second {
        assert!(replayed, "{id}: no recorded answer after the resolvers ({status} {shown})");
        let now = sessions[id.as_str()]["status"].as_str().unwrap();
        match (*status, shown.as_str()) {
            (200, "complete") => assert_eq!(now, "complete", "{id}"),
            // The charge's answer was unknown when it was recorded
            // (`processing`); the resolver finished it later.
            (200, "open") => {}
            // Declined, or never received by the gateway (lookup said so).
            (402 | 502, _) => assert_eq!(now, "open", "{id}"),
            _ => panic!("{id}: a retry after the resolvers answered {status} {shown}"),
        }
    }
}

/// Retry answers counted by status, replay and what they said (for the log).
fn tally(answers: &[Retried]) -> std::collections::BTreeMap<String, usize> {
    let mut n = std::collections::BTreeMap::new();
    for (_, status, replayed, shown) in answers {
        *n.entry(format!("{status} {shown}{}", if *replayed { " (replay)" } else { "" })).or_default() += 1;
    }
    n
}

/// Every event of one type, counted by the id of its object.
async fn events_by_object(k: &Kassa, kind: &str) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for e in k.list_all("/v1/events", &[("type", kind)]).await {
        *n.entry(e["data"]["object"]["id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    n
}

async fn check(
    k: &Kassa,
    seen: &Seen,
    (first, second): (&[Retried], &[Retried]),
    pis: &[Value],
    by_pi: &HashMap<String, Vec<String>>,
) -> Vec<String> {
    let pis: HashMap<&str, &Value> = pis.iter().map(|p| (p["id"].as_str().unwrap(), p)).collect();
    check_charges(&pis, by_pi);
    let sessions = k.list_all("/v1/checkout/sessions", &[]).await;
    let sessions: HashMap<&str, &Value> = sessions.iter().map(|s| (s["id"].as_str().unwrap(), s)).collect();
    check_sessions(seen, &sessions, &pis);
    check_retries(first, second, &sessions);
    // A payment finished twice (its request and the resolver both) would
    // announce itself twice.
    let completed = events_by_object(k, "checkout.session.completed").await;
    for (id, s) in &sessions {
        let want = usize::from(s["status"] == "complete");
        assert_eq!(completed.get(*id).copied().unwrap_or(0), want, "checkout.session.completed of {id}");
    }
    let succeeded = events_by_object(k, "payment_intent.succeeded").await;
    for (id, p) in &pis {
        let want = usize::from(p["status"] == "succeeded");
        assert_eq!(succeeded.get(*id).copied().unwrap_or(0), want, "payment_intent.succeeded of {id}");
    }
    let tried = sessions.iter().filter(|(_, s)| s["status"] == "open" && s["payment_intent"].is_string());
    tried.map(|(id, _)| (*id).to_owned()).collect()
}

/// Every session tried but unpaid is paid again under a new key, as a
/// buyer does after a decline or kassa's "safe to retry": none may still
/// be held by a dead claim (409), and a charge kassa had lost track of
/// would now be a second one.
async fn pay_again(k: &Kassa, ledger: &crate::crash::Ledger, unpaid: &[String]) {
    for (i, id) in unpaid.iter().enumerate() {
        let r = k.confirm(id, &format!("again-{i}")).await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert!(status == 200 && body["status"] == "complete" || status == 402, "{id} paid again: {status} {body}");
    }
    for (pi, keys) in approvals(ledger).0 {
        assert_eq!(keys.len(), 1, "{pi} was charged twice once its buyer paid again: {keys:?}");
    }
}
