use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use arc_swap::ArcSwap;
use aws_lc_rs::encoding::AsDer;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, TokenData, Validation};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::MasterKey;
use crate::store::signing_keys::KeyStatus;
use crate::store::signing_keys::{self, SigningKey};

/// The signing algorithms a service can choose; RS256 is the OIDC default.
pub const SUPPORTED_ALGS: [&str; 3] = ["RS256", "ES256", "EdDSA"];

/// A JSON document served from memory with a strong ETag (discovery, JWKS).
#[derive(Clone)]
pub struct PublishedDocument {
    pub body: Bytes,
    pub etag: String,
}

impl PublishedDocument {
    pub fn new(body: Vec<u8>) -> Self {
        let etag = format!(
            "\"{}\"",
            URL_SAFE_NO_PAD.encode(&Sha256::digest(&body)[..16])
        );
        Self {
            body: Bytes::from(body),
            etag,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    /// `next` (published, not yet signing), `active` (signing) or `retired` (published until
    /// every token it signed has expired).
    pub status: KeyStatus,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

struct SigningKeyPair {
    kid: String,
    key: EncodingKey,
}

struct KeySet {
    active: HashMap<Algorithm, SigningKeyPair>,
    verifiers: HashMap<String, (Algorithm, DecodingKey)>,
    jwks: PublishedDocument,
    infos: Vec<KeyInfo>,
}

/// Signs JWTs with the active key of each algorithm and publishes every key that may still
/// verify a live token. The key set is swapped atomically, so the hot paths (JWKS, signing)
/// take no lock.
pub struct KeyStore {
    master: MasterKey,
    rsa_bits: u32,
    current: ArcSwap<KeySet>,
    verified: super::verified::VerifiedTokens,
}

impl KeyStore {
    /// Loads the keys; on first start generates and stores an RS256 key.
    pub async fn load_or_init(
        db: &DatabaseConnection,
        master: MasterKey,
        rsa_bits: u32,
    ) -> anyhow::Result<Self> {
        let store = Self {
            master,
            rsa_bits,
            current: ArcSwap::from_pointee(KeySet {
                active: HashMap::new(),
                verifiers: HashMap::new(),
                jwks: PublishedDocument::new(br#"{"keys":[]}"#.to_vec()),
                infos: Vec::new(),
            }),
            verified: Default::default(),
        };
        store.ensure_active(db, "RS256").await?;
        Ok(store)
    }

    /// Makes sure `alg` has an active key (generating one the first time a service uses it).
    /// Instances doing this at once take turns under a lock, so only the first generates; the
    /// database's unique index (one active key per algorithm) backs this up.
    pub async fn ensure_active(&self, db: &DatabaseConnection, alg: &str) -> anyhow::Result<()> {
        let algorithm = algorithm(alg)?;
        if self.current.load().active.contains_key(&algorithm) {
            return Ok(());
        }
        if !has_active(db, alg).await? {
            let txn = crate::store::begin(db).await?;
            crate::store::advisory_xact_lock(&txn, crate::store::INIT_LOCK).await?;
            if !has_active(&txn, alg).await? {
                let row = self.generate(&txn, alg, KeyStatus::Active).await?;
                tracing::info!(kid = %row.kid, alg, "generated a signing key");
            }
            txn.commit().await?;
        }
        self.reload(db).await
    }

    /// Re-reads keys from the database and swaps the published set.
    pub async fn reload<C: ConnectionTrait>(&self, db: &C) -> anyhow::Result<()> {
        let now = crate::store::now();
        let mut rows = signing_keys::list(db).await?;
        // RS256 first: some relying parties take the first key they see.
        rows.sort_by_key(|row| (row.alg != "RS256", row.created_at));
        let mut active = HashMap::new();
        let mut verifiers = HashMap::new();
        let mut jwks = Vec::new();
        let mut infos = Vec::new();
        for row in rows {
            if row.status == KeyStatus::Retired
                && row.publish_until.is_some_and(|until| until <= now)
            {
                continue;
            }
            let jwk: Jwk =
                serde_json::from_str(&row.public_jwk).context("stored public JWK is malformed")?;
            let alg = algorithm(&row.alg)?;
            verifiers.insert(row.kid.clone(), (alg, DecodingKey::from_jwk(&jwk)?));
            jwks.push(jwk);
            if row.status == KeyStatus::Active {
                active.insert(alg, self.open(&row)?);
            }
            infos.push(KeyInfo {
                kid: row.kid,
                alg: row.alg,
                status: row.status,
                created_at: row.created_at,
            });
        }
        let body = serde_json::to_vec(&JwkSet { keys: jwks })?;
        self.current.store(Arc::new(KeySet {
            active,
            verifiers,
            jwks: PublishedDocument::new(body),
            infos,
        }));
        Ok(())
    }

    /// Generates a key for `alg`, seals it with the master key and stores it with `status`.
    pub async fn generate<C: ConnectionTrait>(
        &self,
        db: &C,
        alg: &str,
        status: KeyStatus,
    ) -> anyhow::Result<SigningKey> {
        let algorithm = algorithm(alg)?;
        let rsa_bits = self.rsa_bits;
        // RSA generation takes 50-500 ms of CPU: keep it off the async workers.
        let pkcs8 =
            tokio::task::spawn_blocking(move || generate_pkcs8(algorithm, rsa_bits)).await??;
        let now = crate::store::now();
        let kid = format!(
            "{}-{}-{}",
            alg.to_ascii_lowercase(),
            now.format("%Y%m%d"),
            &crate::keys::random_token()[..8]
        );
        let encoding = encoding_key(algorithm, &pkcs8)?;
        let mut jwk = Jwk::from_encoding_key(&encoding, algorithm)?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let row = SigningKey {
            private_key_sealed: self.master.seal(&pkcs8, kid.as_bytes()),
            kid,
            alg: alg.to_owned(),
            status,
            public_jwk: serde_json::to_string(&jwk)?,
            created_at: now,
            activates_at: None,
            retired_at: None,
            publish_until: None,
        };
        Ok(signing_keys::insert(db, row).await?)
    }

    fn open(&self, row: &SigningKey) -> anyhow::Result<SigningKeyPair> {
        let pkcs8 = self
            .master
            .open(&row.private_key_sealed, row.kid.as_bytes())
            .with_context(|| {
                format!(
                    "signing key {} cannot be opened with this master key",
                    row.kid
                )
            })?;
        Ok(SigningKeyPair {
            kid: row.kid.clone(),
            key: encoding_key(algorithm(&row.alg)?, &pkcs8)?,
        })
    }

    /// Signs `claims` with the active key of `alg`; `typ` sets the JOSE header type (e.g. `at+jwt`).
    pub fn sign<T: Serialize>(
        &self,
        claims: &T,
        alg: &str,
        typ: Option<&str>,
    ) -> anyhow::Result<String> {
        let algorithm = algorithm(alg)?;
        let set = self.current.load();
        let signer = set
            .active
            .get(&algorithm)
            .with_context(|| format!("no active {alg} signing key"))?;
        let mut header = Header::new(algorithm);
        header.kid = Some(signer.kid.clone());
        if let Some(typ) = typ {
            header.typ = Some(typ.to_owned());
        }
        Ok(jsonwebtoken::encode(&header, claims, &signer.key)?)
    }

    /// Verifies a JWT signed by any published key; the algorithm comes from the key, never from
    /// the token header alone.
    pub fn verify<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        mut validation: Validation,
    ) -> Option<TokenData<T>> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let set = self.current.load();
        let (alg, key) = set.verifiers.get(header.kid.as_deref()?)?;
        if header.alg != *alg {
            return None;
        }
        validation.algorithms = vec![*alg];
        jsonwebtoken::decode::<T>(token, key, &validation).ok()
    }

    /// [`KeyStore::verify`] of a token's claims as JSON, remembering them for the token's
    /// lifetime: the same token again is not verified again while its key stays published.
    /// For one caller's fixed `validation` (an access token's), with no leeway: the cached
    /// answer skips only the signature and claim checks that cannot change for these bytes.
    pub fn verify_remembered(
        &self,
        token: &str,
        validation: impl FnOnce() -> Validation,
    ) -> Option<Arc<serde_json::Value>> {
        let digest = super::verified::digest(token);
        let now = chrono::Utc::now().timestamp();
        let published = |kid: &str| self.current.load().verifiers.contains_key(kid);
        if let Some(claims) = self.verified.get(&digest, now, published) {
            return Some(claims);
        }
        let data = self.verify::<serde_json::Value>(token, validation())?;
        let exp = data.claims.get("exp").and_then(serde_json::Value::as_i64)?;
        let claims = Arc::new(data.claims);
        if let Some(kid) = data.header.kid {
            self.verified.insert(digest, kid, exp, now, claims.clone());
        }
        Some(claims)
    }

    /// Publishes a new RS256 key now and makes it the signing key once `delay` has passed, so
    /// relying parties that cache the JWKS learn it before it signs anything.
    pub async fn rotate<C: ConnectionTrait>(
        &self,
        db: &C,
        delay: chrono::Duration,
    ) -> anyhow::Result<SigningKey> {
        let mut row = self.generate(db, "RS256", KeyStatus::Next).await?;
        row.activates_at = Some(crate::store::now() + delay);
        signing_keys::update(db, &row).await?;
        self.reload(db).await?;
        Ok(row)
    }

    /// Promotes a due `next` key: the old active key of that algorithm retires but stays
    /// published for `retired_for`, the longest lifetime of a token it may have signed. Safe to
    /// run on every instance: each step is a conditional update.
    pub async fn promote_due(
        &self,
        db: &sea_orm::DatabaseConnection,
        retired_for: chrono::Duration,
    ) -> anyhow::Result<bool> {
        let now = crate::store::now();
        let rows = signing_keys::list(db).await?;
        let Some(next) = rows
            .iter()
            .find(|r| r.status == KeyStatus::Next && r.activates_at.is_some_and(|at| at <= now))
        else {
            return Ok(false);
        };
        let txn = crate::store::begin(db).await?;
        // The old key retires first: at most one key per algorithm is active at any statement
        // (a unique index). If another instance promoted `next` meanwhile, this one rolls back.
        for old in rows
            .iter()
            .filter(|r| r.status == KeyStatus::Active && r.alg == next.alg)
        {
            signing_keys::set_status(
                &txn,
                &old.kid,
                KeyStatus::Active,
                KeyStatus::Retired,
                Some(now + retired_for),
            )
            .await?;
        }
        if !signing_keys::set_status(&txn, &next.kid, KeyStatus::Next, KeyStatus::Active, None)
            .await?
        {
            return Ok(false);
        }
        txn.commit().await?;
        tracing::info!(kid = %next.kid, "signing key promoted to active");
        self.reload(db).await?;
        Ok(true)
    }

    pub fn jwks(&self) -> PublishedDocument {
        self.current.load().jwks.clone()
    }

    pub fn list(&self) -> Vec<KeyInfo> {
        self.current.load().infos.clone()
    }

    pub fn active_kid(&self) -> Option<String> {
        self.current
            .load()
            .active
            .get(&Algorithm::RS256)
            .map(|signer| signer.kid.clone())
    }
}

async fn has_active<C: ConnectionTrait>(db: &C, alg: &str) -> anyhow::Result<bool> {
    Ok(signing_keys::list(db)
        .await?
        .iter()
        .any(|row| row.status == KeyStatus::Active && row.alg == alg))
}

fn algorithm(name: &str) -> anyhow::Result<Algorithm> {
    match name {
        "RS256" => Ok(Algorithm::RS256),
        "ES256" => Ok(Algorithm::ES256),
        "EdDSA" => Ok(Algorithm::EdDSA),
        other => anyhow::bail!("unsupported signing algorithm {other}"),
    }
}

fn generate_pkcs8(alg: Algorithm, rsa_bits: u32) -> anyhow::Result<Vec<u8>> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
    let failed = || anyhow::anyhow!("{alg:?} key generation failed");
    Ok(match alg {
        Algorithm::ES256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .and_then(|pair| pair.to_pkcs8v1())
            .map_err(|_| failed())?
            .as_ref()
            .to_vec(),
        // jsonwebtoken reads Ed25519 keys as PKCS#8 v1 (16-byte header + 32-byte seed).
        Algorithm::EdDSA => Ed25519KeyPair::generate()
            .and_then(|pair| pair.to_pkcs8v1())
            .map_err(|_| failed())?
            .as_ref()
            .to_vec(),
        _ => {
            let size = match rsa_bits {
                4096 => aws_lc_rs::rsa::KeySize::Rsa4096,
                3072 => aws_lc_rs::rsa::KeySize::Rsa3072,
                _ => aws_lc_rs::rsa::KeySize::Rsa2048,
            };
            let pair = aws_lc_rs::rsa::KeyPair::generate(size).map_err(|_| failed())?;
            pair.as_der().map_err(|_| failed())?.as_ref().to_vec()
        }
    })
}

fn encoding_key(alg: Algorithm, pkcs8: &[u8]) -> anyhow::Result<EncodingKey> {
    Ok(match alg {
        Algorithm::ES256 => EncodingKey::from_ec_der(pkcs8),
        Algorithm::EdDSA => EncodingKey::from_ed_der(pkcs8),
        // jsonwebtoken's aws-lc backend wants PKCS#1; its PEM reader unwraps PKCS#8 for us.
        _ => {
            let pem = format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                STANDARD.encode(pkcs8)
            );
            EncodingKey::from_rsa_pem(pem.as_bytes())?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_algorithm_signs_and_publishes_a_verifiable_jwk() {
        for alg in SUPPORTED_ALGS {
            let algorithm = algorithm(alg).unwrap();
            let pkcs8 = generate_pkcs8(algorithm, 2048).unwrap();
            let key = encoding_key(algorithm, &pkcs8).unwrap();
            let jwk = Jwk::from_encoding_key(&key, algorithm).unwrap();
            let token = jsonwebtoken::encode(
                &Header::new(algorithm),
                &serde_json::json!({"sub": "x", "exp": 4_000_000_000u64}),
                &key,
            )
            .unwrap();
            let decoded = jsonwebtoken::decode::<serde_json::Value>(
                &token,
                &DecodingKey::from_jwk(&jwk).unwrap(),
                &Validation::new(algorithm),
            );
            assert!(decoded.is_ok(), "{alg}: {decoded:?}");
        }
    }
}
