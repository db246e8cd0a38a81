use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::AppError;
use crate::oidc::authorize::{
    self as core, AuthorizationResponse, Pending, Rejection, ResponseMode, Step,
};
use crate::oidc::consent;
use crate::oidc::error::{OAuthError, OAuthErrorCode};
use crate::oidc::scope::ScopeSet;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{MaybeUser, Meta, SignedIn};
use crate::web::respond;

/// `GET|POST /authorize`
pub async fn authorize(
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
    let raw = super::parse_params(raw).map_err(|e| AppError::invalid(e.description.to_string()))?;
    match core::parse(&state, &raw).await {
        Err(Rejection::Page(detail)) => Ok(respond::html(
            StatusCode::BAD_REQUEST,
            &AppRequestErrorPage { detail: &detail },
        )?),
        Err(Rejection::Suspended) => Err(AppError::Forbidden {
            code: crate::error::ErrorCode::OrganizationNotActive,
            message: "The organization of this application is not active. Please contact its administrator.".into(),
        }
        .into()),
        Err(Rejection::Redirect(target, error)) => Ok(respond_to_client(
            &AuthorizationResponse::error(&target, &error, state.settings.public_url()),
        )),
        Ok((client, request)) => {
            // Each valid request stores a pending row for an anonymous caller.
            state.limits.check_authorize(meta.ip).await?;
            let pending = core::store_pending(&state, client, request).await?;
            proceed(&state, pending, user.0, &csrf).await
        }
    }
}

/// An authorization request we cannot answer the app about (RFC 6749 §4.1.2.1): the person
/// gets plain words, the protocol detail is folded away for the app's developer.
#[derive(Template)]
#[template(path = "pages/app_request_error.html")]
struct AppRequestErrorPage<'a> {
    detail: &'a str,
}

#[derive(Deserialize)]
pub struct ContinueQuery {
    #[serde(default)]
    request: String,
}

/// `GET /authorize/continue?request=…`: back from sign-in.
pub async fn authorize_continue(
    query: web::Query<ContinueQuery>,
    state: web::Data<AppState>,
    user: MaybeUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    let pending = load(&state, &query.request).await?;
    proceed(&state, pending, user.0, &csrf).await
}

async fn load(state: &AppState, handle: &str) -> Result<Pending, PageError> {
    core::load_pending(state, handle).await?.ok_or_else(|| {
        AppError::invalid("This sign-in request has expired or was already completed. Go back to the application and start again.").into()
    })
}

/// What the request needs next in this browser: a sign-in, consent, or the code.
async fn next_step(
    state: &AppState,
    pending: &Pending,
    user: Option<&SignedIn>,
) -> Result<Result<Step, OAuthError>, PageError> {
    let granted = match user {
        Some(signed_in) => {
            consent::granted(state, signed_in.user.id, pending.client.service.id).await?
        }
        None => None,
    };
    Ok(core::next_step(
        &pending.client,
        &pending.request,
        pending.created_at,
        user.map(|s| (&s.session, &s.user)),
        granted.as_ref(),
    ))
}

async fn proceed(
    state: &AppState,
    pending: Pending,
    user: Option<SignedIn>,
    csrf: &CsrfToken,
) -> Result<HttpResponse, PageError> {
    let step = next_step(state, &pending, user.as_ref()).await?;
    match (step, user) {
        (Err(error), _) => finish_with_error(state, &pending, &error).await,
        (Ok(Step::Login { again }), _) => {
            let next = format!("/authorize/continue?request={}", pending.handle);
            let mut login = url::form_urlencoded::Serializer::new(String::new());
            login.append_pair("next", &next);
            if let Some(hint) = &pending.request.login_hint {
                login.append_pair("login_hint", hint);
            }
            if again {
                login.append_pair("again", "1");
            }
            Ok(respond::see_other(&format!("/login?{}", login.finish())))
        }
        (Ok(Step::Consent), Some(signed_in)) => {
            consent_page(state, &pending, &signed_in, csrf).await
        }
        (Ok(Step::Issue), Some(signed_in)) => issue(state, &pending, &signed_in).await,
        (Ok(_), None) => Err(AppError::Unexpected(anyhow::anyhow!(
            "authorization step without a session"
        ))
        .into()),
    }
}

async fn issue(
    state: &AppState,
    pending: &Pending,
    signed_in: &SignedIn,
) -> Result<HttpResponse, PageError> {
    match core::issue_code(state, pending, &signed_in.session, &signed_in.user).await? {
        Some(response) => Ok(respond_to_client(&response)),
        None => Err(AppError::invalid(
            "This sign-in request was already completed. Go back to the application.",
        )
        .into()),
    }
}

async fn finish_with_error(
    state: &AppState,
    pending: &Pending,
    error: &OAuthError,
) -> Result<HttpResponse, PageError> {
    Ok(respond_to_client(
        &core::fail_pending(state, pending, error).await?,
    ))
}

#[derive(Template)]
#[template(path = "pages/consent.html")]
struct ConsentPage<'a> {
    csrf: &'a str,
    request: &'a str,
    service: &'a str,
    email: &'a str,
    scopes: Vec<String>,
    /// The organization's branding in the header.
    context: crate::oidc::sign_in_context::SignInContext,
}

fn describe_scope(scope: &str) -> Option<String> {
    let key = match scope {
        "openid" => "scope-openid",
        "email" => "scope-email",
        "profile" => "scope-profile",
        "offline_access" => "scope-offline-access",
        _ => return None,
    };
    Some(crate::i18n::t(key))
}

/// What a set of scopes lets the application do, in words (consent and device pages).
pub(crate) fn describe_scopes(scope: &ScopeSet) -> Vec<String> {
    let mut described: Vec<String> = scope.iter().filter_map(describe_scope).collect();
    if scope.iter().any(|s| describe_scope(s).is_none()) {
        described.push(crate::i18n::t("scope-other"));
    }
    described
}

async fn consent_page(
    state: &AppState,
    pending: &Pending,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
) -> Result<HttpResponse, PageError> {
    let scopes = describe_scopes(&pending.request.scope);
    let context = crate::oidc::sign_in_context::for_client(state, &pending.client).await;
    Ok(respond::ok_page(&ConsentPage {
        context,
        csrf: &csrf.0,
        request: &pending.handle,
        service: &pending.client.service.name,
        email: &signed_in.user.email,
        scopes,
    })?)
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    request: String,
    #[serde(default)]
    decision: String,
}

/// `POST /authorize/consent`
pub async fn consent_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ConsentForm>,
    user: MaybeUser,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let pending = load(&state, &form.request).await?;
    let Some(signed_in) = user.0 else {
        return Ok(respond::see_other(&format!(
            "/login?next=/authorize/continue%3Frequest%3D{}",
            pending.handle
        )));
    };
    // An approval cannot skip a sign-in the request still needs (prompt=login, max_age,
    // another user's id_token_hint): only a request at the consent (or issue) step takes it.
    if form.decision == "approve"
        && !matches!(
            next_step(&state, &pending, Some(&signed_in)).await?,
            Ok(Step::Consent | Step::Issue)
        )
    {
        return proceed(&state, pending, Some(signed_in), &csrf).await;
    }
    let (user_id, client, scope) = (signed_in.user.id, &pending.client, &pending.request.scope);
    if form.decision != "approve" {
        consent::deny(&state, user_id, client, scope, &meta).await?;
        let denied = OAuthError::new(OAuthErrorCode::AccessDenied, "the user denied the request");
        return finish_with_error(&state, &pending, &denied).await;
    }
    consent::grant(&state, user_id, client, scope, &meta).await?;
    issue(&state, &pending, &signed_in).await
}

#[derive(Template)]
#[template(path = "pages/form_post.html")]
struct FormPostPage<'a> {
    action: &'a str,
    fields: &'a [(&'static str, String)],
}

/// Sends the browser back to the registered redirect URI: a redirect with query parameters
/// (see `respond::to_client` for private-use schemes), or an auto-submitting form for
/// `response_mode=form_post`.
fn respond_to_client(response: &AuthorizationResponse) -> HttpResponse {
    match response.mode {
        ResponseMode::Query => respond::to_client(StatusCode::FOUND, &response.location()),
        ResponseMode::FormPost => {
            let page = FormPostPage {
                action: &response.redirect_uri,
                fields: &response.params,
            };
            let mut page = respond::html(StatusCode::OK, &page)
                .unwrap_or_else(|e| PageError(e).error_response_html());
            // The form's target must pass this page's own `form-action`: add a private-use
            // scheme (never anything a request could inject: the URI is registered).
            if let Some(policy) =
                crate::web::middleware::csp_allowing_form_target(&response.redirect_uri)
                && let Ok(value) = header::HeaderValue::from_str(&policy)
            {
                page.headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, value);
            }
            page
        }
    }
}
