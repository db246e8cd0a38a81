//! TOTP (RFC 6238): 160-bit secret, SHA-1, 6 digits, 30 s, one step of skew either way; the
//! secret sealed at rest, enabled only after a first valid code, each time step accepted once.
use secrecy::SecretString;
use totp_rs::{Builder, Secret, Totp};
use uuid::Uuid;

use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::mail::templates::SecurityChange;
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

/// How long a pending secret can be confirmed.
pub const ENROLMENT_MINUTES: i64 = 10;

/// The sign-in an enrolment belongs to: only it sees the pending secret and can confirm it, so
/// someone who knows only the password cannot copy a secret that the real user later enrols.
#[derive(Clone, Copy)]
pub enum EnrolmentOwner {
    /// A signed-in browser session (the security page).
    Session(Uuid),
    /// A login ticket (enrolment forced by organization policy during sign-in).
    Ticket(Uuid),
}

impl EnrolmentOwner {
    fn key(self) -> String {
        match self {
            Self::Session(id) => format!("session:{id}"),
            Self::Ticket(id) => format!("ticket:{id}"),
        }
    }
}

/// The pending secret if it belongs to `owner` and can still be confirmed.
async fn pending_of(
    state: &AppState,
    user: &User,
    owner: EnrolmentOwner,
) -> Result<Option<totp_credentials::TotpCredential>, AppError> {
    let oldest = crate::store::now() - chrono::Duration::minutes(ENROLMENT_MINUTES);
    Ok(totp_credentials::find(&state.db, user.id)
        .await?
        .filter(|t| t.enabled_at.is_none() && t.created_at > oldest)
        .filter(|t| t.pending_owner.as_deref() == Some(owner.key().as_str())))
}

/// Starts enrolment with a fresh secret, replacing any pending one (whoever started it).
pub async fn start_enrolment(
    state: &AppState,
    user: &User,
    owner: EnrolmentOwner,
) -> Result<Enrolment, AppError> {
    if totp_credentials::is_enabled(&state.db, user.id).await? {
        return Err(AppError::invalid("An authenticator app is already set up"));
    }
    let secret = Secret::generate();
    let sealed = state.master.seal(secret.as_ref(), user.id.as_bytes());
    totp_credentials::upsert_pending(&state.db, user.id, sealed, owner.key()).await?;
    enrolment(&totp(secret.as_ref().to_vec(), &user.email)?)
}

/// The enrolment of this sign-in shown again (after a wrong code), or a fresh one when it was
/// replaced or has expired.
pub async fn resume_enrolment(
    state: &AppState,
    user: &User,
    owner: EnrolmentOwner,
) -> Result<Enrolment, AppError> {
    match pending_of(state, user, owner).await? {
        Some(pending) => enrolment(&totp(
            secret_of(state, user.id, &pending.secret_sealed)?,
            &user.email,
        )?),
        None => start_enrolment(state, user, owner).await,
    }
}

/// Enables TOTP after a valid first code and returns a fresh set of backup codes.
pub async fn confirm_enrolment(
    state: &AppState,
    user: &User,
    owner: EnrolmentOwner,
    code: &str,
    meta: &RequestMeta,
) -> Result<Vec<String>, AppError> {
    let code = normalize_code(code).map_err(AppError::invalid)?;
    let pending = pending_of(state, user, owner).await?.ok_or_else(|| {
        AppError::invalid(
            "This set-up has expired or was replaced: scan the new code below and enter the code it shows",
        )
    })?;
    let step = totp(
        secret_of(state, user.id, &pending.secret_sealed)?,
        &user.email,
    )?
    .check_current(&code);
    let txn = crate::store::begin(&state.writer).await?;
    let accepted = match step {
        Some(step) => {
            totp_credentials::enable_pending(&txn, user.id, &pending.secret_sealed, step as i64)
                .await?
        }
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
    super::notify::security_change(state, &txn, user, SecurityChange::TotpEnabled, None, meta)
        .await?;
    txn.commit().await?;
    state.mailer.wake();
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
    Ok(totp_credentials::accept_step(&state.db, user.id, step as i64).await?)
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
    let txn = crate::store::begin(&state.writer).await?;
    totp_credentials::delete(&txn, user.id).await?;
    crate::store::backup_codes::delete_all(&txn, user.id).await?;
    audit::record(
        &txn,
        AuditEvent::new("mfa.totp_disabled", Outcome::Success, meta).user(user.id),
    )
    .await?;
    super::notify::security_change(state, &txn, user, SecurityChange::TotpDisabled, None, meta)
        .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

/// Admin reset (`admin::users::reset_mfa`): clears TOTP and backup codes.
pub async fn reset(
    state: &AppState,
    user_id: Uuid,
    actor: &crate::admin::Actor,
    meta: &RequestMeta,
) -> Result<bool, AppError> {
    let txn = crate::store::begin(&state.writer).await?;
    let had = totp_credentials::delete(&txn, user_id).await?;
    crate::store::backup_codes::delete_all(&txn, user_id).await?;
    let event = AuditEvent::new("mfa.reset_by_admin", Outcome::Success, meta).by(
        actor,
        format!("user:{user_id}"),
        None,
    );
    audit::record(&txn, event).await?;
    if let (true, Some(user)) = (had, crate::store::users::find_by_id(&txn, user_id).await?) {
        let detail = "by an administrator";
        super::notify::security_change(
            state,
            &txn,
            &user,
            SecurityChange::TotpDisabled,
            Some(detail),
            meta,
        )
        .await?;
    }
    txn.commit().await?;
    state.mailer.wake();
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
