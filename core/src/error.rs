//! Protocol outcomes ([`OAuthError`] with a registered [`ErrorCode`]) and internal faults ([`Error`]).
//!
//! Core knows no HTTP: the one function that turns these into a status, a JSON body and a
//! `WWW-Authenticate` header lives in the `openapi` crate.

use std::borrow::Cow;
use std::fmt;

/// The registered error codes this server can answer with.
///
/// Each variant is a code registered by RFC 6749, RFC 6750, RFC 7591 or RFC 8707; the string form is
/// exactly the registered value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// RFC 6749 §5.2: the request is missing a parameter, repeats one, or is otherwise malformed.
    InvalidRequest,
    /// RFC 6749 §5.2: client authentication failed.
    InvalidClient,
    /// RFC 6749 §5.2: the code or refresh token is invalid, expired, revoked, or issued to another
    /// client or redirect URI.
    InvalidGrant,
    /// RFC 6749 §5.2: the client may not use this grant type or response type.
    UnauthorizedClient,
    /// RFC 6749 §5.2: the grant type is not supported by this server.
    UnsupportedGrantType,
    /// RFC 6749 §4.1.2.1: the response type is not supported by this server.
    UnsupportedResponseType,
    /// RFC 6749 §5.2: the requested scope is invalid, unknown or exceeds what was granted.
    InvalidScope,
    /// RFC 8707 §2: the requested resource is not one this server protects.
    InvalidTarget,
    /// RFC 7591 §3.2.2: a redirect URI is not acceptable.
    InvalidRedirectUri,
    /// RFC 7591 §3.2.2: a client metadata field is invalid.
    InvalidClientMetadata,
    /// RFC 6750 §3.1: the access token is missing, expired, revoked, malformed or invalid.
    InvalidToken,
    /// RFC 6750 §3.1: the token lacks the scope the request needs.
    InsufficientScope,
    /// RFC 6749 §4.1.2.1: the resource owner denied the request.
    AccessDenied,
    /// RFC 6749 §4.1.2.1: the server met an unexpected condition.
    ServerError,
    /// RFC 6749 §4.1.2.1: the server cannot handle the request now (e.g. its storage is unreachable).
    TemporarilyUnavailable,
}

impl ErrorCode {
    /// The registered string value of the code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol outcome: a registered code and a human-readable description for the client developer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    /// The registered error code.
    pub code: ErrorCode,
    /// What went wrong, for a developer; never contains a secret.
    pub description: Cow<'static, str>,
    /// For [`ErrorCode::InsufficientScope`]: the scope the request needed (RFC 6750 §3).
    pub required_scope: Option<String>,
}

impl OAuthError {
    /// An error with `code` and `description`.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            required_scope: None,
        }
    }

    /// `invalid_request` with `description`.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_client` with `description`.
    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    /// `invalid_grant` with `description`.
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    /// `invalid_scope` with `description`.
    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, description)
    }

    /// `invalid_token` with `description`.
    pub fn invalid_token(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidToken, description)
    }

    /// `invalid_client_metadata` with `description`.
    pub fn invalid_client_metadata(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClientMetadata, description)
    }

    /// `insufficient_scope`, naming the scope the request needed.
    pub fn insufficient_scope(required: &str) -> Self {
        Self {
            code: ErrorCode::InsufficientScope,
            description: format!("this request needs the '{required}' scope").into(),
            required_scope: Some(required.to_owned()),
        }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

/// An internal fault: storage, signing or configuration. Never shown to a client verbatim.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The storage backend cannot be reached now; the request may succeed later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The storage backend failed or returned data it cannot read.
    #[error("storage error: {0}")]
    Storage(String),
    /// A record with this identity already exists.
    #[error("already exists: {0}")]
    Conflict(String),
    /// Signing or key handling failed.
    #[error("signing error: {0}")]
    Signing(String),
    /// A setting has a value the component cannot use.
    #[error("{variable}: got {got:?}, expected {expected}")]
    Config {
        /// The setting's name, e.g. `MCP_OAUTH_SECRET_KEY`.
        variable: String,
        /// The value received (redacted by the caller when secret).
        got: String,
        /// What the setting takes.
        expected: String,
    },
}

/// The result type of core operations that may fail internally.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for OAuthError {
    fn from(error: Error) -> Self {
        match error {
            Error::Unavailable(_) => OAuthError::new(
                ErrorCode::TemporarilyUnavailable,
                "the storage backend is unavailable; try again shortly",
            ),
            _ => OAuthError::new(ErrorCode::ServerError, "the server met an internal error"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_faults_never_leak_their_cause() {
        let error: OAuthError =
            Error::Storage("table clients: disk /secret/path full".into()).into();
        assert_eq!(error.code, ErrorCode::ServerError);
        assert!(!error.description.contains("secret"));
        let error: OAuthError = Error::Unavailable("connection refused".into()).into();
        assert_eq!(error.code, ErrorCode::TemporarilyUnavailable);
    }

    #[test]
    fn codes_print_their_registered_values() {
        assert_eq!(ErrorCode::InvalidTarget.to_string(), "invalid_target");
        assert_eq!(
            ErrorCode::InvalidRedirectUri.as_str(),
            "invalid_redirect_uri"
        );
    }
}
