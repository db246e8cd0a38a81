//! Validating an authorization request: client_id and redirect_uri first (errors shown to the
//! user), then everything else (errors sent back to the client).
use std::borrow::Cow;
use std::sync::Arc;

use super::{AuthorizeRequest, ErrorTarget, Prompt, RawParams, Rejection, ResponseMode};
use crate::oidc::clients::Client;
use crate::oidc::error::{OAuthError, OAuthErrorCode};
use crate::oidc::grants::GrantType;
use crate::oidc::scope::ScopeSet;
use crate::oidc::tokens::IdClaims;
use crate::state::AppState;

const MAX_PARAM_LEN: usize = 2048;
/// Caps on the free-form parameters a pending request stores (the others are checked against
/// the client's registration or a fixed syntax), so an anonymous request stores at most a
/// few kilobytes.
const STORED_PARAM_CAPS: [(&str, usize); 3] =
    [("state", 1024), ("nonce", 512), ("login_hint", 320)];

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
    if !client.is_active() {
        return Err(Rejection::Suspended);
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
    if !client.allows_grant(GrantType::AuthorizationCode) {
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
        (Some(challenge), Some("S256")) if crate::oidc::pkce::valid_challenge(challenge) => {
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
}
