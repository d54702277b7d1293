//! The `hs256` signer's errors, converted to core's at the edge.

use mcp_oauth_core::Error;

/// What can go wrong in this plugin.
#[derive(Debug)]
pub(crate) enum Hs256Error {
    /// The configured key is too short.
    KeyTooShort(usize),
}

impl From<Hs256Error> for Error {
    fn from(error: Hs256Error) -> Self {
        match error {
            Hs256Error::KeyTooShort(len) => Error::Config {
                variable: crate::SECRET_KEY.into(),
                got: format!("a key of {len} bytes"),
                expected: format!("at least {} bytes (RFC 7518 §3.2)", crate::MIN_KEY_BYTES),
            },
        }
    }
}
