//! The `kassa` binary: subcommands scripts depend on, on both backends.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::backend_test;
use crate::helpers::TestApp;

pub const MASTER_HEX: &str = "0909090909090909090909090909090909090909090909090909090909090909";

pub fn kassa(db_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kassa"));
    c.env("KASSA_DATABASE_URL", db_url)
        .env("KASSA_MASTER_KEY", MASTER_HEX)
        .env_remove("KASSA_ADDR")
        .env_remove("KASSA_PUBLIC_URL");
    c
}

backend_test!(account_create_prints_one_json_object_with_working_keys, |app| {
    // The test app is running on this database: the CLI works beside it.
    let out = kassa(&app.db.url).args(["account", "create", "--name", "Acme", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 6);
    assert!(v["id"].as_str().unwrap().starts_with("acct_"));
    assert_eq!(v["name"], "Acme");
    for (k, prefix) in [
        ("secret_key", "sk_test_"),
        ("publishable_key", "pk_test_"),
        ("live_secret_key", "sk_live_"),
        ("live_publishable_key", "pk_live_"),
    ] {
        assert!(v[k].as_str().unwrap().starts_with(prefix), "{k}");
    }
    let r = app.post_as(v["secret_key"].as_str().unwrap(), "/v1/customers", &[("name", "via cli")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.get_as(v["live_secret_key"].as_str().unwrap(), "/v1/customers").await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 0);
});

backend_test!(migrate_is_repeatable, |app| {
    for _ in 0..2 {
        let out = kassa(&app.db.url).arg("migrate").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
});

backend_test!(serve_creates_a_first_account_and_stops_gracefully_on_sigterm, |app| {
    // A fresh database of the same backend, not the test app's.
    let db = crate::helpers::test_db(app.backend).await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = kassa(&db.url)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = std::thread::spawn(move || BufReader::new(stdout).lines().map_while(Result::ok).collect::<Vec<_>>());
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await {
            ready = r.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "kassa serve did not become ready");
    let bad_key = "sk_test_secretsecretsecretsecret1234";
    let r = client
        .get(format!("http://127.0.0.1:{port}/v1/customers?email=x%40y.io"))
        .bearer_auth(bad_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let printed = lines.join().unwrap().join("\n");
    assert!(printed.contains("sk_test_") && printed.contains("pk_test_"), "{printed}");
    let _ = TestApp::send; // the app stays up for the whole test
});

#[test]
fn postgres_without_a_master_key_is_refused_with_a_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .env("KASSA_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env_remove("KASSA_MASTER_KEY")
        .env_remove("KASSA_KEY_FILE")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("KASSA_MASTER_KEY"), "{err}");
}

/// Lines of a child's pipe, read on a thread.
fn lines(pipe: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

fn next_matching(rx: &std::sync::mpsc::Receiver<String>, want: &[&str]) -> String {
    loop {
        let l = rx.recv_timeout(Duration::from_secs(15)).expect("no matching line in time");
        if want.iter().all(|w| l.contains(w)) {
            return l;
        }
    }
}

fn terminate(child: &mut std::process::Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// `kassa events tail --json` against the app, once it says it is tailing;
/// with its output's lines.
fn tail(app: &TestApp) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(["events", "tail", "--json", "--poll-ms", "100", "--api-base", &app.base])
        .env("KASSA_API_KEY", &app.keys.sk)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    next_matching(&err, &["Tailing"]);
    (child, out)
}

backend_test!(events_tail_prints_new_events_as_they_happen, |app| {
    let (mut child, out) = tail(&app);
    let cus = app.customer(&[]).await;
    let line = next_matching(&out, &["customer.created"]);
    let e: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(e["data"]["object"]["id"], cus.as_str());
    terminate(&mut child);
});

// SIGTERM as soon as `tail` says it is tailing, before its first page
// comes back, still stops it cleanly: the handler is installed before.
backend_test!(events_tail_stopped_at_once_exits_cleanly, |app| {
    let (mut child, _out) = tail(&app);
    terminate(&mut child);
});

backend_test!(listen_forwards_events_to_a_local_url_and_cleans_up, |app| {
    let rx = crate::webhook_receiver::Receiver::start(200).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(["listen", "--forward-to", &rx.url, "--poll-ms", "100", "--api-base", &app.base])
        .args(["--events", "customer.created,customer.updated"])
        .env("KASSA_API_KEY", &app.keys.sk)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let ready = next_matching(&out, &["Ready!", "whsec_"]);
    let secret = ready.split_whitespace().last().unwrap().to_owned();
    app.customer(&[]).await;
    let got = rx.wait_for(1).await;
    assert!(crate::webhook_receiver::stripe_valid(&got[0].header("stripe-signature"), &got[0].body, &secret));
    next_matching(&out, &["customer.created", "[200]"]);
    terminate(&mut child);
    assert_eq!(app.get("/v1/webhook_endpoints").await.body["data"], serde_json::json!([]), "the endpoint is removed");
});
