//! `/admin/orgs/{slug}/smtp`: the organization's own mail server, a test mail through it, and
//! removal (back to the platform's server). The password is write-only.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{DoneQuery, FormErrors};
use crate::admin::org_smtp::{self, SmtpField, SmtpInput, SmtpView};
use crate::error::AppError;
use crate::mail::org_servers::TlsMode;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::pages::admin::{ConsoleAdmin, Nav, Section, StepUpAdmin, done_message};
use crate::web::respond;

const DONE: &[(&str, &str)] = &[
    (
        "saved",
        "Mail server saved. Mail of this organization now goes through it.",
    ),
    (
        "removed",
        "Mail server removed. This organization's mail goes through the platform's server again.",
    ),
];

#[derive(Template)]
#[template(path = "admin/org_smtp.html")]
struct SmtpPage {
    nav: Nav,
    csrf: String,
    slug: String,
    org_name: String,
    /// Whether the organization has a server of its own (saved).
    configured: bool,
    has_password: bool,
    form: SmtpForm,
    tls_modes: Vec<(&'static str, &'static str)>,
    errors: FormErrors,
    done: Option<&'static str>,
    test_to: String,
    test_error: Option<String>,
    test_sent_to: Option<String>,
}

/// What the form shows (never a password).
#[derive(Deserialize, Default, Clone)]
pub struct SmtpForm {
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    tls_mode: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    from_address: String,
    #[serde(default)]
    from_name: String,
}

impl SmtpForm {
    fn of(view: &SmtpView) -> Self {
        Self {
            host: view.host.clone(),
            port: view.port.to_string(),
            tls_mode: view.tls_mode.clone(),
            username: view.username.clone().unwrap_or_default(),
            password: String::new(),
            from_address: view.from_address.clone(),
            from_name: view.from_name.clone().unwrap_or_default(),
        }
    }

    fn blank() -> Self {
        Self {
            port: "587".into(),
            tls_mode: TlsMode::StartTls.as_str().into(),
            ..Self::default()
        }
    }
}

struct Render {
    form: Option<SmtpForm>,
    errors: FormErrors,
    done: Option<&'static str>,
    test_to: Option<String>,
    test_error: Option<String>,
    test_sent_to: Option<String>,
}

impl Render {
    fn plain() -> Self {
        Self {
            form: None,
            errors: FormErrors::default(),
            done: None,
            test_to: None,
            test_error: None,
            test_sent_to: None,
        }
    }
}

async fn render(
    state: &AppState,
    admin: &ConsoleAdmin,
    csrf: &str,
    slug: &str,
    status: StatusCode,
    r: Render,
) -> Result<HttpResponse, PageError> {
    let org = admin.org(state, slug).await?;
    let saved = org_smtp::get(state, &admin.actor(), &org.slug).await?;
    let form = r
        .form
        .unwrap_or_else(|| saved.as_ref().map_or_else(SmtpForm::blank, SmtpForm::of));
    let page = SmtpPage {
        nav: admin.nav(Section::Orgs),
        csrf: csrf.to_owned(),
        slug: org.slug.clone(),
        org_name: org.name.clone(),
        configured: saved.is_some(),
        has_password: saved.as_ref().is_some_and(|s| s.has_password),
        form,
        tls_modes: TlsMode::ALL
            .iter()
            .map(|m| (m.as_str(), m.label()))
            .collect(),
        errors: r.errors,
        done: r.done,
        test_to: r.test_to.unwrap_or_else(|| admin.email().to_owned()),
        test_error: r.test_error,
        test_sent_to: r.test_sent_to,
    };
    Ok(respond::html(status, &page)?)
}

pub async fn page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    slug: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let r = Render {
        done: done_message(query.done.as_deref(), DONE),
        ..Render::plain()
    };
    render(&state, &admin, &csrf.0, &slug, StatusCode::OK, r).await
}

fn field_name(field: SmtpField) -> &'static str {
    match field {
        SmtpField::Host => "host",
        SmtpField::Port => "port",
        SmtpField::TlsMode => "tls_mode",
        SmtpField::Username => "username",
        SmtpField::Password => "password",
        SmtpField::FromAddress => "from_address",
        SmtpField::FromName => "from_name",
    }
}

/// Saving sets a secret, so it needs a recent sign-in.
pub async fn save(
    state: web::Data<AppState>,
    StepUpAdmin(admin): StepUpAdmin,
    csrf: CsrfToken,
    slug: web::Path<String>,
    Meta(meta): Meta,
    CsrfForm(form): CsrfForm<SmtpForm>,
) -> Result<HttpResponse, PageError> {
    let org = admin.org(&state, &slug).await?;
    let input = SmtpInput {
        host: form.host.clone(),
        port: form.port.clone(),
        tls_mode: form.tls_mode.clone(),
        username: form.username.clone(),
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        from_address: form.from_address.clone(),
        from_name: form.from_name.clone(),
    };
    // The admin layer checks again; this only finds the field to mark.
    let error = match org_smtp::check(&input) {
        Err((field, message)) => Some(FormErrors::on(field_name(field), message)),
        Ok(_) => match org_smtp::set(&state, &admin.actor(), &meta, &org.slug, &input).await {
            Ok(_) => None,
            Err(AppError::Invalid { message, .. }) => Some(FormErrors::on("host", message)),
            Err(e) => return Err(e.into()),
        },
    };
    match error {
        None => Ok(respond::see_other(&format!(
            "/admin/orgs/{}/smtp?done=saved",
            org.slug
        ))),
        Some(errors) => {
            // Never the password back into the page.
            let form = SmtpForm {
                password: String::new(),
                ..form
            };
            let r = Render {
                form: Some(form),
                errors,
                ..Render::plain()
            };
            render(
                &state,
                &admin,
                &csrf.0,
                &org.slug,
                StatusCode::BAD_REQUEST,
                r,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct TestForm {
    #[serde(default)]
    to: String,
}

pub async fn test(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    slug: web::Path<String>,
    Meta(meta): Meta,
    CsrfForm(form): CsrfForm<TestForm>,
) -> Result<HttpResponse, PageError> {
    let org = admin.org(&state, &slug).await?;
    let result = org_smtp::send_test(&state, &admin.actor(), &meta, &org.slug, &form.to).await;
    let r = match result {
        Ok(Ok(())) => Render {
            test_to: Some(form.to.trim().to_owned()),
            test_sent_to: Some(form.to.trim().to_owned()),
            ..Render::plain()
        },
        Ok(Err(smtp_error)) => Render {
            test_to: Some(form.to.clone()),
            test_error: Some(smtp_error),
            ..Render::plain()
        },
        Err(AppError::Invalid { message, .. }) => Render {
            test_to: Some(form.to.clone()),
            errors: FormErrors::on("to", message),
            ..Render::plain()
        },
        Err(e) => return Err(e.into()),
    };
    let status = if r.errors.any() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(&state, &admin, &csrf.0, &org.slug, status, r).await
}

#[derive(Deserialize)]
pub struct EmptyForm {}

pub async fn remove(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    slug: web::Path<String>,
    Meta(meta): Meta,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let org = admin.org(&state, &slug).await?;
    org_smtp::remove(&state, &admin.actor(), &meta, &org.slug).await?;
    Ok(respond::see_other(&format!(
        "/admin/orgs/{}/smtp?done=removed",
        org.slug
    )))
}
