//! `/admin/orgs/{slug}/branding`: how the organization's services' hosted pages and mail look.
//! The form is `multipart/form-data` (a logo upload); the change is the same operation as
//! `gatehouse org branding set` (`admin::branding::set_branding`).
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::TryStreamExt;

use super::{DoneQuery, FormErrors};
use crate::admin::branding::{BrandingInput, Change, Logo, set_branding};
use crate::branding::MAX_LOGO_BYTES;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::organizations::Organization;
use crate::web::csrf::CsrfToken;
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::pages::admin::{ConsoleAdmin, Nav, Section, done_message};
use crate::web::respond;

const DONE: &[(&str, &str)] = &[(
    "saved",
    "Branding saved. The organization's sign-in pages and mail show it now.",
)];

/// Longest text field read from the form.
const MAX_TEXT_BYTES: usize = 4096;

#[derive(Template)]
#[template(path = "admin/org_branding.html")]
struct BrandingPage {
    nav: Nav,
    csrf: String,
    slug: String,
    org_name: String,
    form: BrandingForm,
    /// The uploaded logo's URL, when one is stored.
    uploaded_logo: Option<String>,
    /// The organization's hosted sign-in page (forced sign-in, so nothing is issued).
    preview_href: Option<String>,
    errors: FormErrors,
    done: Option<&'static str>,
    max_logo_kib: usize,
}

#[derive(Default, Clone)]
struct BrandingForm {
    display_name: String,
    accent: String,
    logo_url: String,
    support_url: String,
    privacy_url: String,
    terms_url: String,
}

impl BrandingForm {
    fn of(row: Option<&crate::store::org_branding::OrgBranding>) -> Self {
        let text = |v: Option<&String>| v.cloned().unwrap_or_default();
        Self {
            display_name: text(row.and_then(|r| r.display_name.as_ref())),
            accent: text(row.and_then(|r| r.accent.as_ref())),
            logo_url: text(row.and_then(|r| r.logo_url.as_ref())),
            support_url: text(row.and_then(|r| r.support_url.as_ref())),
            privacy_url: text(row.and_then(|r| r.privacy_url.as_ref())),
            terms_url: text(row.and_then(|r| r.terms_url.as_ref())),
        }
    }
}

/// What a render shows besides the stored branding.
struct Shown {
    status: StatusCode,
    /// What was typed (after an error); `None`: the stored values.
    typed: Option<BrandingForm>,
    errors: FormErrors,
    done: Option<&'static str>,
}

async fn render(
    state: &AppState,
    admin: &ConsoleAdmin,
    csrf: &str,
    org: &Organization,
    shown: Shown,
) -> Result<HttpResponse, PageError> {
    let Shown {
        status,
        typed,
        errors,
        done,
    } = shown;
    let row = crate::store::org_branding::find(&state.db, org.id).await?;
    let uploaded_logo = crate::store::org_branding::logo_digest(&state.db, org.id)
        .await?
        .map(|sha| format!("/branding/{}/logo?v={}", org.id, &sha[..16]));
    let page = BrandingPage {
        nav: admin.nav(Section::Orgs),
        csrf: csrf.to_owned(),
        slug: org.slug.clone(),
        org_name: org.name.clone(),
        form: typed.unwrap_or_else(|| BrandingForm::of(row.as_ref())),
        uploaded_logo,
        preview_href: preview_href(state, org).await?,
        errors,
        done,
        max_logo_kib: MAX_LOGO_BYTES / 1024,
    };
    Ok(respond::html(status, &page)?)
}

/// The sign-in page of the organization's first service with a redirect URI, as its people see
/// it. `prompt=login` always shows the page, even to the signed-in admin.
async fn preview_href(state: &AppState, org: &Organization) -> Result<Option<String>, AppError> {
    let services = crate::store::services::list(&state.db, Some(org.id)).await?;
    let Some((service, redirect_uri)) = services.into_iter().find_map(|s| {
        let uri = s.redirect_uris_list().into_iter().next()?;
        Some((s, uri))
    }) else {
        return Ok(None);
    };
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &service.client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", "openid")
        .append_pair("prompt", "login")
        .append_pair("state", "branding-preview")
        // A fixed PKCE challenge whose verifier nobody has: nothing can be redeemed.
        .append_pair(
            "code_challenge",
            "Uo7Y2pwDjgxQzGzKtkjqyNdFpSM6sDOuzx5IaPe9MeE",
        )
        .append_pair("code_challenge_method", "S256")
        .finish();
    Ok(Some(format!("/authorize?{query}")))
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
    let shown = Shown {
        status: StatusCode::OK,
        typed: None,
        errors: FormErrors::default(),
        done,
    };
    render(&state, &admin, &csrf.0, &org, shown).await
}

/// What the multipart form carried.
#[derive(Default)]
struct Submitted {
    csrf_token: String,
    form: BrandingForm,
    remove_logo: bool,
    logo: Vec<u8>,
    logo_too_big: bool,
}

async fn read_form(mut payload: Multipart) -> Result<Submitted, AppError> {
    let unreadable = || AppError::invalid("The form could not be read. Go back and try again.");
    let mut out = Submitted::default();
    while let Some(mut field) = payload.try_next().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_owned();
        let limit = if name == "logo" {
            MAX_LOGO_BYTES
        } else {
            MAX_TEXT_BYTES
        };
        let mut bytes = Vec::new();
        let mut too_big = false;
        while let Some(chunk) = field.try_next().await.map_err(|_| unreadable())? {
            // Read to the end (the browser is still sending) but keep no more than the limit.
            if bytes.len() + chunk.len() > limit {
                too_big = true;
            } else {
                bytes.extend_from_slice(&chunk);
            }
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
        match name.as_str() {
            "csrf_token" => out.csrf_token = text(),
            "display_name" => out.form.display_name = text(),
            "accent" => out.form.accent = text(),
            "logo_url" => out.form.logo_url = text(),
            "support_url" => out.form.support_url = text(),
            "privacy_url" => out.form.privacy_url = text(),
            "terms_url" => out.form.terms_url = text(),
            "remove_logo" => out.remove_logo = true,
            "logo" => {
                out.logo = bytes;
                out.logo_too_big = too_big;
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A field's change against what is stored: `None` when it stays.
fn change(typed: &str, stored: Option<&String>) -> Option<Change<String>> {
    match (typed.is_empty(), stored) {
        (true, None) => None,
        (true, Some(_)) => Some(Change::Clear),
        (false, Some(old)) if old == typed => None,
        (false, _) => Some(Change::Set(typed.to_owned())),
    }
}

/// The field an admin-layer message is about.
fn field_of(message: &str) -> &'static str {
    let message = message.to_ascii_lowercase();
    if message.contains("display name") {
        "display_name"
    } else if message.contains("accent") {
        "accent"
    } else if message.contains("support url") {
        "support_url"
    } else if message.contains("privacy url") {
        "privacy_url"
    } else if message.contains("terms url") {
        "terms_url"
    } else if message.contains("logo url") {
        "logo_url"
    } else {
        "logo"
    }
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    slug: web::Path<String>,
    Meta(meta): Meta,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let submitted = read_form(payload).await?;
    crate::web::csrf::check(&req, &submitted.csrf_token)?;
    let org = admin.org(&state, &slug).await?;
    let failed = |field: &'static str, message: String, typed: BrandingForm| {
        (FormErrors::on(field, message), typed)
    };
    let outcome = if submitted.logo_too_big {
        Err(failed(
            "logo",
            format!(
                "The logo is larger than {} KiB; choose a smaller file.",
                MAX_LOGO_BYTES / 1024
            ),
            submitted.form.clone(),
        ))
    } else {
        let stored = crate::store::org_branding::find(&state.db, org.id).await?;
        let stored = stored.as_ref();
        let typed = &submitted.form;
        let logo = if !submitted.logo.is_empty() {
            Some(Change::Set(Logo::Upload(submitted.logo)))
        } else if submitted.remove_logo {
            Some(Change::Clear)
        } else {
            change(&typed.logo_url, stored.and_then(|r| r.logo_url.as_ref())).map(|c| match c {
                Change::Set(url) => Change::Set(Logo::Url(url)),
                Change::Clear => Change::Clear,
            })
        };
        let input = BrandingInput {
            org_id: org.id,
            display_name: change(
                &typed.display_name,
                stored.and_then(|r| r.display_name.as_ref()),
            ),
            logo,
            accent: change(&typed.accent, stored.and_then(|r| r.accent.as_ref())),
            support_url: change(
                &typed.support_url,
                stored.and_then(|r| r.support_url.as_ref()),
            ),
            privacy_url: change(
                &typed.privacy_url,
                stored.and_then(|r| r.privacy_url.as_ref()),
            ),
            terms_url: change(&typed.terms_url, stored.and_then(|r| r.terms_url.as_ref())),
        };
        match set_branding(&state, &admin.actor(), &meta, input).await {
            Ok(_) => Ok(()),
            Err(AppError::Invalid { message, .. }) => {
                let message = capitalized(&message);
                Err(failed(field_of(&message), message, submitted.form.clone()))
            }
            Err(e) => return Err(e.into()),
        }
    };
    match outcome {
        Ok(()) => Ok(respond::see_other(&format!(
            "/admin/orgs/{}/branding?done=saved",
            org.slug
        ))),
        Err((errors, typed)) => {
            let shown = Shown {
                status: StatusCode::BAD_REQUEST,
                typed: Some(typed),
                errors,
                done: None,
            };
            render(&state, &admin, &csrf.0, &org, shown).await
        }
    }
}

/// The admin layer's messages start in lower case (they follow "error:" in the CLI).
fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
