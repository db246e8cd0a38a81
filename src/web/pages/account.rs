use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::state::AppState;
use crate::store::{consents, services};
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{Meta, SignedIn};
use crate::web::respond;

struct ConsentRow {
    id: String,
    service: String,
    scopes: String,
    granted: String,
}

#[derive(Template)]
#[template(path = "pages/account.html")]
struct AccountPage<'a> {
    csrf: &'a str,
    email: &'a str,
    email_verified: bool,
    signed_in_at: String,
    methods: String,
    consents: Vec<ConsentRow>,
}

pub async fn account_page(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let methods = signed_in
        .session
        .amr_list()
        .iter()
        .filter(|m| !m.starts_with(crate::auth::federation::IDP_PREFIX))
        .map(|m| match m.as_str() {
            "pwd" => "password",
            "fed" => "a sign-in provider",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut rows = Vec::new();
    for consent in consents::list_for_user(&state.db, signed_in.user.id).await? {
        let service = services::find_by_id(&state.db, consent.service_id).await?;
        rows.push(ConsentRow {
            id: consent.id.to_string(),
            service: service.map_or_else(|| "A removed application".to_owned(), |s| s.name),
            scopes: consent.scopes_list().join(", "),
            granted: consent.updated_at.format("%Y-%m-%d").to_string(),
        });
    }
    Ok(respond::ok_page(&AccountPage {
        csrf: &csrf.0,
        email: &signed_in.user.email,
        email_verified: signed_in.user.email_verified,
        signed_in_at: signed_in
            .session
            .auth_time
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        methods,
        consents: rows,
    })?)
}

#[derive(Deserialize)]
pub struct RevokeConsentForm {
    #[serde(default)]
    consent_id: String,
}

/// Withdraws a consent; the application's refresh tokens for this user die with it.
pub async fn revoke_consent_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RevokeConsentForm>,
    signed_in: SignedIn,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let Ok(consent_id) = uuid::Uuid::parse_str(&form.consent_id) else {
        return Ok(respond::see_other("/account"));
    };
    crate::oidc::consent::revoke(&state, signed_in.user.id, consent_id, &meta).await?;
    Ok(respond::see_other("/account"))
}
