//! Endpoints that take tokens: userinfo (OIDC Core §5.3), revocation (RFC 7009), introspection
//! (RFC 7662) and the RP-initiated logout checks.
use std::sync::Arc;

use jsonwebtoken::Validation;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::clients::{Client, ClientCredentials};
use super::error::{OAuthError, OAuthErrorCode};
use super::tokens::{AccessClaims, ServiceAccessClaims};
use crate::admin::service_tokens;
use crate::domain::RequestMeta;
use crate::keys::hash_token;
use crate::state::AppState;
use crate::store::refresh_tokens::{self, Families};
use crate::store::{browser_sessions, users};

/// Checks signature, issuer, expiry and `typ` (an ID token is not an access token).
pub fn verify_access_token(state: &AppState, token: &str) -> Option<AccessClaims> {
    verify_at_jwt(state, token)
}

/// A JWT access token of ours (`typ: at+jwt`) whose claims are a `T`.
fn verify_at_jwt<T: serde::de::DeserializeOwned>(state: &AppState, token: &str) -> Option<T> {
    T::deserialize(&*verify_at_jwt_claims(state, token)?).ok()
}

/// The claims of a JWT access token of ours, verified once per token (see
/// `KeyStore::verify_remembered`).
fn verify_at_jwt_claims(state: &AppState, token: &str) -> Option<Arc<Value>> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    if !header.typ.is_some_and(|t| t.eq_ignore_ascii_case("at+jwt")) {
        return None;
    }
    state.keys.verify_remembered(token, || {
        let mut validation = Validation {
            validate_aud: false,
            ..Default::default()
        };
        validation.set_issuer(&[state.settings.public_url()]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 0;
        validation
    })
}

/// A bearer token of a user: valid, not revoked, user active, and a session-bound token's
/// session live. One database round trip.
pub async fn authenticate_user(
    state: &AppState,
    token: &str,
) -> Result<(AccessClaims, users::User), OAuthError> {
    find_user(state, token)
        .await?
        .ok_or_else(|| OAuthError::invalid_token("the access token is invalid, expired or revoked"))
}

/// As [`authenticate_user`], for callers with their own answers: `None` for a token that is
/// invalid, expired or revoked.
pub async fn find_user(
    state: &AppState,
    token: &str,
) -> Result<Option<(AccessClaims, users::User)>, sea_orm::DbErr> {
    let Some(claims) = verify_access_token(state, token) else {
        return Ok(None);
    };
    if !client_active(state, &claims.client_id).await? {
        return Ok(None);
    }
    Ok(live_user(state, &claims).await?.map(|user| (claims, user)))
}

/// A token's service still exists and its organization is not suspended. The client cache
/// answers (a suspension clears it), so this costs no query on the hot path.
async fn client_active(state: &AppState, client_id: &str) -> Result<bool, sea_orm::DbErr> {
    Ok(state
        .clients
        .get(&state.db, client_id)
        .await?
        .is_some_and(|c| c.is_active()))
}

/// The token's user if the token may still be used: see [`authenticate_user`]. A session-bound
/// token carries `sid` and no `offline_access` (the refresh family rule); it lives only as long
/// as its sign-in session.
async fn live_user(
    state: &AppState,
    claims: &AccessClaims,
) -> Result<Option<users::User>, sea_orm::DbErr> {
    let Ok(user_id) = Uuid::parse_str(&claims.sub) else {
        return Ok(None);
    };
    if state.revoked.contains(&claims.jti) {
        return Ok(None);
    }
    let session = match claims
        .sid
        .as_deref()
        .filter(|_| refresh_tokens::session_bound(&claims.scope))
    {
        None => None,
        Some(sid) => match Uuid::parse_str(sid) {
            Ok(id) => Some((id, crate::store::now())),
            Err(_) => return Ok(None),
        },
    };
    users::find_active_unless_revoked(&state.db, user_id, &claims.jti, session).await
}

/// Userinfo claims by scope.
pub async fn userinfo(state: &AppState, token: &str) -> Result<Value, OAuthError> {
    let (claims, user) = authenticate_user(state, token).await?;
    let scopes: Vec<&str> = claims.scope.split(' ').collect();
    if !scopes.contains(&"openid") {
        return Err(OAuthError::new(
            OAuthErrorCode::InsufficientScope,
            "userinfo needs an access token with the openid scope",
        ));
    }
    let mut body = Map::new();
    body.insert("sub".into(), json!(user.id));
    if scopes.contains(&"email") {
        body.insert("email".into(), json!(user.email));
        body.insert("email_verified".into(), json!(user.email_verified));
    }
    // OIDC Core §5.3.2: a claim without a value is omitted, never `null` (as in the ID token).
    if scopes.contains(&"profile")
        && let Some(name) = &user.name
    {
        body.insert("name".into(), json!(name));
    }
    Ok(Value::Object(body))
}

/// RFC 7009: always succeeds for the caller, whatever the token was.
pub async fn revoke(
    state: &AppState,
    credentials: &ClientCredentials,
    token: &str,
) -> Result<(), OAuthError> {
    let client = state.clients.authenticate(&state.db, credentials).await?;
    if let Some(row) = refresh_tokens::find(&state.db, &hash_token(token)).await? {
        if row.service_id == client.service.id {
            let txn = crate::store::begin(&state.writer).await?;
            super::revocation::revoke(state, &txn, Some(Families::Family(row.family_id)), &[])
                .await?;
            txn.commit().await?;
        }
        return Ok(());
    }
    let access = match verify_any_at_jwt(state, token) {
        Some(AtJwt::User(claims)) if claims.client_id == client.client_id() => {
            Some(super::revocation::access_token(&claims))
        }
        // A JWT this client got for a service token: introspection answers inactive from now.
        Some(AtJwt::Service(claims)) if claims.client_id == client.client_id() => {
            Some(super::revocation::jwt(&claims.jti, claims.exp))
        }
        _ => None,
    };
    if let Some(access) = access {
        super::revocation::revoke(state, &state.db, None, &[access]).await?;
    }
    Ok(())
}

/// RFC 7662, for authenticated confidential clients; anything unknown is `active: false`.
pub async fn introspect(
    state: &AppState,
    credentials: &ClientCredentials,
    token: &str,
    meta: &RequestMeta,
) -> Result<Value, OAuthError> {
    let client = state.clients.authenticate(&state.db, credentials).await?;
    if !client.service.confidential {
        return Err(OAuthError {
            basic_auth: credentials.basic,
            ..OAuthError::invalid_client()
        });
    }
    let inactive = json!({ "active": false });
    if service_tokens::format::looks_like(token) {
        return Ok(introspect_service_token(state, &client, token, meta)
            .await?
            .unwrap_or(inactive));
    }
    let verified = verify_any_at_jwt(state, token);
    if let Some(AtJwt::Service(claims)) = verified {
        return Ok(introspect_exchanged(state, &client, claims)
            .await?
            .unwrap_or(inactive));
    }
    if let Some(AtJwt::User(claims)) = verified {
        if !access_token_usable(state, &claims).await? {
            return Ok(inactive);
        }
        return Ok(json!({
            "active": true,
            "token_type": "Bearer",
            "scope": claims.scope,
            "client_id": claims.client_id,
            "sub": claims.sub,
            "aud": claims.aud,
            "iss": claims.iss,
            "exp": claims.exp,
            "iat": claims.iat,
            "jti": claims.jti,
        }));
    }
    let Some(row) = refresh_tokens::find(&state.db, &hash_token(token)).await? else {
        return Ok(inactive);
    };
    let now = crate::store::now();
    let live = row.used_at.is_none() && row.revoked_at.is_none() && row.expires_at > now;
    // The refresh grant would refuse it: its user is no longer active or its session ended.
    if !live {
        return Ok(inactive);
    }
    let user_active = users::find_active(&state.db, row.user_id).await?.is_some();
    let client_id = service_client_id(state, row.service_id, &client).await?;
    if !user_active || !client_active(state, &client_id).await? {
        return Ok(inactive);
    }
    if let Some(session_id) = row.session_id
        && !browser_sessions::is_live(&state.db, session_id, now).await?
    {
        return Ok(inactive);
    }
    Ok(json!({
        "active": true,
        "token_type": "refresh_token",
        "scope": row.scope,
        "sub": row.user_id,
        "exp": row.expires_at.timestamp(),
        "iat": row.created_at.timestamp(),
        "iss": state.settings.public_url(),
        "client_id": client_id,
    }))
}

/// A service token (seed 001's claims): active for a client of its organization (any client
/// for a platform-wide token) while neither revoked nor expired. `exp` is when the presented
/// secret stops working (the overlap's end for a rotated-away secret).
async fn introspect_service_token(
    state: &AppState,
    client: &Client,
    token: &str,
    meta: &RequestMeta,
) -> Result<Option<Value>, OAuthError> {
    let Ok(verified) = service_tokens::verify(state, token, meta).await? else {
        return Ok(None);
    };
    let row = &verified.token;
    if row.org_id.is_some_and(|org| org != client.org.id) {
        return Ok(None);
    }
    let mut body = json!({
        "active": true,
        "token_use": "service",
        "token_type": "service_token",
        "sub": row.id,
        "scope": verified.scopes().join(" "),
        "workspace_ids": row.workspaces_list(),
        "iat": row.rotated_at.unwrap_or(row.created_at).timestamp(),
        "iss": state.settings.public_url(),
    });
    if let Some(until) = verified.valid_until {
        body["exp"] = json!(until.timestamp());
    }
    Ok(Some(body))
}

/// A JWT access token of ours, verified once (signature, issuer, expiry, `typ`): a JWT
/// exchanged for a service token (`grants::token_exchange`, `token_use: service`) or a user's or
/// client's access token.
enum AtJwt {
    Service(ServiceAccessClaims),
    User(Box<AccessClaims>),
}

fn verify_any_at_jwt(state: &AppState, token: &str) -> Option<AtJwt> {
    let claims = verify_at_jwt_claims(state, token)?;
    if claims.get("token_use").and_then(Value::as_str) == Some("service") {
        ServiceAccessClaims::deserialize(&*claims)
            .ok()
            .map(AtJwt::Service)
    } else {
        AccessClaims::deserialize(&*claims)
            .ok()
            .map(|claims| AtJwt::User(Box::new(claims)))
    }
}

/// An exchanged JWT is active while it has not expired, was not revoked itself (RFC 7009 by
/// the client that got it) and its service token is still live (revoking the token ends its
/// JWTs for introspecting backends at once), for a client of the token's organization.
async fn introspect_exchanged(
    state: &AppState,
    client: &Client,
    claims: ServiceAccessClaims,
) -> Result<Option<Value>, OAuthError> {
    if state.revoked.contains(&claims.jti) {
        return Ok(None);
    }
    let Some(row) = service_tokens::live(state, &claims.sub).await? else {
        return Ok(None);
    };
    if row.org_id.is_some_and(|org| org != client.org.id) {
        return Ok(None);
    }
    Ok(Some(json!({
        "active": true,
        "token_use": "service",
        "token_type": "Bearer",
        "sub": claims.sub,
        "scope": claims.scope,
        "workspace_ids": claims.workspace_ids,
        "client_id": claims.client_id,
        "aud": claims.aud,
        "iss": claims.iss,
        "exp": claims.exp,
        "iat": claims.iat,
        "jti": claims.jti,
    })))
}

/// RFC 7662 §2.2: `active` means the resource server may accept the token now. Besides its
/// signature and expiry: what userinfo checks, in the same single query (not revoked, user
/// still active, a session-bound token's session live).
async fn access_token_usable(state: &AppState, claims: &AccessClaims) -> Result<bool, OAuthError> {
    if !client_active(state, &claims.client_id).await? {
        return Ok(false);
    }
    if claims.sub == claims.client_id {
        // client_credentials: the client is the subject, there is no user or session. The
        // in-memory deny-list answers: no database round trip.
        return Ok(!state.revoked.contains(&claims.jti));
    }
    Ok(live_user(state, claims).await?.is_some())
}

async fn service_client_id(
    state: &AppState,
    service_id: Uuid,
    caller: &Arc<Client>,
) -> Result<String, OAuthError> {
    if service_id == caller.service.id {
        return Ok(caller.client_id().to_owned());
    }
    Ok(crate::store::services::find_by_id(&state.db, service_id)
        .await?
        .map(|s| s.client_id)
        .unwrap_or_default())
}
