//! What a pending request needs next (OIDC Core §3.1.2.3-4), and its storage while the user
//! signs in or consents.
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::AuthorizeRequest;
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::oidc::clients::Client;
use crate::oidc::error::{OAuthError, OAuthErrorCode};
use crate::oidc::scope::ScopeSet;
use crate::state::AppState;
use crate::store::authorization_requests;
use crate::store::browser_sessions::BrowserSession;
use crate::store::users::User;

const PENDING_LIFETIME_MINUTES: i64 = 30;

/// What the user must do next for a pending request.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Sign in; `again` when a live session exists but is not good enough.
    Login {
        again: bool,
    },
    Consent,
    Issue,
}

/// Decides the next step (OIDC Core §3.1.2.3-4); with `prompt=none`, interaction becomes an error.
pub fn next_step(
    client: &Client,
    request: &AuthorizeRequest,
    requested_at: DateTime<Utc>,
    session: Option<(&BrowserSession, &User)>,
    consented: Option<&ScopeSet>,
) -> Result<Step, OAuthError> {
    let needs_login = match session {
        None => Some(false),
        Some((session, user)) => {
            let forced = request.prompt.login && session.auth_time < requested_at;
            // OIDC Core §3.1.2.1: max_age bounds the time since the sign-in as of the request.
            // A sign-in made after the request (for it) satisfies any max_age, even 0, however
            // long its second step took; measured at `now`, it would loop back to the login.
            let too_old = request.max_age.is_some_and(|max| {
                requested_at - session.auth_time > chrono::Duration::seconds(max)
            });
            let other_user = request
                .expected_sub
                .as_deref()
                .is_some_and(|sub| sub != user.id.to_string());
            (forced || too_old || other_user).then_some(true)
        }
    };
    if let Some(again) = needs_login {
        if request.prompt.none {
            return Err(OAuthError::new(
                OAuthErrorCode::LoginRequired,
                "the user must sign in",
            ));
        }
        return Ok(Step::Login { again });
    }
    let covered = consented.is_some_and(|granted| request.scope.is_subset_of(granted));
    if !client.service.first_party && (request.prompt.consent || !covered) {
        if request.prompt.none {
            return Err(OAuthError::new(
                OAuthErrorCode::ConsentRequired,
                "the user must approve this application",
            ));
        }
        return Ok(Step::Consent);
    }
    Ok(Step::Issue)
}

/// A pending request, stored server-side while the user signs in or consents.
pub struct Pending {
    pub id: Uuid,
    pub handle: String,
    pub created_at: DateTime<Utc>,
    pub client: Arc<Client>,
    pub request: AuthorizeRequest,
}

pub async fn store_pending(
    state: &AppState,
    client: Arc<Client>,
    request: AuthorizeRequest,
) -> Result<Pending, AppError> {
    let handle = random_token();
    let expires_at = crate::store::now() + chrono::Duration::minutes(PENDING_LIFETIME_MINUTES);
    let params = serde_json::to_string(&request).map_err(anyhow::Error::new)?;
    let row = authorization_requests::insert(
        &state.db,
        hash_token(&handle),
        client.service.id,
        params,
        expires_at,
    )
    .await?;
    Ok(Pending {
        id: row.id,
        handle,
        created_at: row.created_at,
        client,
        request,
    })
}

pub async fn load_pending(state: &AppState, handle: &str) -> Result<Option<Pending>, AppError> {
    let Some(row) = authorization_requests::find_pending(&state.db, &hash_token(handle)).await?
    else {
        return Ok(None);
    };
    let Ok(request) = serde_json::from_str::<AuthorizeRequest>(&row.params) else {
        return Ok(None);
    };
    let Some(client) = state.clients.get(&state.db, &request.client_id).await? else {
        return Ok(None);
    };
    Ok(Some(Pending {
        id: row.id,
        handle: handle.to_owned(),
        created_at: row.created_at,
        client,
        request,
    }))
}
