//! After a raw-card payment, the card number is nowhere: not in the SQLite
//! files, not in the server's log (at its most verbose).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::form;

const NUMBER: &str = "4000056655665556";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_card_number_reaches_neither_the_database_nor_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let url = format!("sqlite:{}", db.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env = |c: &mut Command| {
        c.env("KASSA_DATABASE_URL", &url)
            .env("KASSA_MASTER_KEY", "ab".repeat(32))
            .env("KASSA_LOG", "trace")
            .env("KASSA_LOG_FORMAT", "json");
    };
    let mut create = Command::new(env!("CARGO_BIN_EXE_kassa"));
    env(&mut create);
    let out = create.args(["account", "create", "--name", "t", "--json"]).output().unwrap();
    let acct: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = acct["secret_key"].as_str().unwrap().to_owned();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_kassa"));
    env(&mut serve);
    let mut child = serve
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http.get(format!("{base}/readyz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A fresh Idempotency-Key on each, as the SDKs send: the stored
    // responses are searched for the number too.
    let sent = std::sync::atomic::AtomicUsize::new(0);
    let post = |path: &str, pairs: &[(&str, &str)]| {
        let n = sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        http.post(format!("{base}{path}"))
            .bearer_auth(&key)
            .header("idempotency-key", format!("secrecy-{n}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
    };
    let s: serde_json::Value = post(
        "/v1/checkout/sessions",
        &[
            ("mode", "payment"),
            ("success_url", "https://x.io/ok"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "500"),
            ("line_items[0][price_data][product_data][name]", "x"),
            ("line_items[0][quantity]", "1"),
        ],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = s["id"].as_str().unwrap();
    let card = [
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", NUMBER),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2031"),
        ("payment_method_data[card][cvc]", "987"),
    ];
    let r = post(&format!("/v1/checkout/sessions/{id}/confirm"), &card).await.unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(!body.contains(NUMBER));
    // A refused card must not echo the number either.
    let mut bad = card;
    bad[1].1 = "4000056655665557";
    let r = post(&format!("/v1/checkout/sessions/{id}/confirm"), &bad).await.unwrap();
    assert!(!r.text().await.unwrap().contains("4000056655665557"));
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    child.wait().unwrap();
    assert!(log.contains("request"), "the log was captured: {log}");
    for secret in [NUMBER, "4000 0566 5566 5556", "4000056655665557"] {
        assert!(!log.contains(secret), "the card number reached the log");
    }
    assert!(!log.contains("\"987\""), "the CVC reached the log");
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(NUMBER), "the card number is stored in clear");
    }
    // Documents and bodies are compressed on disk, so the file alone
    // cannot show a number inside one: read each of them decompressed.
    let conn = rusqlite::Connection::open(&db).unwrap();
    for sql in ["SELECT doc FROM objects", "SELECT body FROM idempotency_keys"] {
        let mut stmt = conn.prepare(sql).unwrap();
        let texts =
            stmt.query_map([], |r| Ok(kassa::store::sqlite::stored_text::from_sql(r.get_ref(0)?).unwrap())).unwrap();
        let mut read = 0;
        for text in texts {
            let text = text.unwrap();
            assert!(
                !text.contains(NUMBER) && !text.contains("4000056655665557"),
                "a stored text holds the card number"
            );
            read += 1;
        }
        assert!(read > 0, "{sql} read nothing");
    }
}
