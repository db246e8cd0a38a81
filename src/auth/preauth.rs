//! The pre-auth JWT of the JSON sign-in API (seed 004 "JWT Types" 4): after a first factor,
//! when a second one is due. It says `mfa_required: true`, lives 10 minutes, and is accepted
//! only by `/api/auth/mfa/verify`: its `typ` is not `at+jwt` (bearer validation refuses it) and
//! its audience is that endpoint. It carries the login ticket, the server-side single-use
//! state of the sign-in, so a pre-auth token is used up with its ticket.
use jsonwebtoken::Validation;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::AppState;

/// Lifetime of the pre-auth token and of its ticket.
pub const PREAUTH_MINUTES: i64 = 10;
pub const TYP: &str = "preauth+jwt";

#[derive(Debug, Serialize, Deserialize)]
pub struct PreAuthClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub mfa_required: bool,
    /// The service the sign-in is for.
    pub client_id: String,
    /// The login ticket (its SHA-256 is what the database holds).
    pub ticket: String,
}

fn audience(state: &AppState) -> String {
    format!("{}/api/auth/mfa/verify", state.settings.public_url())
}

pub fn issue(
    state: &AppState,
    user_id: Uuid,
    client_id: &str,
    ticket: String,
) -> anyhow::Result<String> {
    let now = chrono::Utc::now().timestamp();
    let claims = PreAuthClaims {
        iss: state.settings.public_url().to_owned(),
        aud: audience(state),
        sub: user_id.to_string(),
        iat: now,
        exp: now + PREAUTH_MINUTES * 60,
        mfa_required: true,
        client_id: client_id.to_owned(),
        ticket,
    };
    state.keys.sign(&claims, "RS256", Some(TYP))
}

/// The claims of a valid pre-auth token (signature, issuer, audience, expiry, `typ`).
pub fn open(state: &AppState, token: &str) -> Option<PreAuthClaims> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    if !header.typ.is_some_and(|t| t.eq_ignore_ascii_case(TYP)) {
        return None;
    }
    let mut validation = Validation::default();
    validation.set_issuer(&[state.settings.public_url()]);
    validation.set_audience(&[audience(state)]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 0;
    state
        .keys
        .verify::<PreAuthClaims>(token, validation)
        .map(|data| data.claims)
        .filter(|claims| claims.mfa_required)
}
