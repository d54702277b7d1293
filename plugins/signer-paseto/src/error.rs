//! The PASETO signers' errors, converted to core's at the edge.

use mcp_oauth_core::{Error, OAuthError};

/// A pasetors failure while making keys or tokens (never shown to clients).
pub(crate) fn signing(error: pasetors::errors::Error) -> Error {
    Error::signing_caused("PASETO key or token", error)
}

/// Every verification failure is the same answer to the client: the token is not valid.
pub(crate) fn rejected<E>(_: E) -> OAuthError {
    OAuthError::invalid_token("the access token is malformed, altered or not ours")
        .because(mcp_oauth_core::Refusal::BadSignature)
}
