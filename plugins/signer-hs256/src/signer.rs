//! HMAC-SHA256 JWT access tokens, one key per ring entry, selected by `kid`.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mcp_oauth_core::keyring::{KeyRing, SigningKey, thumbprint};
use mcp_oauth_core::model::AccessClaims;
use mcp_oauth_core::{OAuthError, Result, TokenSigner, UnixTime};

use crate::error::{Hs256Error, rejected};

/// The algorithm name kept in the ring.
pub(crate) const ALGORITHM: &str = "HS256";

/// Signs with the ring's current key; verifies with any key of the ring, chosen by `kid`.
pub struct Hs256Signer {
    encoding: EncodingKey,
    header: Header,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
}

/// A ring entry for `secret`, whose id is its RFC 7638 thumbprint.
pub(crate) fn signing_key(secret: &[u8], now: UnixTime) -> Result<SigningKey> {
    if secret.len() < crate::MIN_KEY_BYTES {
        return Err(Hs256Error::KeyTooShort(secret.len()).into());
    }
    let kid = thumbprint(&format!(
        r#"{{"k":"{}","kty":"oct"}}"#,
        URL_SAFE_NO_PAD.encode(secret)
    ));
    Ok(SigningKey::new(kid, ALGORITHM, secret, now))
}

impl Hs256Signer {
    /// A signer over `ring`.
    pub fn new(ring: &KeyRing) -> Result<Self> {
        let current = ring.current()?;
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("at+jwt".into());
        header.kid = Some(current.kid.clone());
        let mut decoding = HashMap::new();
        for key in &ring.keys {
            let secret = key.material()?;
            decoding.insert(
                key.kid.clone(),
                DecodingKey::from_secret(&secret).map_err(Hs256Error::Encode)?,
            );
        }
        // Time, issuer and audience are judged by core's `Expectations` with the injected clock;
        // here only the algorithm, the key and the claim shapes.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        Ok(Self {
            encoding: EncodingKey::from_secret(&current.material()?).map_err(Hs256Error::Encode)?,
            header,
            decoding,
            validation,
        })
    }
}

impl TokenSigner for Hs256Signer {
    fn issue(&self, claims: &AccessClaims) -> Result<String> {
        jsonwebtoken::encode(&self.header, claims, &self.encoding)
            .map_err(|error| Hs256Error::Encode(error).into())
    }

    fn decode(&self, token: &str) -> Result<AccessClaims, OAuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(rejected)?;
        let key = header
            .kid
            .as_ref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or_else(|| OAuthError::invalid_token("the access token names an unknown key"))?;
        jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(rejected)
    }

    fn public_keys(&self) -> Vec<serde_json::Value> {
        Vec::new()
    }
}
