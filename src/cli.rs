//! `gatehouse <command>`: the server and admin commands working on the configured database.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::admin::{self, ServiceSpec};
use crate::auth::password::PasswordHasher;
use crate::config::Settings;
use crate::startup::{Application, open_database};
use crate::store::{organizations, services, users};

mod federation;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "An OpenID Connect identity provider with a hosted UI"
)]
pub struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "GATEHOUSE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server (migrations run first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Services (OIDC clients).
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Generic OpenID Connect sign-in providers of the platform.
    #[command(subcommand)]
    Provider(federation::ProviderCommand),
}

#[derive(Subcommand)]
pub enum OrgCommand {
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
    },
    List,
    /// Require (or with --off, stop requiring) two-step sign-in of every member.
    RequireMfa {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        off: bool,
    },
    /// Add a user to an organization (or replace their roles).
    AddMember {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// The organization's own sign-in provider credentials (BYOO).
    #[command(subcommand)]
    Provider(federation::OrgProviderCommand),
}

#[derive(Subcommand)]
pub enum ServiceCommand {
    /// Prints the client_id and, once, the client_secret.
    Create(ServiceCreate),
    List {
        #[arg(long)]
        org: Option<String>,
    },
    /// Let a first-party service sign users in with a password through the JSON API (or with
    /// --off, stop it).
    AllowPasswordApi {
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        off: bool,
    },
}

#[derive(Args)]
pub struct ServiceCreate {
    #[arg(long)]
    org: String,
    #[arg(long)]
    slug: String,
    #[arg(long)]
    name: String,
    /// A public client (SPA, native app, CLI): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Skip the consent page.
    #[arg(long)]
    first_party: bool,
    #[arg(long)]
    device_activation_uri: Option<String>,
    /// An extra scope the service may be granted (repeatable).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Token signing algorithm: RS256 (default), ES256 or EdDSA.
    #[arg(long)]
    signing_alg: Option<String>,
    /// Let the JSON API (`POST /api/auth/login`) sign users in with a password for this
    /// first-party service. Off by default: prefer the authorization code flow.
    #[arg(long)]
    allow_password_api: bool,
}

#[derive(Subcommand)]
pub enum UserCommand {
    Create {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Mark the email address as verified.
        #[arg(long)]
        verified: bool,
    },
    List,
    /// Clear a user's authenticator and backup codes (audited).
    ResetMfa {
        #[arg(long)]
        email: String,
    },
    /// Make a user a platform owner (admin sign-in with a linked identity; audited).
    GrantOwner {
        #[arg(long)]
        email: String,
    },
    /// Take platform ownership away (audited).
    RevokeOwner {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    List,
    /// Publish a new signing key now; it starts signing after the delay (default: one JWKS
    /// cache period) and the old key stays published until its tokens have expired.
    Rotate {
        #[arg(long)]
        delay_secs: Option<i64>,
    },
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let json = cli.json;
    match cli.command {
        Command::Provider(cmd) => federation::provider(cmd, settings, json).await?,
        Command::Org(OrgCommand::Provider(cmd)) => {
            federation::org_provider(cmd, settings, json).await?
        }
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await?
        }
        Command::Migrate => {
            settings.validate()?;
            open_database(&settings).await?;
            print(json, &serde_json::json!({"migrated": true}), || {
                "database is up to date".into()
            });
        }
        Command::Org(OrgCommand::Create { slug, name }) => {
            let db = open(&settings).await?;
            let org = admin::create_org(&db, &slug, &name)
                .await
                .map_err(user_error)?;
            print(json, &OrgView::from(&org), || {
                format!("created organization {} ({})", org.slug, org.id)
            });
        }
        Command::Org(OrgCommand::List) => {
            let db = open(&settings).await?;
            let orgs: Vec<OrgView> = organizations::list(&db)
                .await?
                .iter()
                .map(OrgView::from)
                .collect();
            print(json, &orgs, || {
                orgs.iter()
                    .map(|o| format!("{}\t{}\t{}", o.slug, o.status.as_str(), o.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Org(OrgCommand::RequireMfa { slug, off }) => {
            let db = open(&settings).await?;
            let org = organizations::find_by_slug(&db, &slug)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no organization {slug:?}"))?;
            organizations::set_mfa_required(&db, org.id, !off).await?;
            print(
                json,
                &serde_json::json!({"org": slug, "mfa_required": !off}),
                || {
                    format!(
                        "{slug}: two-step sign-in {}",
                        if off { "optional" } else { "required" }
                    )
                },
            );
        }
        Command::Service(ServiceCommand::AllowPasswordApi { client_id, off }) => {
            let db = open(&settings).await?;
            admin::set_password_api(&db, &client_id, !off)
                .await
                .map_err(user_error)?;
            print(
                json,
                &serde_json::json!({"client_id": client_id, "allow_password_api": !off}),
                || {
                    format!(
                        "{client_id}: password sign-in through the JSON API {}",
                        if off { "off" } else { "on" }
                    )
                },
            );
        }
        Command::Org(OrgCommand::AddMember { org, email, roles }) => {
            let db = open(&settings).await?;
            let org_row = organizations::find_by_slug(&db, &org)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no organization {org:?}"))?;
            let email = crate::domain::Email::parse(&email).map_err(|e| anyhow::anyhow!(e))?;
            let user = users::find_by_email(&db, email.normalized())
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user {}", email.as_str()))?;
            crate::store::memberships::upsert(&db, org_row.id, user.id, &roles).await?;
            print(
                json,
                &serde_json::json!({"org": org, "user_id": user.id, "roles": roles}),
                || {
                    format!(
                        "{} is a member of {org} with roles [{}]",
                        user.email,
                        roles.join(", ")
                    )
                },
            );
        }
        Command::Service(ServiceCommand::Create(args)) => {
            let db = open(&settings).await?;
            let spec = ServiceSpec {
                org: args.org,
                slug: args.slug,
                name: args.name,
                public: args.public,
                grant_types: args.grant_types,
                redirect_uris: args.redirect_uris,
                post_logout_redirect_uris: args.post_logout_redirect_uris,
                first_party: args.first_party,
                device_activation_uri: args.device_activation_uri,
                scopes: args.scopes,
                signing_alg: args.signing_alg,
                allow_password_api: args.allow_password_api,
            };
            let alg = spec.signing_alg.clone().unwrap_or_else(|| "RS256".into());
            let created = admin::create_service(&db, spec).await.map_err(user_error)?;
            // Publish the algorithm's key now, so relying parties see it in the JWKS before the
            // first token (running servers pick it up within 10 s).
            let state = crate::startup::prepare(settings).await?;
            state.keys.ensure_active(&state.db, &alg).await?;
            print(json, &created, || {
                let mut out = format!("client_id: {}", created.client_id);
                if let Some(secret) = &created.client_secret {
                    out.push_str(&format!(
                        "\nclient_secret: {secret}\n(the secret is shown only now; store it safely)"
                    ));
                }
                out
            });
        }
        Command::Service(ServiceCommand::List { org }) => {
            let db = open(&settings).await?;
            let org_id = match org {
                Some(slug) => Some(
                    organizations::find_by_slug(&db, &slug)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no organization {slug:?}"))?
                        .id,
                ),
                None => None,
            };
            let list: Vec<ServiceView> = services::list(&db, org_id)
                .await?
                .into_iter()
                .map(ServiceView::from)
                .collect();
            print(json, &list, || {
                list.iter()
                    .map(|s| format!("{}\t{}\t{}", s.slug, s.client_id, s.kind))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::User(UserCommand::Create {
            email,
            password_stdin,
            verified,
        }) => {
            let db = open(&settings).await?;
            let password = if password_stdin {
                Some(admin::read_password_stdin()?)
            } else {
                None
            };
            let hasher = PasswordHasher::new(&settings.password)?;
            let user = admin::create_user(&db, &hasher, &email, password, verified)
                .await
                .map_err(user_error)?;
            print(json, &UserView::from(&user), || {
                format!("created user {} ({})", user.email, user.id)
            });
        }
        Command::User(UserCommand::ResetMfa { email }) => {
            let state = crate::startup::prepare(settings).await?;
            let email = crate::domain::Email::parse(&email).map_err(|e| anyhow::anyhow!(e))?;
            let user = users::find_by_email(&state.db, email.normalized())
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user {}", email.as_str()))?;
            let had =
                crate::auth::totp::reset(&state, user.id, &crate::domain::RequestMeta::default())
                    .await
                    .map_err(user_error)?;
            print(
                json,
                &serde_json::json!({"user_id": user.id, "had_mfa": had}),
                || {
                    format!(
                        "{}: two-step sign-in {}",
                        user.email,
                        if had { "reset" } else { "was not set up" }
                    )
                },
            );
        }
        Command::User(UserCommand::GrantOwner { email }) => {
            federation::platform_owner(&email, true, settings, json).await?;
        }
        Command::User(UserCommand::RevokeOwner { email }) => {
            federation::platform_owner(&email, false, settings, json).await?;
        }
        Command::User(UserCommand::List) => {
            let db = open(&settings).await?;
            let list: Vec<UserView> = users::list(&db).await?.iter().map(UserView::from).collect();
            print(json, &list, || {
                list.iter()
                    .map(|u| format!("{}\t{}\tverified={}", u.id, u.email, u.email_verified))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Keys(KeysCommand::Rotate { delay_secs }) => {
            let delay = delay_secs.unwrap_or_else(|| i64::from(settings.keys.jwks_max_age_secs));
            let state = crate::startup::prepare(settings).await?;
            let key = state
                .keys
                .rotate(&state.db, chrono::Duration::seconds(delay.max(0)))
                .await?;
            if delay <= 0 {
                state
                    .keys
                    .promote_due(
                        &state.db,
                        crate::startup::retired_key_lifetime(&state).await?,
                    )
                    .await?;
            }
            // Running instances publish the new key now instead of at their next reload.
            crate::admin::invalidate(&state, &crate::admin::Invalidation::Keys).await?;
            print(
                json,
                &serde_json::json!({"kid": key.kid, "activates_at": key.activates_at}),
                || {
                    format!(
                        "published {}; it signs from {}",
                        key.kid,
                        key.activates_at.map(|t| t.to_rfc3339()).unwrap_or_default()
                    )
                },
            );
        }
        Command::Keys(KeysCommand::List) => {
            let state = crate::startup::prepare(settings).await?;
            let keys = state.keys.list();
            print(json, &keys, || {
                keys.iter()
                    .map(|k| format!("{}\t{}\t{}", k.kid, k.alg, k.status))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

async fn open(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    settings.validate()?;
    open_database(settings).await
}

fn user_error(e: crate::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    } else {
        println!("{}", text());
    }
}

#[derive(Serialize)]
struct OrgView {
    id: uuid::Uuid,
    slug: String,
    name: String,
    status: String,
}

impl From<&organizations::Organization> for OrgView {
    fn from(o: &organizations::Organization) -> Self {
        Self {
            id: o.id,
            slug: o.slug.clone(),
            name: o.name.clone(),
            status: o.status.as_str().to_owned(),
        }
    }
}

#[derive(Serialize)]
struct ServiceView {
    id: uuid::Uuid,
    slug: String,
    name: String,
    client_id: String,
    kind: &'static str,
    grant_types: Vec<String>,
    redirect_uris: Vec<String>,
    first_party: bool,
    allow_password_api: bool,
}

impl From<services::Service> for ServiceView {
    fn from(s: services::Service) -> Self {
        Self {
            id: s.id,
            kind: if s.confidential {
                "confidential"
            } else {
                "public"
            },
            grant_types: s.grant_types_list(),
            redirect_uris: s.redirect_uris_list(),
            slug: s.slug,
            name: s.name,
            client_id: s.client_id,
            first_party: s.first_party,
            allow_password_api: s.allow_password_api,
        }
    }
}

#[derive(Serialize)]
struct UserView {
    id: uuid::Uuid,
    email: String,
    email_verified: bool,
    status: String,
}

impl From<&users::User> for UserView {
    fn from(u: &users::User) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            email_verified: u.email_verified,
            status: u.status.as_str().to_owned(),
        }
    }
}
