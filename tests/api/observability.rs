//! Observability: the business metrics on `/metrics`, and each request's
//! id on every log line emitted while serving it (the real binary, JSON logs).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::backend_test;
use crate::cli::kassa;
use crate::helpers::{form, TestApp};
use crate::webhook_receiver::Receiver;

/// The value of the first sample of `name` whose labels include `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with(['{', ' '])))
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Waits (real time) until every `(name, labels)` has a sample of at least
/// 1; returns the page. Metrics are process-wide, so other tests running at
/// the same time may add to them: only lower bounds hold.
async fn metrics_with(app: &TestApp, want: &[(&str, &[&str])]) -> String {
    let mut text = String::new();
    for _ in 0..100 {
        text = TestApp::send(app.req(Method::GET, "/metrics")).await.body.as_str().unwrap().to_owned();
        if want.iter().all(|(n, l)| sample(&text, n, l).is_some_and(|v| v >= 1.0)) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the metrics never showed {want:?}: {text}");
}

backend_test!(metrics_show_payments_processor_calls_webhook_deliveries_and_commits, |app| {
    let rx = Receiver::start(200).await;
    let r = app
        .post("/v1/webhook_endpoints", &[("url", &rx.url), ("enabled_events[0]", "checkout.session.completed")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = app.open_session().await;
    let r = app.confirm(&id, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["payment_status"], "paid");
    rx.wait_for(1).await;
    let backend = match app.backend {
        crate::helpers::Backend::Sqlite => r#"backend="sqlite""#,
        crate::helpers::Backend::Postgres => r#"backend="postgres""#,
    };
    let text = metrics_with(
        &app,
        &[
            ("kassa_payments_total", &[r#"outcome="approved""#, r#"processor="test""#]),
            ("kassa_processor_seconds_count", &[r#"operation="authorize""#, r#"processor="test""#]),
            ("kassa_webhook_deliveries_total", &[r#"outcome="succeeded""#]),
            ("kassa_webhook_delivery_lag_seconds_count", &[]),
            ("kassa_store_commit_seconds_count", &[backend]),
        ],
    )
    .await;
    // Latencies and lags are real durations; a batch holds at least one write.
    let seconds = sample(&text, "kassa_processor_seconds_sum", &[r#"operation="authorize""#]).unwrap();
    assert!(seconds.is_finite() && seconds >= 0.0, "{text}");
    assert!(sample(&text, "kassa_webhook_delivery_lag_seconds_sum", &[]).unwrap() >= 0.0, "{text}");
    assert!(sample(&text, "kassa_store_commit_seconds_sum", &[backend]).unwrap() >= 0.0, "{text}");
    let batches = sample(&text, "kassa_store_commit_batch_size_count", &[]).unwrap();
    let writes = sample(&text, "kassa_store_commit_batch_size_sum", &[]).unwrap();
    assert!(batches >= 1.0 && writes >= batches, "{text}");
    assert!(text.contains(r#"kassa_processor_seconds_bucket{operation="authorize",processor="test",le="+Inf"}"#));
});

backend_test!(a_client_cannot_choose_its_request_id, |app| {
    let r = TestApp::send(app.req(Method::GET, "/v1/customers").bearer_auth(&app.keys.sk).header("request-id", "evil"))
        .await;
    assert_eq!(r.status, 200);
    let id = r.header("request-id").unwrap();
    assert!(id.starts_with("req_") && id.len() == 18, "{id}");
});

/// The JSON log lines of a `kassa serve` run on `db_url`, after `work` ran
/// against it with its secret key.
async fn served_log<F, Fut>(db_url: &str, work: F) -> Vec<Value>
where
    F: FnOnce(String, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let log_env = |c: &mut Command| {
        c.env("KASSA_LOG", "info,kassa=debug").env("KASSA_LOG_FORMAT", "json");
    };
    let mut create = kassa(db_url);
    log_env(&mut create);
    let out = create.args(["account", "create", "--name", "t", "--json"]).output().unwrap();
    let acct: Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = acct["secret_key"].as_str().unwrap().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut serve = kassa(db_url);
    log_env(&mut serve);
    let mut child = serve
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read as it comes, so a full pipe never blocks the server.
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    work(base, key).await;
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    let log = reader.join().unwrap();
    log.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// The request id of the spans a log line was emitted in.
fn request_id_of(line: &Value) -> Option<&str> {
    line["spans"].as_array()?.iter().find(|s| s["name"] == "request").and_then(|s| s["request_id"].as_str())
}

backend_test!(log_lines_emitted_while_serving_a_request_carry_its_request_id, |app| {
    let db = crate::helpers::test_db(app.backend).await.unwrap();
    let ids = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = ids.clone();
    let lines = served_log(&db.url, |base, key| async move {
        let http = reqwest::Client::new();
        let post = |path: String, pairs: &[(&str, &str)]| {
            http.post(format!("{base}{path}"))
                .bearer_auth(&key)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(pairs))
                .send()
        };
        let s: Value = post(
            "/v1/checkout/sessions?expand[]=line_items".into(),
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
        let sid = s["id"].as_str().unwrap();
        let r =
            post(format!("/v1/checkout/sessions/{sid}/confirm"), &[("payment_method", "pm_card_visa")]).await.unwrap();
        assert_eq!(r.status(), 200);
        let id = r.headers()["request-id"].to_str().unwrap().to_owned();
        seen.lock().unwrap().push(id);
    })
    .await;
    let id = ids.lock().unwrap()[0].clone();
    // Emitted in the processor run, a task spawned by the request.
    let attempt = lines
        .iter()
        .find(|l| l["fields"]["message"] == "processor attempt")
        .unwrap_or_else(|| panic!("no processor line: {lines:?}"));
    assert_eq!(request_id_of(attempt), Some(id.as_str()), "{attempt}");
    assert_eq!(attempt["fields"]["processor"], "test");
    let names: Vec<&str> = attempt["spans"].as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert!(names.contains(&"run_route") && names.contains(&"execute"), "{names:?}");
    // The single end-of-request line: status and duration, the path without
    // its query string.
    let ends: Vec<&Value> = lines.iter().filter(|l| l["fields"]["message"] == "request").collect();
    let confirm: Vec<&&Value> = ends.iter().filter(|l| request_id_of(l) == Some(id.as_str())).collect();
    assert_eq!(confirm.len(), 1, "{ends:?}");
    assert_eq!(confirm[0]["fields"]["status"], 200);
    assert!(confirm[0]["span"]["path"].as_str().unwrap().ends_with("/confirm"));
    assert!(ends.iter().all(|l| !l.to_string().contains("expand")), "a query string reached the log");
    // Every request had its own id.
    let mut all: Vec<&str> = ends.iter().filter_map(|l| request_id_of(l)).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), ends.len());
});
