//! A minimal HTTP/1.1 client over a plain TCP stream: enough for the sandbox to POST webhooks
//! to `http://` receivers (tests and the demo run on localhost) without pulling an HTTP client
//! crate into the sandbox. One request per connection (`Connection: close`), no TLS, no
//! redirects, no chunked bodies.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What came back: the status code and the raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Sends one request and reads the whole answer, all within `timeout`.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<RawResponse, String> {
    match tokio::time::timeout(timeout, exchange(method, url, headers, body)).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

/// A JSON request with one optional credential header, for the sandboxes' own tests: the
/// status and the body read as JSON (`Null` when it is not JSON).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) async fn json_call(
    method: &str,
    url: &str,
    credential: Option<(&str, &str)>,
    body: &[u8],
) -> (u16, serde_json::Value) {
    let mut headers = vec![("Content-Type", "application/json".to_string())];
    if let Some((name, value)) = credential {
        headers.push((name, value.to_string()));
    }
    let answer = send(method, url, &headers, body, Duration::from_secs(5))
        .await
        .unwrap();
    let value = serde_json::from_slice(&answer.body).unwrap_or(serde_json::Value::Null);
    (answer.status, value)
}

async fn exchange(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<RawResponse, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// URLs are supported: {url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let address = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let mut stream = TcpStream::connect(&address)
        .await
        .map_err(|e| format!("connect {address}: {e}"))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    stream
        .write_all(body)
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .map_err(|e| format!("read: {e}"))?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<RawResponse, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers in the answer")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or("no status code in the answer")?;
    Ok(RawResponse {
        status,
        body: raw[split + 4..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_and_body() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        assert_eq!(
            parse_response(raw),
            Ok(RawResponse {
                status: 200,
                body: b"ok".to_vec()
            })
        );
        assert!(parse_response(b"garbage").is_err());
    }

    #[tokio::test]
    async fn refuses_https_and_reports_unreachable_hosts() {
        let https = send(
            "POST",
            "https://x.example/",
            &[],
            b"",
            Duration::from_secs(1),
        )
        .await;
        assert!(https.is_err());
        // Port 9 (discard) on localhost is closed on any sane test machine.
        let closed = send(
            "POST",
            "http://127.0.0.1:9/x",
            &[],
            b"",
            Duration::from_secs(1),
        )
        .await;
        assert!(closed.is_err());
    }
}
