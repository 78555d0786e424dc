//! Defences against hostile clients and concurrent nodes.

use std::time::Duration;

use crate::backend_test;
use crate::helpers::{TestApp, START};
use reqwest::header::HeaderValue;
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

backend_test!(a_client_that_never_finishes_its_headers_is_disconnected, |app| {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut buf = [0u8; 512];
    let limit = kassa::server::HEADER_TIMEOUT + Duration::from_secs(10);
    let read = tokio::time::timeout(limit, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the half-open connection was not closed");
});

backend_test!(made_up_methods_do_not_grow_the_metrics, |app| {
    for i in 0..20 {
        let m = Method::from_bytes(format!("MADEUP{i}").as_bytes()).unwrap();
        TestApp::send(app.req(m, "/v1/customers")).await;
    }
    let text = TestApp::send(app.req(Method::GET, "/metrics")).await.body;
    let text = text.as_str().unwrap();
    assert!(!text.contains("MADEUP"));
    assert!(text.contains(r#"method="OTHER""#), "{text}");
});

backend_test!(idempotency_keys_must_be_visible_ascii, |app| {
    let r = TestApp::send(
        app.req(Method::POST, "/v1/customers")
            .bearer_auth(&app.keys.sk)
            .header("idempotency-key", HeaderValue::from_bytes(b"k\xff").unwrap()),
    )
    .await;
    r.error(400, Some("idempotency_key_invalid"), None);
    assert!(app.get("/v1/customers").await.body["data"].as_array().unwrap().is_empty());
});

backend_test!(expand_takes_at_most_twenty_paths, |app| {
    let id = app.customer(&[]).await;
    let many: String = (0..21).map(|i| format!("expand[]=f{i}&")).collect();
    app.get(&format!("/v1/customers/{id}?{many}")).await.error(400, Some("parameter_invalid"), Some("expand"));
    let repeated: String = (0..30).map(|_| "expand[]=test_clock&").collect();
    assert_eq!(app.get(&format!("/v1/customers/{id}?{repeated}")).await.status, 200, "duplicates count once");
});

backend_test!(nodes_starting_together_create_one_first_account, |app| {
    let db = crate::helpers::test_db(app.backend).await.unwrap();
    let store = kassa::store::open(&db.url).await.unwrap();
    let pepper = [3u8; 32];
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                kassa::accounts::create_first(store.as_ref(), &pepper, START).await.unwrap().is_some()
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        created += usize::from(t.await.unwrap());
    }
    assert_eq!(created, 1);
    assert_eq!(store.account_count().await.unwrap(), 1);
});

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_database_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let _store = kassa::store::open(&format!("sqlite:{}", path.display())).await.unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}
