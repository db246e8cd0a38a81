//! `GET/POST /admin/services/new`: the wizard. Step 1 asks what kind of app it is (a GET form,
//! so it works without JavaScript); step 2 asks the details with that kind's hints, carrying
//! the kind in a hidden field; the POST creates the service and shows its page with the client
//! secret, once.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::super::{ConsoleAdmin, Nav, Section};
use super::{detail, lines, uri_error};
use crate::admin::service_kinds::{AppKind, KindDetails, suggest_slug};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

#[derive(Template)]
#[template(path = "admin/service_new_kind.html")]
struct KindPage {
    nav: Nav,
    kinds: Vec<KindChoice>,
    org: String,
    error: Option<String>,
}

struct KindChoice {
    value: &'static str,
    title: &'static str,
    description: &'static str,
}

#[derive(Template)]
#[template(path = "admin/service_new_details.html")]
struct DetailsPage<'a> {
    nav: Nav,
    csrf: &'a str,
    kind: AppKind,
    orgs: Vec<(String, String)>,
    form: WizardForm,
    errors: FieldErrors,
}

#[derive(Default)]
struct FieldErrors {
    general: Option<String>,
    name: Option<String>,
    slug: Option<String>,
    redirect_uris: Option<String>,
    post_logout_redirect_uris: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.general.is_some()
            || self.name.is_some()
            || self.slug.is_some()
            || self.redirect_uris.is_some()
            || self.post_logout_redirect_uris.is_some()
    }
}

#[derive(Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
    org: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct WizardForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default)]
    first_party: Option<String>,
    #[serde(default)]
    scopes: String,
}

pub async fn page(
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    query: web::Query<KindQuery>,
) -> Result<HttpResponse, PageError> {
    let org = query.org.clone().unwrap_or_default();
    let Some(raw) = query.kind.as_deref() else {
        return kind_page(&admin, org, None, StatusCode::OK);
    };
    let Some(kind) = AppKind::parse(raw) else {
        let error = Some("Choose what kind of app this is.".to_owned());
        return kind_page(&admin, org, error, StatusCode::BAD_REQUEST);
    };
    let form = WizardForm {
        kind: kind.as_str().to_owned(),
        org,
        ..Default::default()
    };
    details_page(&admin, &csrf.0, kind, form, FieldErrors::default())
}

fn kind_page(
    admin: &ConsoleAdmin,
    org: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let page = KindPage {
        nav: admin.nav(Section::Services),
        kinds: AppKind::ALL
            .into_iter()
            .map(|k| KindChoice {
                value: k.as_str(),
                title: k.title(),
                description: k.description(),
            })
            .collect(),
        org,
        error,
    };
    Ok(respond::html(status, &page)?)
}

fn details_page(
    admin: &ConsoleAdmin,
    csrf: &str,
    kind: AppKind,
    form: WizardForm,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let status = if errors.any() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = DetailsPage {
        nav: admin.nav(Section::Services),
        csrf,
        kind,
        orgs: admin
            .orgs
            .iter()
            .map(|o| (o.slug.clone(), o.name.clone()))
            .collect(),
        form,
        errors,
    };
    Ok(respond::html(status, &page)?)
}

pub async fn submit(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    CsrfForm(mut form): CsrfForm<WizardForm>,
) -> Result<HttpResponse, PageError> {
    let Some(kind) = AppKind::parse(&form.kind) else {
        let error = Some("Choose what kind of app this is.".to_owned());
        return kind_page(&admin, form.org, error, StatusCode::BAD_REQUEST);
    };
    if admin.orgs.len() == 1 && form.org.is_empty() {
        form.org = admin.orgs[0].slug.clone();
    }
    if form.slug.trim().is_empty() {
        form.slug = suggest_slug(&form.name);
    }
    let details = KindDetails {
        slug: form.slug.trim().to_owned(),
        name: form.name.clone(),
        redirect_uris: lines(&form.redirect_uris),
        post_logout_redirect_uris: lines(&form.post_logout_redirect_uris),
        first_party: form.first_party.is_some(),
        scopes: form.scopes.split_whitespace().map(str::to_owned).collect(),
    };
    let mut errors = FieldErrors::default();
    if kind.uses_redirects() {
        errors.redirect_uris = uri_error(&details.redirect_uris);
        if details.redirect_uris.is_empty() {
            errors.redirect_uris = Some("Add at least one redirect URI.".to_owned());
        }
        errors.post_logout_redirect_uris = uri_error(&details.post_logout_redirect_uris);
    }
    if form.org.is_empty() {
        errors.general = Some("Choose the organization the service belongs to.".to_owned());
    }
    if errors.any() {
        return details_page(&admin, &csrf.0, kind, form, errors);
    }
    let input = kind.new_service(details);
    match crate::admin::services::create(&state, &admin.actor(), &meta, &form.org, input).await {
        Ok(created) => {
            let shown = detail::Shown {
                secret: created.client_secret,
                done: Some("The service was created."),
                ..Default::default()
            };
            detail::render(&state, &admin, &csrf.0, &created.client_id, shown).await
        }
        Err(AppError::Invalid { message, .. }) => {
            let message = message.into_owned();
            if message.contains("slug") {
                errors.slug = Some(message);
            } else if message.contains("name") {
                errors.name = Some(message);
            } else if message.contains("redirect URI") {
                errors.redirect_uris = Some(message);
            } else {
                errors.general = Some(message);
            }
            details_page(&admin, &csrf.0, kind, form, errors)
        }
        Err(AppError::Conflict(message)) => {
            errors.slug = Some(format!(
                "{message}: choose another slug for this organization."
            ));
            details_page(&admin, &csrf.0, kind, form, errors)
        }
        Err(e) => Err(e.into()),
    }
}
