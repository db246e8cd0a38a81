use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// The 32-byte key that seals every secret at rest (signing keys, TOTP secrets).
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("the master key must be 32 bytes encoded as base64")]
    Malformed,
    #[error("sealed data could not be opened: wrong master key or corrupted data")]
    Open,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

const NONCE_LEN: usize = 12;

impl MasterKey {
    pub fn from_base64(encoded: &str) -> Result<Self, MasterKeyError> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| MasterKeyError::Malformed)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| MasterKeyError::Malformed)?;
        Ok(Self(key))
    }

    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut key);
        Self(key)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Identifies the key without revealing it; stored so a changed key is caught at startup.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"gatehouse master key fingerprint v1\0");
        hasher.update(self.0);
        URL_SAFE_NO_PAD.encode(hasher.finalize())
    }

    /// A subkey for one purpose (e.g. the backup-code pepper), so the master key itself is
    /// used only for sealing.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(b"gatehouse subkey v1\0");
        hasher.update(purpose.as_bytes());
        hasher.update([0]);
        hasher.update(self.0);
        hasher.finalize().into()
    }

    /// AES-256-GCM; `aad` binds the ciphertext to its owner (e.g. a key id or user id).
    /// Output: base64url(nonce || ciphertext || tag).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> String {
        let cipher = self.cipher();
        let mut nonce = [0u8; NONCE_LEN];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut nonce);
        // Encryption with a valid key and in-memory buffers cannot fail.
        let ciphertext = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        URL_SAFE_NO_PAD.encode(out)
    }

    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, MasterKeyError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| MasterKeyError::Open)?;
        if bytes.len() <= NONCE_LEN {
            return Err(MasterKeyError::Open);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| MasterKeyError::Open)?;
        self.cipher()
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| MasterKeyError::Open)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.0.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_same_key_and_aad() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"secret", b"kid-1");
        assert_eq!(key.open(&sealed, b"kid-1").unwrap(), b"secret");
        assert!(key.open(&sealed, b"kid-2").is_err());
        assert!(MasterKey::generate().open(&sealed, b"kid-1").is_err());
    }

    #[test]
    fn base64_round_trip_and_fingerprint_is_stable() {
        let key = MasterKey::generate();
        let again = MasterKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(key.fingerprint(), again.fingerprint());
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
    }
}
