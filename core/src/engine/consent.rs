//! The consent form's anti-forgery seal: an HMAC over the exact authorization request, so a form
//! can only approve the request it was shown for, and only for a short while.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::clock::UnixTime;
use crate::secret::hex;

/// How long a consent form stays valid, in seconds.
const CONSENT_TTL_SECONDS: i64 = 600;

/// Seals and opens consent-form tokens with a server key (kept in the key store, so every replica
/// accepts the forms of the others).
pub struct ConsentSeal {
    key: Vec<u8>,
}

impl ConsentSeal {
    /// A seal with `key`.
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    /// A token binding `payload` (the canonical authorization request) to the time `now`.
    pub fn seal(&self, payload: &str, now: UnixTime) -> String {
        format!(
            "{now}.{}",
            hex(&self.mac(payload, now).finalize().into_bytes())
        )
    }

    /// Whether `token` was sealed for `payload` by this key and has not expired at `now`.
    pub fn open(&self, token: &str, payload: &str, now: UnixTime) -> bool {
        let Some((issued, mac)) = token.split_once('.') else {
            return false;
        };
        let Ok(issued) = issued.parse::<UnixTime>() else {
            return false;
        };
        let Some(mac) = unhex(mac) else {
            return false;
        };
        let fresh = issued <= now && now - issued <= CONSENT_TTL_SECONDS;
        // verify_slice compares in constant time.
        fresh && self.mac(payload, issued).verify_slice(&mac).is_ok()
    }

    fn mac(&self, payload: &str, issued: UnixTime) -> Hmac<Sha256> {
        // Any key length is valid for HMAC.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(issued.to_string().as_bytes());
        mac.update(b"\n");
        mac.update(payload.as_bytes());
        mac
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_its_own_fresh_payload() {
        let seal = ConsentSeal::new(b"key".to_vec());
        let token = seal.seal("client_id=a&scope=read", 1_000);
        assert!(seal.open(&token, "client_id=a&scope=read", 1_100));
        assert!(!seal.open(&token, "client_id=a&scope=read+write", 1_100));
        assert!(!seal.open(
            &token,
            "client_id=a&scope=read",
            1_000 + CONSENT_TTL_SECONDS + 1
        ));
        assert!(!ConsentSeal::new(b"other".to_vec()).open(&token, "client_id=a&scope=read", 1_100));
        for garbage in ["", ".", "x.y", "1000.zz", "1000.", "١٠٠٠.ab"] {
            assert!(!seal.open(garbage, "client_id=a&scope=read", 1_100));
        }
    }
}
