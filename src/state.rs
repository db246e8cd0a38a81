use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::password::PasswordHasher;
use crate::config::Settings;
use crate::keys::{KeyStore, MasterKey, PublishedDocument};
use crate::mail::Mailer;
use crate::oidc::clients::Clients;
use crate::rate_limit::RateLimits;

/// Everything a request needs; passed explicitly (never global) so two apps can run in one process.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Where write transactions run (`store::begin(&state.writer)`): SQLite's single writer
    /// connection, or the same pool as `db` on PostgreSQL (see `store::writer`).
    pub writer: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub master: MasterKey,
    pub keys: Arc<KeyStore>,
    pub mailer: Mailer,
    pub passwords: Arc<PasswordHasher>,
    pub clients: Arc<Clients>,
    pub limits: Arc<RateLimits>,
    /// `server.trusted_proxies`, parsed: whose forwarded headers name the client.
    pub proxies: Arc<crate::domain::TrustedProxies>,
    /// The WebAuthn relying party; `None` when the issuer's host is an IP address.
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// `/.well-known/openid-configuration`, prepared once.
    pub discovery: PublishedDocument,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Deny-listed access tokens, in memory (see `oidc::revoked_set`).
    pub revoked: Arc<crate::oidc::revoked_set::RevokedSet>,
}

impl AppState {
    /// An absolute URL under the issuer.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.settings.public_url(), path)
    }
}
