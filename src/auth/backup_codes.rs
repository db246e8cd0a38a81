//! Ten single-use recovery codes, shown once, stored as peppered SHA-256 (the pepper is derived
//! from the master key, so a stolen database alone cannot be brute-forced offline).
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::mail::templates::SecurityChange;
use crate::state::AppState;
use crate::store::users::User;
use crate::store::{backup_codes, totp_credentials};

pub const COUNT: usize = 10;
/// No 0/o, 1/l/i: codes are read off paper.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// `xxxxx-xxxxx`, about 49 bits each.
fn generate_code() -> String {
    use rand::RngExt;
    let mut rng = rand::rng();
    let chars: String = (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// Lower-case, without dashes and spaces; `None` when it cannot be a backup code.
pub fn normalize(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    (code.len() == 10 && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

fn hash(state: &AppState, user_id: Uuid, normalized: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(state.master.derive("backup codes"));
    hasher.update(user_id.as_bytes());
    hasher.update(normalized.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// A new set replaces the old one; returns the codes to show once.
pub async fn replace<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    user_id: Uuid,
) -> Result<Vec<String>, AppError> {
    let codes: Vec<String> = (0..COUNT).map(|_| generate_code()).collect();
    let hashes = codes
        .iter()
        .filter_map(|c| normalize(c))
        .map(|c| hash(state, user_id, &c))
        .collect();
    backup_codes::replace(db, user_id, hashes).await?;
    Ok(codes)
}

/// A new set on the user's request (the old set stops working), audited and announced by mail.
pub async fn regenerate(
    state: &AppState,
    user: &User,
    meta: &RequestMeta,
) -> Result<Vec<String>, AppError> {
    if !totp_credentials::is_enabled(&state.db, user.id).await? {
        return Err(AppError::invalid("Set up an authenticator app first"));
    }
    let txn = crate::store::begin(&state.writer).await?;
    let codes = replace(state, &txn, user.id).await?;
    audit::record(
        &txn,
        AuditEvent::new("mfa.backup_codes_regenerated", Outcome::Success, meta).user(user.id),
    )
    .await?;
    super::notify::security_change(
        state,
        &txn,
        user,
        SecurityChange::BackupCodesRegenerated,
        None,
        meta,
    )
    .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(codes)
}

/// Uses a code once (atomically).
pub async fn consume(state: &AppState, user_id: Uuid, raw: &str) -> Result<bool, AppError> {
    let Some(code) = normalize(raw) else {
        return Ok(false);
    };
    Ok(backup_codes::consume(&state.db, user_id, &hash(state, user_id, &code)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_normalize_and_typos_do_not() {
        let code = generate_code();
        assert_eq!(code.len(), 11);
        assert_eq!(
            normalize(&code.to_uppercase()).unwrap(),
            code.replace('-', "")
        );
        assert!(normalize("abcde-fghi0").is_none());
        assert!(normalize("123456").is_none());
    }
}
