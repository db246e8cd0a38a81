//! `GET/POST /admin/services/{client_id}/delete`: deleting a service asks the admin to type its
//! slug, so a stray click cannot remove an app's sign-in.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::super::{ConsoleAdmin, Nav, Section};
use super::path_segment;
use crate::admin::services::{self, ServiceView};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

#[derive(Template)]
#[template(path = "admin/service_delete.html")]
struct DeletePage<'a> {
    nav: Nav,
    csrf: &'a str,
    service: ServiceView,
    href: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm_slug: String,
}

pub async fn page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    render(&state, &admin, &csrf.0, &path, None).await
}

async fn render(
    state: &AppState,
    admin: &ConsoleAdmin,
    csrf: &str,
    client_id: &str,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let service = services::get(state, &admin.actor(), client_id).await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = DeletePage {
        nav: admin.nav(Section::Services),
        csrf,
        href: format!("/admin/services/{}", path_segment(&service.client_id)),
        service,
        error,
    };
    Ok(respond::html(status, &page)?)
}

pub async fn submit(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    let service = services::get(&state, &admin.actor(), &path).await?;
    if form.confirm_slug.trim() != service.slug {
        let error = format!("Type {} to confirm.", service.slug);
        return render(&state, &admin, &csrf.0, &path, Some(error)).await;
    }
    match services::delete(&state, &admin.actor(), &meta, &path).await {
        Ok(()) => Ok(respond::see_other("/admin/services?done=deleted")),
        Err(AppError::Invalid { message, .. }) => {
            render(&state, &admin, &csrf.0, &path, Some(message.into_owned())).await
        }
        Err(e) => Err(e.into()),
    }
}
