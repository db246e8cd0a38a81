use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use crate::error::{AppError, ErrorCode};
use crate::oidc::sign_in_context::{self, SignInContext};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::{MaybeUser, Meta};
use crate::web::respond;

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    email: &'a str,
    next: &'a str,
    error: Option<String>,
    unverified: bool,
    /// Offer "Sign in with a passkey" (needs a host-name issuer and JavaScript).
    passkeys: bool,
    /// "Continue with …" links (federation), plain links that work without JavaScript.
    providers: Vec<crate::web::pages::providers::ProviderLink>,
    /// The service this sign-in continues to, and why a fresh sign-in is asked for.
    context: SignInContext,
    /// The address filled in for the person (`login_hint` or the signed-in account): the page
    /// offers "Not you?".
    prefilled: Option<String>,
    /// The same page without the pre-filled address.
    switch_href: String,
}

/// `/login?next=…` (`&again=1`) with nothing pre-filled: the "Not you?" switch.
fn switch_href(next: &str, again: bool) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("next", next);
    if again {
        query.append_pair("again", "1");
    }
    query.append_pair("switch", "1");
    format!("/login?{}", query.finish())
}

/// The sign-in page again, with an error (used by the passkey sign-in too).
pub fn login_error_page(
    state: &AppState,
    csrf: &str,
    next: &str,
    context: SignInContext,
    status: StatusCode,
    error: String,
) -> Result<HttpResponse, AppError> {
    respond::html(
        status,
        &LoginPage {
            csrf,
            email: "",
            next,
            error: Some(crate::i18n::refusal(&error)),
            unverified: false,
            passkeys: state.webauthn.is_some(),
            providers: Vec::new(),
            switch_href: switch_href(next, context.reauth.is_some()),
            context,
            prefilled: None,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    login_hint: Option<String>,
    /// Set when a relying app requires a fresh sign-in (`prompt=login`, `max_age`).
    again: Option<String>,
    /// "Not you?": show the form without a pre-filled address.
    switch: Option<String>,
}

pub async fn login_page(
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
    csrf: CsrfToken,
    user: MaybeUser,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let next = respond::safe_next(query.next.as_deref());
    if user.0.is_some() && query.again.is_none() {
        return Ok(respond::see_other(next));
    }
    let again = query.again.is_some();
    let prefilled = match (&query.switch, &user.0, &query.login_hint) {
        (Some(_), _, _) => None,
        // A fresh sign-in of the signed-in account, unless the service named another one.
        (None, Some(signed_in), hint) => hint.clone().or(Some(signed_in.user.email.clone())),
        (None, None, hint) => hint.clone(),
    }
    .filter(|email| !email.trim().is_empty());
    let context = sign_in_context::for_next(&state, next, again, &meta).await;
    let email = prefilled.clone().unwrap_or_default();
    Ok(respond::ok_page(&LoginPage {
        csrf: &csrf.0,
        email: &email,
        next,
        error: None,
        unverified: false,
        passkeys: state.webauthn.is_some(),
        providers: crate::web::pages::providers::links_for(&state, next, &meta).await,
        switch_href: switch_href(next, again),
        context,
        prefilled,
    })?)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
    /// Carried from the page: a fresh sign-in was asked for.
    again: Option<String>,
}

pub async fn login_submit(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
    csrf: CsrfToken,
    Meta(meta): Meta,
) -> Result<HttpResponse, PageError> {
    let next = respond::safe_next(form.next.as_deref());
    let password = SecretString::from(form.password);
    let providers = crate::web::pages::providers::links_for(&state, next, &meta).await;
    let again = form.again.is_some();
    let context = sign_in_context::for_next(&state, next, again, &meta).await;
    let rerender = |status, error: String, unverified| {
        respond::html(
            status,
            &LoginPage {
                csrf: &csrf.0,
                email: form.email.trim(),
                next,
                error: Some(crate::i18n::refusal(&error)),
                unverified,
                passkeys: state.webauthn.is_some(),
                providers,
                context,
                prefilled: None,
                switch_href: switch_href(next, again),
            },
        )
    };
    match crate::auth::login::authenticate_password(&state, &form.email, password, &meta).await {
        Ok(user) => Ok(crate::web::pages::mfa::continue_after_first_factor(
            &state,
            &user,
            vec!["pwd".to_owned()],
            next,
            &meta,
        )
        .await?),
        Err(AppError::Forbidden {
            code: ErrorCode::EmailNotVerified,
            message,
        }) => Ok(rerender(StatusCode::FORBIDDEN, message.into_owned(), true)?),
        Err(e @ (AppError::Unauthorized { .. } | AppError::Forbidden { .. })) => {
            let status = if matches!(e, AppError::Forbidden { .. }) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNAUTHORIZED
            };
            Ok(rerender(status, e.to_string(), false)?)
        }
        Err(e) => Err(e.into()),
    }
}
