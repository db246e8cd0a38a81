//! `/account/devices`: the browsers the account signed in with (trusted devices), each
//! revocable. A revoked device's cookie is ignored from then on: its next sign-in is scored as
//! a new device.
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use crate::i18n::When;
use crate::keys::hash_token;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{Meta, SignedIn};
use crate::web::respond;

struct DeviceRow {
    id: String,
    browser: String,
    first_seen: When,
    last_seen: When,
    last_ip: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "pages/trusted_devices.html")]
struct DevicesPage<'a> {
    csrf: &'a str,
    devices: Vec<DeviceRow>,
}

pub async fn devices_page(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let current = meta.device_token.as_ref().map(|t| hash_token(&t.0));
    let devices = crate::auth::devices::list(&state, signed_in.user.id)
        .await?
        .into_iter()
        .map(|d| DeviceRow {
            id: d.id.to_string(),
            current: current.as_deref() == Some(d.token_hash.as_str()),
            browser: crate::i18n::device_name(&d.browser),
            first_seen: When::new(d.first_seen_at),
            last_seen: When::new(d.last_seen_at),
            last_ip: d
                .last_ip
                .unwrap_or_else(|| crate::i18n::t("account-unknown-address")),
        })
        .collect();
    Ok(respond::ok_page(&DevicesPage {
        csrf: &csrf.0,
        devices,
    })?)
}

/// `POST /account/devices/{id}/revoke`: another user's or an unknown id changes nothing.
pub async fn revoke_submit(
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<super::security::EmptyForm>,
    signed_in: SignedIn,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    if let Ok(id) = Uuid::parse_str(&path) {
        crate::auth::devices::revoke(&state, signed_in.user.id, id, &meta).await?;
    }
    Ok(respond::see_other("/account/devices"))
}
