//! Registered services as OAuth clients: an in-memory cache (the token hot path needs no query)
//! and client authentication with constant-time comparison of SHA-256 secret hashes.
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbErr};

use super::error::OAuthError;
use super::scope::ScopeSet;
use crate::keys::{constant_time_eq, hash_token};
use crate::store::organizations::{self, Organization};
use crate::store::services::{self, Service};

/// A service with its lists decoded and its organization, ready for protocol decisions.
#[derive(Debug)]
pub struct Client {
    pub service: Service,
    pub org: Organization,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub allowed_scopes: ScopeSet,
}

impl Client {
    pub fn client_id(&self) -> &str {
        &self.service.client_id
    }

    pub fn allows_grant(&self, grant: super::grants::GrantType) -> bool {
        self.grant_types.iter().any(|g| g == grant.as_str())
    }

    /// RFC 6749 §3.1.2.3 and RFC 9700 §2.1: exact string comparison, no normalisation; the
    /// one exception is the port of a loopback IP address (RFC 8252 §7.3), which a native app
    /// picks at run time. Native apps are public clients: a confidential (web) client's loopback
    /// URI matches byte for byte, so another program on its host cannot catch its codes on
    /// another port.
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        let any_loopback_port = !self.service.confidential;
        self.redirect_uris
            .iter()
            .any(|r| r == uri || (any_loopback_port && same_loopback_uri_but_port(r, uri)))
    }

    pub fn audience(&self) -> &str {
        self.service
            .audience
            .as_deref()
            .unwrap_or(&self.service.client_id)
    }

    pub fn is_active(&self) -> bool {
        self.org.is_active()
    }

    /// `presented_hash` is the secret from before the last rotation, still inside its overlap.
    fn previous_secret_matches(&self, presented_hash: &str) -> bool {
        let service = &self.service;
        match (
            &service.previous_client_secret_hash,
            service.previous_secret_expires_at,
        ) {
            (Some(previous), Some(until)) => {
                constant_time_eq(previous, presented_hash) & (chrono::Utc::now() < until)
            }
            _ => false,
        }
    }
}

/// `http://127.0.0.1` or `http://[::1]` URIs that differ only in their port. The requested URI
/// must already be in the parser's normal form, so no normalisation makes two URIs alike.
fn same_loopback_uri_but_port(registered: &str, requested: &str) -> bool {
    let (Ok(mut registered), Ok(requested_url)) =
        (url::Url::parse(registered), url::Url::parse(requested))
    else {
        return false;
    };
    let loopback = match registered.host() {
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        _ => false,
    };
    if !loopback || registered.scheme() != "http" || requested_url.as_str() != requested {
        return false;
    }
    registered.set_port(requested_url.port()).is_ok() && registered == requested_url
}

/// Why client authentication failed; `basic` when the client tried HTTP Basic.
#[derive(Debug)]
pub enum ClientAuthError {
    /// Unknown client, or a wrong or missing secret.
    Invalid {
        basic: bool,
    },
    /// The client's organization is suspended.
    Suspended {
        basic: bool,
    },
    Failed(DbErr),
}

impl From<DbErr> for ClientAuthError {
    fn from(e: DbErr) -> Self {
        Self::Failed(e)
    }
}

impl From<ClientAuthError> for OAuthError {
    /// RFC 6749 §5.2: `invalid_client` (401 with `WWW-Authenticate` after Basic).
    fn from(e: ClientAuthError) -> Self {
        match e {
            ClientAuthError::Invalid { basic } => OAuthError {
                basic_auth: basic,
                ..OAuthError::invalid_client()
            },
            ClientAuthError::Suspended { basic } => OAuthError {
                basic_auth: basic,
                ..OAuthError::new(
                    super::error::OAuthErrorCode::UnauthorizedClient,
                    "the organization of this client is suspended",
                )
            },
            ClientAuthError::Failed(e) => e.into(),
        }
    }
}

/// How the client presented itself at the token, revocation or introspection endpoint.
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
    pub basic: bool,
}

pub struct Clients {
    ttl: Duration,
    cache: RwLock<HashMap<String, (Instant, Arc<Client>)>>,
    /// Bumped by every invalidation, so a load that raced with one is not cached.
    generation: std::sync::atomic::AtomicU64,
}

impl Clients {
    /// Entries live `ttl`; changes made through `admin::invalidate` are dropped at once on
    /// every instance (on PostgreSQL), anything else is seen within `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            cache: RwLock::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        client_id: &str,
    ) -> Result<Option<Arc<Client>>, DbErr> {
        if let Ok(cache) = self.cache.read()
            && let Some((loaded, client)) = cache.get(client_id)
            && loaded.elapsed() < self.ttl
        {
            return Ok(Some(client.clone()));
        }
        let generation = self.generation.load(std::sync::atomic::Ordering::Acquire);
        let Some(service) = services::find_by_client_id(db, client_id).await? else {
            return Ok(None);
        };
        let Some(org) = organizations::find_by_id(db, service.org_id).await? else {
            return Ok(None);
        };
        let client = Arc::new(Client {
            redirect_uris: service.redirect_uris_list(),
            post_logout_redirect_uris: service.post_logout_redirect_uris_list(),
            grant_types: service.grant_types_list(),
            allowed_scopes: ScopeSet::from_list(&service.allowed_scopes_list()),
            service,
            org,
        });
        if let Ok(mut cache) = self.cache.write()
            && self.generation.load(std::sync::atomic::Ordering::Acquire) == generation
        {
            cache.insert(client_id.to_owned(), (Instant::now(), client.clone()));
        }
        Ok(Some(client))
    }

    pub fn invalidate(&self, client_id: &str) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(client_id);
        }
    }

    /// Forgets every cached client (an organization changed: all its services are stale).
    pub fn clear(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        if let Ok(mut cache) = self.cache.write() {
            cache.clear();
        }
    }

    /// Authenticates a client: confidential ones by secret, public ones by id alone.
    pub async fn authenticate<C: ConnectionTrait>(
        &self,
        db: &C,
        credentials: &ClientCredentials,
    ) -> Result<Arc<Client>, ClientAuthError> {
        let basic = credentials.basic;
        let failed = || ClientAuthError::Invalid { basic };
        let client = self
            .get(db, &credentials.client_id)
            .await?
            .ok_or_else(failed)?;
        // RFC 6749 §2.3.1: a public client that sends Basic with an empty password
        // (`client_id:`, as Authlib does) presents no secret; for a confidential client an
        // empty secret is simply wrong.
        let secret = credentials.secret.as_deref().filter(|s| !s.is_empty());
        match (&client.service.client_secret_hash, secret) {
            (Some(stored), Some(secret)) => {
                let presented = hash_token(secret);
                // Both checks always run: the answer's timing does not tell which one matched.
                let current = constant_time_eq(stored, &presented);
                let previous = client.previous_secret_matches(&presented);
                if !(current | previous) {
                    return Err(failed());
                }
            }
            (None, None) => {}
            _ => return Err(failed()),
        }
        if !client.is_active() {
            return Err(ClientAuthError::Suspended { basic });
        }
        Ok(client)
    }
}
