//! Organizations' own mail servers: a message that speaks for an organization with a server of
//! its own is delivered through it. Transports are built from `org_smtp` on first use and kept
//! until `admin::invalidate` reports a change to the organization.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::keys::MasterKey;
use crate::store::org_smtp::{self, OrgSmtp};

/// How long one SMTP exchange may take, as for the platform's server.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// The associated data binding a sealed password to its organization.
pub fn password_aad(org_id: Uuid) -> Vec<u8> {
    format!("org_smtp:{org_id}:password").into_bytes()
}

/// How the connection to an organization's server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain SMTP: for a relay on a trusted network only.
    None,
    /// Plain connection upgraded with STARTTLS, which the server must offer (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl TlsMode {
    pub const ALL: [TlsMode; 3] = [TlsMode::StartTls, TlsMode::Tls, TlsMode::None];

    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::StartTls => "starttls",
            TlsMode::Tls => "tls",
        }
    }

    pub fn parse(raw: &str) -> Option<TlsMode> {
        TlsMode::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    /// What the console shows for it.
    pub fn label(self) -> &'static str {
        match self {
            TlsMode::None => "None (trusted local relay only)",
            TlsMode::StartTls => "STARTTLS (usually port 587)",
            TlsMode::Tls => "TLS (usually port 465)",
        }
    }
}

/// A ready transport and the sender it uses.
pub struct OrgServer {
    pub transport: AsyncSmtpTransport<Tokio1Executor>,
    pub from: Mailbox,
}

impl OrgServer {
    /// Builds the transport of `row`, opening its sealed password.
    pub fn build(master: &MasterKey, row: &OrgSmtp) -> anyhow::Result<OrgServer> {
        let mode = TlsMode::parse(&row.tls_mode).context("unknown TLS mode")?;
        let tls = match mode {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => Tls::Required(TlsParameters::new(row.host.clone())?),
            TlsMode::Tls => Tls::Wrapper(TlsParameters::new(row.host.clone())?),
        };
        let port = u16::try_from(row.port).context("port out of range")?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&row.host)
            .port(port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some(username) = &row.username {
            let password = match &row.password_sealed {
                Some(sealed) => {
                    let bytes = master
                        .open(sealed, &password_aad(row.org_id))
                        .map_err(|_| {
                            anyhow::anyhow!(
                                "the SMTP password cannot be opened with this master key"
                            )
                        })?;
                    String::from_utf8(bytes).context("the SMTP password is not UTF-8")?
                }
                None => String::new(),
            };
            builder = builder.credentials(Credentials::new(username.clone(), password));
        }
        let address = row
            .from_address
            .parse()
            .context("the From address is not a valid address")?;
        Ok(OrgServer {
            transport: builder.build(),
            from: Mailbox::new(row.from_name.clone(), address),
        })
    }
}

/// The per-organization cache: `None` remembers "no server of its own".
#[derive(Clone, Default)]
pub struct OrgServers {
    cached: Arc<Mutex<HashMap<Uuid, Option<Arc<OrgServer>>>>>,
}

impl OrgServers {
    /// The organization's server, or `None` when its mail goes through the platform's.
    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        master: &MasterKey,
        org_id: Uuid,
    ) -> anyhow::Result<Option<Arc<OrgServer>>> {
        if let Some(hit) = self.lock().get(&org_id) {
            return Ok(hit.clone());
        }
        let server = match org_smtp::find(db, org_id).await? {
            Some(row) => Some(Arc::new(OrgServer::build(master, &row)?)),
            None => None,
        };
        self.lock().insert(org_id, server.clone());
        Ok(server)
    }

    pub fn forget(&self, org_id: Uuid) {
        self.lock().remove(&org_id);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Option<Arc<OrgServer>>>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.cached.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An SMTP failure in words an admin can act on (no internals beyond the server's reply).
pub fn plain_error(e: &lettre::transport::smtp::Error, host: &str, port: i32) -> String {
    let detail = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_default();
    if e.is_timeout() {
        format!(
            "{host}:{port} did not answer within {} seconds.",
            SMTP_TIMEOUT.as_secs()
        )
    } else if e.is_tls() {
        format!(
            "The secure connection to {host}:{port} failed ({detail}). Check the TLS mode and port."
        )
    } else if e.is_permanent() || e.is_transient() {
        let code = e.status().map(|c| c.to_string()).unwrap_or_default();
        format!("The server {host}:{port} refused the mail: {code} {detail}")
            .trim_end()
            .to_owned()
    } else if e
        .to_string()
        .contains("No compatible authentication mechanism")
    {
        format!(
            "{host}:{port} offers no sign-in method Gatehouse supports; remove the username or check the TLS mode."
        )
    } else {
        format!("Could not talk to {host}:{port}: {e}.")
    }
}
