//! Outgoing mail: queued in the `mail_outbox` table (in the caller's transaction) and delivered by
//! a background worker with retries and backoff, so an SMTP outage loses nothing and never fails
//! a request. Without SMTP configured, messages are written as `.eml` files to a dev outbox.
//!
//! Bodies carry live one-time links (verification, reset, magic link), so they are sealed with
//! the master key while queued and dropped once delivered or given up: a copy of the database
//! holds no usable link.
pub mod org_servers;
mod sealed;
pub mod templates;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use secrecy::ExposeSecret;
use tokio::sync::{Notify, watch};

use self::org_servers::{OrgServer, OrgServers};
use crate::config::Settings;
use crate::keys::MasterKey;
use crate::store::mail_outbox::{self, OutboxMessage};

/// A rendered message: plain-text and HTML twins.
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The action link, logged only in dev-outbox mode so a newcomer can follow it.
    pub link: Option<String>,
    /// The sender's display name (an organization's branding); `None` keeps `mail.from`'s.
    pub from_name: Option<String>,
    /// The organization the mail speaks for (the service signed in to); `None`: resolved from
    /// the recipient's memberships when the mail is queued.
    pub org_id: Option<uuid::Uuid>,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    DevOutbox(PathBuf),
}

/// How long a stopping worker lets a message being sent finish before it gives the claim
/// back (a process manager's kill follows SIGTERM after about 10 s).
const STOP_GRACE: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    max_attempts: i32,
    wake: Arc<Notify>,
    master: MasterKey,
    org_servers: OrgServers,
    /// `true` once the process is shutting down: the worker takes no more mail.
    stopping: watch::Sender<bool>,
    worker: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl Mailer {
    pub fn new(settings: &Settings, master: MasterKey) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .mail
            .from
            .parse()
            .context("mail.from is not a valid mailbox")?;
        let transport = match settings
            .mail
            .smtp_url
            .as_ref()
            .map(|url| url.expose_secret())
        {
            Some(url) if !url.is_empty() => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("mail.smtp_url (GATEHOUSE_MAIL__SMTP_URL) is not a valid SMTP URL")?
                    .timeout(Some(Duration::from_secs(15)))
                    .build(),
            ),
            _ => {
                let dir = settings.data_dir.join("outbox");
                crate::private_fs::create_private_dir(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                Transport::DevOutbox(dir)
            }
        };
        Ok(Self {
            transport,
            from,
            max_attempts: settings.mail.max_attempts,
            wake: Arc::new(Notify::new()),
            master,
            org_servers: OrgServers::default(),
            stopping: watch::Sender::new(false),
            worker: Arc::default(),
        })
    }

    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::DevOutbox(dir) => format!("dev outbox: .eml files in {}", dir.display()),
        }
    }

    /// Queues `email` inside the caller's transaction; call [`Mailer::wake`] after commit.
    pub async fn enqueue<C: ConnectionTrait>(
        &self,
        db: &C,
        to: &str,
        email: Email,
    ) -> Result<(), DbErr> {
        if let (Transport::DevOutbox(..), Some(link)) = (&self.transport, &email.link) {
            tracing::info!(to, link = %link, subject = %email.subject, "dev outbox: mail queued (no SMTP configured)");
        }
        let org_id = match email.org_id {
            Some(org_id) => Some(org_id),
            None => sole_org_of(db, to).await?,
        };
        let id = uuid::Uuid::new_v4();
        let (text, html) = sealed::seal(&self.master, id, &email.text, &email.html);
        mail_outbox::insert(
            db,
            mail_outbox::NewMessage {
                id,
                recipient: to,
                subject: &email.subject,
                body_text: text,
                body_html: html,
                from_name: email.from_name,
                org_id,
            },
        )
        .await?;
        Ok(())
    }

    /// Drops the cached transport of an organization whose mail server changed.
    pub fn forget_org(&self, org_id: uuid::Uuid) {
        self.org_servers.forget(org_id);
    }

    pub fn forget_all_orgs(&self) {
        self.org_servers.clear();
    }

    /// Sends `email` to `to` now through the server `row` describes (not the cached one): the
    /// console's "send a test mail". The error is in words an admin can act on.
    pub async fn send_test(
        &self,
        row: &crate::store::org_smtp::OrgSmtp,
        to: &str,
        email: Email,
    ) -> Result<(), String> {
        let server = OrgServer::build(&self.master, row).map_err(|e| format!("{e:#}."))?;
        let to: Mailbox = to
            .parse()
            .map_err(|_| "The recipient is not a valid email address.".to_owned())?;
        let message = Message::builder()
            .from(server.from.clone())
            .to(to)
            .subject(&email.subject)
            .multipart(MultiPart::alternative_plain_html(email.text, email.html))
            .map_err(|e| format!("The message could not be built: {e}."))?;
        server
            .transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| org_servers::plain_error(&e, &row.host, row.port))
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Delivers queued mail until [`Mailer::stop`].
    pub fn spawn_worker(self, db: DatabaseConnection, metrics: Arc<crate::metrics::Metrics>) {
        let slot = self.worker.clone();
        let handle = tokio::spawn(async move {
            let mut stopping = self.stopping.subscribe();
            while !*stopping.borrow() {
                match self.deliver_due(&db, &metrics).await {
                    Ok(0) => {
                        tokio::select! {
                            _ = self.wake.notified() => {}
                            _ = stopping.changed() => {}
                            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "mail worker could not read the outbox");
                        tokio::select! {
                            _ = stopping.changed() => {}
                            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                        }
                    }
                }
            }
            tracing::info!("mail worker stopped");
        });
        if let Ok(mut slot) = slot.lock() {
            *slot = Some(handle);
        }
    }

    /// Graceful shutdown: the worker claims nothing more, a message being sent gets
    /// [`STOP_GRACE`] to finish, and every claimed but unsent message goes back to the queue
    /// for another instance (or the next start). Returns when the worker has ended.
    pub async fn stop(&self) {
        self.stopping.send_replace(true);
        let handle = self.worker.lock().ok().and_then(|mut slot| slot.take());
        if let Some(handle) = handle
            && let Err(e) = handle.await
        {
            tracing::warn!(error = %e, "mail worker ended abnormally");
        }
    }

    async fn deliver_due(
        &self,
        db: &DatabaseConnection,
        metrics: &crate::metrics::Metrics,
    ) -> Result<usize, DbErr> {
        let now = crate::store::now();
        // The lease outlasts the worst case of a batch (10 x 15 s SMTP timeout), so another
        // instance never picks up a message that is still being sent.
        let batch = mail_outbox::claim_due(db, now, chrono::Duration::minutes(10), 10).await?;
        for (i, message) in batch.iter().enumerate() {
            let Some(sent) = self.send_unless_stopped(db, message).await else {
                let unsent: Vec<_> = batch[i..].iter().map(|m| m.id).collect();
                let released = mail_outbox::release(db, &unsent).await?;
                tracing::info!(released, "shutting down: unsent mail returned to the queue");
                return Ok(i);
            };
            match sent {
                Ok(()) => {
                    tracing::info!(message_id = %message.id, "mail delivered");
                    mail_outbox::mark_sent(db, message.id).await?;
                }
                Err(e) => {
                    let attempts = message.attempts + 1;
                    let retry_at = (attempts < self.max_attempts).then(|| {
                        // 10 s, 20 s, 40 s … capped at one hour.
                        let backoff = 5i64.saturating_mul(1 << attempts.min(10)).min(3600);
                        now + chrono::Duration::seconds(backoff)
                    });
                    metrics.mail_failed(retry_at.is_none());
                    tracing::warn!(message_id = %message.id, attempts, error = %e, gave_up = retry_at.is_none(), "mail delivery failed");
                    mail_outbox::mark_failed(db, message, &format!("{e:#}"), retry_at).await?;
                }
            }
        }
        Ok(batch.len())
    }

    /// Sends `message`, or `None` when the process is stopping: before the send starts, or
    /// when the send outlasts [`STOP_GRACE`] after the stop began.
    async fn send_unless_stopped(
        &self,
        db: &DatabaseConnection,
        message: &OutboxMessage,
    ) -> Option<anyhow::Result<()>> {
        let mut stopping = self.stopping.subscribe();
        if *stopping.borrow() {
            return None;
        }
        let send = self.send(db, message);
        tokio::pin!(send);
        tokio::select! {
            sent = &mut send => return Some(sent),
            _ = stopping.wait_for(|stop| *stop) => {}
        }
        tokio::time::timeout(STOP_GRACE, send).await.ok()
    }

    async fn send(&self, db: &DatabaseConnection, message: &OutboxMessage) -> anyhow::Result<()> {
        let (text, html) = sealed::open(&self.master, message)?;
        let org_server = match message.org_id {
            Some(org_id) => self
                .org_servers
                .get(db, &self.master, org_id)
                .await
                .context("the organization's mail server")?,
            None => None,
        };
        // The server's address always; a branded message only changes the name shown.
        let sender = org_server.as_ref().map_or(&self.from, |s| &s.from);
        let from = match &message.from_name {
            Some(name) => Mailbox::new(Some(name.clone()), sender.email.clone()),
            None => sender.clone(),
        };
        let email = Message::builder()
            .from(from)
            .to(message
                .recipient
                .parse()
                .context("recipient is not a valid address")?)
            .subject(&message.subject)
            .multipart(MultiPart::alternative_plain_html(text, html))?;
        if let Some(server) = &org_server {
            server.transport.send(email).await?;
            return Ok(());
        }
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(email).await?;
            }
            Transport::DevOutbox(dir) => {
                write_private_eml(dir, message.id, &email.formatted()).await?
            }
        }
        Ok(())
    }
}

/// The one organization the recipient belongs to, if exactly one: their mail speaks for it even
/// when nothing else names an organization (a password reset from the platform's pages).
async fn sole_org_of<C: ConnectionTrait>(db: &C, to: &str) -> Result<Option<uuid::Uuid>, DbErr> {
    let Some(user) = crate::store::users::find_by_email(db, &to.to_lowercase()).await? else {
        return Ok(None);
    };
    let orgs = crate::store::memberships::org_ids_of(db, user.id).await?;
    Ok(match orgs.as_slice() {
        [only] => Some(*only),
        _ => None,
    })
}

/// `<dir>/<id>.eml`, mode 0600 from the start (the links in it sign people in).
async fn write_private_eml(
    dir: &std::path::Path,
    id: uuid::Uuid,
    raw: &[u8],
) -> anyhow::Result<()> {
    let path = dir.join(format!("{id}.eml"));
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(&path)
        .await
        .with_context(|| format!("cannot write {}", path.display()))?;
    tokio::io::AsyncWriteExt::write_all(&mut file, raw).await?;
    // A file left by an earlier version keeps its old mode through `open`.
    crate::private_fs::restrict_file(&path)?;
    Ok(())
}
