//! `gatehouse <command>`: the server and admin commands working on the configured database.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::admin::orgs::NewOrg;
use crate::admin::services::{NewServiceInput, ServiceUpdate};
use crate::admin::{self, Actor};
use crate::config::Settings;
use crate::startup::{Application, open_database};
use crate::store::users;

mod branding;
mod federation;
mod risk;
mod roles;
mod tokens;

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
    /// Service tokens: create, list, show, rotate, revoke.
    #[command(subcommand)]
    Token(tokens::TokenCommand),
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
    /// How the organization's sign-in pages and mail look.
    #[command(subcommand)]
    Branding(branding::BrandingCommand),
    /// Set the plan and features its users' tokens carry (platform owners).
    SetPlan(roles::SetPlan),
    /// Role definitions: role → permissions in members' tokens.
    #[command(subcommand)]
    Role(roles::RoleCommand),
    /// The organization's risk policy for sign-ins.
    #[command(subcommand)]
    Risk(risk::OrgRiskCommand),
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
    /// Which sign-in providers the service offers (none given: all of its organization's), and
    /// whether a provider sign-in started with its redirect_uri ends with tokens in that URI
    /// (`--token-redirect`, first-party services only: tokens in URLs leak through logs).
    Federation {
        #[arg(long)]
        client_id: String,
        #[arg(long = "provider")]
        providers: Vec<String>,
        #[arg(long)]
        token_redirect: bool,
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
    /// Retire a key: a `next` key never signs; the active key is replaced by a new one at
    /// once. With --immediate (a compromised key) it is unpublished now, so the tokens it
    /// signed stop verifying.
    Retire {
        #[arg(long)]
        kid: String,
        #[arg(long)]
        immediate: bool,
    },
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let json = cli.json;
    match cli.command {
        Command::Provider(cmd) => federation::provider(cmd, settings, json).await?,
        Command::Token(cmd) => tokens::run(cmd, settings, json).await?,
        Command::Org(OrgCommand::Provider(cmd)) => {
            federation::org_provider(cmd, settings, json).await?
        }
        Command::Org(OrgCommand::Branding(cmd)) => branding::run(cmd, settings, json).await?,
        Command::Org(OrgCommand::SetPlan(args)) => roles::set_plan(args, settings, json).await?,
        Command::Org(OrgCommand::Role(cmd)) => roles::role(cmd, settings, json).await?,
        Command::Org(OrgCommand::Risk(cmd)) => risk::org_risk(cmd, settings, json).await?,
        Command::Serve => serve(settings).await?,
        Command::Migrate => {
            settings.validate()?;
            open_database(&settings).await?;
            print(json, &serde_json::json!({"migrated": true}), || {
                "database is up to date".into()
            });
        }
        Command::Org(OrgCommand::Create { slug, name }) => {
            let state = crate::startup::prepare(settings).await?;
            let org = admin::orgs::create(&state, &Actor::Cli, &cli_meta(), NewOrg { slug, name })
                .await
                .map_err(user_error)?;
            print(json, &org, || {
                format!("created organization {} ({})", org.slug, org.id)
            });
        }
        Command::Org(OrgCommand::List) => {
            let state = crate::startup::prepare(settings).await?;
            let orgs = admin::orgs::list(&state, &Actor::Cli)
                .await
                .map_err(user_error)?;
            print(json, &orgs, || {
                orgs.iter()
                    .map(|o| format!("{}\t{}\t{}", o.slug, o.status, o.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Org(OrgCommand::RequireMfa { slug, off }) => {
            let state = crate::startup::prepare(settings).await?;
            admin::orgs::set_mfa_required(&state, &Actor::Cli, &cli_meta(), &slug, !off)
                .await
                .map_err(user_error)?;
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
            let state = crate::startup::prepare(settings).await?;
            let update = ServiceUpdate {
                allow_password_api: Some(!off),
                ..ServiceUpdate::default()
            };
            admin::services::update(&state, &Actor::Cli, &cli_meta(), &client_id, update)
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
        Command::Service(ServiceCommand::Federation {
            client_id,
            providers,
            token_redirect,
        }) => {
            let state = crate::startup::prepare(settings).await?;
            let view = admin::service_federation::set_service_federation(
                &state,
                &admin::Actor::Cli,
                &crate::domain::RequestMeta::default(),
                admin::service_federation::ServiceFederation {
                    client_id,
                    allowed_providers: providers,
                    token_redirect,
                },
            )
            .await
            .map_err(user_error)?;
            print(json, &view, || {
                format!(
                    "{}: offers {}; tokens in the redirect URI {}",
                    view.client_id,
                    if view.allowed_providers.is_empty() {
                        "every provider of its organization".to_owned()
                    } else {
                        view.allowed_providers.join(", ")
                    },
                    if view.token_redirect { "on" } else { "off" }
                )
            });
        }
        Command::Org(OrgCommand::AddMember { org, email, roles }) => {
            let state = crate::startup::prepare(settings).await?;
            let email = crate::domain::Email::parse(&email).map_err(|e| anyhow::anyhow!(e))?;
            let user = users::find_by_email(&state.db, email.normalized())
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user {}", email.as_str()))?;
            let member = admin::members::set_roles(
                &state,
                &Actor::Cli,
                &cli_meta(),
                &org,
                user.id,
                admin::members::MemberRoles { roles },
                true,
            )
            .await
            .map_err(user_error)?;
            print(
                json,
                &serde_json::json!({"org": org, "user_id": member.user_id, "roles": member.roles}),
                || {
                    format!(
                        "{} is a member of {org} with roles [{}]",
                        member.email,
                        member.roles.join(", ")
                    )
                },
            );
        }
        Command::Service(ServiceCommand::Create(args)) => {
            let state = crate::startup::prepare(settings).await?;
            let input = NewServiceInput {
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
                ..NewServiceInput::default()
            };
            let created =
                admin::services::create(&state, &Actor::Cli, &cli_meta(), &args.org, input)
                    .await
                    .map_err(user_error)?;
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
            let state = crate::startup::prepare(settings).await?;
            let list = admin::services::list(&state, &Actor::Cli, org.as_deref())
                .await
                .map_err(user_error)?;
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
            let password = if password_stdin {
                Some(admin::read_password_stdin()?)
            } else {
                None
            };
            let state = crate::startup::prepare(settings).await?;
            let input = admin::users::NewUserInput {
                email,
                password,
                verified,
            };
            let user = admin::users::create(&state, &Actor::Cli, &cli_meta(), input)
                .await
                .map_err(user_error)?;
            print(json, &user, || {
                format!("created user {} ({})", user.email, user.id)
            });
        }
        Command::User(UserCommand::ResetMfa { email }) => {
            let state = crate::startup::prepare(settings).await?;
            let email = crate::domain::Email::parse(&email).map_err(|e| anyhow::anyhow!(e))?;
            let user = users::find_by_email(&state.db, email.normalized())
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user {}", email.as_str()))?;
            let reset = admin::users::reset_mfa(&state, &Actor::Cli, &cli_meta(), user.id)
                .await
                .map_err(user_error)?;
            let had = reset.count == Some(1);
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
            let state = crate::startup::prepare(settings).await?;
            let meta = crate::domain::RequestMeta::default();
            let key = admin::keys::rotate(&state, &admin::Actor::Cli, &meta, None, delay_secs)
                .await
                .map_err(user_error)?;
            print(json, &key, || {
                format!(
                    "published {}; it signs from {}",
                    key.kid,
                    key.activates_at.map(|t| t.to_rfc3339()).unwrap_or_default()
                )
            });
        }
        Command::Keys(KeysCommand::Retire { kid, immediate }) => {
            let state = crate::startup::prepare(settings).await?;
            let meta = crate::domain::RequestMeta::default();
            let key = admin::keys::retire(&state, &admin::Actor::Cli, &meta, &kid, immediate)
                .await
                .map_err(user_error)?;
            print(json, &key, || {
                format!(
                    "retired {}; published until {}",
                    key.kid,
                    key.publish_until
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default()
                )
            });
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

/// Listens, then prints the banner (with a fresh setup link while no platform owner exists).
async fn serve(settings: Settings) -> anyhow::Result<()> {
    admin::bootstrap::warn_if_configured(&settings);
    crate::banner::warn_about_issuer(&settings);
    let format = crate::telemetry::LogFormat::resolve(&settings.log.format);
    let app = Application::build(settings).await?;
    let setup_token = admin::setup::issue_link(app.state())
        .await
        .map_err(|e| anyhow::anyhow!("cannot prepare the setup link: {e:?}"))?;
    crate::banner::Banner::new(app.state(), setup_token.as_deref()).print(format);
    app.run_until_stopped().await?;
    Ok(())
}

async fn open(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    settings.validate()?;
    open_database(settings).await
}

/// The CLI's audit rows carry no address or user agent: the actor `cli` says where they came from.
fn cli_meta() -> crate::domain::RequestMeta {
    crate::domain::RequestMeta::default()
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
