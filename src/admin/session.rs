//! Admin session JWTs: what a platform owner or an org admin presents to `/api/admin` after
//! signing in (seed 004 "Platform Owner JWT" / "Organization Management JWT"). Signed with our
//! KeyStore, audience `<issuer>/api/admin`, `token_use: "admin"`, one hour. The token only
//! says who signed in and for which org: every request re-reads the user and their rights, so
//! a disabled user or a revoked owner loses access at once.
use jsonwebtoken::Validation;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Actor, AdminUser};
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::store::{memberships, organizations, users};

/// Lifetime of an admin session JWT.
pub const LIFETIME_SECS: i64 = 3600;
const TOKEN_USE: &str = "admin";

/// Membership roles that make a member an admin of their organization.
pub const ADMIN_ROLES: [&str; 2] = ["admin", "owner"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub token_use: String,
    pub is_platform_owner: bool,
    /// The organization's slug for an org management JWT; `null` for a platform owner's.
    pub org: Option<String>,
    /// Always `null`: an admin token is for no service.
    pub service: Option<String>,
}

pub struct IssuedAdminToken {
    pub token: String,
    pub expires_in: i64,
    pub claims: AdminClaims,
}

/// The audience of admin session JWTs.
pub fn audience(state: &AppState) -> String {
    state.url("/api/admin")
}

/// `true` when these membership roles make the member an admin of the organization.
pub fn is_admin_role(roles: &[String]) -> bool {
    roles.iter().any(|r| ADMIN_ROLES.contains(&r.as_str()))
}

/// Mints an admin session JWT for `user_id`: a platform owner's (`org` `None`) or an org
/// admin's for `org` (a slug). Refuses (403) a user who holds no such right now.
pub async fn issue(
    state: &AppState,
    user_id: Uuid,
    org: Option<&str>,
) -> Result<IssuedAdminToken, AppError> {
    let user = users::find_active(&state.db, user_id)
        .await?
        .ok_or_else(|| forbidden("This account cannot administer anything"))?;
    let org_slug = match org {
        Some(slug) => {
            let org = organizations::find_by_slug(&state.db, slug)
                .await?
                .ok_or(AppError::NotFound("Organization not found"))?;
            let roles = memberships::roles(&state.db, user.id, org.id).await?;
            if !user.is_platform_owner && !is_admin_role(&roles) {
                return Err(forbidden("Only an admin of this organization may do this"));
            }
            Some(org.slug)
        }
        None if user.is_platform_owner => None,
        None => return Err(forbidden("Only a platform owner may do this")),
    };
    let now = chrono::Utc::now().timestamp();
    let claims = AdminClaims {
        iss: state.settings.public_url().to_owned(),
        sub: user.id.to_string(),
        aud: audience(state),
        exp: now + LIFETIME_SECS,
        iat: now,
        jti: Uuid::new_v4().to_string(),
        token_use: TOKEN_USE.to_owned(),
        is_platform_owner: user.is_platform_owner && org_slug.is_none(),
        org: org_slug,
        service: None,
    };
    let token = state
        .keys
        .sign(&claims, "RS256", Some("JWT"))
        .map_err(AppError::Unexpected)?;
    Ok(IssuedAdminToken {
        token,
        expires_in: LIFETIME_SECS,
        claims,
    })
}

/// `true` when `raw` has the shape of a JWS (three base64url parts), so an admin JWT is the only
/// thing it can be here.
pub fn looks_like_jwt(raw: &str) -> bool {
    let parts: Vec<&str> = raw.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Verifies an admin session JWT and turns it into the actor it names, with the rights the
/// store holds now. Any other JWT (a user's access token for a service, an ID token) is a 401.
pub async fn verify(state: &AppState, raw: &str) -> Result<Actor, AppError> {
    let mut validation = Validation::default();
    validation.set_issuer(&[state.settings.public_url()]);
    validation.set_audience(&[audience(state)]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    // Expiry is checked below, to answer TOKEN_EXPIRED rather than a bare signature error.
    validation.validate_exp = false;
    let claims = state
        .keys
        .verify::<AdminClaims>(raw, validation)
        .map(|data| data.claims)
        .filter(|c| c.token_use == TOKEN_USE)
        .ok_or_else(|| AppError::Unauthorized {
            code: ErrorCode::JwtError,
            message: "This is not a valid admin token".into(),
        })?;
    if claims.exp <= chrono::Utc::now().timestamp() {
        return Err(AppError::Unauthorized {
            code: ErrorCode::TokenExpired,
            message: "The admin token has expired; sign in again".into(),
        });
    }
    let revoked = || AppError::Unauthorized {
        code: ErrorCode::Unauthorized,
        message: "This admin session is no longer valid; sign in again".into(),
    };
    let user_id = Uuid::parse_str(&claims.sub).map_err(|_| revoked())?;
    let user = users::find_active(&state.db, user_id)
        .await?
        .ok_or_else(revoked)?;
    let admin = match &claims.org {
        None => AdminUser {
            id: user.id,
            // Re-read: ownership revoked after sign-in takes effect now.
            is_platform_owner: claims.is_platform_owner && user.is_platform_owner,
            admin_of: Vec::new(),
        },
        Some(slug) => {
            let org = organizations::find_by_slug(&state.db, slug)
                .await?
                .ok_or_else(revoked)?;
            // A suspended organization's admins are cut off with its users.
            if !org.is_active() && !user.is_platform_owner {
                return Err(AppError::Forbidden {
                    code: ErrorCode::OrganizationNotActive,
                    message: "This organization is suspended".into(),
                });
            }
            let roles = memberships::roles(&state.db, user.id, org.id).await?;
            AdminUser {
                id: user.id,
                is_platform_owner: false,
                admin_of: if is_admin_role(&roles) || user.is_platform_owner {
                    vec![org.id]
                } else {
                    Vec::new()
                },
            }
        }
    };
    Ok(Actor::User(admin))
}

fn forbidden(message: &'static str) -> AppError {
    AppError::Forbidden {
        code: ErrorCode::Forbidden,
        message: message.into(),
    }
}
