//! `GET|POST /end-session` (OpenID Connect RP-Initiated Logout 1.0).
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::error::AppError;
use crate::oidc::end_session::{LogoutPlan, LogoutRequest, plan};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{MaybeUser, Meta};
use crate::web::pages::MessagePage;
use crate::web::respond;

#[derive(Template)]
#[template(path = "pages/end_session.html")]
struct EndSessionPage<'a> {
    csrf: &'a str,
    client_name: Option<String>,
    fields: Vec<(&'static str, String)>,
}

pub async fn end_session(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    user: MaybeUser,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let raw = if req.method() == actix_web::http::Method::POST {
        &body[..]
    } else {
        req.query_string().as_bytes()
    };
    let request: LogoutRequest = serde_urlencoded::from_bytes(raw)
        .map_err(|_| AppError::invalid("The logout request is malformed."))?;
    let plan = plan(&state, &request).await.map_err(AppError::invalid)?;
    match user.0 {
        None => Ok(finish(&state, &plan, false)?),
        // The client proved which user it means: no confirmation needed.
        Some(signed_in)
            if plan.hinted_sub.as_deref() == Some(signed_in.user.id.to_string().as_str()) =>
        {
            crate::auth::sessions::end(&state, &signed_in.session, &meta).await?;
            Ok(finish(&state, &plan, true)?)
        }
        // Without a matching hint a third party could log users out: ask first.
        Some(_) => {
            let fields = [
                ("id_token_hint", request.id_token_hint),
                ("client_id", request.client_id),
                ("post_logout_redirect_uri", request.post_logout_redirect_uri),
                ("state", request.state),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
            Ok(respond::ok_page(&EndSessionPage {
                csrf: &csrf.0,
                client_name: plan.client_name,
                fields,
            })?)
        }
    }
}

/// `POST /end-session/confirm`
pub async fn end_session_confirm(
    state: web::Data<AppState>,
    CsrfForm(request): CsrfForm<LogoutRequest>,
    user: MaybeUser,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let plan = plan(&state, &request).await.map_err(AppError::invalid)?;
    let signed_in = user.0.is_some();
    if let Some(signed_in) = user.0 {
        crate::auth::sessions::end(&state, &signed_in.session, &meta).await?;
    }
    Ok(finish(&state, &plan, signed_in)?)
}

fn finish(
    state: &AppState,
    plan: &LogoutPlan,
    clear_cookie: bool,
) -> Result<HttpResponse, AppError> {
    let mut response = match &plan.redirect {
        Some(target) => respond::to_client(actix_web::http::StatusCode::SEE_OTHER, target),
        None => respond::ok_page(&MessagePage {
            title: &crate::i18n::t("msg-you-are-signed-out"),
            message: &crate::i18n::t1("msg-signed-out-of", "brand", crate::i18n::site_name()),
            link_href: "/login",
            link_label: &crate::i18n::t("msg-sign-in-again"),
        })?,
    };
    if clear_cookie {
        response
            .add_cookie(&respond::clear_session_cookie(state))
            .map_err(|e| AppError::Unexpected(e.into()))?;
    }
    Ok(response)
}
