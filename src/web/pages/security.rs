//! `/account/security`: set up, confirm and turn off TOTP; backup codes.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::totp::{Enrolment, EnrolmentOwner};
use crate::error::AppError;
use crate::i18n::When;
use crate::state::AppState;
use crate::store::{backup_codes, totp_credentials};
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{Meta, RecentlySignedIn, SignedIn};
use crate::web::respond;

#[derive(Template)]
#[template(path = "pages/totp_enrol.html")]
pub struct EnrolPage<'a> {
    csrf: &'a str,
    action: &'a str,
    secret: String,
    otpauth_uri: String,
    qr_svg: String,
    error: Option<String>,
    required_by_policy: bool,
}

impl<'a> EnrolPage<'a> {
    pub fn new(
        csrf: &'a str,
        action: &'a str,
        enrolment: &Enrolment,
        error: Option<String>,
        required_by_policy: bool,
    ) -> Self {
        // Shown in groups of four, as authenticator apps print them.
        let secret = enrolment
            .secret_base32
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            csrf,
            action,
            secret,
            otpauth_uri: enrolment.otpauth_uri.clone(),
            qr_svg: enrolment.qr_svg.clone(),
            error,
            required_by_policy,
        }
    }
}

#[derive(Template)]
#[template(path = "pages/backup_codes.html")]
pub struct BackupCodesPage<'a> {
    codes: &'a [String],
    download_href: String,
    continue_href: &'a str,
}

impl<'a> BackupCodesPage<'a> {
    pub fn new(codes: &'a [String], continue_href: &'a str) -> Self {
        let text = format!(
            "{}\n{}\n\n{}\n",
            crate::i18n::t1("backup-file-heading", "brand", crate::i18n::site_name()),
            crate::i18n::t("backup-file-help"),
            codes.join("\n")
        );
        let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        Self {
            codes,
            download_href: format!("data:text/plain;charset=utf-8,{encoded}"),
            continue_href,
        }
    }
}

#[derive(Template)]
#[template(path = "pages/security.html")]
struct SecurityPage<'a> {
    csrf: &'a str,
    enabled: bool,
    enabled_since: Option<When>,
    backup_codes_left: u64,
    error: Option<String>,
    passkeys: Vec<PasskeyRow>,
    passkeys_available: bool,
}

struct PasskeyRow {
    id: uuid::Uuid,
    name: String,
    created: When,
    last_used: Option<When>,
}

pub async fn security_page(
    state: &AppState,
    signed_in: &SignedIn,
    csrf: &str,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let totp = totp_credentials::find(&state.db, signed_in.user.id)
        .await?
        .filter(|t| t.enabled_at.is_some());
    let page = SecurityPage {
        csrf,
        enabled: totp.is_some(),
        enabled_since: totp.and_then(|t| t.enabled_at).map(When::new),
        backup_codes_left: backup_codes::count_unused(&state.db, signed_in.user.id).await?,
        error: error.as_deref().map(crate::i18n::refusal),
        passkeys: crate::auth::passkeys::list(state, signed_in.user.id)
            .await?
            .into_iter()
            .map(|p| PasskeyRow {
                id: p.id,
                name: p.name,
                created: When::new(p.created_at),
                last_used: p.last_used_at.map(When::new),
            })
            .collect(),
        passkeys_available: state.webauthn.is_some(),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(respond::html(status, &page)?)
}

pub async fn security_get(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    security_page(&state, &signed_in, &csrf.0, None).await
}

#[derive(Deserialize)]
pub struct EmptyForm {}

/// Starts enrolment: a new secret, shown as QR code, text and URI.
pub async fn totp_start(
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<EmptyForm>,
    RecentlySignedIn(signed_in): RecentlySignedIn,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let owner = EnrolmentOwner::Session(signed_in.session.id);
    match crate::auth::totp::start_enrolment(&state, &signed_in.user, owner).await {
        Ok(enrolment) => Ok(respond::ok_page(&EnrolPage::new(
            &csrf.0,
            "/account/security/totp/confirm",
            &enrolment,
            None,
            false,
        ))?),
        Err(AppError::Invalid { message, .. }) => {
            security_page(&state, &signed_in, &csrf.0, Some(message.into_owned())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn totp_confirm(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<CodeForm>,
    RecentlySignedIn(signed_in): RecentlySignedIn,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let attempt = state.limits.begin_mfa(signed_in.user.id)?;
    let owner = EnrolmentOwner::Session(signed_in.session.id);
    match crate::auth::totp::confirm_enrolment(&state, &signed_in.user, owner, &form.code, &meta)
        .await
    {
        Ok(codes) => {
            attempt.release();
            Ok(respond::ok_page(&BackupCodesPage::new(
                &codes,
                "/account/security",
            ))?)
        }
        Err(AppError::Invalid { message, .. }) => {
            let enrolment =
                crate::auth::totp::resume_enrolment(&state, &signed_in.user, owner).await?;
            let page = EnrolPage::new(
                &csrf.0,
                "/account/security/totp/confirm",
                &enrolment,
                Some(crate::i18n::refusal(&message)),
                false,
            );
            Ok(respond::html(StatusCode::BAD_REQUEST, &page)?)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    proof: String,
}

/// Turning TOTP off needs the password or a current code.
pub async fn totp_disable(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<DisableForm>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let attempt = state.limits.begin_mfa(signed_in.user.id)?;
    match crate::auth::totp::disable(&state, &signed_in.user, &form.proof, &meta).await {
        Ok(()) => {
            attempt.release();
            Ok(respond::see_other("/account/security"))
        }
        Err(AppError::Invalid { message, .. }) => {
            security_page(&state, &signed_in, &csrf.0, Some(message.into_owned())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A new set of backup codes; the old set stops working.
pub async fn backup_codes_regenerate(
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<EmptyForm>,
    RecentlySignedIn(signed_in): RecentlySignedIn,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    match crate::auth::backup_codes::regenerate(&state, &signed_in.user, &meta).await {
        Ok(codes) => Ok(respond::ok_page(&BackupCodesPage::new(
            &codes,
            "/account/security",
        ))?),
        Err(AppError::Invalid { message, .. }) => {
            security_page(&state, &signed_in, &csrf.0, Some(message.into_owned())).await
        }
        Err(e) => Err(e.into()),
    }
}
