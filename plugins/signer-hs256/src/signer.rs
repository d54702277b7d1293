//! HMAC-SHA256 JWT access tokens.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mcp_oauth_core::model::AccessClaims;
use mcp_oauth_core::{OAuthError, Result, TokenSigner};

use crate::error::{Hs256Error, rejected};

/// Signs and verifies HS256 JWTs with one symmetric key.
pub struct Hs256Signer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    header: Header,
    validation: Validation,
}

impl Hs256Signer {
    /// A signer with `key`, which must be at least 32 bytes.
    pub fn new(key: &[u8]) -> Result<Self> {
        if key.len() < crate::MIN_KEY_BYTES {
            return Err(Hs256Error::KeyTooShort(key.len()).into());
        }
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some("at+jwt".into());
        // Time, issuer and audience are judged by core's `Expectations` with the injected clock;
        // here only the signature, the algorithm and the claim shapes are checked.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        Ok(Self {
            encoding: EncodingKey::from_secret(key).map_err(Hs256Error::Encode)?,
            decoding: DecodingKey::from_secret(key).map_err(Hs256Error::Encode)?,
            header,
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
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(rejected)
    }

    fn public_keys(&self) -> Vec<serde_json::Value> {
        Vec::new()
    }
}
