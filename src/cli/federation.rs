//! `gatehouse provider …`, `gatehouse org provider …` and `gatehouse user grant-owner|revoke-owner`:
//! thin callers of `admin::providers` and `admin::owners` with the CLI actor.
use clap::{Args, Subcommand};

use crate::admin::providers::{self, GenericSpec, OrgSpec};
use crate::admin::{Actor, owners};
use crate::config::Settings;
use crate::domain::RequestMeta;

#[derive(Subcommand)]
pub enum ProviderCommand {
    /// Add a generic OpenID Connect provider; reads the client secret from standard input.
    Add {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        client_id: String,
        /// Read the client secret from the first line of standard input.
        #[arg(long)]
        client_secret_stdin: bool,
        /// An extra scope to ask for (repeatable); `openid email profile` always are.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    List,
}

#[derive(Subcommand)]
pub enum OrgProviderCommand {
    /// Set the organization's own credentials for a provider (BYOO); they win over the
    /// platform's. Reads the client secret from standard input.
    Set(OrgProviderSet),
    List {
        #[arg(long)]
        org: String,
    },
    /// Go back to the platform's credentials for this provider.
    Remove {
        #[arg(long)]
        org: String,
        #[arg(long)]
        provider: String,
    },
}

#[derive(Args)]
pub struct OrgProviderSet {
    #[arg(long)]
    org: String,
    /// github, google, microsoft or a generic provider's slug.
    #[arg(long)]
    provider: String,
    #[arg(long)]
    client_id: Option<String>,
    #[arg(long)]
    client_secret_stdin: bool,
    /// GitHub (Enterprise): where /login/oauth/* lives.
    #[arg(long)]
    base_url: Option<String>,
    /// GitHub (Enterprise): the REST API, e.g. https://ghe.example.com/api/v3.
    #[arg(long)]
    api_base_url: Option<String>,
    /// Google or a generic provider: the issuer.
    #[arg(long)]
    issuer: Option<String>,
    /// Microsoft: common, organizations, consumers or a tenant GUID.
    #[arg(long)]
    tenant: Option<String>,
    /// Do not offer this provider to the organization at all.
    #[arg(long)]
    disabled: bool,
    /// Link a new upstream identity to the one account with the same email when both sides
    /// verified it (off by default: the owner signs in and confirms instead).
    #[arg(long)]
    auto_link: bool,
}

fn read_secret(stdin: bool) -> anyhow::Result<Option<String>> {
    if stdin {
        Ok(Some(crate::admin::read_password_stdin()?))
    } else {
        Ok(None)
    }
}

fn user_error(e: crate::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn callback_note(url: &str) -> String {
    format!("register this callback URL at the provider: {url}")
}

pub async fn provider(cmd: ProviderCommand, settings: Settings, json: bool) -> anyhow::Result<()> {
    let state = crate::startup::prepare(settings).await?;
    let meta = RequestMeta::default();
    match cmd {
        ProviderCommand::Add {
            slug,
            name,
            issuer,
            client_id,
            client_secret_stdin,
            scopes,
        } => {
            let secret = read_secret(client_secret_stdin)?
                .ok_or_else(|| anyhow::anyhow!("--client-secret-stdin is required"))?;
            let added = providers::add_generic(
                &state,
                &Actor::Cli,
                &meta,
                GenericSpec {
                    slug: &slug,
                    name: &name,
                    issuer: &issuer,
                    client_id: &client_id,
                    client_secret: &secret,
                    scopes: &scopes,
                },
            )
            .await
            .map_err(user_error)?;
            super::print(json, &added, || {
                format!(
                    "added provider {}\n{}",
                    added.slug,
                    callback_note(&added.callback_url)
                )
            });
        }
        ProviderCommand::List => {
            let list = providers::list_generic(&state, &Actor::Cli)
                .await
                .map_err(user_error)?;
            super::print(json, &list, || {
                list.iter()
                    .map(|p| format!("{}\t{}\t{}", p.slug, p.issuer, p.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

pub async fn org_provider(
    cmd: OrgProviderCommand,
    settings: Settings,
    json: bool,
) -> anyhow::Result<()> {
    let state = crate::startup::prepare(settings).await?;
    let meta = RequestMeta::default();
    match cmd {
        OrgProviderCommand::Set(args) => {
            let secret = read_secret(args.client_secret_stdin)?;
            let set = providers::set_org(
                &state,
                &Actor::Cli,
                &meta,
                OrgSpec {
                    org: &args.org,
                    provider: &args.provider,
                    client_id: args.client_id.as_deref(),
                    client_secret: secret.as_deref(),
                    base_url: args.base_url.as_deref(),
                    api_base_url: args.api_base_url.as_deref(),
                    issuer: args.issuer.as_deref(),
                    tenant: args.tenant.as_deref(),
                    disabled: args.disabled,
                    auto_link: args.auto_link,
                },
            )
            .await
            .map_err(user_error)?;
            super::print(json, &set, || {
                format!(
                    "{}: {} {}\n{}",
                    args.org,
                    set.provider,
                    if set.enabled { "set" } else { "disabled" },
                    callback_note(&set.callback_url)
                )
            });
        }
        OrgProviderCommand::List { org } => {
            let list = providers::list_org(&state, &Actor::Cli, &org)
                .await
                .map_err(user_error)?;
            super::print(json, &list, || {
                list.iter()
                    .map(|p| {
                        format!(
                            "{}\t{}\t{}",
                            p.provider,
                            if p.enabled { "enabled" } else { "disabled" },
                            p.client_id.as_deref().unwrap_or("(platform credentials)")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        OrgProviderCommand::Remove { org, provider } => {
            let removed = providers::remove_org(&state, &Actor::Cli, &meta, &org, &provider)
                .await
                .map_err(user_error)?;
            super::print(
                json,
                &serde_json::json!({"org": org, "provider": provider, "removed": removed}),
                || {
                    if removed {
                        format!("{org}: {provider} uses the platform's credentials again")
                    } else {
                        format!("{org}: {provider} had no settings of its own")
                    }
                },
            );
        }
    }
    Ok(())
}

/// `gatehouse user grant-owner|revoke-owner --email E`: platform owners may use admin sign-in
/// (`/auth/admin/{provider}`) through an identity linked to their account.
pub async fn platform_owner(
    email: &str,
    owner: bool,
    settings: Settings,
    json: bool,
) -> anyhow::Result<()> {
    let state = crate::startup::prepare(settings).await?;
    let done =
        owners::set_platform_owner(&state, &Actor::Cli, &RequestMeta::default(), email, owner)
            .await
            .map_err(user_error)?;
    super::print(json, &done, || {
        format!(
            "{}: {}",
            done.email,
            if owner {
                "is now a platform owner"
            } else {
                "is no longer a platform owner"
            }
        )
    });
    Ok(())
}
