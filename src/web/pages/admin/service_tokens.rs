//! `/admin/service-tokens`: list, create (the secret shown once), rotate with an overlap (the
//! new secret shown once) and revoke with a reason. Rights and rules are the admin layer's
//! (`admin::service_tokens`): a token never holds more than its creator.
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::users::when;
use super::{ConsoleAdmin, Nav, Section, StepUpAdmin, done_message};
use crate::admin::service_tokens::{self, IssuedToken, NewToken, RevokeToken, RotateToken};
use crate::admin::{Reach, Scope};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/service-tokens", web::get().to(list_page))
        .route("/admin/service-tokens", web::post().to(create))
        .route("/admin/service-tokens/new", web::get().to(new_page))
        .route("/admin/service-tokens/{id}/rotate", web::post().to(rotate))
        .route("/admin/service-tokens/{id}/revoke", web::post().to(revoke));
}

/// Lifetimes offered on the form, in days (0: never expires).
const LIFETIMES: [(&str, &str); 4] = [
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    ("0", "Never"),
];
/// Overlaps offered on rotation, in seconds.
const OVERLAPS: [(&str, &str); 4] = [
    ("300", "5 minutes"),
    ("3600", "1 hour"),
    ("86400", "1 day"),
    ("0", "None: the old secret stops now"),
];

struct TokenRow {
    id: String,
    scopes: String,
    reach: String,
    last_used: String,
    expires: String,
    status: String,
    active: bool,
    revoked_reason: String,
    /// A refused revoke or rotate of this token.
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/service_tokens.html")]
struct ListPage<'a> {
    nav: Nav,
    csrf: &'a str,
    done: Option<&'static str>,
    tokens: Vec<TokenRow>,
    overlaps: &'static [(&'static str, &'static str)],
}

const DONE: &[(&str, &str)] = &[("revoked", "The token is revoked: it stops working now.")];

#[derive(Deserialize)]
pub struct ListParams {
    done: Option<String>,
}

pub async fn list_page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    params: web::Query<ListParams>,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let done = done_message(params.done.as_deref(), DONE);
    render_list(&state, &admin, &csrf.0, done, None).await
}

async fn render_list(
    state: &AppState,
    admin: &ConsoleAdmin,
    csrf: &str,
    done: Option<&'static str>,
    error: Option<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let org_slug = |id: Option<uuid::Uuid>| match id {
        None => "platform-wide".to_owned(),
        Some(id) => admin
            .orgs
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_string(), |o| o.slug.clone()),
    };
    let tokens = service_tokens::list(state, &admin.actor(), None)
        .await?
        .into_iter()
        .map(|t| {
            let reach = match t.workspaces.is_empty() {
                true => org_slug(t.org_id),
                false => format!("{} ({})", org_slug(t.org_id), t.workspaces.join(", ")),
            };
            let status = serde_json::to_value(t.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            TokenRow {
                active: status == "active",
                scopes: t.scopes.join(" "),
                reach,
                last_used: t.last_used_at.map(when).unwrap_or_else(|| "never".into()),
                expires: t.expires_at.map(when).unwrap_or_else(|| "never".into()),
                status,
                revoked_reason: t.revoked_reason.unwrap_or_default(),
                error: error
                    .as_ref()
                    .filter(|(id, _)| *id == t.id)
                    .map(|(_, message)| message.clone()),
                id: t.id,
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = ListPage {
        nav: admin.nav(Section::ServiceTokens),
        csrf,
        done,
        tokens,
        overlaps: &OVERLAPS,
    };
    Ok(respond::html(status, &page)?)
}

#[derive(Template)]
#[template(path = "admin/service_token_new.html")]
struct NewPage<'a> {
    nav: Nav,
    csrf: &'a str,
    /// Scopes the admin may grant: (name, checked).
    scopes: Vec<(&'static str, bool)>,
    allow_platform: bool,
    lifetimes: &'static [(&'static str, &'static str)],
    form: CreateForm,
    error: Option<String>,
    /// Which field the error is about: `id`, `org`, `scopes`, `workspaces`, or `` for the
    /// form.
    error_field: &'static str,
}

/// What the create form posts. Scope checkboxes are named `scope:<name>` (every form field is
/// a single value).
#[derive(Deserialize, Default)]
pub struct CreateForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    workspaces: String,
    #[serde(default)]
    expires: String,
    #[serde(flatten)]
    checked: HashMap<String, String>,
}

impl CreateForm {
    fn scopes(&self) -> Vec<String> {
        Scope::ALL
            .into_iter()
            .filter(|s| self.checked.contains_key(&format!("scope:{s}")))
            .map(|s| s.as_str().to_owned())
            .collect()
    }
}

/// The scopes this admin may put on a token: everything for an owner, their org rights for
/// an org admin.
fn grantable(admin: &ConsoleAdmin) -> Vec<Scope> {
    let reach = match (admin.is_owner(), admin.orgs.first()) {
        (false, Some(org)) => Reach::Org(org.id),
        _ => Reach::Platform,
    };
    admin.actor().scopes_on(reach)
}

fn new_form(
    admin: &ConsoleAdmin,
    csrf: &str,
    form: CreateForm,
    error: Option<(&'static str, String)>,
) -> Result<HttpResponse, PageError> {
    let checked = form.scopes();
    let page = NewPage {
        nav: admin.nav(Section::ServiceTokens),
        csrf,
        scopes: grantable(admin)
            .into_iter()
            .map(|s| (s.as_str(), checked.iter().any(|c| c == s.as_str())))
            .collect(),
        allow_platform: admin.is_owner(),
        lifetimes: &LIFETIMES,
        form,
        error_field: error.as_ref().map_or("", |(f, _)| f),
        error: error.map(|(_, m)| m),
    };
    let status = if page.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(respond::html(status, &page)?)
}

/// `GET /admin/service-tokens/new`: a step-up page, so a stale sign-in is refreshed before
/// the form is filled in rather than after.
pub async fn new_page(
    StepUpAdmin(admin): StepUpAdmin,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let form = CreateForm {
        expires: "90".into(),
        ..CreateForm::default()
    };
    new_form(&admin, &csrf.0, form, None)
}

/// Which field an admin-layer refusal is about, from its wording.
fn field_of(message: &str) -> &'static str {
    if message.contains("scope") || message.contains("rights") {
        "scopes"
    } else if message.contains("workspace") {
        "workspaces"
    } else if message.contains("token id") || message.contains("already exists") {
        "id"
    } else {
        ""
    }
}

#[derive(Template)]
#[template(path = "admin/service_token_secret.html")]
struct SecretPage {
    nav: Nav,
    token_id: String,
    secret: String,
    rotated: bool,
    previous_until: String,
}

fn secret_page(
    admin: &ConsoleAdmin,
    issued: IssuedToken,
    rotated: bool,
) -> Result<HttpResponse, PageError> {
    let page = SecretPage {
        nav: admin.nav(Section::ServiceTokens),
        token_id: issued.token.id,
        previous_until: issued
            .token
            .previous_valid_until
            .map(when)
            .unwrap_or_default(),
        secret: issued.secret,
        rotated,
    };
    Ok(respond::ok_page(&page)?)
}

/// `POST /admin/service-tokens`: creates the token and shows its secret, once.
pub async fn create(
    state: web::Data<AppState>,
    StepUpAdmin(admin): StepUpAdmin,
    CsrfForm(form): CsrfForm<CreateForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    // Another org's slug in the form is an edited request: 403 as for its pages.
    if !form.org.trim().is_empty() {
        admin.org(&state, form.org.trim()).await?;
    } else if !admin.is_owner() {
        let message = "Choose one of your organizations.".to_owned();
        return new_form(&admin, &csrf.0, form, Some(("org", message)));
    }
    let scopes = form.scopes();
    if scopes.is_empty() {
        let message = "Choose at least one scope.".to_owned();
        return new_form(&admin, &csrf.0, form, Some(("scopes", message)));
    }
    let expires_in = match form.expires.parse::<i64>() {
        Ok(0) => None,
        Ok(days) => Some(days.saturating_mul(24 * 3600)),
        Err(_) => None,
    };
    let input = NewToken {
        id: Some(form.id.trim().to_owned()).filter(|id| !id.is_empty()),
        org: Some(form.org.trim().to_owned()).filter(|o| !o.is_empty()),
        scopes,
        workspaces: form
            .workspaces
            .split([',', ' '])
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect(),
        expires_in,
    };
    match service_tokens::create(&state, &admin.actor(), input, &meta).await {
        Ok(issued) => secret_page(&admin, issued, false),
        Err(
            AppError::Invalid { message, .. }
            | AppError::Conflict(message)
            | AppError::Forbidden { message, .. },
        ) => {
            let field = field_of(&message);
            new_form(&admin, &csrf.0, form, Some((field, message.into_owned())))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RotateForm {
    #[serde(default)]
    overlap: String,
}

/// `POST /admin/service-tokens/{id}/rotate`: a new secret, shown once; the old one works for
/// the chosen overlap.
pub async fn rotate(
    state: web::Data<AppState>,
    StepUpAdmin(admin): StepUpAdmin,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<RotateForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let input = RotateToken {
        overlap: form.overlap.parse().ok(),
        expires_in: None,
    };
    match service_tokens::rotate(&state, &admin.actor(), &id, input, &meta).await {
        Ok(issued) => secret_page(&admin, issued, true),
        Err(AppError::Invalid { message, .. }) => {
            render_list(
                &state,
                &admin,
                &csrf.0,
                None,
                Some((id, message.into_owned())),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    reason: String,
}

pub async fn revoke(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<RevokeForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let input = RevokeToken {
        reason: form.reason,
    };
    match service_tokens::revoke(&state, &admin.actor(), &id, input, &meta).await {
        Ok(_) => Ok(respond::see_other("/admin/service-tokens?done=revoked")),
        Err(AppError::Invalid { message, .. } | AppError::Conflict(message)) => {
            render_list(
                &state,
                &admin,
                &csrf.0,
                None,
                Some((id, message.into_owned())),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
