//! The access claims in PASETO form: registered times as RFC 3339 strings.

use mcp_oauth_core::OAuthError;
use mcp_oauth_core::model::AccessClaims;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::rejected;

/// The payload of a PASETO access token.
#[derive(Serialize, Deserialize)]
struct PasetoClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: String,
    iat: String,
    jti: String,
    client_id: String,
    scope: String,
}

fn rfc3339(unix: i64) -> mcp_oauth_core::Result<String> {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .ok_or_else(|| mcp_oauth_core::Error::signing(format!("time {unix} out of range")))
}

fn unix(text: &str) -> Result<i64, OAuthError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(rejected)
}

/// The payload bytes of `claims`.
pub(crate) fn encode(claims: &AccessClaims) -> mcp_oauth_core::Result<Vec<u8>> {
    let payload = PasetoClaims {
        iss: claims.iss.clone(),
        sub: claims.sub.clone(),
        aud: claims.aud.clone(),
        exp: rfc3339(claims.exp)?,
        iat: rfc3339(claims.iat)?,
        jti: claims.jti.clone(),
        client_id: claims.client_id.clone(),
        scope: claims.scope.clone(),
    };
    serde_json::to_vec(&payload)
        .map_err(|e| mcp_oauth_core::Error::signing_caused("encoding PASETO claims", e))
}

/// The claims of verified payload bytes.
pub(crate) fn decode(payload: &[u8]) -> Result<AccessClaims, OAuthError> {
    let claims: PasetoClaims = serde_json::from_slice(payload).map_err(rejected)?;
    Ok(AccessClaims {
        exp: unix(&claims.exp)?,
        iat: unix(&claims.iat)?,
        iss: claims.iss,
        sub: claims.sub,
        aud: claims.aud,
        jti: claims.jti,
        client_id: claims.client_id,
        scope: claims.scope,
    })
}
