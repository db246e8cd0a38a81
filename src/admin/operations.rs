//! Checks shared by the admin operations.
use sea_orm::SqlErr;
use url::Url;

use crate::error::AppError;

/// A unique-constraint violation is a 409 naming what exists; anything else stays unexpected.
pub(crate) fn conflict_or(e: sea_orm::DbErr, what: &str) -> AppError {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        AppError::Conflict(format!("{what} already exists").into())
    } else {
        e.into()
    }
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
