//! The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2): validation, the decision
//! between login, consent and issuing a code, and the response to the client.
use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::clients::Client;
use super::error::{OAuthError, OAuthErrorCode};
use super::scope::ScopeSet;
use super::tokens::IdClaims;
use crate::keys::{hash_token, random_token};
use crate::state::AppState;
use crate::store::authorization_codes::{self, AuthorizationCode};
use crate::store::authorization_requests;
use crate::store::browser_sessions::BrowserSession;
use crate::store::users::User;

const MAX_PARAM_LEN: usize = 2048;
/// Caps on the free-form parameters a pending request stores (the others are checked against
/// the client's registration or a fixed syntax), so an anonymous request stores at most a
/// few kilobytes.
const STORED_PARAM_CAPS: [(&str, usize); 3] =
    [("state", 1024), ("nonce", 512), ("login_hint", 320)];
const CODE_LIFETIME_SECS: i64 = 60;
const PENDING_LIFETIME_MINUTES: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    Query,
    FormPost,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

/// A validated authorization request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: ScopeSet,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub response_mode: ResponseMode,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// `sub` of a valid `id_token_hint`: the user the client expects.
    pub expected_sub: Option<String>,
}

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

/// Enough of a request to send an error back to the client.
#[derive(Debug, Clone)]
pub struct ErrorTarget {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub mode: ResponseMode,
}

impl From<&AuthorizeRequest> for ErrorTarget {
    fn from(r: &AuthorizeRequest) -> Self {
        Self {
            redirect_uri: r.redirect_uri.clone(),
            state: r.state.clone(),
            mode: r.response_mode,
        }
    }
}

#[derive(Debug)]
pub enum Rejection {
    /// RFC 6749 §4.1.2.1: client_id or redirect_uri is unusable, so the user is told and never
    /// redirected.
    Page(Cow<'static, str>),
    Redirect(ErrorTarget, OAuthError),
}

/// Raw parameters in order (query string or form body).
pub type RawParams = Vec<(String, String)>;

fn single<'a>(raw: &'a RawParams, name: &str) -> Result<Option<&'a str>, ()> {
    let mut values = raw
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        Err(())
    } else {
        Ok(first.filter(|v| !v.is_empty()))
    }
}

/// Validates a request: client_id and redirect_uri first, then everything else.
pub async fn parse(
    state: &AppState,
    raw: &RawParams,
) -> Result<(Arc<Client>, AuthorizeRequest), Rejection> {
    let page = |m: &'static str| Rejection::Page(Cow::Borrowed(m));
    let client_id =
        single(raw, "client_id").map_err(|_| page("client_id was sent more than once."))?;
    let client_id = client_id
        .ok_or_else(|| page("The request does not name a client (client_id is missing)."))?;
    let client = state
        .clients
        .get(&state.db, client_id)
        .await
        .map_err(|_| page("The service could not be loaded. Please try again."))?
        .ok_or_else(|| {
            page("The application that sent you here is not registered (unknown client_id).")
        })?;
    let redirect_uri =
        single(raw, "redirect_uri").map_err(|_| page("redirect_uri was sent more than once."))?;
    let redirect_uri = redirect_uri.ok_or_else(|| page("The request has no redirect_uri."))?;
    if !client.has_redirect_uri(redirect_uri) {
        return Err(page(
            "The redirect_uri is not registered for this application, so you were not sent back to it.",
        ));
    }

    // From here on, errors go back to the client.
    let state_param = raw
        .iter()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty());
    let mode = match single(raw, "response_mode") {
        Ok(Some("form_post")) => Ok(ResponseMode::FormPost),
        Ok(None | Some("query")) => Ok(ResponseMode::Query),
        _ => Err(()),
    };
    let target = ErrorTarget {
        redirect_uri: redirect_uri.to_owned(),
        state: state_param.clone(),
        mode: mode.unwrap_or(ResponseMode::Query),
    };
    let fail = |error: OAuthError| Rejection::Redirect(target.clone(), error);
    let invalid = |m: &str| fail(OAuthError::invalid_request(m.to_owned()));
    if mode.is_err() {
        return Err(invalid("response_mode must be query or form_post"));
    }
    let mut names: Vec<&str> = raw.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(invalid(&format!("{} was sent more than once", pair[0])));
    }
    if raw.iter().any(|(_, v)| v.len() > MAX_PARAM_LEN) {
        return Err(invalid("a parameter is too long"));
    }
    if let Some((name, cap)) = STORED_PARAM_CAPS
        .iter()
        .find(|(name, cap)| raw.iter().any(|(k, v)| k == name && v.len() > *cap))
    {
        return Err(invalid(&format!(
            "{name} is too long (at most {cap} bytes)"
        )));
    }
    let get = |name: &str| {
        raw.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    if get("request").is_some() || get("request_uri").is_some() {
        return Err(invalid("request objects are not supported"));
    }
    match get("response_type") {
        None => return Err(invalid("response_type is required")),
        Some("code") => {}
        Some(_) => {
            return Err(fail(OAuthError::new(
                OAuthErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            )));
        }
    }
    if !client.is_active() {
        return Err(fail(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "the organization of this client is suspended",
        )));
    }
    if !client.allows_grant(super::grants::GrantType::AuthorizationCode) {
        return Err(fail(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "this client may not use the authorization code flow",
        )));
    }
    let scope = ScopeSet::parse(get("scope").unwrap_or(""))
        .ok_or_else(|| fail(OAuthError::invalid_scope("scope has invalid characters")))?;
    if !scope.contains("openid") {
        return Err(fail(OAuthError::invalid_scope(
            "the openid scope is required",
        )));
    }
    if !scope.is_subset_of(&client.allowed_scopes) {
        return Err(fail(OAuthError::invalid_scope(
            "a requested scope is not allowed for this client",
        )));
    }
    let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (Some(challenge), Some("S256")) if super::pkce::valid_challenge(challenge) => {
            Some(challenge.to_owned())
        }
        (Some(_), Some("S256")) => {
            return Err(invalid(
                "code_challenge must be a base64url SHA-256 (43 characters)",
            ));
        }
        (_, Some("plain")) => return Err(invalid("PKCE method plain is not allowed; use S256")),
        (_, Some(_)) => return Err(invalid("code_challenge_method must be S256")),
        (Some(_), None) => {
            return Err(invalid(
                "code_challenge_method=S256 is required with code_challenge",
            ));
        }
        (None, None) => None,
    };
    if code_challenge.is_none() && (client.service.require_pkce || !client.service.confidential) {
        return Err(invalid(
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        ));
    }
    let prompt = parse_prompt(get("prompt")).map_err(&invalid)?;
    let max_age = match get("max_age") {
        None => None,
        Some(v) => Some(
            v.parse::<u32>()
                .map_err(|_| invalid("max_age must be a non-negative integer"))?
                .into(),
        ),
    };
    let expected_sub = match get("id_token_hint") {
        None => None,
        Some(hint) => Some(hinted_subject(state, hint, &client).ok_or_else(|| {
            invalid("id_token_hint is not a valid ID token issued to this client")
        })?),
    };
    let request = AuthorizeRequest {
        client_id: client.client_id().to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scope,
        state: state_param,
        nonce: get("nonce").map(str::to_owned),
        code_challenge,
        response_mode: target.mode,
        prompt,
        max_age,
        login_hint: get("login_hint").map(str::to_owned),
        expected_sub,
    };
    Ok((client, request))
}

fn parse_prompt(raw: Option<&str>) -> Result<Prompt, &'static str> {
    let mut prompt = Prompt::default();
    for value in raw.unwrap_or("").split(' ').filter(|v| !v.is_empty()) {
        match value {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => {}
            _ => return Err("prompt has an unknown value"),
        }
    }
    if prompt.none && (prompt.login || prompt.consent) {
        return Err("prompt=none cannot be combined with other values");
    }
    Ok(prompt)
}

/// The `sub` of an ID token we issued to this client; expiry is not checked (OIDC Core §3.1.2.1).
pub fn hinted_subject(state: &AppState, id_token: &str, client: &Client) -> Option<String> {
    let mut validation = jsonwebtoken::Validation {
        validate_exp: false,
        ..Default::default()
    };
    validation.set_issuer(&[state.settings.public_url()]);
    validation.set_audience(&[client.client_id()]);
    state
        .keys
        .verify::<IdClaims>(id_token, validation)
        .map(|data| data.claims.sub)
}

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
) -> Result<Pending, OAuthError> {
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

pub async fn load_pending(state: &AppState, handle: &str) -> Result<Option<Pending>, OAuthError> {
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

/// Finishes a pending request with a fresh single-use code bound to client, redirect URI and
/// PKCE challenge. `None` when the request was already finished (e.g. in another tab).
pub async fn issue_code(
    state: &AppState,
    pending: &Pending,
    session: &BrowserSession,
    user: &User,
) -> Result<Option<AuthorizationResponse>, OAuthError> {
    let code = random_token();
    let now = crate::store::now();
    let txn = crate::store::begin(&state.db).await?;
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
) -> Result<AuthorizationResponse, OAuthError> {
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
    fn prompt_values_are_validated() {
        assert_eq!(
            parse_prompt(Some("login consent")).unwrap(),
            Prompt {
                none: false,
                login: true,
                consent: true
            }
        );
        assert!(parse_prompt(Some("none login")).is_err());
        assert!(parse_prompt(Some("bogus")).is_err());
        assert_eq!(parse_prompt(None).unwrap(), Prompt::default());
    }

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
