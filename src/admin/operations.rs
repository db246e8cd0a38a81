//! Administrative operations shared by the CLI (and later the admin API): orgs, services, users.
use sea_orm::{DatabaseConnection, SqlErr};
use serde::Serialize;
use url::Url;

use crate::auth::password::PasswordHasher;
use crate::domain::{Email, NewPassword, Slug};
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::oidc::grants::GrantType;
use crate::oidc::scope::USER_SCOPES;
use crate::store::services::NewService;
use crate::store::users::NewUser;
use crate::store::{organizations, services, users};

/// A unique-constraint violation is a 409 naming what exists; anything else stays unexpected.
pub(crate) fn conflict_or(e: sea_orm::DbErr, what: &str) -> AppError {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        AppError::Conflict(format!("{what} already exists").into())
    } else {
        e.into()
    }
}

pub struct ServiceSpec {
    pub org: String,
    pub slug: String,
    pub name: String,
    pub public: bool,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub first_party: bool,
    pub device_activation_uri: Option<String>,
    /// Extra scopes the service may be granted (e.g. API scopes for client_credentials).
    pub scopes: Vec<String>,
    /// RS256 (default), ES256 or EdDSA.
    pub signing_alg: Option<String>,
    /// Let the JSON API sign users in with a password (first-party services only).
    pub allow_password_api: bool,
}

#[derive(Serialize)]
pub struct CreatedService {
    pub id: uuid::Uuid,
    pub org: String,
    pub slug: String,
    pub client_id: String,
    /// Shown once; only its SHA-256 is stored.
    pub client_secret: Option<String>,
}

pub async fn create_service(
    db: &DatabaseConnection,
    spec: ServiceSpec,
) -> Result<CreatedService, AppError> {
    let org = organizations::find_by_slug(db, &spec.org)
        .await?
        .ok_or_else(|| AppError::invalid(format!("no organization with slug {:?}", spec.org)))?;
    let slug = Slug::parse(&spec.slug).map_err(AppError::invalid)?;
    let mut grant_types = if spec.grant_types.is_empty() {
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
            .map(|g| g.as_str().to_owned())
            .to_vec()
    } else {
        spec.grant_types
    };
    grant_types.sort();
    grant_types.dedup();
    let mut grants = Vec::with_capacity(grant_types.len());
    for grant in &grant_types {
        let Some(parsed) = GrantType::parse(grant) else {
            return Err(AppError::invalid(format!(
                "unknown grant type {grant:?}; use one of {}",
                GrantType::ALL.map(GrantType::as_str).join(", ")
            )));
        };
        grants.push(parsed);
    }
    if spec.public && grants.contains(&GrantType::ClientCredentials) {
        return Err(AppError::invalid(
            "a public service cannot use client_credentials",
        ));
    }
    if spec.allow_password_api && !spec.first_party {
        return Err(AppError::invalid(
            "--allow-password-api needs --first-party: the JSON sign-in API serves first-party services only",
        ));
    }
    if grants.contains(&GrantType::AuthorizationCode) && spec.redirect_uris.is_empty() {
        return Err(AppError::invalid(
            "authorization_code needs at least one --redirect-uri",
        ));
    }
    for uri in spec
        .redirect_uris
        .iter()
        .chain(&spec.post_logout_redirect_uris)
    {
        validate_redirect_uri(uri)?;
    }
    if let Some(uri) = &spec.device_activation_uri {
        validate_redirect_uri(uri)?;
    }
    let mut allowed_scopes: Vec<String> = USER_SCOPES.map(String::from).to_vec();
    for scope in &spec.scopes {
        if crate::oidc::scope::ScopeSet::parse(scope).is_none_or(|s| s.as_list().len() != 1) {
            return Err(AppError::invalid(format!(
                "{scope:?} is not a valid scope name"
            )));
        }
        allowed_scopes.push(scope.clone());
    }
    let signing_alg = spec.signing_alg.as_deref().unwrap_or("RS256");
    if !crate::keys::SUPPORTED_ALGS.contains(&signing_alg) {
        return Err(AppError::invalid(format!(
            "unsupported signing algorithm {signing_alg:?}; use one of {}",
            crate::keys::SUPPORTED_ALGS.join(", ")
        )));
    }
    let client_id = format!("{}_{}", slug.as_str(), &random_token()[..16]);
    let secret = (!spec.public).then(random_token);
    let created = services::insert(
        db,
        NewService {
            org_id: org.id,
            slug: slug.as_str(),
            name: spec.name.trim(),
            client_id: &client_id,
            client_secret_hash: secret.as_deref().map(hash_token),
            confidential: !spec.public,
            redirect_uris: &spec.redirect_uris,
            post_logout_redirect_uris: &spec.post_logout_redirect_uris,
            grant_types: &grant_types,
            allowed_scopes: &allowed_scopes,
            first_party: spec.first_party,
            device_activation_uri: spec.device_activation_uri,
            signing_alg,
            allow_password_api: spec.allow_password_api,
        },
    )
    .await
    .map_err(|e| conflict_or(e, "a service with this slug in the organization"))?;
    Ok(CreatedService {
        id: created.id,
        org: org.slug,
        slug: created.slug,
        client_id,
        client_secret: secret,
    })
}

/// Turns the JSON API's password sign-in on or off for a first-party service. Running servers
/// see the change within the client cache's lifetime.
pub async fn set_password_api(
    db: &DatabaseConnection,
    client_id: &str,
    on: bool,
) -> Result<(), AppError> {
    let service = services::find_by_client_id(db, client_id)
        .await?
        .ok_or_else(|| AppError::invalid(format!("no service with client_id {client_id:?}")))?;
    if on && !service.first_party {
        return Err(AppError::invalid(
            "only a first-party service may use the JSON sign-in API",
        ));
    }
    services::set_allow_password_api(db, service.id, on).await?;
    Ok(())
}

/// Redirect URIs are compared byte for byte later; here they must be absolute, fragment-free and
/// either https, http on a loopback host (RFC 8252 §7.3) or a private-use scheme (§7.1).
pub fn validate_redirect_uri(raw: &str) -> Result<(), AppError> {
    let url = Url::parse(raw)
        .map_err(|_| AppError::invalid(format!("{raw:?} is not an absolute URL")))?;
    if url.fragment().is_some() {
        return Err(AppError::invalid(format!(
            "{raw:?} must not contain a fragment"
        )));
    }
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(AppError::invalid(format!(
            "{raw:?} must use https (http is allowed only for localhost)"
        ))),
        scheme if scheme.contains('.') => Ok(()),
        _ => Err(AppError::invalid(format!(
            "{raw:?} must use https, loopback http or a reverse-domain private scheme"
        ))),
    }
}

pub async fn create_user(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    email: &str,
    password: Option<String>,
    verified: bool,
) -> Result<users::User, AppError> {
    let email = Email::parse(email).map_err(AppError::invalid)?;
    let password_hash = match password {
        Some(raw) => {
            let password = NewPassword::parse(raw).map_err(AppError::invalid)?;
            Some(hasher.hash(password.into_secret()).await?)
        }
        None => None,
    };
    users::insert(
        db,
        NewUser {
            email: email.as_str(),
            email_normalized: email.normalized(),
            email_verified: verified,
            password_hash,
        },
    )
    .await
    .map_err(|e| conflict_or(e, "a user with this email"))
}

/// Reads a password from standard input (first line), for `--password-stdin`.
pub fn read_password_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::validate_redirect_uri;

    #[test]
    fn redirect_uris_are_checked() {
        for ok in [
            "https://app.example.com/cb",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "com.example.app:/cb",
        ] {
            assert!(validate_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "/relative",
            "http://app.example.com/cb",
            "https://a.b/cb#frag",
            "javascript:alert(1)",
        ] {
            assert!(validate_redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
