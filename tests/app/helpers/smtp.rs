//! A real SMTP listener on 127.0.0.1:0 that captures messages, plus a small HTTP "mailbox" so
//! browser scripts can fetch the link of the last message sent to an address.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

#[derive(Clone, Debug)]
pub struct CapturedMail {
    pub to: Vec<String>,
    pub raw: String,
}

impl CapturedMail {
    /// The decoded text/plain part.
    pub fn text(&self) -> String {
        let start = self
            .raw
            .find("Content-Type: text/plain")
            .expect("text part");
        let rest = &self.raw[start..];
        let body_start = rest.find("\r\n\r\n").expect("part body") + 4;
        let body = &rest[body_start..];
        // The part ends at the MIME boundary, not at any line starting with "--": a
        // quoted-printable soft line break may put "--" of a token at a line's start.
        let boundary = self
            .raw
            .split_once("boundary=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(boundary, _)| format!("\r\n--{boundary}"));
        let end = match boundary {
            Some(boundary) => body.find(&boundary),
            None => body.find("\r\n--"),
        }
        .unwrap_or(body.len());
        let encoded = &body[..end];
        let decoded =
            quoted_printable::decode(encoded.as_bytes(), quoted_printable::ParseMode::Robust)
                .expect("qp");
        String::from_utf8(decoded).expect("utf-8")
    }

    pub fn subject(&self) -> String {
        self.raw
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or_default()
            .to_owned()
    }

    /// The first link in the text part that starts with `prefix` (e.g. the issuer URL).
    pub fn link(&self) -> String {
        let text = self.text();
        let re = regex::Regex::new(r"https?://\S+").expect("regex");
        re.find(&text)
            .expect("a link in the mail")
            .as_str()
            .to_owned()
    }
}

#[derive(Clone, Default)]
pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<CapturedMail>>>,
    arrived: Arc<Notify>,
    /// The `AUTH PLAIN` credentials presented, decoded (`user\0password`).
    auths: Arc<Mutex<Vec<String>>>,
    /// While set, every connection is closed before the greeting: the server is down. The port
    /// stays held, so nothing else (e.g. an outgoing connection's ephemeral port) can take it.
    down: Arc<AtomicBool>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// A sink that drops every connection until [`SmtpSink::bring_up`]: an SMTP outage.
    pub async fn start_down() -> Self {
        Self::start_with(true).await
    }

    /// The server is back: connections from now on get a normal SMTP conversation.
    pub fn bring_up(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    async fn start_with(down: bool) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind smtp sink");
        let sink = Self {
            port: listener.local_addr().expect("addr").port(),
            down: Arc::new(AtomicBool::new(down)),
            ..Self::default()
        };
        let accept = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                if accept.down.load(Ordering::SeqCst) {
                    drop(stream);
                    continue;
                }
                let sink = accept.clone();
                tokio::spawn(async move {
                    let _ = sink.serve(stream).await;
                });
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    async fn serve(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink ESMTP test listener\r\n").await?;
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_ascii_uppercase();
            if command.starts_with("EHLO") {
                write
                    .write_all(b"250-sink\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 SMTPUTF8\r\n")
                    .await?;
            } else if command.starts_with("HELO")
                || command.starts_with("MAIL")
                || command.starts_with("RSET")
                || command.starts_with("NOOP")
            {
                if command.starts_with("RSET") || command.starts_with("MAIL") {
                    to.clear();
                }
                write.write_all(b"250 OK\r\n").await?;
            } else if command.starts_with("AUTH PLAIN ") {
                use base64::Engine;
                let encoded = line.trim_end()[11..].trim();
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .unwrap_or_default();
                let plain = String::from_utf8_lossy(&decoded);
                self.auths
                    .lock()
                    .expect("lock")
                    .push(plain.trim_start_matches('\0').to_owned());
                write.write_all(b"235 accepted\r\n").await?;
            } else if command.starts_with("RCPT TO:") {
                let address = line.trim_end()[8..]
                    .trim()
                    .trim_matches(['<', '>'])
                    .to_owned();
                to.push(address);
                write.write_all(b"250 OK\r\n").await?;
            } else if command == "DATA" {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut raw = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    raw.push_str(
                        line.strip_prefix('.')
                            .filter(|_| line.starts_with(".."))
                            .unwrap_or(&line),
                    );
                }
                self.messages.lock().expect("lock").push(CapturedMail {
                    to: std::mem::take(&mut to),
                    raw,
                });
                self.arrived.notify_waiters();
                write.write_all(b"250 queued\r\n").await?;
            } else if command.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                write.write_all(b"502 not implemented\r\n").await?;
            }
        }
    }

    pub fn messages_to(&self, address: &str) -> Vec<CapturedMail> {
        let address = address.to_lowercase();
        self.messages
            .lock()
            .expect("lock")
            .iter()
            .filter(|m| m.to.iter().any(|t| t.to_lowercase() == address))
            .cloned()
            .collect()
    }

    /// The credentials clients signed in with, as `user\0password`.
    pub fn auths(&self) -> Vec<String> {
        self.auths.lock().expect("lock").clone()
    }

    pub fn count(&self) -> usize {
        self.messages.lock().expect("lock").len()
    }

    /// Waits (up to 10 s) until `address` has received `n` messages and returns the n-th.
    pub async fn wait_for_nth(&self, address: &str, n: usize) -> CapturedMail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let arrived = self.arrived.notified();
            if let Some(mail) = self.messages_to(address).get(n - 1) {
                return mail.clone();
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!(
                    "no mail #{n} for {address} within 10 s (have {})",
                    self.messages_to(address).len()
                );
            }
        }
    }

    /// Waits (up to 10 s) for a message to `address` with this subject, past the first `skip`
    /// messages (other mail, such as security notices, may arrive in between).
    pub async fn wait_for_subject(
        &self,
        address: &str,
        subject: &str,
        skip: usize,
    ) -> CapturedMail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let arrived = self.arrived.notified();
            let found = self
                .messages_to(address)
                .into_iter()
                .skip(skip)
                .find(|m| m.subject() == subject);
            if let Some(mail) = found {
                return mail;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("no mail {subject:?} for {address} within 10 s");
            }
        }
    }

    pub async fn wait_for(&self, address: &str) -> CapturedMail {
        self.wait_for_nth(address, 1).await
    }

    /// Serves `GET /latest-link?to=ADDRESS` (waits up to 10 s) for browser scripts,
    /// `GET /latest-text?to=ADDRESS&subject=…` (the text of the latest mail with that subject,
    /// waiting up to 10 s) and `GET /callback` as a relying app's redirect target.
    pub fn serve_mailbox_http(&self) -> String {
        let sink = self.clone();
        let texts = self.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind mailbox");
        let port = listener.local_addr().expect("addr").port();
        let server = actix_web::HttpServer::new(move || {
            let sink = sink.clone();
            let texts = texts.clone();
            actix_web::App::new()
                .route(
                    "/latest-text",
                    actix_web::web::get().to(
                        move |query: actix_web::web::Query<
                            std::collections::HashMap<String, String>,
                        >| {
                            let sink = texts.clone();
                            async move {
                                let to = query.get("to").cloned().unwrap_or_default();
                                let subject = query.get("subject").cloned().unwrap_or_default();
                                let deadline =
                                    tokio::time::Instant::now() + Duration::from_secs(10);
                                loop {
                                    let found = sink
                                        .messages_to(&to)
                                        .into_iter()
                                        .rev()
                                        .find(|m| m.subject() == subject);
                                    if let Some(mail) = found {
                                        return actix_web::HttpResponse::Ok().body(mail.text());
                                    }
                                    if tokio::time::Instant::now() > deadline {
                                        return actix_web::HttpResponse::NotFound().finish();
                                    }
                                    tokio::time::sleep(Duration::from_millis(50)).await;
                                }
                            }
                        },
                    ),
                )
                .route(
                    "/callback",
                    actix_web::web::get()
                        .to(|| async { actix_web::HttpResponse::Ok().body("callback received") }),
                )
                .route(
                    "/latest-link",
                    actix_web::web::get().to(
                        move |query: actix_web::web::Query<
                            std::collections::HashMap<String, String>,
                        >| {
                            let sink = sink.clone();
                            async move {
                                let to = query.get("to").cloned().unwrap_or_default();
                                let n = sink.messages_to(&to).len().max(1);
                                let mail = sink.wait_for_nth(&to, n).await;
                                actix_web::HttpResponse::Ok().body(mail.link())
                            }
                        },
                    ),
                )
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        format!("http://127.0.0.1:{port}")
    }
}
