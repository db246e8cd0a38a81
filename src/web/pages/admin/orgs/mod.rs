//! `/admin/orgs`: the organizations an admin administers (all for a platform owner), creating
//! one (platform owners), and per organization its settings (`detail`), members (`members`)
//! and role definitions (`roles`). Every change is an admin-layer call.
pub mod detail;
pub mod members;
pub mod roles;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{ConsoleAdmin, Nav, Section};
use crate::admin::orgs::{self, NewOrg, OrgView};
use crate::domain::Slug;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/orgs", web::get().to(list_page))
        .route("/admin/orgs", web::post().to(create_submit))
        .route("/admin/orgs/{slug}", web::get().to(detail::page))
        .route("/admin/orgs/{slug}/rename", web::post().to(detail::rename))
        .route("/admin/orgs/{slug}/status", web::post().to(detail::status))
        .route("/admin/orgs/{slug}/mfa", web::post().to(detail::mfa))
        .route(
            "/admin/orgs/{slug}/sign-up",
            web::post().to(detail::sign_up),
        )
        .route("/admin/orgs/{slug}/members", web::get().to(members::page))
        .route(
            "/admin/orgs/{slug}/members",
            web::post().to(members::invite),
        )
        .route(
            "/admin/orgs/{slug}/members/{user_id}/roles",
            web::post().to(members::set_roles),
        )
        .route(
            "/admin/orgs/{slug}/members/{user_id}/remove",
            web::post().to(members::remove),
        )
        .route("/admin/orgs/{slug}/roles", web::get().to(roles::page))
        .route("/admin/orgs/{slug}/roles", web::post().to(roles::define))
        .route(
            "/admin/orgs/{slug}/roles/{role}/delete",
            web::post().to(roles::delete),
        );
}

/// The message of a refused change, for the form that asked for it: bad input and conflicts
/// (a taken slug, a present member, the last owner) are shown next to the field; anything else
/// (403, 404, 500) is the error page.
pub(super) fn form_error(e: AppError) -> Result<String, PageError> {
    match e {
        AppError::Invalid { message, .. } | AppError::Conflict(message) => Ok(sentence(&message)),
        other => Err(other.into()),
    }
}

/// The admin layer's messages are API-style ("give 1 to 32 roles"): capitalised for a page.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(chars.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

/// Splits "admin, member" (commas or spaces) into role names for the admin layer to check.
pub(super) fn split_list(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Template)]
#[template(path = "admin/orgs/list.html")]
struct ListPage<'a> {
    nav: Nav,
    csrf: &'a str,
    orgs: Vec<OrgView>,
    can_create: bool,
    slug: &'a str,
    name: &'a str,
    slug_error: Option<String>,
    name_error: Option<String>,
}

pub async fn list_page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let page = ListPage {
        orgs: orgs::list(&state, &admin.actor()).await?,
        can_create: admin.is_owner(),
        nav: admin.nav(Section::Orgs),
        csrf: &csrf.0,
        slug: "",
        name: "",
        slug_error: None,
        name_error: None,
    };
    Ok(respond::ok_page(&page)?)
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
}

pub async fn create_submit(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> Result<HttpResponse, PageError> {
    let slug = form.slug.trim();
    // The admin layer's own checks, run first so each message lands next to its field.
    let mut slug_error = Slug::parse(slug).err().map(|e| sentence(&e));
    let mut name_error = orgs::valid_name(&form.name)
        .err()
        .map(|e| sentence(&e.to_string()));
    if slug_error.is_none() && name_error.is_none() {
        let input = NewOrg {
            slug: slug.to_owned(),
            name: form.name.clone(),
        };
        match orgs::create(&state, &admin.actor(), &meta, input).await {
            Ok(org) => {
                return Ok(respond::see_other(&format!(
                    "/admin/orgs/{}?done=created",
                    org.slug
                )));
            }
            Err(AppError::Conflict(_)) => {
                slug_error = Some("An organization with this slug exists already.".to_owned());
            }
            Err(e) => name_error = Some(form_error(e)?),
        }
    }
    let page = ListPage {
        orgs: orgs::list(&state, &admin.actor()).await?,
        can_create: admin.is_owner(),
        nav: admin.nav(Section::Orgs),
        csrf: &csrf.0,
        slug,
        name: &form.name,
        slug_error,
        name_error,
    };
    Ok(respond::html(StatusCode::UNPROCESSABLE_ENTITY, &page)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_layer_messages_read_as_sentences() {
        assert_eq!(sentence("give 1 to 32 roles"), "Give 1 to 32 roles.");
        assert_eq!(sentence("Done."), "Done.");
    }

    #[test]
    fn role_lists_split_on_commas_and_spaces() {
        assert_eq!(split_list(" admin, member  x"), ["admin", "member", "x"]);
        assert!(split_list(" , ").is_empty());
    }
}
