//! The answer to the client: a single-use code, or an error, by query or form_post.
use uuid::Uuid;

use super::{ErrorTarget, Pending, ResponseMode};
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::oidc::error::OAuthError;
use crate::state::AppState;
use crate::store::authorization_codes::{self, AuthorizationCode};
use crate::store::authorization_requests;
use crate::store::browser_sessions::BrowserSession;
use crate::store::users::User;

const CODE_LIFETIME_SECS: i64 = 60;

/// Where the browser goes back to the client: success or error, query or form_post.
#[derive(Debug)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub params: Vec<(&'static str, String)>,
}

impl AuthorizationResponse {
    fn new(redirect_uri: &str, mode: ResponseMode, state: Option<&str>, issuer: &str) -> Self {
        let mut params = Vec::with_capacity(4);
        if let Some(state) = state {
            params.push(("state", state.to_owned()));
        }
        // RFC 9207: the issuer identifies who answered (mix-up defence).
        params.push(("iss", issuer.to_owned()));
        Self {
            redirect_uri: redirect_uri.to_owned(),
            mode,
            params,
        }
    }

    pub fn error(request: &ErrorTarget, error: &OAuthError, issuer: &str) -> Self {
        let mut response = Self::new(
            &request.redirect_uri,
            request.mode,
            request.state.as_deref(),
            issuer,
        );
        response
            .params
            .insert(0, ("error", error.code.as_str().to_owned()));
        response
            .params
            .insert(1, ("error_description", error.description.to_string()));
        response
    }

    /// The redirect target in query mode: registered URI plus our parameters.
    pub fn location(&self) -> String {
        match url::Url::parse(&self.redirect_uri) {
            Ok(mut url) => {
                url.query_pairs_mut()
                    .extend_pairs(self.params.iter().map(|(k, v)| (*k, v.as_str())));
                url.to_string()
            }
            Err(_) => self.redirect_uri.clone(),
        }
    }
}

/// Finishes a pending request with a fresh single-use code bound to client, redirect URI and
/// PKCE challenge. `None` when the request was already finished (e.g. in another tab).
pub async fn issue_code(
    state: &AppState,
    pending: &Pending,
    session: &BrowserSession,
    user: &User,
) -> Result<Option<AuthorizationResponse>, AppError> {
    let code = random_token();
    let now = crate::store::now();
    let txn = crate::store::begin(&state.writer).await?;
    if !authorization_requests::complete(&txn, pending.id).await? {
        return Ok(None);
    }
    authorization_codes::insert(
        &txn,
        AuthorizationCode {
            id: Uuid::new_v4(),
            code_hash: hash_token(&code),
            service_id: pending.client.service.id,
            user_id: user.id,
            session_id: Some(session.id),
            redirect_uri: pending.request.redirect_uri.clone(),
            scope: pending.request.scope.to_string(),
            nonce: pending.request.nonce.clone(),
            code_challenge: pending.request.code_challenge.clone(),
            auth_time: session.auth_time,
            amr: session.amr.clone(),
            access_token_jti: None,
            access_token_expires_at: None,
            created_at: now,
            expires_at: now + chrono::Duration::seconds(CODE_LIFETIME_SECS),
            used_at: None,
        },
    )
    .await?;
    txn.commit().await?;
    let request = &pending.request;
    let mut response = AuthorizationResponse::new(
        &request.redirect_uri,
        request.response_mode,
        request.state.as_deref(),
        state.settings.public_url(),
    );
    response.params.insert(0, ("code", code));
    Ok(Some(response))
}

/// Ends a pending request with an error sent back to the client.
pub async fn fail_pending(
    state: &AppState,
    pending: &Pending,
    error: &OAuthError,
) -> Result<AuthorizationResponse, AppError> {
    authorization_requests::complete(&state.db, pending.id).await?;
    Ok(AuthorizationResponse::error(
        &ErrorTarget::from(&pending.request),
        error,
        state.settings.public_url(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_responses_append_to_the_registered_uri() {
        let target = ErrorTarget {
            redirect_uri: "https://app.example/cb?x=1".into(),
            state: Some("s t".into()),
            mode: ResponseMode::Query,
        };
        let response = AuthorizationResponse::error(
            &target,
            &OAuthError::invalid_request("bad"),
            "https://id.example",
        );
        assert_eq!(
            response.location(),
            "https://app.example/cb?x=1&error=invalid_request&error_description=bad&state=s+t&iss=https%3A%2F%2Fid.example"
        );
    }
}
