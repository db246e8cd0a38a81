//! `GET /admin`: the overview.
use actix_web::HttpResponse;
use askama::Template;

use super::{ConsoleAdmin, Nav, Section};
use crate::web::errors::PageError;
use crate::web::respond;

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    nav: Nav,
}

pub async fn page(admin: ConsoleAdmin) -> Result<HttpResponse, PageError> {
    let page = OverviewPage {
        nav: admin.nav(Section::Overview),
    };
    Ok(respond::ok_page(&page)?)
}
