//! `gatehouse provider …` and `gatehouse org provider …`: upstream identity providers.
use clap::{Args, Subcommand};

use crate::auth::federation::manage::{self, GenericSpec, OrgSpec};
use crate::config::Settings;

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

fn callback_note(settings: &Settings, provider: &str) -> String {
    format!(
        "register this callback URL at the provider: {}/auth/{provider}/callback",
        settings.public_url()
    )
}

pub async fn provider(cmd: ProviderCommand, settings: Settings, json: bool) -> anyhow::Result<()> {
    let state = crate::startup::prepare(settings).await?;
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
            manage::add_generic(
                &state.db,
                &state.master,
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
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let callback = format!("{}/auth/{slug}/callback", state.settings.public_url());
            super::print(
                json,
                &serde_json::json!({"slug": slug, "callback_url": callback}),
                || {
                    format!(
                        "added provider {slug}\n{}",
                        callback_note(&state.settings, &slug)
                    )
                },
            );
        }
        ProviderCommand::List => {
            let list = crate::store::oidc_providers::list(&state.db).await?;
            let rows: Vec<_> = list
                .iter()
                .map(|p| serde_json::json!({"slug": p.slug, "name": p.name, "issuer": p.issuer, "client_id": p.client_id}))
                .collect();
            super::print(json, &rows, || {
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
    match cmd {
        OrgProviderCommand::Set(args) => {
            let secret = read_secret(args.client_secret_stdin)?;
            manage::set_org(
                &state.db,
                &state.master,
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
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            super::print(
                json,
                &serde_json::json!({"org": args.org, "provider": args.provider, "enabled": !args.disabled}),
                || {
                    format!(
                        "{}: {} {}\n{}",
                        args.org,
                        args.provider,
                        if args.disabled { "disabled" } else { "set" },
                        callback_note(&state.settings, &args.provider)
                    )
                },
            );
        }
        OrgProviderCommand::List { org } => {
            let list = manage::list_org(&state.db, &org)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            // Never the secret, sealed or not.
            let rows: Vec<_> = list
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "provider": p.provider, "enabled": p.enabled, "client_id": p.client_id,
                        "has_secret": p.client_secret_sealed.is_some(), "base_url": p.base_url,
                        "api_base_url": p.api_base_url, "issuer": p.issuer, "tenant": p.tenant,
                        "auto_link": p.auto_link,
                    })
                })
                .collect();
            super::print(json, &rows, || {
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
            let removed = manage::remove_org(&state.db, &org, &provider)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
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
    let email = crate::domain::Email::parse(email).map_err(|e| anyhow::anyhow!(e))?;
    let user = crate::store::users::find_by_email(&state.db, email.normalized())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user {}", email.as_str()))?;
    let txn = crate::store::begin(&state.db).await?;
    crate::store::users::set_platform_owner(&txn, user.id, owner).await?;
    crate::audit::record(
        &txn,
        crate::audit::AuditEvent::new(
            if owner {
                "user.platform_owner_granted"
            } else {
                "user.platform_owner_revoked"
            },
            crate::audit::Outcome::Success,
            &crate::domain::RequestMeta::default(),
        )
        .user(user.id),
    )
    .await?;
    txn.commit().await?;
    super::print(
        json,
        &serde_json::json!({"user_id": user.id, "is_platform_owner": owner}),
        || {
            format!(
                "{}: {}",
                user.email,
                if owner {
                    "is now a platform owner"
                } else {
                    "is no longer a platform owner"
                }
            )
        },
    );
    Ok(())
}
