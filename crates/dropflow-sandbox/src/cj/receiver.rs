//! The other end of the sandbox's webhooks, for tests: a loopback endpoint that records each
//! POST and answers 200 at once, as CJ wants from a merchant's receiver.

use std::sync::{Arc, Mutex, PoisonError};

/// What a receiver got: (`sign` header, body) per POST, in arrival order.
pub type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// Starts a receiver answering every POST to `/cj` with 200 and `ack` as its body. Returns
/// the URL to give the sandbox as `webhook_url`, and what arrives there. It serves until the
/// runtime ends.
pub async fn webhook_receiver(ack: &'static str) -> std::io::Result<(String, Received)> {
    let received: Received = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/cj",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                async move {
                    let sign = headers
                        .get("sign")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    sink.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((sign, body.to_vec()));
                    ack
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/cj", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, received))
}
