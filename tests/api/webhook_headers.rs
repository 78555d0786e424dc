//! Webhook header names on the wire, as the raw bytes a receiver reads:
//! some receivers (API gateways' event objects) look `Stripe-Signature` up
//! in a plain map, so its case matters.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::backend_test;

/// A receiver below HTTP: keeps each request's head exactly as sent.
struct RawReceiver {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl RawReceiver {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let kept = heads.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let head = read_head(&mut stream).await;
                    kept.lock().unwrap().push(head);
                    let _ =
                        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
                });
            }
        });
        Self { url, heads }
    }

    async fn first_head(&self) -> String {
        for _ in 0..300 {
            if let Some(h) = self.heads.lock().unwrap().first() {
                return h.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no delivery arrived");
    }
}

/// Reads up to the blank line that ends the request head (the body is left).
async fn read_head(stream: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

backend_test!(webhook_header_names_are_sent_in_canonical_case, |app| {
    let rx = RawReceiver::start().await;
    let r = app.post("/v1/webhook_endpoints", &[("url", &rx.url), ("enabled_events[0]", "customer.created")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.customer(&[]).await;
    let head = rx.first_head().await;
    assert!(head.starts_with("POST /hook HTTP/1.1\r\n"), "{head}");
    for name in ["Stripe-Signature", "Content-Type", "Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"] {
        assert!(head.contains(&format!("\r\n{name}: ")), "{name} missing in:\n{head}");
    }
    assert!(!head.contains("\r\nstripe-signature:"), "{head}");
});
