//! `/admin/keys` (platform owners only): the signing keys with their status; publish a next
//! key, rotate now, retire. The admin layer refuses org admins (403).
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::users::when;
use super::{ConsoleAdmin, Nav, Section, StepUpAdmin, done_message};
use crate::admin::keys;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/keys", web::get().to(page))
        .route("/admin/keys/rotate", web::post().to(rotate))
        .route("/admin/keys/{kid}/retire", web::post().to(retire));
}

struct KeyRow {
    kid: String,
    alg: String,
    status: String,
    created: String,
    /// When it starts signing (next), stopped (retired), or "".
    note: String,
    retirable: bool,
}

#[derive(Template)]
#[template(path = "admin/keys.html")]
struct KeysPage<'a> {
    nav: Nav,
    csrf: &'a str,
    done: Option<&'static str>,
    error: Option<String>,
    keys: Vec<KeyRow>,
    algs: &'static [&'static str],
}

const DONE: &[(&str, &str)] = &[
    (
        "published",
        "A next key is published; it starts signing after the JWKS cache period.",
    ),
    (
        "rotated",
        "A new key signs from now on; the old one stays published until its tokens expire.",
    ),
    ("retired", "The key is retired."),
];

#[derive(Deserialize)]
pub struct Params {
    done: Option<String>,
}

pub async fn page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    params: web::Query<Params>,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let done = done_message(params.done.as_deref(), DONE);
    render(&state, &admin, &csrf.0, done, None).await
}

async fn render(
    state: &AppState,
    admin: &ConsoleAdmin,
    csrf: &str,
    done: Option<&'static str>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let keys = keys::list(state, &admin.actor())
        .await?
        .into_iter()
        .rev()
        .map(|k| {
            let status = k.status.to_string();
            let note = match (k.activates_at, k.retired_at, k.publish_until) {
                (_, Some(_), Some(until)) => format!("published until {}", when(until)),
                (Some(at), None, _) if status == "next" => format!("signs from {}", when(at)),
                _ => String::new(),
            };
            KeyRow {
                retirable: status != "retired",
                kid: k.kid,
                alg: k.alg,
                created: when(k.created_at),
                status,
                note,
            }
        })
        .collect();
    let page = KeysPage {
        nav: admin.nav(Section::Keys),
        csrf,
        done,
        keys,
        algs: &crate::keys::SUPPORTED_ALGS,
        error: error.clone(),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(respond::html(status, &page)?)
}

#[derive(Deserialize)]
pub struct RotateForm {
    #[serde(default)]
    alg: String,
    /// `now` rotates at once; anything else publishes a next key first.
    #[serde(default)]
    when: String,
}

pub async fn rotate(
    state: web::Data<AppState>,
    StepUpAdmin(admin): StepUpAdmin,
    CsrfForm(form): CsrfForm<RotateForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let now = form.when == "now";
    let delay = now.then_some(0);
    let alg = Some(form.alg.as_str()).filter(|a| !a.is_empty());
    match keys::rotate(&state, &admin.actor(), &meta, alg, delay).await {
        Ok(_) => Ok(respond::see_other(if now {
            "/admin/keys?done=rotated"
        } else {
            "/admin/keys?done=published"
        })),
        Err(AppError::Invalid { message, .. }) => {
            render(&state, &admin, &csrf.0, None, Some(message.into_owned())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RetireForm {
    /// A checkbox: stop publishing the key now (a compromised key).
    #[serde(default)]
    immediate: Option<String>,
}

pub async fn retire(
    state: web::Data<AppState>,
    StepUpAdmin(admin): StepUpAdmin,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<RetireForm>,
    Meta(meta): Meta,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let immediate = form.immediate.is_some();
    match keys::retire(&state, &admin.actor(), &meta, &path, immediate).await {
        Ok(_) => Ok(respond::see_other("/admin/keys?done=retired")),
        Err(AppError::Invalid { message, .. }) => {
            render(&state, &admin, &csrf.0, None, Some(message.into_owned())).await
        }
        Err(e) => Err(e.into()),
    }
}
