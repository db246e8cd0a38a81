//! `/admin/orgs/{slug}/roles`: role definitions (role → permissions) that members' tokens
//! carry: list, define or update, delete.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{form_error, split_list};
use crate::admin::roles::{self, RoleDefinition};
use crate::state::AppState;
use crate::store::organizations::Organization;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::pages::admin::{ConsoleAdmin, Nav, Section, done_message};
use crate::web::respond;

const DONE: &[(&str, &str)] = &[
    (
        "saved",
        "Role saved: members' next tokens carry its permissions.",
    ),
    (
        "deleted",
        "Role deleted: members who hold it keep the name, without permissions.",
    ),
];

#[derive(Template)]
#[template(path = "admin/orgs/roles.html")]
struct RolesPage<'a> {
    nav: Nav,
    csrf: &'a str,
    org: Organization,
    roles: Vec<RoleDefinition>,
    done: Option<&'static str>,
    role: String,
    permissions: String,
    role_error: Option<String>,
    permissions_error: Option<String>,
}

#[derive(Deserialize)]
pub struct RolesQuery {
    done: Option<String>,
    /// Fills the form with this role's definition.
    edit: Option<String>,
}

pub async fn page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    slug: web::Path<String>,
    query: web::Query<RolesQuery>,
) -> Result<HttpResponse, PageError> {
    let org = admin.org(&state, &slug).await?;
    let roles = roles::list_roles(&state, &admin.actor(), &slug).await?;
    let editing = query
        .edit
        .as_deref()
        .and_then(|name| roles.iter().find(|r| r.role == name));
    let page = RolesPage {
        nav: admin.nav(Section::Orgs),
        csrf: &csrf.0,
        role: editing.map(|r| r.role.clone()).unwrap_or_default(),
        permissions: editing
            .map(|r| r.permissions.join(", "))
            .unwrap_or_default(),
        done: done_message(query.done.as_deref(), DONE),
        org,
        roles,
        role_error: None,
        permissions_error: None,
    };
    Ok(respond::ok_page(&page)?)
}

#[derive(Deserialize)]
pub struct DefineForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    permissions: String,
}

pub async fn define(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    slug: web::Path<String>,
    CsrfForm(form): CsrfForm<DefineForm>,
) -> Result<HttpResponse, PageError> {
    let role = form.role.trim();
    let permissions = split_list(&form.permissions);
    // The role name is checked first so its message lands next to its field.
    let mut role_error = crate::admin::members::valid_role_name(role)
        .err()
        .map(|e| super::sentence(&e.to_string()));
    let mut permissions_error = None;
    if role_error.is_none() {
        match roles::define_role(&state, &admin.actor(), &meta, &slug, role, &permissions).await {
            Ok(_) => {
                return Ok(respond::see_other(&format!(
                    "/admin/orgs/{slug}/roles?done=saved"
                )));
            }
            Err(e) => permissions_error = Some(form_error(e)?),
        }
    }
    if role.is_empty() {
        role_error = Some("Give the role a name, e.g. editor.".to_owned());
    }
    let org = admin.org(&state, &slug).await?;
    let page = RolesPage {
        nav: admin.nav(Section::Orgs),
        csrf: &csrf.0,
        roles: roles::list_roles(&state, &admin.actor(), &slug).await?,
        org,
        done: None,
        role: role.to_owned(),
        permissions: form.permissions.clone(),
        role_error,
        permissions_error,
    };
    Ok(respond::html(StatusCode::UNPROCESSABLE_ENTITY, &page)?)
}

pub async fn delete(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    Meta(meta): Meta,
    path: web::Path<(String, String)>,
    CsrfForm(()): CsrfForm<()>,
) -> Result<HttpResponse, PageError> {
    let (slug, role) = path.into_inner();
    roles::delete_role(&state, &admin.actor(), &meta, &slug, &role).await?;
    Ok(respond::see_other(&format!(
        "/admin/orgs/{slug}/roles?done=deleted"
    )))
}
