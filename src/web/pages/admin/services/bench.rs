//! The live test bench: `/admin/services/{client_id}/test-bench` (explanation, switch, "Try
//! sign-in"), `.../test-bench/start` (to `/authorize`) and `/admin/test-bench/callback` (the
//! console's own redirect URI). The protocol work is in `crate::admin::test_bench`.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::super::{ConsoleAdmin, Nav, Section};
use super::detail::{self, Shown};
use super::path_segment;
use crate::admin::services::ServiceView;
use crate::admin::test_bench::{self, BenchFailure, BenchReport, Callback};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;
use crate::web::respond;

#[derive(Template)]
#[template(path = "admin/service_test_bench.html")]
struct BenchPage<'a> {
    nav: Nav,
    csrf: &'a str,
    service: ServiceView,
    href: String,
    supported: bool,
    enabled: bool,
    bench_uri: String,
}

#[derive(Template)]
#[template(path = "admin/service_test_bench_result.html")]
struct ResultPage {
    nav: Nav,
    report: Option<BenchReport>,
    failure: Option<FailureView>,
    service_href: Option<String>,
}

struct FailureView {
    title: &'static str,
    code: Option<String>,
    explanation: String,
    description: Option<String>,
    authorize_url: Option<String>,
}

pub async fn page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let service = crate::admin::services::get(&state, &admin.actor(), &path).await?;
    let page = BenchPage {
        nav: admin.nav(Section::Services),
        csrf: &csrf.0,
        href: format!("/admin/services/{}", path_segment(&service.client_id)),
        supported: test_bench::supported(&service),
        enabled: test_bench::enabled(&state, &service),
        bench_uri: test_bench::redirect_uri(&state),
        service,
    };
    Ok(respond::ok_page(&page)?)
}

#[derive(Deserialize)]
pub struct ToggleForm {
    /// `on` or `off`.
    #[serde(default)]
    bench: String,
}

/// Turns the bench on or off (adds or removes its redirect URI through the admin layer).
pub async fn toggle(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<ToggleForm>,
) -> Result<HttpResponse, PageError> {
    let on = form.bench == "on";
    match test_bench::set_enabled(&state, &admin.actor(), &meta, &path, on).await {
        Ok(service) => {
            let done = if on { "bench-on" } else { "bench-off" };
            let href = format!(
                "/admin/services/{}?done={done}#test-bench",
                path_segment(&service.client_id)
            );
            Ok(respond::see_other(&href))
        }
        Err(AppError::Invalid { message, .. }) => {
            let shown = Shown {
                bench_error: Some(message.into_owned()),
                ..Default::default()
            };
            detail::render(&state, &admin, &csrf.0, &path, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

/// "Try sign-in": a new bench attempt for this browser session, then off to `/authorize`.
pub async fn start(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let session = &admin.signed_in.session;
    let url = test_bench::start(
        &state,
        &admin.actor(),
        session.id,
        admin.signed_in.user.id,
        &path,
    )
    .await?;
    Ok(respond::see_other(&url))
}

pub async fn callback(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    Meta(meta): Meta,
    query: web::Query<Callback>,
) -> Result<HttpResponse, PageError> {
    let outcome = test_bench::finish(
        &state,
        admin.signed_in.session.id,
        query.into_inner(),
        &meta,
    )
    .await?;
    let (report, failure, client_id) = match outcome {
        Ok(report) => {
            let client_id = report.client_id.clone();
            (Some(report), None, Some(client_id))
        }
        Err(failure) => {
            let (view, client_id) = failure_view(failure);
            (None, Some(view), client_id)
        }
    };
    let status = if failure.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = ResultPage {
        nav: admin.nav(Section::Services),
        report,
        failure,
        service_href: client_id.map(|c| format!("/admin/services/{}", path_segment(&c))),
    };
    Ok(respond::html(status, &page)?)
}

fn failure_view(failure: BenchFailure) -> (FailureView, Option<String>) {
    match failure {
        BenchFailure::UnknownState => (
            FailureView {
                title: "This test sign-in is not valid",
                code: None,
                explanation: "The answer did not match a test sign-in started from this browser: it was already used, it expired (after 10 minutes), or it was not started here. Start a new one from the service's test bench.".to_owned(),
                description: None,
                authorize_url: None,
            },
            None,
        ),
        BenchFailure::Authorization {
            client_id,
            authorize_url,
            code,
            description,
        } => (
            FailureView {
                title: "The sign-in did not complete",
                explanation: test_bench::explain_error(&code).to_owned(),
                code: Some(code),
                description,
                authorize_url: Some(authorize_url),
            },
            Some(client_id),
        ),
        BenchFailure::Exchange {
            client_id,
            authorize_url,
            code,
            description,
        } => (
            FailureView {
                title: "The code could not be exchanged for tokens",
                explanation: test_bench::explain_error(&code).to_owned(),
                code: Some(code),
                description: Some(description),
                authorize_url: Some(authorize_url),
            },
            Some(client_id),
        ),
    }
}
