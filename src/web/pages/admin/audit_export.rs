//! `GET /admin/audit/export.csv` and `export.jsonl`: the events matching the audit page's
//! filters, newest first, streamed page by page through the admin layer and capped at
//! [`MAX_ROWS`]. CSV cells that a spreadsheet would run as a formula are defused.
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use futures_util::stream;

use super::ConsoleAdmin;
use super::audit::{AuditParams, field_of};
use crate::admin::Actor;
use crate::admin::audit_log::{self, AuditEventView, MAX_PAGE};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::errors::PageError;

/// The most events one export holds.
pub const MAX_ROWS: usize = 50_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    JsonLines,
}

const CSV_HEADER: [&str; 10] = [
    "occurred_at",
    "action",
    "outcome",
    "actor",
    "target",
    "org_id",
    "ip",
    "user_agent",
    "details",
    "id",
];

pub async fn csv(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, PageError> {
    export(state, admin, params.into_inner(), Format::Csv).await
}

pub async fn jsonl(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, PageError> {
    export(state, admin, params.into_inner(), Format::JsonLines).await
}

/// Where the stream is: the next page's cursor, rows written so far, and whether it ended.
struct Progress {
    state: web::Data<AppState>,
    actor: Actor,
    params: AuditParams,
    org: String,
    cursor: Option<String>,
    written: usize,
    finished: bool,
    first: bool,
}

async fn export(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    params: AuditParams,
    format: Format,
) -> Result<HttpResponse, PageError> {
    // The filters are checked (and the reader's right) before the answer starts, so a bad
    // filter is a page with a message rather than a broken download.
    let query = params
        .query(&params.effective_org(&admin), 1, None)
        .map_err(|e| AppError::invalid(e.message))?;
    if let Err(e) = audit_log::list(&state, &admin.actor(), query).await {
        return Err(match e {
            AppError::Invalid { message, .. } if !field_of(&message).is_empty() => {
                AppError::invalid(message).into()
            }
            e => e.into(),
        });
    }
    let progress = Progress {
        state,
        actor: admin.actor(),
        org: params.effective_org(&admin),
        params,
        cursor: None,
        written: 0,
        finished: false,
        first: true,
    };
    let body = stream::unfold(progress, move |mut p| async move {
        if p.finished {
            return None;
        }
        let chunk = next_chunk(&mut p, format).await;
        if chunk.is_err() {
            p.finished = true;
        }
        Some((chunk, p))
    });
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::JsonLines => ("application/jsonl; charset=utf-8", "jsonl"),
    };
    let filename = format!(
        "gatehouse-audit-{}.{extension}",
        crate::store::now().format("%Y%m%dT%H%M%SZ")
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(body))
}

/// One admin-layer page of events, encoded.
async fn next_chunk(p: &mut Progress, format: Format) -> Result<Bytes, AppError> {
    let mut out = Vec::new();
    if p.first && format == Format::Csv {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer
            .write_record(CSV_HEADER)
            .map_err(anyhow::Error::new)?;
        writer.flush().map_err(anyhow::Error::new)?;
    }
    p.first = false;
    let limit = (MAX_ROWS - p.written).min(MAX_PAGE as usize) as u64;
    let query = p
        .params
        .query(&p.org, limit, p.cursor.take())
        .map_err(|e| AppError::invalid(e.message))?;
    let page = audit_log::list(&p.state, &p.actor, query).await?;
    p.written += page.events.len();
    p.cursor = page.next_cursor;
    p.finished = p.cursor.is_none() || p.written >= MAX_ROWS;
    match format {
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(&mut out);
            for event in &page.events {
                writer
                    .write_record(csv_record(event))
                    .map_err(anyhow::Error::new)?;
            }
            writer.flush().map_err(anyhow::Error::new)?;
        }
        Format::JsonLines => {
            for event in &page.events {
                serde_json::to_writer(&mut out, event).map_err(anyhow::Error::new)?;
                out.push(b'\n');
            }
        }
    }
    Ok(Bytes::from(out))
}

fn csv_record(e: &AuditEventView) -> [String; 10] {
    [
        e.occurred_at.to_rfc3339(),
        e.action.clone(),
        e.outcome.clone(),
        e.actor.clone().unwrap_or_default(),
        e.target.clone().unwrap_or_default(),
        e.org_id.map(|id| id.to_string()).unwrap_or_default(),
        e.ip.clone().unwrap_or_default(),
        e.user_agent.clone().unwrap_or_default(),
        e.details
            .as_ref()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        e.id.to_string(),
    ]
    .map(|cell| defuse_formula(&cell))
}

/// A cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, or a tab or carriage return
/// before one) gets a leading `'`, so it is shown as text (OWASP "CSV injection").
fn defuse_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::defuse_formula;

    #[test]
    fn cells_that_start_a_formula_are_defused() {
        for cell in ["=1+1", "+1", "-2", "@SUM(A1)", "\t=x", "\r=x"] {
            assert_eq!(defuse_formula(cell), format!("'{cell}"));
        }
        for cell in ["user.login", "2026-12-03T00:00:00+00:00", "{\"a\":1}", ""] {
            assert_eq!(defuse_formula(cell), cell);
        }
    }
}
