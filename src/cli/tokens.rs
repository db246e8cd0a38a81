//! `gatehouse token …`: service tokens, through the admin layer as the CLI actor (the same
//! checks and audit events as `/api/admin/tokens`).
use clap::Subcommand;

use crate::admin::Actor;
use crate::admin::service_tokens::{
    self, IssuedToken, NewToken, RevokeToken, RotateToken, TokenView,
};
use crate::config::Settings;
use crate::domain::RequestMeta;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a service token; prints its secret once.
    Create {
        /// The public id (letters, digits, '-'); generated when absent.
        #[arg(long)]
        id: Option<String>,
        /// The organization (slug) the token belongs to; platform-wide when absent.
        #[arg(long)]
        org: Option<String>,
        /// An admin scope, e.g. admin:tokens:read (repeatable).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// A workspace id the token may act on (repeatable).
        #[arg(long = "workspace")]
        workspaces: Vec<String>,
        /// Lifetime in seconds (at most 5 years); no expiry when absent.
        #[arg(long, allow_hyphen_values = true)]
        expires_in: Option<i64>,
    },
    /// Every token (or one organization's), with status and last use.
    List {
        #[arg(long)]
        org: Option<String>,
    },
    Show {
        id: String,
    },
    /// A new secret; the old one keeps working for --overlap seconds (default 300).
    Rotate {
        id: String,
        #[arg(long, allow_hyphen_values = true)]
        overlap: Option<i64>,
        /// A new lifetime in seconds from now; the current expiry is kept when absent.
        #[arg(long, allow_hyphen_values = true)]
        expires_in: Option<i64>,
    },
    /// Revoke a token now.
    Revoke {
        id: String,
        #[arg(long)]
        reason: String,
    },
}

pub async fn run(cmd: TokenCommand, settings: Settings, json: bool) -> anyhow::Result<()> {
    let state = crate::startup::prepare(settings).await?;
    let actor = Actor::Cli;
    let meta = RequestMeta::default();
    match cmd {
        TokenCommand::Create {
            id,
            org,
            scopes,
            workspaces,
            expires_in,
        } => {
            let input = NewToken {
                id,
                org,
                scopes,
                workspaces,
                expires_in,
            };
            let issued = service_tokens::create(&state, &actor, input, &meta)
                .await
                .map_err(cli_error)?;
            super::print(json, &issued, || {
                issued_text("Service token created.", &issued)
            });
        }
        TokenCommand::List { org } => {
            let list = service_tokens::list(&state, &actor, org.as_deref())
                .await
                .map_err(cli_error)?;
            super::print(json, &list, || {
                let mut out = String::from("ID\tSTATUS\tSCOPES\tWORKSPACES\tEXPIRES\tLAST USED");
                for t in &list {
                    out.push_str(&format!(
                        "\n{}\t{}\t{}\t{}\t{}\t{}",
                        t.id,
                        status_text(t),
                        t.scopes.join(","),
                        t.workspaces.join(","),
                        time_or(t.expires_at, "never"),
                        last_use(t),
                    ));
                }
                out
            });
        }
        TokenCommand::Show { id } => {
            let token = service_tokens::show(&state, &actor, &id)
                .await
                .map_err(cli_error)?;
            super::print(json, &token, || view_text(&token));
        }
        TokenCommand::Rotate {
            id,
            overlap,
            expires_in,
        } => {
            let input = RotateToken {
                overlap,
                expires_in,
            };
            let issued = service_tokens::rotate(&state, &actor, &id, input, &meta)
                .await
                .map_err(cli_error)?;
            super::print(json, &issued, || {
                let mut out = issued_text("Service token rotated.", &issued);
                out.push_str(&format!(
                    "\nThe previous secret works until: {}",
                    time_or(issued.token.previous_valid_until, "no longer")
                ));
                out
            });
        }
        TokenCommand::Revoke { id, reason } => {
            let token = service_tokens::revoke(&state, &actor, &id, RevokeToken { reason }, &meta)
                .await
                .map_err(cli_error)?;
            super::print(json, &token, || format!("{}: revoked", token.id));
        }
    }
    Ok(())
}

/// The operator on the server may see an unexpected error's cause.
fn cli_error(e: crate::error::AppError) -> anyhow::Error {
    match e {
        crate::error::AppError::Unexpected(cause) => cause,
        other => anyhow::anyhow!("{other}"),
    }
}

fn time_or(t: Option<chrono::DateTime<chrono::Utc>>, none: &str) -> String {
    t.map_or_else(
        || none.to_owned(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

fn status_text(t: &TokenView) -> &'static str {
    match t.status {
        service_tokens::TokenStatus::Active => "active",
        service_tokens::TokenStatus::Expired => "expired",
        service_tokens::TokenStatus::Revoked => "revoked",
    }
}

fn last_use(t: &TokenView) -> String {
    match (&t.last_used_at, &t.last_used_ip) {
        (Some(at), Some(ip)) => format!("{} from {ip}", time_or(Some(*at), "")),
        (Some(at), None) => time_or(Some(*at), ""),
        (None, _) => "never".to_owned(),
    }
}

fn issued_text(headline: &str, issued: &IssuedToken) -> String {
    let t = &issued.token;
    format!(
        "{headline}\n\nID: {}\nSecret: {}\n\n⚠ Store this secret securely. It will not be shown again.\n\nScopes: {}\nWorkspaces: {}\nExpires: {}",
        t.id,
        issued.secret,
        t.scopes.join(", "),
        t.workspaces.join(", "),
        time_or(t.expires_at, "never"),
    )
}

fn view_text(t: &TokenView) -> String {
    let mut out = format!(
        "ID: {}\nStatus: {}\nOrganization: {}\nScopes: {}\nWorkspaces: {}\nCreated: {} by {}\nExpires: {}\nLast used: {}",
        t.id,
        status_text(t),
        t.org_id
            .map_or_else(|| "(platform-wide)".to_owned(), |o| o.to_string()),
        t.scopes.join(", "),
        t.workspaces.join(", "),
        time_or(Some(t.created_at), ""),
        t.created_by,
        time_or(t.expires_at, "never"),
        last_use(t),
    );
    if let Some(until) = t.previous_valid_until {
        out.push_str(&format!(
            "\nPrevious secret valid until: {}",
            time_or(Some(until), "")
        ));
    }
    if let Some(at) = t.revoked_at {
        out.push_str(&format!(
            "\nRevoked: {} ({})",
            time_or(Some(at), ""),
            t.revoked_reason.as_deref().unwrap_or("")
        ));
    }
    out
}
