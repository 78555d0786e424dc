//! A minimal HTTP/1.1 client for load: one kept-alive connection per
//! worker, requests sent back to back, so the generator costs as little
//! CPU as possible next to the server it measures.

use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;

pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
    auth: String,
}

pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

impl Conn {
    pub async fn open(addr: &str, key: &str) -> anyhow::Result<Conn> {
        let stream = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr)).await??;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { sender, host: addr.to_owned(), auth: format!("Bearer {key}") })
    }

    /// Sends one request; `form` makes it a form-encoded POST.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<String>,
        idem: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let mut req =
            Request::builder().method(method).uri(path).header("host", &self.host).header("authorization", &self.auth);
        if form.is_some() {
            req = req.header("content-type", "application/x-www-form-urlencoded");
        }
        if let Some(k) = idem {
            req = req.header("idempotency-key", k);
        }
        let req = req.body(Full::new(Bytes::from(form.unwrap_or_default())))?;
        self.sender.ready().await?;
        let res = self.sender.send_request(req).await?;
        let status = res.status().as_u16();
        let body = res.into_body().collect().await?.to_bytes();
        Ok(Answer { status, body })
    }
}
