//! Argon2id hashing on the blocking pool, bounded so a login burst cannot exhaust memory or stall
//! the async workers.
use std::sync::Arc;

use anyhow::{Context, anyhow};
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::config::PasswordSettings;

pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// Verified against when the account does not exist, so timing does not reveal it.
    dummy_hash: String,
}

pub struct Verification {
    pub valid: bool,
    /// The stored hash uses other parameters than the configured ones.
    pub needs_rehash: bool,
}

impl PasswordHasher {
    pub fn new(settings: &PasswordSettings) -> anyhow::Result<Self> {
        let params = Params::new(
            settings.argon2_memory_kib,
            settings.argon2_iterations,
            settings.argon2_parallelism,
            None,
        )
        .map_err(|e| anyhow!("invalid Argon2 parameters: {e}"))?;
        let permits = match settings.max_concurrent_hashes {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            n => n,
        };
        let dummy_hash = argon2(&params)
            .hash_password(b"gatehouse dummy password")
            .map_err(|e| anyhow!("argon2: {e}"))?
            .to_string();
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(permits)),
            dummy_hash,
        })
    }

    pub async fn hash(&self, password: SecretString) -> anyhow::Result<String> {
        let params = self.params.clone();
        self.run_blocking(move || {
            argon2(&params)
                .hash_password(password.expose_secret().as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow!("argon2: {e}"))
        })
        .await
    }

    /// Verifies against `stored`, or against a dummy hash when there is no account or password.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> anyhow::Result<Verification> {
        let exists = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let params = self.params.clone();
        self.run_blocking(move || {
            let parsed = PasswordHash::new(&phc).context("stored password hash is malformed")?;
            let valid = Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok();
            let needs_rehash = parsed.algorithm.as_str() != "argon2id"
                || Params::try_from(&parsed).map_or(true, |p| {
                    (p.m_cost(), p.t_cost(), p.p_cost())
                        != (params.m_cost(), params.t_cost(), params.p_cost())
                });
            Ok(Verification {
                valid: valid && exists,
                needs_rehash,
            })
        })
        .await
    }

    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password hasher closed")?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(work))
            .await
            .context("password hashing task failed")?
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(m: u32) -> PasswordSettings {
        PasswordSettings {
            argon2_memory_kib: m,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            max_concurrent_hashes: 1,
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_report_parameter_changes() {
        let hasher = PasswordHasher::new(&settings(1024)).unwrap();
        let hash = hasher
            .hash(SecretString::from("correct horse"))
            .await
            .unwrap();
        let ok = hasher
            .verify(SecretString::from("correct horse"), Some(hash.clone()))
            .await
            .unwrap();
        assert!(ok.valid && !ok.needs_rehash);
        let wrong = hasher
            .verify(SecretString::from("wrong"), Some(hash.clone()))
            .await
            .unwrap();
        assert!(!wrong.valid);
        let stronger = PasswordHasher::new(&settings(2048)).unwrap();
        assert!(
            stronger
                .verify(SecretString::from("correct horse"), Some(hash))
                .await
                .unwrap()
                .needs_rehash
        );
        assert!(
            !hasher
                .verify(SecretString::from("gatehouse dummy password"), None)
                .await
                .unwrap()
                .valid
        );
    }
}
