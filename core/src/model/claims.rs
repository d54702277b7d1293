//! The claims of an access token (RFC 9068 JWT profile; PASETO tokens carry the same set).

use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;

/// The claims every signer puts into, and reads back from, an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer: this server's issuer URL.
    pub iss: String,
    /// Subject: the resource owner, or the client itself for `client_credentials`.
    pub sub: String,
    /// Audience: the protected resource the token is for.
    pub aud: String,
    /// Expiry time.
    pub exp: UnixTime,
    /// Issue time.
    pub iat: UnixTime,
    /// Unique token id, for revocation.
    pub jti: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Space-delimited granted scopes.
    pub scope: String,
}
