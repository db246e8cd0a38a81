//! RP-initiated logout 1.0: which user the client means and where to send the browser after.
use std::borrow::Cow;

use super::authorize::hinted_subject;
use crate::state::AppState;

#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
pub struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

#[derive(Debug)]
pub struct LogoutPlan {
    /// `sub` of a valid `id_token_hint`: when it is the signed-in user, no confirmation is needed.
    pub hinted_sub: Option<String>,
    /// Where to go afterwards: a registered post-logout URI with `state`.
    pub redirect: Option<String>,
    pub client_name: Option<String>,
}

/// Validates the request. An unregistered or unverifiable redirect target is an error shown to
/// the user, never a redirect.
pub async fn plan(
    state: &AppState,
    request: &LogoutRequest,
) -> Result<LogoutPlan, Cow<'static, str>> {
    let none = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let hint = none(&request.id_token_hint);
    let mut client_id = none(&request.client_id);
    if client_id.is_none()
        && let Some(hint) = &hint
    {
        client_id = unverified_audience(hint);
    }
    let client = match &client_id {
        Some(id) => Some(
            state
                .clients
                .get(&state.db, id)
                .await
                .map_err(|_| {
                    Cow::Borrowed("The application could not be loaded. Please try again.")
                })?
                .ok_or(Cow::Borrowed(
                    "The application that sent you here is not registered.",
                ))?,
        ),
        None => None,
    };
    let hinted_sub = match (&hint, &client) {
        (Some(hint), Some(client)) => Some(hinted_subject(state, hint, client).ok_or(
            Cow::Borrowed("The id_token_hint is not a valid ID token for this application."),
        )?),
        (Some(_), None) => return Err(Cow::Borrowed("The id_token_hint is not a valid ID token.")),
        _ => None,
    };
    let redirect = match (none(&request.post_logout_redirect_uri), &client) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(Cow::Borrowed(
                "post_logout_redirect_uri needs client_id or id_token_hint.",
            ));
        }
        (Some(uri), Some(client)) => {
            if !client.post_logout_redirect_uris.contains(&uri) {
                return Err(Cow::Borrowed(
                    "The post_logout_redirect_uri is not registered for this application.",
                ));
            }
            let mut url = url::Url::parse(&uri)
                .map_err(|_| Cow::Borrowed("The post_logout_redirect_uri is malformed."))?;
            if let Some(state) = none(&request.state) {
                url.query_pairs_mut().append_pair("state", &state);
            }
            Some(url.to_string())
        }
    };
    Ok(LogoutPlan {
        hinted_sub,
        redirect,
        client_name: client.map(|c| c.service.name.clone()),
    })
}

/// The `aud` of a JWT before verification, only to find which client's keys to check it with.
fn unverified_audience(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match &value["aud"] {
        serde_json::Value::String(aud) => Some(aud.clone()),
        serde_json::Value::Array(list) => list.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}
