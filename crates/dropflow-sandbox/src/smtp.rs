//! A small SMTP server (RFC 5321, the part a mail client uses) for tests: it answers `EHLO`/
//! `HELO`, `MAIL FROM`, `RCPT TO`, `DATA`, `RSET`, `NOOP` and `QUIT`, keeps every message it
//! accepts, and can be told to misbehave: answer 421 at the greeting, 451 (try later) or 550
//! (refused for good) to each recipient, or stop listening altogether and come back on the
//! same port.
//!
//! It listens on the loopback interface only, offers no TLS (`STARTTLS` is answered 454) and
//! no authentication: a client must talk plain SMTP to it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use tokio::task::{JoinHandle, JoinSet};

/// The largest message kept; a bigger one is answered 552.
const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

/// How the server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Like a healthy server: every message accepted.
    Accept,
    /// `421` at the greeting, then the connection closes (overloaded, shutting down).
    Unavailable,
    /// `451` to every `RCPT TO`: try again later.
    Defer,
    /// `550` to every `RCPT TO`: refused for good.
    Reject,
}

/// One message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The name the client gave in `EHLO`/`HELO`.
    pub helo: String,
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub mail_from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub rcpt_to: Vec<String>,
    /// The message as sent after `DATA`, dot-stuffing undone, CRLF line ends kept.
    pub data: Vec<u8>,
}

impl ReceivedMail {
    /// The message as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

#[derive(Debug)]
struct Shared {
    mode: Mutex<Mode>,
    received: Mutex<Vec<ReceivedMail>>,
    arrived: Notify,
    connections: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock leaves the data as it was: still usable.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running server. Dropping it stops it.
#[derive(Debug)]
pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SmtpServer {
    /// Listens on an ephemeral loopback port.
    pub async fn start() -> std::io::Result<SmtpServer> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Listens on `addr` (a port an earlier server used, to come back after [`Self::stop`]).
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<SmtpServer> {
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Accept),
            received: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            connections: AtomicU64::new(0),
        });
        let (addr, stop, task) = listen(addr, shared.clone()).await?;
        Ok(SmtpServer {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:PORT`, for a plain-SMTP client.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        *lock(&self.shared.mode) = mode;
    }

    /// Every message accepted so far, in order.
    pub fn received(&self) -> Vec<ReceivedMail> {
        lock(&self.shared.received).clone()
    }

    /// Connections accepted so far (whatever came of them).
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Waits until at least `count` messages arrived or `timeout` passed; what arrived.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.received();
            }
        }
    }

    /// Stops listening and drops every open connection: connecting is refused until a server
    /// starts on the same address again. What was received stays readable.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Listens again on the same port after [`Self::stop`], keeping what was received and the
    /// mode.
    pub async fn restart(&mut self) -> std::io::Result<()> {
        self.stop().await;
        let (_, stop, task) = listen(self.addr, self.shared.clone()).await?;
        self.stop = Some(stop);
        self.task = Some(task);
        Ok(())
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Binds `addr` and serves until told to stop: the bound address, the stop switch, the task.
async fn listen(
    addr: SocketAddr,
    shared: Arc<Shared>,
) -> std::io::Result<(SocketAddr, oneshot::Sender<()>, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = oneshot::channel();
    let state = shared.clone();
    let task = tokio::spawn(async move {
        let mut sessions = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    state.connections.fetch_add(1, Ordering::SeqCst);
                    sessions.spawn(session(stream, state.clone()));
                }
                Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            }
        }
        // Dropping the listener and the sessions: the port refuses connections now.
        drop(listener);
        sessions.shutdown().await;
    });
    Ok((addr, stop, task))
}

/// One client's conversation.
async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mode = *lock(&shared.mode);
    if mode == Mode::Unavailable {
        let _ = write
            .write_all(b"421 4.3.2 sandbox.smtp service not available\r\n")
            .await;
        return;
    }
    if reply(&mut write, "220 sandbox.smtp ESMTP dropflow-sandbox")
        .await
        .is_err()
    {
        return;
    }
    let mut helo = String::new();
    let mut from: Option<String> = None;
    let mut rcpt: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match read.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end_matches(['\r', '\n']);
        let upper = command.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("");
        let answer: String = match verb {
            "EHLO" | "HELO" => {
                helo = command[4..].trim().to_string();
                from = None;
                rcpt.clear();
                if verb == "EHLO" {
                    "250-sandbox.smtp greets you\r\n250-8BITMIME\r\n250 SIZE 10485760".into()
                } else {
                    "250 sandbox.smtp greets you".into()
                }
            }
            "MAIL" if upper.starts_with("MAIL FROM:") => match address(&command[10..]) {
                Some(sender) => {
                    from = Some(sender);
                    rcpt.clear();
                    "250 2.1.0 sender ok".into()
                }
                None => "501 5.1.7 bad sender address syntax".into(),
            },
            "RCPT" if upper.starts_with("RCPT TO:") => {
                if from.is_none() {
                    "503 5.5.1 MAIL first".into()
                } else {
                    match (*lock(&shared.mode), address(&command[8..])) {
                        (_, None) => "501 5.1.3 bad recipient address syntax".into(),
                        (Mode::Defer, Some(_)) => {
                            "451 4.3.0 mailbox temporarily unavailable, try again later".into()
                        }
                        (Mode::Reject, Some(_)) => "550 5.1.1 mailbox unavailable".into(),
                        (Mode::Accept | Mode::Unavailable, Some(to)) => {
                            rcpt.push(to);
                            "250 2.1.5 recipient ok".into()
                        }
                    }
                }
            }
            "DATA" => {
                let Some(sender) = from.clone() else {
                    if reply(&mut write, "503 5.5.1 MAIL first").await.is_err() {
                        return;
                    }
                    continue;
                };
                if rcpt.is_empty() {
                    if reply(&mut write, "554 5.5.1 no valid recipients")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    continue;
                }
                if reply(&mut write, "354 end data with <CR><LF>.<CR><LF>")
                    .await
                    .is_err()
                {
                    return;
                }
                let Some(data) = read_data(&mut read).await else {
                    return;
                };
                if data.len() > MAX_MESSAGE_BYTES {
                    "552 5.3.4 message too big".into()
                } else {
                    let count = {
                        let mut received = lock(&shared.received);
                        received.push(ReceivedMail {
                            helo: helo.clone(),
                            mail_from: sender,
                            rcpt_to: std::mem::take(&mut rcpt),
                            data,
                        });
                        received.len()
                    };
                    from = None;
                    shared.arrived.notify_waiters();
                    format!("250 2.0.0 ok: queued as {count}")
                }
            }
            "RSET" => {
                from = None;
                rcpt.clear();
                "250 2.0.0 ok".into()
            }
            "NOOP" => "250 2.0.0 ok".into(),
            "STARTTLS" => "454 4.7.0 TLS not available".into(),
            "QUIT" => {
                let _ = reply(&mut write, "221 2.0.0 bye").await;
                return;
            }
            _ => "502 5.5.2 command not recognised".into(),
        };
        if reply(&mut write, &answer).await.is_err() {
            return;
        }
    }
}

async fn reply(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> std::io::Result<()> {
    write.write_all(text.as_bytes()).await?;
    write.write_all(b"\r\n").await?;
    write.flush().await
}

/// The text between `<` and `>` (parameters after it ignored); `<>` is the null sender.
fn address(argument: &str) -> Option<String> {
    let argument = argument.trim();
    let start = argument.find('<')?;
    let end = start + argument[start..].find('>')?;
    Some(argument[start + 1..end].to_string())
}

/// Lines up to the lone `.`, with leading dots unstuffed. `None` if the client went away.
async fn read_data(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match read.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if line == b".\r\n" || line == b".\n" {
            return Some(data);
        }
        let body = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() <= MAX_MESSAGE_BYTES {
            data.extend_from_slice(body);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn talk(addr: SocketAddr, lines: &[&str]) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        for line in lines {
            stream.write_all(line.as_bytes()).await.unwrap();
            stream.write_all(b"\r\n").await.unwrap();
        }
        let mut out = String::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut out))
            .await
            .unwrap()
            .unwrap();
        out
    }

    #[tokio::test]
    async fn keeps_a_message_with_dots_unstuffed() {
        let server = SmtpServer::start().await.unwrap();
        let out = talk(
            server.addr(),
            &[
                "EHLO client.test",
                "MAIL FROM:<a@example.com> BODY=8BITMIME",
                "RCPT TO:<b@example.com>",
                "DATA",
                "Subject: hi",
                "",
                "..leading dot",
                ".",
                "QUIT",
            ],
        )
        .await;
        assert!(out.contains("250 2.0.0 ok: queued as 1"), "{out}");
        let mail = &server.received()[0];
        assert_eq!(mail.helo, "client.test");
        assert_eq!(mail.mail_from, "a@example.com");
        assert_eq!(mail.rcpt_to, ["b@example.com"]);
        assert_eq!(mail.text(), "Subject: hi\r\n\r\n.leading dot\r\n");
    }

    #[tokio::test]
    async fn modes_refuse_defer_and_reject() {
        let mut server = SmtpServer::start().await.unwrap();
        let rcpt = [
            "HELO c",
            "MAIL FROM:<a@example.com>",
            "RCPT TO:<b@example.com>",
            "QUIT",
        ];
        server.set_mode(Mode::Defer);
        assert!(talk(server.addr(), &rcpt).await.contains("\r\n451 "));
        server.set_mode(Mode::Reject);
        assert!(talk(server.addr(), &rcpt).await.contains("\r\n550 "));
        server.set_mode(Mode::Unavailable);
        assert!(talk(server.addr(), &rcpt).await.starts_with("421 "));
        server.stop().await;
        assert!(TcpStream::connect(server.addr()).await.is_err());
        server.set_mode(Mode::Accept);
        server.restart().await.unwrap();
        assert!(talk(server.addr(), &rcpt).await.contains("250 2.1.5"));
        assert!(server.received().is_empty());
    }
}
