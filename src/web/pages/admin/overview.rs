//! `GET /admin`: the overview (numbers from `admin::overview`, the chart from `chart`).
use actix_web::{HttpResponse, web};
use askama::Template;

use super::chart::Chart;
use super::{ConsoleAdmin, Nav, Section};
use crate::admin::overview::Overview;
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::respond;

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    nav: Nav,
    overview: Overview,
    chart: Chart,
}

impl OverviewPage {
    fn date(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

pub async fn page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
) -> Result<HttpResponse, PageError> {
    let overview = crate::admin::overview::overview(&state, &admin.actor()).await?;
    let chart = Chart::new(overview.start, &overview.hours);
    let page = OverviewPage {
        nav: admin.nav(Section::Overview),
        overview,
        chart,
    };
    Ok(respond::ok_page(&page)?)
}
