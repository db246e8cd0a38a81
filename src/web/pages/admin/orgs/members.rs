//! `/admin/orgs/{slug}/members`: list, invite by email, change roles, remove. Giving or taking
//! the `owner` role asks for a recent sign-in (step-up); the admin layer keeps the last owner.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::{form_error, split_list};
use crate::admin::invitations::{self, Invitation, Invited};
use crate::admin::members::{self, MemberRoles, MemberView, OWNER_ROLE};
use crate::domain::Email;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::organizations::Organization;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::pages::admin::{ConsoleAdmin, Nav, STEP_UP_MINUTES, Section, done_message};
use crate::web::respond;

const DONE: &[(&str, &str)] = &[
    (
        "invited",
        "Invitation sent: the new member sets a password with the link in the mail.",
    ),
    ("added", "Member added: the account existed already."),
    ("roles", "Roles saved."),
    ("removed", "Member removed."),
];

#[derive(Template)]
#[template(path = "admin/orgs/members.html")]
struct MembersPage<'a> {
    nav: Nav,
    csrf: &'a str,
    org: Organization,
    members: Vec<MemberView>,
    done: Option<&'static str>,
    form: Form,
}

/// What a refused form typed and why, to show it again.
#[derive(Default)]
struct Form {
    email: String,
    roles: String,
    email_error: Option<String>,
    roles_error: Option<String>,
    /// A member row's refused change: (user, roles typed, message).
    row: Option<(Uuid, String, String)>,
}

impl MembersPage<'_> {
    fn row_error(&self, user: &Uuid) -> Option<&str> {
        self.form
            .row
            .as_ref()
            .filter(|(id, _, _)| id == user)
            .map(|(_, _, e)| e.as_str())
    }

    fn row_roles(&self, member: &MemberView) -> String {
        match &self.form.row {
            Some((id, typed, _)) if *id == member.user_id => typed.clone(),
            _ => member.roles.join(", "),
        }
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
    let done = done_message(query.done.as_deref(), DONE);
    let form = Form {
        roles: "member".to_owned(),
        ..Form::default()
    };
    render(&state, &admin, &csrf, &slug, done, form).await
}

async fn render(
    state: &AppState,
    admin: &ConsoleAdmin,
    csrf: &CsrfToken,
    slug: &str,
    done: Option<&'static str>,
    form: Form,
) -> Result<HttpResponse, PageError> {
    let org = admin.org(state, slug).await?;
    let failed = form.email_error.is_some() || form.roles_error.is_some() || form.row.is_some();
    let page = MembersPage {
        nav: admin.nav(Section::Orgs),
        csrf: &csrf.0,
        members: members::list(state, &admin.actor(), slug).await?,
        org,
        done,
        form,
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(respond::html(status, &page)?)
}

fn back(slug: &str, done: &str) -> HttpResponse {
    respond::see_other(&format!("/admin/orgs/{slug}/members?done={done}"))
}

/// Owner changes need a sign-in of the last few minutes: back to sign in, then this page.
fn step_up_due(admin: &ConsoleAdmin, slug: &str) -> Option<HttpResponse> {
    let max_age = chrono::Duration::minutes(STEP_UP_MINUTES);
    if admin.signed_in.session.auth_time >= crate::store::now() - max_age {
        return None;
    }
    let next = format!("/admin/orgs/{slug}/members");
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Some(respond::see_other(&format!("/login?again=1&next={next}")))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    roles: String,
}

pub async fn invite(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    slug: web::Path<String>,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> Result<HttpResponse, PageError> {
    let roles = split_list(&form.roles);
    let mut typed = Form {
        email: form.email.trim().to_owned(),
        roles: form.roles.clone(),
        // The admin layer's own checks first, so each message lands next to its field.
        email_error: Email::parse(&form.email).err().map(|e| e.to_string()),
        roles_error: members::valid_roles(roles.clone())
            .err()
            .map(|e| super::sentence(&e.to_string())),
        row: None,
    };
    if typed.email_error.is_none() && typed.roles_error.is_none() {
        if roles.iter().any(|r| r == OWNER_ROLE)
            && let Some(sign_in) = step_up_due(&admin, &slug)
        {
            return Ok(sign_in);
        }
        let input = Invitation {
            email: form.email.clone(),
            roles,
        };
        match invitations::invite(&state, &admin.actor(), &meta, &slug, input).await {
            Ok(Invited::Mailed(_)) => return Ok(back(&slug, "invited")),
            Ok(Invited::Added(_)) => return Ok(back(&slug, "added")),
            Err(AppError::RateLimited { .. }) => {
                typed.email_error = Some(
                    "Too many mails to this address in the last hour. Try again later.".to_owned(),
                );
            }
            Err(e) => typed.email_error = Some(form_error(e)?),
        }
    }
    render(&state, &admin, &csrf, &slug, None, typed).await
}

#[derive(Deserialize)]
pub struct RolesForm {
    #[serde(default)]
    roles: String,
}

/// The member's roles now, or 404 (the admin layer answers 403 first for another org).
async fn current_roles(
    state: &AppState,
    admin: &ConsoleAdmin,
    slug: &str,
    user_id: Uuid,
) -> Result<Vec<String>, PageError> {
    members::list(state, &admin.actor(), slug)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .map(|m| m.roles)
        .ok_or_else(|| AppError::NotFound("Member not found").into())
}

pub async fn set_roles(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    path: web::Path<(String, Uuid)>,
    CsrfForm(form): CsrfForm<RolesForm>,
) -> Result<HttpResponse, PageError> {
    let (slug, user_id) = path.into_inner();
    let roles = split_list(&form.roles);
    let before = current_roles(&state, &admin, &slug, user_id).await?;
    let owner = |list: &[String]| list.iter().any(|r| r == OWNER_ROLE);
    if owner(&before) != owner(&roles)
        && let Some(sign_in) = step_up_due(&admin, &slug)
    {
        return Ok(sign_in);
    }
    let input = MemberRoles { roles };
    match members::set_roles(&state, &admin.actor(), &meta, &slug, user_id, input, false).await {
        Ok(_) => Ok(back(&slug, "roles")),
        Err(e) => {
            let form = Form {
                roles: "member".to_owned(),
                row: Some((user_id, form.roles.clone(), form_error(e)?)),
                ..Form::default()
            };
            render(&state, &admin, &csrf, &slug, None, form).await
        }
    }
}

pub async fn remove(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    path: web::Path<(String, Uuid)>,
    CsrfForm(()): CsrfForm<()>,
) -> Result<HttpResponse, PageError> {
    let (slug, user_id) = path.into_inner();
    let before = current_roles(&state, &admin, &slug, user_id).await?;
    if before.iter().any(|r| r == OWNER_ROLE)
        && let Some(sign_in) = step_up_due(&admin, &slug)
    {
        return Ok(sign_in);
    }
    match members::remove(&state, &admin.actor(), &meta, &slug, user_id).await {
        Ok(()) => Ok(back(&slug, "removed")),
        Err(e) => {
            let form = Form {
                roles: "member".to_owned(),
                row: Some((user_id, before.join(", "), form_error(e)?)),
                ..Form::default()
            };
            render(&state, &admin, &csrf, &slug, None, form).await
        }
    }
}
