//! `/admin/orgs/{slug}/providers`: the organization's own credentials at upstream sign-in
//! providers (bring your own OAuth app), with the callback URL to register there. Secrets are
//! write-only.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{DoneQuery, FormErrors};
use crate::admin::providers::{self, OrgProviderView, OrgSpec};
use crate::auth::federation::providers::BUILT_IN;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::pages::admin::{ConsoleAdmin, Nav, Section, StepUpAdmin, done_message};
use crate::web::respond;

const DONE: &[(&str, &str)] = &[
    (
        "saved",
        "Provider saved. People signing in to this organization's services use these credentials.",
    ),
    (
        "removed",
        "Provider credentials removed. The platform's credentials apply again.",
    ),
];

#[derive(Template)]
#[template(path = "admin/org_providers.html")]
struct ProvidersPage {
    nav: Nav,
    csrf: String,
    slug: String,
    org_name: String,
    rows: Vec<OrgProviderView>,
    /// (slug, name) of every provider an organization can configure.
    choices: Vec<(String, String)>,
    form: ProviderForm,
    /// Whether the form's provider already has a secret stored.
    has_secret: bool,
    callback_url: String,
    errors: FormErrors,
    done: Option<&'static str>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ProviderForm {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    api_base_url: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    tenant: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    auto_link: Option<String>,
}

impl ProviderForm {
    fn of(view: &OrgProviderView) -> Self {
        Self {
            provider: view.provider.clone(),
            client_id: view.client_id.clone().unwrap_or_default(),
            client_secret: String::new(),
            base_url: view.base_url.clone().unwrap_or_default(),
            api_base_url: view.api_base_url.clone().unwrap_or_default(),
            issuer: view.issuer.clone().unwrap_or_default(),
            tenant: view.tenant.clone().unwrap_or_default(),
            enabled: view.enabled.then(|| "on".to_owned()),
            auto_link: view.auto_link.then(|| "on".to_owned()),
        }
    }

    fn new_for(provider: &str) -> Self {
        Self {
            provider: provider.to_owned(),
            enabled: Some("on".into()),
            ..Self::default()
        }
    }
}

fn provider_name(slug: &str) -> String {
    match slug {
        "github" => "GitHub".into(),
        "google" => "Google".into(),
        "microsoft" => "Microsoft".into(),
        other => other.to_owned(),
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    edit: Option<String>,
    #[serde(flatten)]
    done: DoneQuery,
}

/// What a render shows besides the stored rows.
struct Shown<'a> {
    status: StatusCode,
    /// What was typed (after an error); `None`: the provider `edit` (or GitHub) as stored.
    form: Option<ProviderForm>,
    edit: Option<&'a str>,
    errors: FormErrors,
    done: Option<&'static str>,
}

async fn render(
    state: &AppState,
    admin: &ConsoleAdmin,
    csrf: &str,
    slug: &str,
    shown: Shown<'_>,
) -> Result<HttpResponse, PageError> {
    let Shown {
        status,
        form,
        edit,
        errors,
        done,
    } = shown;
    let org = admin.org(state, slug).await?;
    let rows = providers::list_org(state, &admin.actor(), &org.slug).await?;
    let mut choices: Vec<(String, String)> = BUILT_IN
        .iter()
        .map(|s| ((*s).to_owned(), provider_name(s)))
        .collect();
    for generic in crate::store::oidc_providers::list(&state.db).await? {
        choices.push((generic.slug, generic.name));
    }
    let form = form.unwrap_or_else(|| {
        let chosen = edit
            .filter(|e| choices.iter().any(|(s, _)| s == e))
            .unwrap_or("github");
        rows.iter()
            .find(|r| r.provider == chosen)
            .map_or_else(|| ProviderForm::new_for(chosen), ProviderForm::of)
    });
    let has_secret = rows
        .iter()
        .any(|r| r.provider == form.provider && r.has_secret);
    let page = ProvidersPage {
        nav: admin.nav(Section::Orgs),
        csrf: csrf.to_owned(),
        slug: org.slug.clone(),
        org_name: org.name.clone(),
        callback_url: providers::callback_url(state, &form.provider),
        rows,
        choices,
        form,
        has_secret,
        errors,
        done,
    };
    Ok(respond::html(status, &page)?)
}

pub async fn page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let done = done_message(query.done.done.as_deref(), DONE);
    let shown = Shown {
        status: StatusCode::OK,
        form: None,
        edit: query.edit.as_deref(),
        errors: FormErrors::default(),
        done,
    };
    render(&state, &admin, &csrf.0, &slug, shown).await
}

fn optional(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty())
}

/// The field an admin-layer message is about.
fn field_of(message: &str, form: &ProviderForm) -> &'static str {
    if message.contains("client secret") {
        if form.client_id.trim().is_empty() {
            "client_id"
        } else {
            "client_secret"
        }
    } else if message.contains("tenant") {
        "tenant"
    } else if message.contains("api_base_url") {
        "api_base_url"
    } else if message.contains("base_url") {
        "base_url"
    } else if message.contains("issuer") {
        "issuer"
    } else {
        "provider"
    }
}

/// Saving may set a secret, so it needs a recent sign-in.
pub async fn save(
    state: web::Data<AppState>,
    StepUpAdmin(admin): StepUpAdmin,
    csrf: CsrfToken,
    slug: web::Path<String>,
    Meta(meta): Meta,
    CsrfForm(form): CsrfForm<ProviderForm>,
) -> Result<HttpResponse, PageError> {
    let org = admin.org(&state, &slug).await?;
    let spec = OrgSpec {
        client_id: optional(&form.client_id),
        client_secret: Some(form.client_secret.as_str()).filter(|s| !s.is_empty()),
        base_url: optional(&form.base_url),
        api_base_url: optional(&form.api_base_url),
        issuer: optional(&form.issuer),
        tenant: optional(&form.tenant),
        disabled: form.enabled.is_none(),
        auto_link: form.auto_link.is_some(),
        ..OrgSpec::new(&org.slug, form.provider.trim())
    };
    match providers::set_org(&state, &admin.actor(), &meta, spec).await {
        Ok(_) => Ok(respond::see_other(&format!(
            "/admin/orgs/{}/providers?done=saved",
            org.slug
        ))),
        Err(AppError::Invalid { message, .. }) => {
            let errors = FormErrors::on(field_of(&message, &form), message);
            let form = ProviderForm {
                client_secret: String::new(),
                ..form
            };
            let shown = Shown {
                status: StatusCode::BAD_REQUEST,
                form: Some(form),
                edit: None,
                errors,
                done: None,
            };
            render(&state, &admin, &csrf.0, &org.slug, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    provider: String,
}

pub async fn remove(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    slug: web::Path<String>,
    Meta(meta): Meta,
    CsrfForm(form): CsrfForm<RemoveForm>,
) -> Result<HttpResponse, PageError> {
    let org = admin.org(&state, &slug).await?;
    providers::remove_org(&state, &admin.actor(), &meta, &org.slug, &form.provider).await?;
    Ok(respond::see_other(&format!(
        "/admin/orgs/{}/providers?done=removed",
        org.slug
    )))
}
