//! An organization's settings in the console: its own mail server (`smtp`), its own sign-in
//! provider credentials (`providers`) and its branding (`branding`). Every page is for the
//! organization's admins and platform owners; the rules live in the admin layer.
mod branding;
mod providers;
mod smtp;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/orgs/{slug}/smtp", web::get().to(smtp::page))
        .route("/admin/orgs/{slug}/smtp", web::post().to(smtp::save))
        .route("/admin/orgs/{slug}/smtp/test", web::post().to(smtp::test))
        .route(
            "/admin/orgs/{slug}/smtp/remove",
            web::post().to(smtp::remove),
        )
        .route(
            "/admin/orgs/{slug}/providers",
            web::get().to(providers::page),
        )
        .route(
            "/admin/orgs/{slug}/providers",
            web::post().to(providers::save),
        )
        .route(
            "/admin/orgs/{slug}/providers/remove",
            web::post().to(providers::remove),
        )
        .route("/admin/orgs/{slug}/branding", web::get().to(branding::page))
        .route(
            "/admin/orgs/{slug}/branding",
            web::post().to(branding::save),
        );
}

/// A form error shown next to its field (`field` is the input's name).
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// `?done=` of a settings page.
#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The form's error, if any: at most one field is marked at a time.
#[derive(Default)]
pub struct FormErrors(pub Option<FieldError>);

impl FormErrors {
    pub fn on(field: &'static str, message: impl Into<String>) -> Self {
        Self(Some(FieldError {
            field,
            message: message.into(),
        }))
    }

    /// The message for `field`, when it is the erroneous one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn any(&self) -> bool {
        self.0.is_some()
    }
}
