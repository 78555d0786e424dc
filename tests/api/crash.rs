//! Durability under a crash: a server killed with SIGKILL while it is under
//! load has lost no write it acknowledged (the group commit answers only
//! after the shared COMMIT is durable).

use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::backend_test;
use crate::cli::kassa;

pub(crate) fn serve(db_url: &str, port: u16) -> Child {
    kassa(db_url)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

pub(crate) async fn ready(base: &str) {
    for _ in 0..400 {
        if reqwest::get(format!("{base}/readyz")).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("kassa serve did not become ready");
}

backend_test!(a_server_killed_under_load_loses_no_acknowledged_session, |app| {
    let db = crate::helpers::test_db(app.backend).await.unwrap();
    let out = kassa(&db.url).args(["account", "create", "--name", "crash", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sk =
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["secret_key"].as_str().unwrap().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(&db.url, port);
    ready(&base).await;

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for w in 0..32 {
        let (acked, stop, base, sk) = (acked.clone(), stop.clone(), base.clone(), sk.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let r = http
                    .post(format!("{base}/v1/checkout/sessions"))
                    .bearer_auth(&sk)
                    .header("idempotency-key", format!("crash-{w}-{i}"))
                    .form(&[
                        ("mode", "payment"),
                        ("success_url", "https://shop.example/ok"),
                        ("line_items[0][price_data][currency]", "usd"),
                        ("line_items[0][price_data][unit_amount]", "500"),
                        ("line_items[0][price_data][product_data][name]", "T"),
                        ("line_items[0][quantity]", "1"),
                    ])
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                let Ok(r) = r else { break };
                if r.status() == 200 {
                    if let Ok(v) = r.json::<serde_json::Value>().await {
                        acked.lock().unwrap().push(v["id"].as_str().unwrap().to_owned());
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 20, "the load reached the server ({} acknowledged)", acked.len());

    let mut again = serve(&db.url, port);
    ready(&base).await;
    let http = reqwest::Client::new();
    let mut lost = Vec::new();
    for id in &acked {
        let r = http.get(format!("{base}/v1/checkout/sessions/{id}")).bearer_auth(&sk).send().await.unwrap();
        if r.status() != 200 {
            lost.push(id.clone());
        }
    }
    again.kill().unwrap();
    again.wait().unwrap();
    assert!(lost.is_empty(), "{} of {} acknowledged sessions were lost: {lost:?}", lost.len(), acked.len());
});
