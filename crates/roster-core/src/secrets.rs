//! Random tokens and their hashes, keyed hashes, and the sealing of secrets kept at rest.
//!
//! A token is 32 random bytes (256 bits) in URL-safe base64; only its SHA-256 is ever stored, so
//! a database leak reveals no usable token. Secrets Roster must read back (TOTP seeds) are sealed
//! with XChaCha20-Poly1305 under the server's secret key (`ROSTER_SECRET_KEY`), bound to their
//! owner so that a sealed value copied onto another row does not open.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::Mac;
use rand::Rng;
use sha2::{Digest, Sha256};

/// A fresh random token and the hash to store for it.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// HMAC-SHA256 of the concatenated `parts` under `key`.
#[allow(clippy::expect_used, reason = "HMAC takes keys of any length")]
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <hmac::Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The server's 32-byte secret key, and what it seals. Cloning shares nothing mutable.
#[derive(Clone)]
pub struct SecretKey {
    key: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// A sealed value did not open: another key, another owner, or altered bytes.
#[derive(Debug, thiserror::Error)]
#[error("a sealed secret does not open with this server's key")]
pub struct Unsealable;

const NONCE_LEN: usize = 24;

impl SecretKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// A key for one purpose, derived from this one, so that no two uses share a key.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.key, &[b"roster:", purpose.as_bytes()])
    }

    #[allow(clippy::expect_used, reason = "the key is 32 bytes, the size XChaCha20-Poly1305 takes")]
    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new_from_slice(&self.derive("seal")).expect("a 32-byte key")
    }

    /// `nonce || ciphertext` of `plain`, bound to `owner` (authenticated, not encrypted).
    #[allow(clippy::expect_used, reason = "encryption of an in-memory buffer cannot fail")]
    pub fn seal(&self, owner: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(&XNonce::from(nonce), Payload { msg: plain, aad: owner })
            .expect("XChaCha20-Poly1305 encrypts any buffer that fits in memory");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        out
    }

    pub fn open(&self, owner: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Unsealable> {
        let (nonce, body) = sealed.split_at_checked(NONCE_LEN).ok_or(Unsealable)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Unsealable)?;
        self.cipher().decrypt(&XNonce::from(nonce), Payload { msg: body, aad: owner }).map_err(|_| Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_consistently() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes in unpadded base64");
        assert_eq!(hash_token(&a), hash_a);
        assert_eq!(hash_a.len(), 32);
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_owner() {
        let key = SecretKey::new([7; 32]);
        let sealed = key.seal(b"alice", b"seed");
        assert_eq!(key.open(b"alice", &sealed).unwrap(), b"seed");
        assert_ne!(key.seal(b"alice", b"seed"), sealed, "a fresh nonce each time");
        assert!(key.open(b"bob", &sealed).is_err());
        assert!(SecretKey::new([8; 32]).open(b"alice", &sealed).is_err());
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(key.open(b"alice", &altered).is_err());
        assert!(key.open(b"alice", &sealed[..10]).is_err());
    }
}
