//! `gatehouse org risk …`: an organization's risk policy (docs/security.md).
use clap::Subcommand;

use crate::admin::{self, Actor};
use crate::config::Settings;
use crate::domain::RequestMeta;

#[derive(Subcommand)]
pub enum OrgRiskCommand {
    /// Require a second step (TOTP, else an emailed code) for every sign-in of a member from a
    /// device they have not signed in with before; --off goes back to the risk score alone.
    StepUpUntrusted {
        #[arg(long)]
        org: String,
        #[arg(long)]
        off: bool,
    },
    /// Show the organization's risk policy.
    Show {
        #[arg(long)]
        org: String,
    },
}

pub async fn org_risk(cmd: OrgRiskCommand, settings: Settings, json: bool) -> anyhow::Result<()> {
    let state = crate::startup::prepare(settings).await?;
    let policy = match cmd {
        OrgRiskCommand::StepUpUntrusted { org, off } => {
            admin::risk::set_step_up_untrusted(
                &state,
                &Actor::Cli,
                &org,
                !off,
                &RequestMeta::default(),
            )
            .await
        }
        OrgRiskCommand::Show { org } => admin::risk::policy(&state, &Actor::Cli, &org).await,
    }
    .map_err(super::user_error)?;
    super::print(json, &policy, || {
        format!(
            "{}: second step on untrusted devices {}",
            policy.org,
            if policy.step_up_untrusted_devices {
                "always"
            } else {
                "by risk score"
            }
        )
    });
    Ok(())
}
