//! An organization's own mail server: its mail (see `mail::Mailer::enqueue` for which mail that
//! is) goes through it instead of the platform's. The password is sealed with the master key,
//! never returned and never written to the audit log.
use serde::Serialize;

use super::orgs::find_for;
use super::{Actor, Invalidation, Scope};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::mail::org_servers::{TlsMode, password_aad};
use crate::state::AppState;
use crate::store::org_smtp::{self, OrgSmtp};

/// What an admin sets. `password: None` keeps the stored one (the console's blank field).
#[derive(Debug, Clone, Default)]
pub struct SmtpInput {
    pub host: String,
    pub port: String,
    pub tls_mode: String,
    pub username: String,
    pub password: Option<String>,
    pub from_address: String,
    pub from_name: String,
}

/// The field a check refers to, so a form can show the message next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpField {
    Host,
    Port,
    TlsMode,
    Username,
    Password,
    FromAddress,
    FromName,
}

/// A checked input, ready to store.
pub struct CheckedSmtp {
    host: String,
    port: u16,
    tls_mode: TlsMode,
    username: Option<String>,
    password: Option<String>,
    from_address: String,
    from_name: Option<String>,
}

/// The settings as admins see them: whether a password is set, never the password.
#[derive(Debug, Clone, Serialize)]
pub struct SmtpView {
    pub host: String,
    pub port: u16,
    pub tls_mode: String,
    pub username: Option<String>,
    pub has_password: bool,
    pub from_address: String,
    pub from_name: Option<String>,
}

impl SmtpView {
    fn of(row: &OrgSmtp) -> Self {
        Self {
            host: row.host.clone(),
            port: u16::try_from(row.port).unwrap_or_default(),
            tls_mode: row.tls_mode.clone(),
            username: row.username.clone(),
            has_password: row.password_sealed.is_some(),
            from_address: row.from_address.clone(),
            from_name: row.from_name.clone(),
        }
    }
}

/// Every rule of a mail server setting, with the field it concerns.
pub fn check(input: &SmtpInput) -> Result<CheckedSmtp, (SmtpField, String)> {
    let host = input.host.trim();
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err((
            SmtpField::Host,
            "Enter the mail server's host name, like smtp.example.com.".into(),
        ));
    }
    let port = match input.port.trim().parse::<u16>() {
        Ok(port) if port > 0 => port,
        _ => {
            return Err((
                SmtpField::Port,
                "Enter a port number from 1 to 65535 (usually 587 or 465).".into(),
            ));
        }
    };
    let tls_mode = TlsMode::parse(input.tls_mode.trim()).ok_or((
        SmtpField::TlsMode,
        "Choose STARTTLS, TLS or none.".to_owned(),
    ))?;
    let username = Some(input.username.trim().to_owned()).filter(|u| !u.is_empty());
    if username.as_ref().is_some_and(|u| u.chars().count() > 320) {
        return Err((SmtpField::Username, "The username is too long.".into()));
    }
    let password = input.password.clone().filter(|p| !p.is_empty());
    if password.as_ref().is_some_and(|p| p.len() > 1024) {
        return Err((SmtpField::Password, "The password is too long.".into()));
    }
    if password.is_some() && username.is_none() {
        return Err((
            SmtpField::Username,
            "A password needs a username; enter both, or neither for a server without sign-in."
                .into(),
        ));
    }
    let from_address = input.from_address.trim();
    if from_address.parse::<lettre::Address>().is_err() {
        return Err((
            SmtpField::FromAddress,
            "Enter the address mail is sent from, like no-reply@example.com.".into(),
        ));
    }
    let from_name = Some(input.from_name.trim().to_owned()).filter(|n| !n.is_empty());
    if from_name.as_ref().is_some_and(|n| n.chars().count() > 80) {
        return Err((
            SmtpField::FromName,
            "The display name may have up to 80 characters.".into(),
        ));
    }
    Ok(CheckedSmtp {
        host: host.to_owned(),
        port,
        tls_mode,
        username,
        password,
        from_address: from_address.to_owned(),
        from_name,
    })
}

/// The organization's mail server, `None` when it uses the platform's.
pub async fn get(
    state: &AppState,
    actor: &Actor,
    org_slug: &str,
) -> Result<Option<SmtpView>, AppError> {
    let org = find_for(state, actor, Scope::OrgsRead, org_slug).await?;
    Ok(org_smtp::find(&state.db, org.id)
        .await?
        .as_ref()
        .map(SmtpView::of))
}

/// Sets the organization's mail server; a blank password keeps the stored one (when the
/// username stays), a blank username drops both.
pub async fn set(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    org_slug: &str,
    input: &SmtpInput,
) -> Result<SmtpView, AppError> {
    let org = find_for(state, actor, Scope::OrgsWrite, org_slug).await?;
    let checked = check(input).map_err(|(_, message)| AppError::invalid(message))?;
    let txn = crate::store::begin(&state.writer).await?;
    let existing = org_smtp::find(&txn, org.id).await?;
    let password_changed = checked.password.is_some();
    let password_sealed = match (&checked.username, checked.password) {
        (None, _) => None,
        (Some(_), Some(password)) => Some(
            state
                .master
                .seal(password.as_bytes(), &password_aad(org.id)),
        ),
        (Some(_), None) => existing.and_then(|row| row.password_sealed),
    };
    let row = OrgSmtp {
        org_id: org.id,
        host: checked.host,
        port: i32::from(checked.port),
        tls_mode: checked.tls_mode.as_str().to_owned(),
        username: checked.username,
        password_sealed,
        from_address: checked.from_address,
        from_name: checked.from_name,
        updated_at: crate::store::now(),
    };
    org_smtp::upsert(&txn, row.clone()).await?;
    audit::record(
        &txn,
        AuditEvent::new("org.smtp_set", Outcome::Success, meta)
            .by(actor, format!("org:{}", org.id), Some(org.id))
            .details(serde_json::json!({
                "host": row.host,
                "port": row.port,
                "tls_mode": row.tls_mode,
                "username": row.username,
                "from_address": row.from_address,
                "password_changed": password_changed,
            })),
    )
    .await?;
    super::commit_and_invalidate(state, txn, &Invalidation::Org(org.id)).await?;
    Ok(SmtpView::of(&row))
}

/// Back to the platform's mail server; `false` when the organization had none of its own.
pub async fn remove(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    org_slug: &str,
) -> Result<bool, AppError> {
    let org = find_for(state, actor, Scope::OrgsWrite, org_slug).await?;
    let txn = crate::store::begin(&state.writer).await?;
    let removed = org_smtp::delete(&txn, org.id).await?;
    if removed {
        audit::record(
            &txn,
            AuditEvent::new("org.smtp_removed", Outcome::Success, meta).by(
                actor,
                format!("org:{}", org.id),
                Some(org.id),
            ),
        )
        .await?;
    }
    super::commit_and_invalidate(state, txn, &Invalidation::Org(org.id)).await?;
    Ok(removed)
}

/// Sends a test mail to `to` through the organization's saved server, now. The outer error is
/// a refusal (rights, nothing saved); the inner one is the server's answer in plain words.
pub async fn send_test(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    org_slug: &str,
    to: &str,
) -> Result<Result<(), String>, AppError> {
    let org = find_for(state, actor, Scope::OrgsWrite, org_slug).await?;
    let to = to.trim();
    if to.parse::<lettre::Address>().is_err() {
        return Err(AppError::invalid(
            "Enter the address to send the test mail to, like you@example.com.",
        ));
    }
    let Some(row) = org_smtp::find(&state.db, org.id).await? else {
        return Err(AppError::invalid(
            "Save the mail server settings first, then send a test mail.",
        ));
    };
    let brand = crate::branding::Brand::of_org(state, org.id, &org.name).await;
    let link = state.url(&format!("/admin/orgs/{}/smtp", org.slug));
    let email = crate::mail::templates::smtp_test(&link, Some(&brand))
        .map_err(|e| AppError::Unexpected(anyhow::Error::new(e)))?;
    let result = state.mailer.send_test(&row, to, email).await;
    let outcome = if result.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    audit::record(
        &state.db,
        AuditEvent::new("org.smtp_tested", outcome, meta)
            .by(actor, format!("org:{}", org.id), Some(org.id))
            .details(serde_json::json!({ "to": to, "error": result.as_ref().err() })),
    )
    .await?;
    Ok(result)
}
