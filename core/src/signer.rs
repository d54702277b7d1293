//! Token signing: the one plugin trait for access-token formats, and the claim checks every format
//! shares.

use crate::clock::UnixTime;
use crate::error::{OAuthError, Refusal, Result};
use crate::model::AccessClaims;

/// Issues and verifies access tokens in one format. Signing is CPU work, so the trait is sync.
pub trait TokenSigner: Send + Sync {
    /// Signs `claims` into a token.
    fn issue(&self, claims: &AccessClaims) -> Result<String>;

    /// Checks the token's format and signature and returns its claims, **without** judging time,
    /// issuer or audience (see [`Expectations::check`]). Any failure is `invalid_token`; no input
    /// may panic.
    fn decode(&self, token: &str) -> Result<AccessClaims, OAuthError>;

    /// The public keys a resource server needs to verify tokens, as JWKs; empty for symmetric keys.
    fn public_keys(&self) -> Vec<serde_json::Value>;
}

/// What a valid access token must say, judged after its signature.
#[derive(Clone, Debug)]
pub struct Expectations<'a> {
    /// The issuer the token must name.
    pub issuer: &'a str,
    /// The audiences this resource server answers to; the token's `aud` must be one of them.
    pub audiences: &'a [String],
    /// The current time.
    pub now: UnixTime,
}

/// Clock skew tolerated on `iat` between replicas.
const IAT_LEEWAY_SECONDS: i64 = 60;

impl Expectations<'_> {
    /// Rejects a token that expired, is not yet valid, or names another issuer or audience.
    pub fn check(&self, claims: &AccessClaims) -> Result<(), OAuthError> {
        if claims.exp <= self.now {
            return Err(
                OAuthError::invalid_token("the access token has expired").because(Refusal::Expired)
            );
        }
        if claims.iat > self.now + IAT_LEEWAY_SECONDS {
            return Err(
                OAuthError::invalid_token("the access token is not valid yet")
                    .because(Refusal::Expired),
            );
        }
        if claims.iss != self.issuer {
            return Err(
                OAuthError::invalid_token("the access token was issued by another server")
                    .because(Refusal::WrongIssuer),
            );
        }
        if !self.audiences.contains(&claims.aud) {
            return Err(
                OAuthError::invalid_token("the access token is for another resource")
                    .because(Refusal::WrongAudience),
            );
        }
        Ok(())
    }

    /// Decodes `token` with `signer` and checks its claims.
    pub fn verify(
        &self,
        signer: &dyn TokenSigner,
        token: &str,
    ) -> Result<AccessClaims, OAuthError> {
        let claims = signer.decode(token)?;
        self.check(&claims)?;
        Ok(claims)
    }
}
