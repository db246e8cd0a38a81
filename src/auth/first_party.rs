//! The JSON sign-in API for first-party apps (seed 004): tokens for email + password, refresh,
//! logout. Third-party clients must use the authorization code flow (RFC 9700 §2.4).
use sea_orm::{ConnectionTrait, DbErr};
use secrecy::SecretString;
use uuid::Uuid;

use crate::auth::mfa::{self, FirstFactor};
use crate::domain::RequestMeta;
use crate::error::{AppError, ErrorCode};
use crate::oidc::grants::GrantType;
use crate::oidc::scope::USER_SCOPES;
use crate::oidc::tokens::AccessClaims;
use crate::state::AppState;
use crate::store::services::NewService;
use crate::store::{organizations, services};

pub use crate::oidc::first_party::SignedInTokens;

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
    let scopes = USER_SCOPES.map(String::from);
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
            grant_types: &[GrantType::RefreshToken.as_str().to_owned()],
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

/// The tokens of a completed sign-in and the device token for the `device_token` cookie (and
/// the passkey answer's `device_trust_token`).
pub struct Completed {
    pub tokens: SignedInTokens,
    pub device_token: String,
}

pub enum LoginOutcome {
    Tokens(Completed),
    /// A second step is due: the client exchanges the pre-auth JWT (`auth::preauth`) and a
    /// code at `/api/auth/mfa/verify`. `method` is `totp` or `email_code` (a code was mailed).
    MfaRequired {
        preauth_token: String,
        method: &'static str,
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
    let amr = vec!["pwd".to_owned()];
    complete_sign_in(state, &client, &user, amr, meta, mfa::StepUp::Offer).await
}

/// After a first factor (`amr`): tokens, or the MFA-required shape.
pub async fn complete_sign_in(
    state: &AppState,
    client: &crate::oidc::clients::Client,
    user: &crate::store::users::User,
    amr: Vec<String>,
    meta: &RequestMeta,
    step_up: mfa::StepUp,
) -> Result<LoginOutcome, AppError> {
    let client_id = Some(client.client_id());
    let next = mfa::after_first_factor(state, user, amr, None, client_id, meta, step_up).await?;
    let preauth = |ticket: String, method| -> Result<LoginOutcome, AppError> {
        Ok(LoginOutcome::MfaRequired {
            preauth_token: crate::auth::preauth::issue(state, user.id, client.client_id(), ticket)
                .map_err(AppError::Unexpected)?,
            method,
        })
    };
    match next {
        FirstFactor::Complete(amr) => Ok(LoginOutcome::Tokens(
            issue(state, client, user, &amr, meta).await?,
        )),
        FirstFactor::SecondFactorDue { ticket } => preauth(ticket, "totp"),
        FirstFactor::EmailCodeDue { ticket } => preauth(ticket, "email_code"),
        FirstFactor::EnrolmentDue { .. } => Err(enrol_on_the_web()),
    }
}

fn enrol_on_the_web() -> AppError {
    AppError::Forbidden {
        code: ErrorCode::Forbidden,
        message:
            "Your organization requires two-step sign-in: set it up by signing in on the web first"
                .into(),
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
    let amr = vec!["otp".to_owned()];
    complete_sign_in(state, &client, &user, amr, meta, mfa::StepUp::Offer).await
}

/// `POST /api/auth/mfa/verify`: the pre-auth token and a TOTP or backup code (or the code
/// mailed by a risk step-up) give the tokens.
/// Pre-auth tokens (`auth::preauth`) open nothing else. The ticket they carry names the service
/// it was issued to; a confidential one authenticates again here, as at every step that issues
/// it tokens.
pub async fn verify_mfa(
    state: &AppState,
    preauth_token: &str,
    code: &str,
    client: Option<ClientCredentials>,
    meta: &RequestMeta,
) -> Result<Completed, AppError> {
    let invalid = || AppError::invalid("Invalid or expired pre-auth token");
    let preauth = crate::auth::preauth::open(state, preauth_token).ok_or_else(invalid)?;
    let purposes = [mfa::PURPOSE_MFA, mfa::PURPOSE_EMAIL_CODE];
    let (ticket, user) = mfa::load_ticket_for(state, &preauth.ticket, &purposes)
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
    if ticket.purpose == mfa::PURPOSE_EMAIL_CODE {
        crate::auth::step_up::verify_code(state, &ticket, &user, code, meta).await?;
        return match mfa::after_email_code(state, &user, &ticket).await? {
            FirstFactor::Complete(amr) => issue(state, &client, &user, &amr, meta).await,
            _ => Err(enrol_on_the_web()),
        };
    }
    let amr = mfa::verify_second_factor(state, &ticket, &user, code, meta).await?;
    issue(state, &client, &user, &amr, meta).await
}

/// The tokens of a completed sign-in, recording how the person signed in, and the device.
async fn issue(
    state: &AppState,
    client: &crate::oidc::clients::Client,
    user: &crate::store::users::User,
    amr: &[String],
    meta: &RequestMeta,
) -> Result<Completed, AppError> {
    let method = crate::auth::sessions::login_method(amr);
    let tokens = crate::oidc::first_party::sign_in(state, client, user, amr, method, meta).await?;
    let txn = crate::store::begin(&state.writer).await?;
    let device_token = crate::auth::devices::remember(state, &txn, user, amr, meta).await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(Completed {
        tokens,
        device_token,
    })
}

/// A user's access token for the JSON account API (`/api/auth/me`, logout, passkey
/// registration): only tokens issued to a first-party service. A third-party app holds its
/// users' access tokens too; with them it must not add a passkey to the account, nor read more
/// than its scopes allow.
pub async fn authenticate_bearer(
    state: &AppState,
    token: &str,
) -> Result<(AccessClaims, crate::store::users::User), AppError> {
    let Some((claims, user)) = crate::oidc::resource::find_user(state, token).await? else {
        return Err(AppError::Unauthorized {
            code: ErrorCode::JwtError,
            message: "Invalid or expired access token".into(),
        });
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
