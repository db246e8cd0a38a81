//! `GET /admin/services`: the services this admin may see, grouped by organization.
use actix_web::{HttpResponse, web};
use askama::Template;

use super::super::{ConsoleAdmin, Nav, Section, done_message};
use crate::admin::services::{self, ServiceView};
use crate::state::AppState;
use crate::web::errors::PageError;
use crate::web::respond;

#[derive(Template)]
#[template(path = "admin/service_list.html")]
struct ListPage {
    nav: Nav,
    groups: Vec<OrgGroup>,
    done: Option<&'static str>,
}

struct OrgGroup {
    slug: String,
    name: String,
    services: Vec<Row>,
}

struct Row {
    name: String,
    client_id: String,
    href: String,
    kind: &'static str,
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    done: Option<String>,
}

pub async fn page(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let actor = admin.actor();
    let all: Vec<ServiceView> = if admin.is_owner() {
        services::list(&state, &actor, None).await?
    } else {
        let mut all = Vec::new();
        for org in &admin.orgs {
            all.extend(services::list(&state, &actor, Some(&org.slug)).await?);
        }
        all
    };
    let groups = admin
        .orgs
        .iter()
        .map(|org| OrgGroup {
            slug: org.slug.clone(),
            name: org.name.clone(),
            services: all
                .iter()
                .filter(|s| s.org_id == org.id)
                .map(|s| Row {
                    name: s.name.clone(),
                    href: format!("/admin/services/{}", super::path_segment(&s.client_id)),
                    client_id: s.client_id.clone(),
                    kind: kind_label(s),
                })
                .collect(),
        })
        .collect();
    let page = ListPage {
        nav: admin.nav(Section::Services),
        groups,
        done: done_message(
            query.done.as_deref(),
            &[("deleted", "The service was deleted.")],
        ),
    };
    Ok(respond::ok_page(&page)?)
}

/// A short description of how the service signs in.
pub(super) fn kind_label(s: &ServiceView) -> &'static str {
    let has = |g: &str| s.grant_types.iter().any(|x| x == g);
    if has("client_credentials") && !has("authorization_code") {
        "Machine to machine"
    } else if has(crate::oidc::grants::GrantType::DeviceCode.as_str()) && !has("authorization_code")
    {
        "Device"
    } else if s.kind == "public" {
        "Public (SPA or native)"
    } else {
        "Web app (confidential)"
    }
}
