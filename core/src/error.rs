//! Protocol outcomes ([`OAuthError`] with a registered [`ErrorCode`]) and internal faults ([`Error`]).
//!
//! Core knows no HTTP: the one function that turns these into a status, a JSON body and a
//! `WWW-Authenticate` header lives in the `openapi` crate.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

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
///
/// When the outcome comes from an internal fault (`server_error`, `temporarily_unavailable`), the
/// fault travels along as its [`source`](std::error::Error::source), so that the HTTP layer, which
/// alone chooses the answer, can log its whole chain once. The client never sees it.
#[derive(Clone, Debug)]
pub struct OAuthError {
    /// The registered error code.
    pub code: ErrorCode,
    /// What went wrong, for a developer; never contains a secret.
    pub description: Cow<'static, str>,
    /// For [`ErrorCode::InsufficientScope`]: the scope the request needed (RFC 6750 §3).
    pub required_scope: Option<String>,
    /// For [`ErrorCode::InvalidToken`]: the request carried no credentials at all, so its bearer
    /// challenge names no error (RFC 6750 §3.1) and only says where to get a token.
    pub credentials_missing: bool,
    /// The internal fault behind a `server_error` or `temporarily_unavailable`.
    pub fault: Option<Arc<Error>>,
    /// For a refusal of a caller over a budget (a rate limit, failed credentials): the seconds to
    /// wait, answered as `429` with `Retry-After`.
    pub retry_after: Option<u64>,
    /// Why the request was refused, for operators (the `reason` of the refusal metric); `None`
    /// where the error code says it all.
    pub reason: Option<Refusal>,
}

/// Why a request was refused, finer than its error code: what an operator reads on the refusal
/// metric to tell a client's bug from an attack or a server fault. Never sent to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// A token, code, refresh token or assertion past its expiry.
    Expired,
    /// A token that is malformed or whose signature does not verify.
    BadSignature,
    /// A token that names a signing key this server does not have.
    UnknownKey,
    /// A token for another resource (audience).
    WrongAudience,
    /// A token issued by another server.
    WrongIssuer,
    /// A revoked token or grant.
    Revoked,
    /// A rotated refresh token presented again: its whole family is revoked.
    ReusedRefresh,
    /// An authorization code presented again: what it issued is revoked.
    ReusedCode,
    /// A code unknown, expired or used (no record of it).
    UnknownCode,
    /// A refresh token unknown, expired or revoked.
    UnknownRefresh,
    /// A PKCE verifier that is missing, malformed or does not match.
    InvalidPkce,
    /// A client id this server does not know.
    UnknownClient,
    /// A client secret or assertion that does not authenticate the client.
    BadClientCredentials,
    /// A redirect URI that differs from the registered one or the authorization request's.
    RedirectMismatch,
    /// A grant presented by a client other than the one it was issued to.
    WrongClient,
    /// Over the per-address request rate (`MCP_OAUTH_RATE_LIMIT_PER_MINUTE`).
    RateLimited,
    /// Too many failed credentials from this address.
    TooManyFailures,
    /// A request without any credential on a protected route.
    MissingCredentials,
    /// An API key that is not the owner's.
    BadApiKey,
    /// A token without the scope the route needs.
    InsufficientScope,
    /// A `Host` this server does not answer to (DNS rebinding).
    UnknownHost,
    /// A browser `Origin` that may not call this server.
    ForbiddenOrigin,
    /// A request body over the size limit.
    TooLarge,
}

impl Refusal {
    /// The label value on the refusal metric.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::BadSignature => "bad_signature",
            Self::UnknownKey => "unknown_key",
            Self::WrongAudience => "wrong_audience",
            Self::WrongIssuer => "wrong_issuer",
            Self::Revoked => "revoked",
            Self::ReusedRefresh => "reused_refresh",
            Self::ReusedCode => "reused_code",
            Self::UnknownCode => "unknown_code",
            Self::UnknownRefresh => "unknown_refresh",
            Self::InvalidPkce => "invalid_pkce",
            Self::UnknownClient => "unknown_client",
            Self::BadClientCredentials => "bad_client_credentials",
            Self::RedirectMismatch => "redirect_mismatch",
            Self::WrongClient => "wrong_client",
            Self::RateLimited => "rate_limited",
            Self::TooManyFailures => "too_many_failures",
            Self::MissingCredentials => "missing_credentials",
            Self::BadApiKey => "bad_api_key",
            Self::InsufficientScope => "insufficient_scope",
            Self::UnknownHost => "unknown_host",
            Self::ForbiddenOrigin => "forbidden_origin",
            Self::TooLarge => "too_large",
        }
    }
}

impl PartialEq for OAuthError {
    /// Two outcomes are equal when a client would see the same answer; the fault is not compared.
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
            && self.description == other.description
            && self.required_scope == other.required_scope
            && self.credentials_missing == other.credentials_missing
            && self.retry_after == other.retry_after
    }
}

impl Eq for OAuthError {}

impl OAuthError {
    /// An error with `code` and `description`.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            required_scope: None,
            credentials_missing: false,
            fault: None,
            retry_after: None,
            reason: None,
        }
    }

    /// This error, with `reason` saying why (for the refusal metric).
    #[must_use]
    pub fn because(self, reason: Refusal) -> Self {
        Self {
            reason: Some(reason),
            ..self
        }
    }

    /// The label of the refusal metric: the reason when one is known, else the error code.
    pub fn reason_label(&self) -> &'static str {
        self.reason.map_or(self.code.as_str(), Refusal::as_str)
    }

    /// A refusal with `code` of a caller over a budget, who may try again in `seconds`.
    pub fn over_budget(
        code: ErrorCode,
        description: impl Into<Cow<'static, str>>,
        seconds: u64,
    ) -> Self {
        Self {
            retry_after: Some(seconds),
            ..Self::new(code, description)
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

    /// `invalid_token` for a request that carried no credentials (RFC 6750 §3.1).
    pub fn credentials_missing(description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            credentials_missing: true,
            ..Self::invalid_token(description).because(Refusal::MissingCredentials)
        }
    }

    /// `invalid_client_metadata` with `description`.
    pub fn invalid_client_metadata(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClientMetadata, description)
    }

    /// `insufficient_scope`, naming the scope the request needed.
    pub fn insufficient_scope(required: &str) -> Self {
        Self {
            required_scope: Some(required.to_owned()),
            ..Self::new(
                ErrorCode::InsufficientScope,
                format!("this request needs the '{required}' scope"),
            )
            .because(Refusal::InsufficientScope)
        }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.fault
            .as_deref()
            .map(|fault| fault as &(dyn std::error::Error + 'static))
    }
}

/// The cause of an internal fault, as the library that failed reported it.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An internal fault: storage, signing or configuration. Never shown to a client verbatim; its
/// [`source`](std::error::Error::source) chain reaches the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The storage backend cannot be reached now; the request may succeed later.
    #[error("storage unavailable: {context}")]
    Unavailable {
        /// What was being done.
        context: String,
        /// What the backend said, when it said something.
        #[source]
        cause: Option<Cause>,
    },
    /// The storage backend failed or returned data it cannot read.
    #[error("storage error: {context}")]
    Storage {
        /// What was being done.
        context: String,
        /// What the backend said, when it said something.
        #[source]
        cause: Option<Cause>,
    },
    /// A record with this identity already exists.
    #[error("already exists: {0}")]
    Conflict(String),
    /// Signing or key handling failed.
    #[error("signing error: {context}")]
    Signing {
        /// What was being done.
        context: String,
        /// What the signing library said, when it said something.
        #[source]
        cause: Option<Cause>,
    },
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

impl Error {
    /// A storage fault described by `context` alone.
    pub fn storage(context: impl Into<String>) -> Self {
        Self::Storage {
            context: context.into(),
            cause: None,
        }
    }

    /// A storage fault: `context` says what was being done, `cause` what the backend said.
    pub fn storage_caused(context: impl Into<String>, cause: impl Into<Cause>) -> Self {
        Self::Storage {
            context: context.into(),
            cause: Some(cause.into()),
        }
    }

    /// An unreachable backend described by `context` alone.
    pub fn unavailable(context: impl Into<String>) -> Self {
        Self::Unavailable {
            context: context.into(),
            cause: None,
        }
    }

    /// An unreachable backend: `context` says what was being done, `cause` what the driver said.
    pub fn unavailable_caused(context: impl Into<String>, cause: impl Into<Cause>) -> Self {
        Self::Unavailable {
            context: context.into(),
            cause: Some(cause.into()),
        }
    }

    /// A signing fault described by `context` alone.
    pub fn signing(context: impl Into<String>) -> Self {
        Self::Signing {
            context: context.into(),
            cause: None,
        }
    }

    /// A signing fault: `context` says what was being done, `cause` what the library said.
    pub fn signing_caused(context: impl Into<String>, cause: impl Into<Cause>) -> Self {
        Self::Signing {
            context: context.into(),
            cause: Some(cause.into()),
        }
    }

    /// This fault and every cause under it, outermost first, joined by `: `: the one line the
    /// log shows.
    pub fn chain(&self) -> String {
        let mut line = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            line.push_str(": ");
            line.push_str(&cause.to_string());
            next = cause.source();
        }
        line
    }
}

/// The result type of core operations that may fail internally.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for OAuthError {
    fn from(error: Error) -> Self {
        let (code, description) = match error {
            Error::Unavailable { .. } => (
                ErrorCode::TemporarilyUnavailable,
                "the storage backend is unavailable; try again shortly",
            ),
            _ => (ErrorCode::ServerError, "the server met an internal error"),
        };
        Self {
            fault: Some(Arc::new(error)),
            ..Self::new(code, description)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_faults_never_leak_their_cause() {
        let error: OAuthError = Error::storage_caused(
            "reading client x",
            std::io::Error::other("disk /secret/path full"),
        )
        .into();
        assert_eq!(error.code, ErrorCode::ServerError);
        assert!(!error.description.contains("secret"));
        assert!(!error.to_string().contains("secret"));
        let error: OAuthError = Error::unavailable("connection refused").into();
        assert_eq!(error.code, ErrorCode::TemporarilyUnavailable);
    }

    #[test]
    fn a_fault_keeps_its_whole_cause_chain() {
        let error: OAuthError =
            Error::storage_caused("reading client x", std::io::Error::other("disk full")).into();
        let fault = std::error::Error::source(&error).expect("the fault travels along");
        assert_eq!(fault.to_string(), "storage error: reading client x");
        assert_eq!(
            error.fault.as_deref().map(Error::chain).as_deref(),
            Some("storage error: reading client x: disk full")
        );
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
