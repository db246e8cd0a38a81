//! Branding assets: an organization's uploaded logo, its accent stylesheet, the favicon.
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use crate::branding::Accent;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::org_branding;
use crate::web::errors::PageError;

/// A logo is data, never a document: an SVG opened on its own runs no script and loads
/// nothing (the `<img>` on the pages would not run it either).
const LOGO_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// Versioned URLs (`?v=`) change with the content, so they may be cached for a day.
const CACHE: &str = "public, max-age=86400";

/// `GET /branding/{org_id}/logo`
pub async fn logo(
    state: web::Data<AppState>,
    org_id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let logo = org_branding::logo(&state.db, *org_id)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound("Not found"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, CACHE))
        .insert_header((header::CONTENT_SECURITY_POLICY, LOGO_CSP))
        .insert_header((header::CONTENT_DISPOSITION, "inline; filename=\"logo\""))
        .insert_header((header::ETAG, format!("\"{}\"", &logo.sha256[..32])))
        .content_type(logo.content_type)
        .body(logo.bytes))
}

/// `GET /branding/{org_id}/theme.css`: the accent colours, light and dark.
pub async fn org_theme(
    state: web::Data<AppState>,
    org_id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let accent = org_branding::find(&state.db, *org_id)
        .await
        .map_err(AppError::from)?
        .and_then(|row| row.accent)
        .and_then(|a| Accent::parse(&a).ok())
        .ok_or(AppError::NotFound("Not found"))?;
    Ok(stylesheet(&accent))
}

/// `GET /branding/platform/theme.css`: the configured default accent.
pub async fn platform_theme(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let accent = state
        .settings
        .branding
        .accent
        .as_deref()
        .and_then(|a| Accent::parse(a).ok())
        .ok_or(AppError::NotFound("Not found"))?;
    Ok(stylesheet(&accent))
}

fn stylesheet(accent: &Accent) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, CACHE))
        .content_type("text/css; charset=utf-8")
        .body(accent.stylesheet())
}

const FAVICON: &str = include_str!("../../static/favicon.svg");

/// `GET /favicon.svg` and `/favicon.ico` (browsers ask for the latter on their own).
pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::CONTENT_SECURITY_POLICY, LOGO_CSP))
        .content_type("image/svg+xml")
        .body(FAVICON)
}
