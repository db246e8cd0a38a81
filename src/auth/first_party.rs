//! The JSON sign-in API for first-party apps (seed 004): tokens for email + password, refresh,
//! logout. Third-party clients must use the authorization code flow (RFC 9700 §2.4).
use sea_orm::{ConnectionTrait, DbErr};
use secrecy::SecretString;
use serde::Serialize;
use uuid::Uuid;

use crate::auth::mfa::{self, FirstFactor};
use crate::domain::RequestMeta;
use crate::error::{AppError, ErrorCode};
use crate::oidc::error::OAuthErrorCode;
use crate::oidc::grants::{self, UserTokens};
use crate::oidc::scope::ScopeSet;
use crate::oidc::tokens::AccessClaims;
use crate::state::AppState;
use crate::store::refresh_tokens::{self, Families};
use crate::store::services::NewService;
use crate::store::{organizations, revoked_tokens, services};

pub use super::api_client::BUILTIN_CLIENT_ID;
use super::api_client::{self, Method};
use crate::oidc::clients::ClientCredentials;
const BUILTIN_ORG: &str = "gatehouse";

/// Creates the built-in organization and first-party service on first start.
pub async fn ensure_builtin_service<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    if services::find_by_client_id(db, BUILTIN_CLIENT_ID)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let org = match organizations::find_by_slug(db, BUILTIN_ORG).await? {
        Some(org) => org,
        None => organizations::insert(db, BUILTIN_ORG, "Gatehouse").await?,
    };
    let scopes = ["openid", "profile", "email", "offline_access"].map(String::from);
    services::insert(
        db,
        NewService {
            org_id: org.id,
            slug: "first-party",
            name: "Gatehouse",
            client_id: BUILTIN_CLIENT_ID,
            client_secret_hash: None,
            confidential: false,
            redirect_uris: &[],
            post_logout_redirect_uris: &[],
            grant_types: &["refresh_token".to_owned()],
            allowed_scopes: &scopes,
            first_party: true,
            device_activation_uri: None,
            signing_alg: "RS256",
            allow_password_api: true,
        },
    )
    .await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct SignedInTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login_method: Option<String>,
}

pub enum LoginOutcome {
    Tokens(SignedInTokens),
    /// TOTP is enabled: the client exchanges `preauth_…` and a code at `/api/auth/mfa/verify`.
    MfaRequired {
        preauth_token: String,
    },
}

/// `POST /api/auth/login`: 401 for bad credentials (the person's or the service's), 403 when
/// good credentials are blocked or the service may not use password sign-in.
pub async fn login(
    state: &AppState,
    email: &str,
    password: SecretString,
    client: Option<ClientCredentials>,
    meta: &RequestMeta,
) -> Result<LoginOutcome, AppError> {
    let client = api_client::authorize(state, client, Method::Password).await?;
    let user = crate::auth::login::authenticate_password(state, email, password, meta).await?;
    complete_sign_in(state, &client, &user, vec!["pwd".to_owned()], meta).await
}

/// After a first factor (`amr`): tokens, or the MFA-required shape.
pub async fn complete_sign_in(
    state: &AppState,
    client: &crate::oidc::clients::Client,
    user: &crate::store::users::User,
    amr: Vec<String>,
    meta: &RequestMeta,
) -> Result<LoginOutcome, AppError> {
    match mfa::after_first_factor(state, user, amr, None, Some(client.client_id())).await? {
        FirstFactor::Complete(amr) => Ok(LoginOutcome::Tokens(issue(state, client, user, &amr, meta).await?)),
        FirstFactor::SecondFactorDue { ticket } => Ok(LoginOutcome::MfaRequired { preauth_token: format!("{PREAUTH_PREFIX}{ticket}") }),
        FirstFactor::EnrolmentDue { .. } => Err(AppError::Forbidden {
            code: ErrorCode::Forbidden,
            message: "Your organization requires two-step sign-in: set it up by signing in on the web first".into(),
        }),
    }
}

/// `GET /api/auth/magic-link/verify`: the built-in first-party service's tokens for a link.
pub async fn redeem_magic_link(
    state: &AppState,
    token: &str,
    meta: &RequestMeta,
) -> Result<LoginOutcome, AppError> {
    let client = api_client::authorize(state, None, Method::MagicLink).await?;
    let (user, _) = crate::auth::magic_link::redeem(state, token, meta).await?;
    complete_sign_in(state, &client, &user, vec!["otp".to_owned()], meta).await
}

const PREAUTH_PREFIX: &str = "preauth_";

/// `POST /api/auth/mfa/verify`: the pre-auth token and a TOTP or backup code give the tokens.
/// Pre-auth tokens are opaque tickets: they open nothing else. The ticket names the service it
/// was issued to; a confidential one authenticates again here, as at every step that issues it
/// tokens.
pub async fn verify_mfa(
    state: &AppState,
    preauth_token: &str,
    code: &str,
    client: Option<ClientCredentials>,
    meta: &RequestMeta,
) -> Result<SignedInTokens, AppError> {
    let invalid = || AppError::invalid("Invalid or expired pre-auth token");
    let ticket = preauth_token
        .strip_prefix(PREAUTH_PREFIX)
        .ok_or_else(invalid)?;
    let (ticket, user) = mfa::load_ticket(state, ticket, mfa::PURPOSE_MFA)
        .await
        .map_err(|_| invalid())?;
    let client_id = ticket.client_id.clone().ok_or_else(invalid)?;
    let credentials = match client {
        Some(presented) if presented.client_id != client_id => {
            return Err(AppError::Unauthorized {
                code: ErrorCode::Unauthorized,
                message:
                    "Invalid client credentials: this pre-auth token belongs to another service"
                        .into(),
            });
        }
        Some(presented) => presented,
        None => ClientCredentials {
            client_id,
            secret: None,
            basic: false,
        },
    };
    let client = api_client::authorize(state, Some(credentials), Method::SecondFactor).await?;
    let amr = mfa::verify_second_factor(state, &ticket, &user, code, meta).await?;
    issue(state, &client, &user, &amr, meta).await
}

async fn issue(
    state: &AppState,
    client: &crate::oidc::clients::Client,
    user: &crate::store::users::User,
    amr: &[String],
    meta: &RequestMeta,
) -> Result<SignedInTokens, AppError> {
    let wanted = ScopeSet::parse("openid profile email offline_access").unwrap_or_default();
    let scope = ScopeSet::from_list(
        &wanted
            .iter()
            .filter(|s| client.allowed_scopes.contains(s))
            .map(str::to_owned)
            .collect::<Vec<_>>(),
    );
    state
        .keys
        .ensure_active(&state.db, &client.service.signing_alg)
        .await?;
    let txn = crate::store::begin(&state.db).await?;
    let issued = grants::issue_user_tokens(
        state,
        &txn,
        UserTokens {
            client,
            user,
            scope: &scope,
            refresh_scope: &scope,
            auth_time: crate::store::now(),
            amr,
            sid: None,
            nonce: None,
            grant_id: None,
            family: None,
        },
    )
    .await
    .map_err(unexpected)?;
    let method = crate::auth::sessions::login_method(amr);
    crate::store::users::update_last_login(&txn, user.id, method).await?;
    crate::audit::record(
        &txn,
        crate::audit::AuditEvent::new("user.login", crate::audit::Outcome::Success, meta)
            .user(user.id)
            .details(serde_json::json!({ "amr": amr, "client_id": client.client_id() })),
    )
    .await?;
    txn.commit().await?;
    Ok(SignedInTokens {
        access_token: issued.response.access_token,
        refresh_token: issued.response.refresh_token.unwrap_or_default(),
        token_type: "Bearer",
        expires_in: issued.response.expires_in,
        id_token: None,
        last_login_method: Some(method.to_owned()),
    })
}

/// `POST /api/auth/refresh`: rotation with the same reuse rules as the token endpoint, for
/// public first-party services. It takes no client authentication, so a third-party or
/// confidential service's refresh token, bound to that client and its secret (RFC 6749 §6), is
/// refreshed at `/token` only.
pub async fn refresh(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
) -> Result<SignedInTokens, AppError> {
    let invalid = || AppError::Unauthorized {
        code: ErrorCode::Unauthorized,
        message: "Invalid refresh token".into(),
    };
    let row = refresh_tokens::find(&state.db, &crate::keys::hash_token(raw))
        .await?
        .ok_or_else(invalid)?;
    let service = services::find_by_id(&state.db, row.service_id)
        .await?
        .ok_or_else(invalid)?;
    let client = state
        .clients
        .get(&state.db, &service.client_id)
        .await?
        .ok_or_else(invalid)?;
    if !client.service.first_party || client.service.confidential {
        return Err(AppError::Forbidden {
            code: ErrorCode::Forbidden,
            message: "This refresh token belongs to a third-party or confidential app: refresh it at the token endpoint with the app's credentials".into(),
        });
    }
    match grants::refresh(state, &client, raw, None, meta).await {
        Ok(response) => Ok(SignedInTokens {
            access_token: response.access_token,
            refresh_token: response.refresh_token.unwrap_or_default(),
            token_type: "Bearer",
            expires_in: response.expires_in,
            id_token: None,
            last_login_method: None,
        }),
        Err(e) if e.code == OAuthErrorCode::InvalidGrant && e.description.contains("expired") => {
            Err(AppError::Unauthorized {
                code: ErrorCode::TokenExpired,
                message: "Refresh token expired".into(),
            })
        }
        Err(e) if e.code == OAuthErrorCode::InvalidGrant => Err(invalid()),
        Err(e) => Err(unexpected(e)),
    }
}

/// `POST /api/auth/logout`: revokes the access token and the refresh family it came with.
pub async fn logout(state: &AppState, claims: &AccessClaims) -> Result<(), AppError> {
    let txn = crate::store::begin(&state.db).await?;
    let expires_at =
        chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now);
    let mut denied = vec![(claims.jti.clone(), expires_at)];
    if let Some(family) = refresh_tokens::family_of_access_token(&txn, &claims.jti).await? {
        denied.extend(refresh_tokens::revoke(&txn, Families::Family(family)).await?);
    }
    revoked_tokens::insert_many(&txn, &denied).await?;
    txn.commit().await?;
    Ok(())
}

fn unexpected(e: crate::oidc::error::OAuthError) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("{e}"))
}

/// A user's access token for the JSON account API (`/api/auth/me`, logout, passkey
/// registration): only tokens issued to a first-party service. A third-party app holds its
/// users' access tokens too; with them it must not add a passkey to the account, nor read more
/// than its scopes allow.
pub async fn authenticate_bearer(
    state: &AppState,
    token: &str,
) -> Result<(AccessClaims, crate::store::users::User), AppError> {
    let (claims, user) = match crate::oidc::resource::authenticate_user(state, token).await {
        Ok(found) => found,
        Err(e) if e.code == OAuthErrorCode::ServerError => return Err(unexpected(e)),
        Err(_) => {
            return Err(AppError::Unauthorized {
                code: ErrorCode::JwtError,
                message: "Invalid or expired access token".into(),
            });
        }
    };
    let client = state.clients.get(&state.db, &claims.client_id).await?;
    if !client.is_some_and(|c| c.service.first_party) {
        return Err(AppError::Forbidden {
            code: ErrorCode::Forbidden,
            message: "This access token belongs to a third-party app; this API takes tokens of first-party apps only".into(),
        });
    }
    Ok((claims, user))
}

/// For a change to how the account signs in (adding a passkey): the access token must come
/// from a sign-in of the last few minutes, not from a long-lived refresh.
pub fn require_recent_sign_in(claims: &AccessClaims) -> Result<(), AppError> {
    let recent = claims
        .auth_time
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .is_some_and(crate::auth::sessions::signed_in_recently);
    if recent {
        Ok(())
    } else {
        Err(AppError::Unauthorized {
            code: ErrorCode::Unauthorized,
            message: format!(
                "Sign in again: adding a passkey needs a sign-in from the last {} minutes",
                crate::auth::sessions::REAUTH_MINUTES
            )
            .into(),
        })
    }
}

/// The signed-in user id of a bearer token.
pub fn subject(claims: &AccessClaims) -> Option<Uuid> {
    Uuid::parse_str(&claims.sub).ok()
}
