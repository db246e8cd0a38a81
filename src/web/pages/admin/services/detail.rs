//! `GET/POST /admin/services/{client_id}`: the service page — its settings (editable), the
//! client secret rotation, the integration panel, the test bench switch and the danger zone.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::super::{ConsoleAdmin, Nav, Section, done_message};
use super::integration::{self, Snippet};
use super::{lines, path_segment, uri_error};
use crate::admin::services::{self, ServiceUpdate, ServiceView};
use crate::error::AppError;
use crate::oidc::grants::GrantType;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

#[derive(Template)]
#[template(path = "admin/service_detail.html")]
struct DetailPage<'a> {
    nav: Nav,
    csrf: &'a str,
    service: ServiceView,
    href: String,
    org_name: String,
    kind_label: &'static str,
    form: EditForm,
    grants: Vec<GrantBox>,
    algs: &'static [&'static str],
    shown: Shown,
    issuer: String,
    discovery_url: String,
    snippets: Vec<Snippet>,
    bench_supported: bool,
    bench_enabled: bool,
    bench_uri: String,
}

struct GrantBox {
    field: &'static str,
    name: &'static str,
    checked: bool,
}

/// What a page shows once: a new secret, a confirmation, the edit form's errors.
#[derive(Default)]
pub struct Shown {
    pub secret: Option<String>,
    /// Until when the old secret still works, after a rotation with overlap.
    pub previous_until: Option<String>,
    pub done: Option<&'static str>,
    pub error: Option<String>,
    pub redirect_error: Option<String>,
    pub logout_error: Option<String>,
    pub bench_error: Option<String>,
    /// The edit form as typed (after an error).
    pub form: Option<EditForm>,
}

#[derive(Deserialize, Default, Clone)]
pub struct EditForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub redirect_uris: String,
    #[serde(default)]
    pub post_logout_redirect_uris: String,
    pub grant_authorization_code: Option<String>,
    pub grant_refresh_token: Option<String>,
    pub grant_client_credentials: Option<String>,
    pub grant_device_code: Option<String>,
    pub grant_token_exchange: Option<String>,
    pub first_party: Option<String>,
    #[serde(default)]
    pub signing_alg: String,
    pub allow_password_api: Option<String>,
}

const GRANT_FIELDS: [(GrantType, &str); 5] = [
    (GrantType::AuthorizationCode, "grant_authorization_code"),
    (GrantType::RefreshToken, "grant_refresh_token"),
    (GrantType::ClientCredentials, "grant_client_credentials"),
    (GrantType::DeviceCode, "grant_device_code"),
    (GrantType::TokenExchange, "grant_token_exchange"),
];

impl EditForm {
    fn of(service: &ServiceView) -> Self {
        let has = |g: GrantType| {
            service
                .grant_types
                .iter()
                .any(|x| x == g.as_str())
                .then(|| "on".to_owned())
        };
        Self {
            name: service.name.clone(),
            redirect_uris: service.redirect_uris.join("\n"),
            post_logout_redirect_uris: service.post_logout_redirect_uris.join("\n"),
            grant_authorization_code: has(GrantType::AuthorizationCode),
            grant_refresh_token: has(GrantType::RefreshToken),
            grant_client_credentials: has(GrantType::ClientCredentials),
            grant_device_code: has(GrantType::DeviceCode),
            grant_token_exchange: has(GrantType::TokenExchange),
            first_party: service.first_party.then(|| "on".to_owned()),
            signing_alg: service.signing_alg.clone(),
            allow_password_api: service.allow_password_api.then(|| "on".to_owned()),
        }
    }

    fn checked(&self, grant: GrantType) -> bool {
        match grant {
            GrantType::AuthorizationCode => self.grant_authorization_code.is_some(),
            GrantType::RefreshToken => self.grant_refresh_token.is_some(),
            GrantType::ClientCredentials => self.grant_client_credentials.is_some(),
            GrantType::DeviceCode => self.grant_device_code.is_some(),
            GrantType::TokenExchange => self.grant_token_exchange.is_some(),
        }
    }

    fn to_update(&self) -> ServiceUpdate {
        ServiceUpdate {
            name: Some(self.name.clone()),
            redirect_uris: Some(lines(&self.redirect_uris)),
            post_logout_redirect_uris: Some(lines(&self.post_logout_redirect_uris)),
            grant_types: Some(
                GRANT_FIELDS
                    .iter()
                    .filter(|(g, _)| self.checked(*g))
                    .map(|(g, _)| g.as_str().to_owned())
                    .collect(),
            ),
            first_party: Some(self.first_party.is_some()),
            signing_alg: Some(self.signing_alg.clone()),
            allow_password_api: Some(self.allow_password_api.is_some()),
            ..Default::default()
        }
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

const DONE: &[(&str, &str)] = &[
    ("saved", "Your changes were saved."),
    ("bench-on", "The test bench is enabled for this service."),
    (
        "bench-off",
        "The test bench is turned off for this service.",
    ),
];

pub async fn page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    path: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let shown = Shown {
        done: done_message(query.done.as_deref(), DONE),
        ..Default::default()
    };
    render(&state, &admin, &csrf.0, &path, shown).await
}

/// The service page with `shown` on it; 400 when it carries an error.
pub async fn render(
    state: &AppState,
    admin: &ConsoleAdmin,
    csrf: &str,
    client_id: &str,
    mut shown: Shown,
) -> Result<HttpResponse, PageError> {
    let service = services::get(state, &admin.actor(), client_id).await?;
    let org_name = admin
        .orgs
        .iter()
        .find(|o| o.id == service.org_id)
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let form = shown.form.take().unwrap_or_else(|| EditForm::of(&service));
    let status = if shown.error.is_some()
        || shown.redirect_error.is_some()
        || shown.logout_error.is_some()
        || shown.bench_error.is_some()
    {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let issuer = state.settings.public_url().to_owned();
    let page = DetailPage {
        nav: admin.nav(Section::Services),
        csrf,
        href: format!("/admin/services/{}", path_segment(&service.client_id)),
        org_name,
        kind_label: super::list::kind_label(&service),
        grants: GRANT_FIELDS
            .iter()
            .map(|(g, field)| GrantBox {
                field,
                name: g.as_str(),
                checked: form.checked(*g),
            })
            .collect(),
        form,
        algs: &crate::keys::SUPPORTED_ALGS,
        shown,
        discovery_url: format!("{issuer}/.well-known/openid-configuration"),
        snippets: integration::snippets(&issuer, &service),
        bench_supported: crate::admin::test_bench::supported(&service),
        bench_enabled: crate::admin::test_bench::enabled(state, &service),
        bench_uri: crate::admin::test_bench::redirect_uri(state),
        issuer,
        service,
    };
    Ok(respond::html(status, &page)?)
}

pub async fn submit(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> Result<HttpResponse, PageError> {
    let mut shown = Shown {
        redirect_error: uri_error(&lines(&form.redirect_uris)),
        logout_error: uri_error(&lines(&form.post_logout_redirect_uris)),
        ..Default::default()
    };
    if shown.redirect_error.is_none() && shown.logout_error.is_none() {
        let update = form.to_update();
        match services::update(&state, &admin.actor(), &meta, &path, update).await {
            Ok(saved) => {
                let href = format!(
                    "/admin/services/{}?done=saved",
                    path_segment(&saved.client_id)
                );
                return Ok(respond::see_other(&href));
            }
            Err(AppError::Invalid { message, .. }) => shown.error = Some(message.into_owned()),
            Err(e) => return Err(e.into()),
        }
    }
    shown.form = Some(form);
    render(&state, &admin, &csrf.0, &path, shown).await
}
