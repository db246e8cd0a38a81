//! Minting ID tokens (OIDC Core §2) and JWT access tokens (RFC 9068).
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::clients::Client;
use super::scope::ScopeSet;
use crate::keys::KeyStore;
use crate::store::org_roles::MemberAccess;
use crate::store::users::User;

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub scope: String,
    pub client_id: String,
    pub org: String,
    pub service: String,
    /// The organization id ("project id" in the claims reference).
    pub pid: String,
    /// Seed 004 "JWT Types": `false` in every service JWT, a platform owner's too. Only the
    /// admin sign-in's platform-owner JWT says `true`, so an app's token never reads as one.
    #[serde(default)]
    pub is_platform_owner: bool,
    /// The organization's plan and features (set by platform owners).
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// The union of the permissions of `roles`, as the organization defines them.
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub amr: Vec<String>,
    /// The upstream provider of a federated sign-in (`amr` has `fed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    pub azp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Who the tokens are for and how they signed in.
pub struct Grant<'a> {
    pub client: &'a Client,
    /// `None` for client_credentials: the client is the subject.
    pub user: Option<&'a User>,
    pub scope: &'a ScopeSet,
    pub auth_time: Option<DateTime<Utc>>,
    pub amr: &'a [String],
    pub sid: Option<Uuid>,
    pub nonce: Option<&'a str>,
    /// The user's roles and permissions in the service's organization.
    pub access: MemberAccess,
}

pub struct AccessToken {
    pub token: String,
    pub jti: String,
    pub expires_at: DateTime<Utc>,
    pub expires_in: i64,
}

pub fn mint_access_token(
    keys: &KeyStore,
    issuer: &str,
    grant: &Grant<'_>,
) -> anyhow::Result<AccessToken> {
    let now = Utc::now();
    let lifetime = i64::from(grant.client.service.access_token_ttl_secs);
    let jti = Uuid::new_v4().to_string();
    let client = grant.client;
    let with_email = grant.scope.contains("email");
    let claims = AccessClaims {
        iss: issuer.to_owned(),
        sub: grant
            .user
            .map_or_else(|| client.client_id().to_owned(), |u| u.id.to_string()),
        aud: client.audience().to_owned(),
        exp: now.timestamp() + lifetime,
        iat: now.timestamp(),
        jti: jti.clone(),
        scope: grant.scope.to_string(),
        client_id: client.client_id().to_owned(),
        org: client.org.slug.clone(),
        service: client.service.slug.clone(),
        pid: client.org.id.to_string(),
        is_platform_owner: false,
        plan: client.org.plan.clone(),
        features: crate::store::from_json_list(&client.org.features),
        roles: grant.access.roles.clone(),
        permissions: grant.access.permissions.clone(),
        email: grant.user.filter(|_| with_email).map(|u| u.email.clone()),
        email_verified: grant.user.map(|u| u.email_verified),
        amr: grant
            .user
            .map(|_| crate::auth::federation::split_amr(grant.amr).0),
        auth_time: grant.auth_time.map(|t| t.timestamp()),
        sid: grant.sid.map(|s| s.to_string()),
    };
    let token = keys.sign(&claims, &client.service.signing_alg, Some("at+jwt"))?;
    Ok(AccessToken {
        token,
        jti,
        expires_at: now + chrono::Duration::seconds(lifetime),
        expires_in: lifetime,
    })
}

pub fn mint_id_token(
    keys: &KeyStore,
    issuer: &str,
    grant: &Grant<'_>,
    user: &User,
    access_token: &str,
) -> anyhow::Result<String> {
    let now = Utc::now();
    let client = grant.client;
    let (amr, idp) = crate::auth::federation::split_amr(grant.amr);
    let claims = IdClaims {
        iss: issuer.to_owned(),
        sub: user.id.to_string(),
        aud: client.client_id().to_owned(),
        exp: now.timestamp() + i64::from(client.service.id_token_ttl_secs),
        iat: now.timestamp(),
        auth_time: grant.auth_time.unwrap_or(now).timestamp(),
        nonce: grant.nonce.map(str::to_owned),
        amr,
        idp,
        azp: client.client_id().to_owned(),
        sid: grant.sid.map(|s| s.to_string()),
        at_hash: Some(at_hash(access_token, &client.service.signing_alg)),
        email: grant.scope.contains("email").then(|| user.email.clone()),
        email_verified: grant.scope.contains("email").then_some(user.email_verified),
        name: if grant.scope.contains("profile") {
            user.name.clone()
        } else {
            None
        },
    };
    keys.sign(&claims, &client.service.signing_alg, Some("JWT"))
}

/// OIDC Core §3.1.3.6: base64url of the left half of the hash of the access token, with the
/// hash of the signing algorithm (SHA-512 for Ed25519, per the OIDC Core errata).
pub fn at_hash(access_token: &str, alg: &str) -> String {
    use sha2::Sha512;
    if alg == "EdDSA" {
        let digest = Sha512::digest(access_token.as_bytes());
        URL_SAFE_NO_PAD.encode(&digest[..32])
    } else {
        let digest = Sha256::digest(access_token.as_bytes());
        URL_SAFE_NO_PAD.encode(&digest[..16])
    }
}

/// The token endpoint's success body (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// RFC 8693 §2.2.1: token exchange says what it issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
}

/// The claims of an access token exchanged for a service token (RFC 8693): what seed 001's
/// backends read (`scope`, `workspace_ids`, `token_use`). It has none of a user token's
/// `org`/`service`/`pid`, so the user-token paths (userinfo, bearer users) never accept it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceAccessClaims {
    pub iss: String,
    /// The service token's public id.
    pub sub: String,
    /// The exchanging client's audience.
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// Space-separated.
    pub scope: String,
    pub workspace_ids: Vec<String>,
    /// Always `service`.
    pub token_use: String,
    pub client_id: String,
}
