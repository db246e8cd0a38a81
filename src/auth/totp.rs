//! TOTP (RFC 6238): 160-bit secret, SHA-1, 6 digits, 30 s, one step of skew either way; the
//! secret sealed at rest, enabled only after a first valid code, each time step accepted once.
use secrecy::SecretString;
use totp_rs::{Builder, Secret, Totp};
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::totp_credentials;
use crate::store::users::User;

const ISSUER: &str = "Gatehouse";

/// What the enrolment page shows.
pub struct Enrolment {
    pub secret_base32: String,
    pub otpauth_uri: String,
    /// Inline SVG rendered server-side from the otpauth URI.
    pub qr_svg: String,
}

/// Six digits, spaces and dashes ignored.
pub fn normalize_code(raw: &str) -> Result<String, &'static str> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Enter the 6-digit code from your authenticator app");
    }
    Ok(code)
}

fn totp(secret: Vec<u8>, account: &str) -> Result<Totp, AppError> {
    Builder::new()
        .with_secret(Secret::from(secret))
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_issuer(Some(ISSUER))
        .with_account_name(account.replace(':', "_"))
        .build()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("TOTP: {e:?}")))
}

fn secret_of(state: &AppState, user_id: Uuid, sealed: &str) -> Result<Vec<u8>, AppError> {
    state
        .master
        .open(sealed, user_id.as_bytes())
        .map_err(|e| AppError::Unexpected(e.into()))
}

fn enrolment(totp: &Totp) -> Result<Enrolment, AppError> {
    let uri = totp
        .to_url()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("otpauth URI: {e:?}")))?;
    let qr = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("QR code: {e}")))?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in HTML: drop the XML declaration.
    let qr_svg = qr_svg
        .find("<svg")
        .map_or(qr_svg.clone(), |start| qr_svg[start..].to_owned());
    Ok(Enrolment {
        secret_base32: totp.secret().to_base32(),
        otpauth_uri: uri,
        qr_svg,
    })
}

/// Starts enrolment with a fresh secret (or shows the pending one again).
pub async fn start_enrolment(state: &AppState, user: &User) -> Result<Enrolment, AppError> {
    if let Some(existing) = totp_credentials::find(&state.db, user.id).await? {
        if existing.enabled_at.is_some() {
            return Err(AppError::invalid("An authenticator app is already set up"));
        }
        return enrolment(&totp(
            secret_of(state, user.id, &existing.secret_sealed)?,
            &user.email,
        )?);
    }
    let secret = Secret::generate();
    let sealed = state.master.seal(secret.as_ref(), user.id.as_bytes());
    totp_credentials::upsert_pending(&state.db, user.id, sealed).await?;
    enrolment(&totp(secret.as_ref().to_vec(), &user.email)?)
}

/// Enables TOTP after a valid first code and returns a fresh set of backup codes.
pub async fn confirm_enrolment(
    state: &AppState,
    user: &User,
    code: &str,
    meta: &RequestMeta,
) -> Result<Vec<String>, AppError> {
    let code = normalize_code(code).map_err(AppError::invalid)?;
    let pending = totp_credentials::find(&state.db, user.id)
        .await?
        .filter(|t| t.enabled_at.is_none())
        .ok_or_else(|| {
            AppError::invalid("Start the set-up again: no authenticator is waiting to be confirmed")
        })?;
    let step = totp(
        secret_of(state, user.id, &pending.secret_sealed)?,
        &user.email,
    )?
    .check_current(&code);
    let txn = crate::store::begin(&state.db).await?;
    let accepted = match step {
        Some(step) => totp_credentials::accept_step(&txn, user.id, step as i64, true).await?,
        None => false,
    };
    if !accepted {
        return Err(AppError::invalid(
            "That code is not right. Check the time on your phone and try the current code.",
        ));
    }
    let codes = super::backup_codes::replace(state, &txn, user.id).await?;
    audit::record(
        &txn,
        AuditEvent::new("mfa.totp_enabled", Outcome::Success, meta).user(user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(codes)
}

/// Checks a login code against the enabled authenticator; a time step is accepted once.
pub async fn verify(state: &AppState, user: &User, code: &str) -> Result<bool, AppError> {
    let Some(credential) = totp_credentials::find(&state.db, user.id)
        .await?
        .filter(|t| t.enabled_at.is_some())
    else {
        return Ok(false);
    };
    let Some(step) = totp(
        secret_of(state, user.id, &credential.secret_sealed)?,
        &user.email,
    )?
    .check_current(code) else {
        return Ok(false);
    };
    Ok(totp_credentials::accept_step(&state.db, user.id, step as i64, false).await?)
}

/// Turns TOTP off after re-authentication with the password or a current code.
pub async fn disable(
    state: &AppState,
    user: &User,
    proof: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let by_code = match normalize_code(proof) {
        Ok(code) => verify(state, user, &code).await?,
        Err(_) => false,
    };
    let by_password = !by_code
        && state
            .passwords
            .verify(
                SecretString::from(proof.to_owned()),
                user.password_hash.clone(),
            )
            .await?
            .valid;
    if !by_code && !by_password {
        audit::record(
            &state.db,
            AuditEvent::new("mfa.totp_disable_refused", Outcome::Failure, meta).user(user.id),
        )
        .await?;
        return Err(AppError::invalid(
            "Enter your password or a current code to turn off two-step sign-in",
        ));
    }
    let txn = crate::store::begin(&state.db).await?;
    totp_credentials::delete(&txn, user.id).await?;
    crate::store::backup_codes::delete_all(&txn, user.id).await?;
    audit::record(
        &txn,
        AuditEvent::new("mfa.totp_disabled", Outcome::Success, meta).user(user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Admin reset (`gatehouse user reset-mfa`): clears TOTP and backup codes.
pub async fn reset(state: &AppState, user_id: Uuid, meta: &RequestMeta) -> Result<bool, AppError> {
    let txn = crate::store::begin(&state.db).await?;
    let had = totp_credentials::delete(&txn, user_id).await?;
    crate::store::backup_codes::delete_all(&txn, user_id).await?;
    let mut event = AuditEvent::new("mfa.reset_by_admin", Outcome::Success, meta);
    event.actor = Some("admin:cli".into());
    event.target = Some(format!("user:{user_id}"));
    audit::record(&txn, event).await?;
    txn.commit().await?;
    Ok(had)
}

#[cfg(test)]
mod tests {
    use super::normalize_code;

    #[test]
    fn codes_must_be_six_digits() {
        assert_eq!(normalize_code(" 123 456 ").unwrap(), "123456");
        for bad in ["12345", "1234567", "12345a", "", "١٢٣٤٥٦"] {
            assert!(normalize_code(bad).is_err(), "{bad}");
        }
    }
}
