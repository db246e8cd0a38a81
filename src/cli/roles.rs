//! `gatehouse org set-plan` and `gatehouse org role …`: thin callers of `admin::roles` with
//! the CLI actor.
use clap::{Args, Subcommand};

use crate::admin::{Actor, roles};
use crate::config::Settings;
use crate::domain::RequestMeta;

#[derive(Args)]
pub struct SetPlan {
    #[arg(long)]
    slug: String,
    /// The plan name; empty clears it.
    #[arg(long)]
    plan: String,
    /// A feature of the plan (repeatable); the list replaces the previous one.
    #[arg(long = "feature")]
    features: Vec<String>,
}

#[derive(Subcommand)]
pub enum RoleCommand {
    /// Define a role (or replace its permissions): members holding it get these permissions
    /// in their tokens.
    Define {
        #[arg(long)]
        org: String,
        #[arg(long)]
        role: String,
        #[arg(long = "permission")]
        permissions: Vec<String>,
    },
    List {
        #[arg(long)]
        org: String,
    },
    Delete {
        #[arg(long)]
        org: String,
        #[arg(long)]
        role: String,
    },
}

fn user_error(e: crate::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

pub async fn set_plan(args: SetPlan, settings: Settings, json: bool) -> anyhow::Result<()> {
    let state = crate::startup::prepare(settings).await?;
    let plan = roles::set_plan(
        &state,
        &Actor::Cli,
        &RequestMeta::default(),
        &args.slug,
        Some(&args.plan),
        &args.features,
    )
    .await
    .map_err(user_error)?;
    super::print(json, &plan, || {
        format!(
            "{}: plan {}, features [{}]",
            plan.org,
            plan.plan.as_deref().unwrap_or("(none)"),
            plan.features.join(", ")
        )
    });
    Ok(())
}

pub async fn role(cmd: RoleCommand, settings: Settings, json: bool) -> anyhow::Result<()> {
    let state = crate::startup::prepare(settings).await?;
    let meta = RequestMeta::default();
    match cmd {
        RoleCommand::Define {
            org,
            role,
            permissions,
        } => {
            let def = roles::define_role(&state, &Actor::Cli, &meta, &org, &role, &permissions)
                .await
                .map_err(user_error)?;
            super::print(json, &def, || {
                format!("{org}: role {} [{}]", def.role, def.permissions.join(", "))
            });
        }
        RoleCommand::List { org } => {
            let list = roles::list_roles(&state, &Actor::Cli, &org)
                .await
                .map_err(user_error)?;
            super::print(json, &list, || {
                list.iter()
                    .map(|r| format!("{}\t{}", r.role, r.permissions.join(" ")))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        RoleCommand::Delete { org, role } => {
            roles::delete_role(&state, &Actor::Cli, &meta, &org, &role)
                .await
                .map_err(user_error)?;
            super::print(
                json,
                &serde_json::json!({"org": org, "role": role, "deleted": true}),
                || format!("{org}: role {role} deleted"),
            );
        }
    }
    Ok(())
}
