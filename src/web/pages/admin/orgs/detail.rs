//! `/admin/orgs/{slug}`: an organization's settings: rename, suspend / resume (platform
//! owners), two-step sign-in policy, sign-up policy, and links to its other pages.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form_error;
use crate::admin::orgs::{self, OrgStatus, OrgUpdate};
use crate::store::organizations::{Organization, SignUpPolicy};
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::pages::admin::{ConsoleAdmin, Nav, Section, done_message};
use crate::web::respond;
use crate::{error::AppError, state::AppState};

const DONE: &[(&str, &str)] = &[
    ("created", "Organization created."),
    ("renamed", "Organization renamed."),
    (
        "suspended",
        "Organization suspended: its users cannot sign in to its services.",
    ),
    ("resumed", "Organization resumed."),
    ("mfa", "Two-step sign-in policy saved."),
    ("sign-up", "Sign-up policy saved."),
];

#[derive(Template)]
#[template(path = "admin/orgs/detail.html")]
struct DetailPage<'a> {
    nav: Nav,
    csrf: &'a str,
    org: Organization,
    is_owner: bool,
    done: Option<&'static str>,
    name: &'a str,
    name_error: Option<String>,
    error: Option<String>,
}

impl DetailPage<'_> {
    fn invite_only(&self) -> bool {
        self.org.sign_up_policy == SignUpPolicy::InviteOnly
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    slug: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let org = admin.org(&state, &slug).await?;
    let done = done_message(query.done.as_deref(), DONE);
    render(&admin, &csrf, org, done, None, None, None)
}

fn render(
    admin: &ConsoleAdmin,
    csrf: &CsrfToken,
    org: Organization,
    done: Option<&'static str>,
    name: Option<&str>,
    name_error: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let status = if name_error.is_some() || error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let name = name.map_or_else(|| org.name.clone(), str::to_owned);
    let page = DetailPage {
        nav: admin.nav(Section::Orgs),
        csrf: &csrf.0,
        is_owner: admin.is_owner(),
        done,
        name: &name,
        name_error,
        error,
        org,
    };
    Ok(respond::html(status, &page)?)
}

/// Runs an admin-layer change; on success back to the page with `?done=`, on bad input the
/// page again with the message.
async fn apply(
    state: &AppState,
    admin: &ConsoleAdmin,
    csrf: &CsrfToken,
    slug: &str,
    done: &str,
    result: Result<(), AppError>,
) -> Result<HttpResponse, PageError> {
    match result {
        Ok(()) => Ok(respond::see_other(&format!(
            "/admin/orgs/{slug}?done={done}"
        ))),
        Err(e) => {
            let message = form_error(e)?;
            let org = admin.org(state, slug).await?;
            render(admin, csrf, org, None, None, None, Some(message))
        }
    }
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

pub async fn rename(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    slug: web::Path<String>,
    CsrfForm(form): CsrfForm<RenameForm>,
) -> Result<HttpResponse, PageError> {
    let input = OrgUpdate {
        name: Some(form.name.clone()),
        ..OrgUpdate::default()
    };
    match orgs::update(&state, &admin.actor(), &meta, &slug, input).await {
        Ok(_) => Ok(respond::see_other(&format!(
            "/admin/orgs/{slug}?done=renamed"
        ))),
        Err(e) => {
            let message = form_error(e)?;
            let org = admin.org(&state, &slug).await?;
            render(
                &admin,
                &csrf,
                org,
                None,
                Some(&form.name),
                Some(message),
                None,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

/// Suspend or resume: the admin layer allows it to platform owners only (403 otherwise).
pub async fn status(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    slug: web::Path<String>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> Result<HttpResponse, PageError> {
    let (status, done) = match form.status.as_str() {
        "suspended" => (OrgStatus::Suspended, "suspended"),
        "active" => (OrgStatus::Active, "resumed"),
        _ => return Err(AppError::invalid("Choose suspend or resume.").into()),
    };
    let input = OrgUpdate {
        status: Some(status),
        ..OrgUpdate::default()
    };
    let result = orgs::update(&state, &admin.actor(), &meta, &slug, input)
        .await
        .map(|_| ());
    apply(&state, &admin, &csrf, &slug, done, result).await
}

#[derive(Deserialize)]
pub struct MfaForm {
    #[serde(default)]
    mfa: String,
}

pub async fn mfa(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    slug: web::Path<String>,
    CsrfForm(form): CsrfForm<MfaForm>,
) -> Result<HttpResponse, PageError> {
    let required = match form.mfa.as_str() {
        "required" => true,
        "optional" => false,
        _ => return Err(AppError::invalid("Choose required or optional.").into()),
    };
    let result = orgs::set_mfa_required(&state, &admin.actor(), &meta, &slug, required).await;
    apply(&state, &admin, &csrf, &slug, "mfa", result).await
}

#[derive(Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    sign_up_policy: String,
}

pub async fn sign_up(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    slug: web::Path<String>,
    CsrfForm(form): CsrfForm<SignUpForm>,
) -> Result<HttpResponse, PageError> {
    let Some(policy) = SignUpPolicy::parse(&form.sign_up_policy) else {
        return Err(AppError::invalid("Choose open or invite only.").into());
    };
    let result = orgs::set_sign_up_policy(&state, &admin.actor(), &meta, &slug, policy).await;
    apply(&state, &admin, &csrf, &slug, "sign-up", result).await
}
