//! The admin layer: every administrative change goes through here, whoever asks (CLI, admin
//! REST API, admin console). Each operation takes `(&AppState, &Actor, input)`, checks the
//! actor's rights first, changes the store and writes its audit event in one transaction, then
//! invalidates what it changed. Nothing outside `admin/` writes admin data.
use std::fmt;

use uuid::Uuid;

use crate::domain::RequestMeta;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

pub mod audit_log;
pub mod bootstrap;
pub mod branding;
mod broadcast;
pub mod invitations;
pub mod keys;
pub mod members;
mod operations;
pub mod org_smtp;
pub mod orgs;
pub mod overview;
pub mod owners;
pub mod providers;
pub mod risk;
pub mod roles;
pub mod service_federation;
pub mod service_kinds;
pub mod service_tokens;
pub mod services;
pub mod session;
pub mod setup;
pub mod test_bench;
pub mod user_access;
pub mod users;

pub use broadcast::spawn_listener;
pub use operations::*;

/// Who presents `raw` (the bearer or `X-API-Key` value) to the admin API, trying in order the
/// bootstrap token, an admin session JWT, then a service token. A failure is audited (the
/// audit rows of one client network are bounded by the sign-in rate limit) and answered 401.
pub async fn authenticate(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
) -> Result<Actor, AppError> {
    let result = authenticate_inner(state, raw, meta).await;
    if let Err(AppError::Unauthorized { code, .. }) = &result {
        state.limits.check_login_ip(meta.ip).await?;
        let event = crate::audit::AuditEvent::new(
            "admin.authenticate",
            crate::audit::Outcome::Failure,
            meta,
        )
        .details(serde_json::json!({ "error_code": code }));
        crate::audit::record(&state.db, event).await?;
    }
    result
}

async fn authenticate_inner(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
) -> Result<Actor, AppError> {
    if let Some(actor) = bootstrap::authenticate(state, raw, meta).await? {
        return Ok(actor);
    }
    if session::looks_like_jwt(raw) {
        return session::verify(state, raw).await;
    }
    // Service tokens: the `service-tokens` helper's module (issue 15).
    if let Some(actor) = service_tokens::authenticate(state, raw, meta).await? {
        return Ok(actor);
    }
    Err(AppError::Unauthorized {
        code: ErrorCode::Unauthorized,
        message: "Invalid admin credentials".into(),
    })
}

/// One right of the admin API. Service tokens and the bootstrap token hold a set of these;
/// users hold them through their role (platform owner: all, org admin: all but the
/// platform-wide ones, on their own organization).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    OrgsRead,
    OrgsWrite,
    ServicesRead,
    ServicesWrite,
    UsersRead,
    UsersWrite,
    TokensRead,
    TokensWrite,
    KeysRead,
    KeysWrite,
    AuditRead,
}

impl Scope {
    pub const ALL: [Scope; 11] = [
        Scope::OrgsRead,
        Scope::OrgsWrite,
        Scope::ServicesRead,
        Scope::ServicesWrite,
        Scope::UsersRead,
        Scope::UsersWrite,
        Scope::TokensRead,
        Scope::TokensWrite,
        Scope::KeysRead,
        Scope::KeysWrite,
        Scope::AuditRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrgsRead => "admin:orgs:read",
            Scope::OrgsWrite => "admin:orgs:write",
            Scope::ServicesRead => "admin:services:read",
            Scope::ServicesWrite => "admin:services:write",
            Scope::UsersRead => "admin:users:read",
            Scope::UsersWrite => "admin:users:write",
            Scope::TokensRead => "admin:tokens:read",
            Scope::TokensWrite => "admin:tokens:write",
            Scope::KeysRead => "admin:keys:read",
            Scope::KeysWrite => "admin:keys:write",
            Scope::AuditRead => "admin:audit:read",
        }
    }

    pub fn parse(raw: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Parses a list of scope names; the error names the first unknown one.
    pub fn parse_list<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<Scope>, AppError> {
        let mut scopes = Vec::new();
        for name in raw {
            let scope = Scope::parse(name.trim()).ok_or_else(|| {
                AppError::invalid(format!(
                    "unknown scope {name:?}; use one of {}",
                    Scope::ALL.map(Scope::as_str).join(", ")
                ))
            })?;
            scopes.push(scope);
        }
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an operation acts on: the whole platform (orgs, plans, keys, every user) or one
/// organization and what belongs to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Platform,
    Org(Uuid),
}

/// A signed-in user acting as an admin.
#[derive(Debug, Clone)]
pub struct AdminUser {
    pub id: Uuid,
    pub is_platform_owner: bool,
    /// Organizations where the user holds an admin role.
    pub admin_of: Vec<Uuid>,
}

/// A service token presented to the admin API.
#[derive(Debug, Clone)]
pub struct TokenActor {
    /// The token's public id (the part of the secret that is not secret).
    pub id: String,
    /// `None` for a platform-wide token (created by the CLI, the bootstrap token or an owner).
    pub org_id: Option<Uuid>,
    pub scopes: Vec<Scope>,
}

/// Who asks for an admin operation. Every operation checks it first and names it in the audit
/// event, so "who did this" is never empty.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The `gatehouse` command on the server: whoever has a shell there has the database.
    Cli,
    /// `GATEHOUSE_BOOTSTRAP_TOKEN`: platform-wide, limited to its scopes.
    Bootstrap {
        scopes: Vec<Scope>,
    },
    User(AdminUser),
    ServiceToken(TokenActor),
}

impl Actor {
    /// May this actor use `scope` on `reach`?
    pub fn may(&self, scope: Scope, reach: Reach) -> bool {
        match self {
            Actor::Cli => true,
            Actor::Bootstrap { scopes } => scopes.contains(&scope),
            Actor::User(user) => {
                user.is_platform_owner
                    || matches!(reach, Reach::Org(org) if user.admin_of.contains(&org)
                        && !Self::platform_only(scope))
            }
            Actor::ServiceToken(token) => {
                token.scopes.contains(&scope)
                    && match (token.org_id, reach) {
                        (None, _) => true,
                        (Some(own), Reach::Org(org)) => own == org && !Self::platform_only(scope),
                        (Some(_), Reach::Platform) => false,
                    }
            }
        }
    }

    /// Checks a right; the error is the API's 403 `FORBIDDEN`.
    pub fn require(&self, scope: Scope, reach: Reach) -> Result<(), AppError> {
        if self.may(scope, reach) {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                code: ErrorCode::Forbidden,
                message: format!("This requires {scope} on this resource").into(),
            })
        }
    }

    /// Scopes that only make sense platform-wide: signing keys.
    fn platform_only(scope: Scope) -> bool {
        matches!(scope, Scope::KeysRead | Scope::KeysWrite)
    }

    /// The scopes this actor holds on `reach`: a token it creates may hold no more.
    pub fn scopes_on(&self, reach: Reach) -> Vec<Scope> {
        Scope::ALL
            .into_iter()
            .filter(|s| self.may(*s, reach))
            .collect()
    }

    /// The stable reference written to the audit log's `actor` column.
    pub fn audit_ref(&self) -> String {
        match self {
            Actor::Cli => "cli".to_owned(),
            Actor::Bootstrap { .. } => "bootstrap_token".to_owned(),
            Actor::User(user) => format!("user:{}", user.id),
            Actor::ServiceToken(token) => format!("service_token:{}", token.id),
        }
    }
}

/// What an operation changed, for the caches that hold it.
#[derive(Debug, Clone)]
pub enum Invalidation {
    /// A service (by client_id) changed or was deleted.
    Service(String),
    /// An organization changed: every cached service of it is stale.
    Org(Uuid),
    /// Signing keys changed.
    Keys,
}

/// Commits an operation's transaction with the invalidation's `NOTIFY` inside it, then drops
/// what `changed` made stale in this process's caches. Other instances hear of the change
/// exactly when it commits: never of one that rolled back, and never miss one because the
/// process died between commit and publish.
pub async fn commit_and_invalidate(
    state: &AppState,
    txn: crate::store::WriteTxn,
    changed: &Invalidation,
) -> Result<(), AppError> {
    broadcast::publish_in(&txn, changed).await?;
    txn.commit().await?;
    broadcast::apply(state, changed)
        .await
        .map_err(AppError::Unexpected)
}

/// Drops what `changed` made stale in this process's caches and tells the other instances
/// (PostgreSQL `NOTIFY`, see `broadcast.rs`), for a change made outside one transaction.
/// Prefer [`commit_and_invalidate`].
pub async fn invalidate(state: &AppState, changed: &Invalidation) -> Result<(), AppError> {
    broadcast::apply(state, changed)
        .await
        .map_err(AppError::Unexpected)?;
    broadcast::publish(state, changed).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org_admin(org: Uuid) -> Actor {
        Actor::User(AdminUser {
            id: Uuid::new_v4(),
            is_platform_owner: false,
            admin_of: vec![org],
        })
    }

    #[test]
    fn org_admins_act_on_their_org_only() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let admin = org_admin(a);
        assert!(admin.may(Scope::ServicesWrite, Reach::Org(a)));
        assert!(!admin.may(Scope::ServicesWrite, Reach::Org(b)));
        assert!(!admin.may(Scope::OrgsWrite, Reach::Platform));
        assert!(!admin.may(Scope::KeysRead, Reach::Org(a)));
    }

    #[test]
    fn tokens_hold_their_scopes_on_their_reach() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let token = Actor::ServiceToken(TokenActor {
            id: "t1".into(),
            org_id: Some(a),
            scopes: vec![Scope::ServicesRead],
        });
        assert!(token.may(Scope::ServicesRead, Reach::Org(a)));
        assert!(!token.may(Scope::ServicesWrite, Reach::Org(a)));
        assert!(!token.may(Scope::ServicesRead, Reach::Org(b)));
        assert!(!token.may(Scope::ServicesRead, Reach::Platform));
        assert_eq!(token.scopes_on(Reach::Org(a)), vec![Scope::ServicesRead]);
    }

    #[test]
    fn scope_names_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert!(Scope::parse_list(["admin:orgs:read", "admin:nope"]).is_err());
    }
}
