//! `/admin/services`: the list, the new-service wizard, the service page (edit, secret
//! rotation, delete), its integration panel and the live test bench. Every change is a call
//! into `crate::admin::services` or `crate::admin::test_bench`.
mod bench;
mod delete;
mod detail;
mod integration;
mod list;
mod secret;
mod wizard;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/services", web::get().to(list::page))
        .route("/admin/services/new", web::get().to(wizard::page))
        .route("/admin/services/new", web::post().to(wizard::submit))
        .route("/admin/test-bench/callback", web::get().to(bench::callback))
        .route("/admin/services/{client_id}", web::get().to(detail::page))
        .route(
            "/admin/services/{client_id}",
            web::post().to(detail::submit),
        )
        .route(
            "/admin/services/{client_id}/secret",
            web::post().to(secret::submit),
        )
        .route(
            "/admin/services/{client_id}/delete",
            web::get().to(delete::page),
        )
        .route(
            "/admin/services/{client_id}/delete",
            web::post().to(delete::submit),
        )
        .route(
            "/admin/services/{client_id}/test-bench",
            web::get().to(bench::page),
        )
        .route(
            "/admin/services/{client_id}/test-bench",
            web::post().to(bench::toggle),
        )
        .route(
            "/admin/services/{client_id}/test-bench/start",
            web::get().to(bench::start),
        );
}

/// One URI per line (a textarea), blanks dropped.
fn lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first URI of `uris` the admin layer refuses, as the message for that field.
fn uri_error(uris: &[String]) -> Option<String> {
    uris.iter()
        .find_map(|u| crate::admin::validate_redirect_uri(u).err())
        .map(|e| e.to_string())
}

/// A URL path segment for a client id.
fn path_segment(client_id: &str) -> String {
    url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect()
}
