//! What a browser session needs beyond a bearer token's: a proof, bound to the session, that a
//! form was rendered by us for this session (the CSRF token of every state-changing form). It is
//! an HMAC of the session id under a key derived from the secret key, so any instance can check
//! it without storing anything, and it dies with the session.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use crate::{Actor, Core, secrets};

impl Core {
    /// The form token of the caller's session.
    pub fn form_token(&self, actor: &Actor) -> String {
        URL_SAFE_NO_PAD.encode(self.form_mac(actor))
    }

    /// Whether `token` is the form token of the caller's session (compared in constant time).
    pub fn form_token_ok(&self, actor: &Actor, token: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(token.trim()) else { return false };
        given.ct_eq(&self.form_mac(actor)).into()
    }

    fn form_mac(&self, actor: &Actor) -> [u8; 32] {
        let key = self.secret_key.derive("form-token");
        secrets::hmac_sha256(&key, &[actor.session_id.as_uuid().as_bytes().as_slice()])
    }
}
