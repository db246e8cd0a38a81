//! `POST /admin/services/{client_id}/secret`: a new client secret, shown once on the service
//! page; the old one keeps working for the chosen overlap. Needs a recent sign-in.
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::super::StepUpAdmin;
use super::detail::{self, Shown};
use crate::admin::services::RotateSecret;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfToken};
use crate::web::errors::PageError;
use crate::web::extract::Meta;

#[derive(Deserialize)]
pub struct RotateForm {
    /// Seconds the old secret keeps working (the form offers a few choices).
    #[serde(default)]
    overlap_secs: String,
}

pub async fn submit(
    state: web::Data<AppState>,
    StepUpAdmin(admin): StepUpAdmin,
    csrf: CsrfToken,
    Meta(meta): Meta,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<RotateForm>,
) -> Result<HttpResponse, PageError> {
    let mut shown = Shown::default();
    match form.overlap_secs.trim().parse::<i64>() {
        Ok(overlap_secs) => {
            let input = RotateSecret { overlap_secs };
            match crate::admin::services::rotate_secret(&state, &admin.actor(), &meta, &path, input)
                .await
            {
                Ok(rotated) => {
                    shown.secret = Some(rotated.client_secret);
                    shown.previous_until = rotated
                        .previous_secret_expires_at
                        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());
                    shown.done = Some("A new client secret was made.");
                }
                Err(AppError::Invalid { message, .. }) => shown.error = Some(message.into_owned()),
                Err(e) => return Err(e.into()),
            }
        }
        Err(_) => shown.error = Some("Choose how long the old secret keeps working.".to_owned()),
    }
    detail::render(&state, &admin, &csrf.0, &path, shown).await
}
