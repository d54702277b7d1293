//! The one place where an error becomes an HTTP answer: status, RFC-shaped JSON body
//! (`error`, `error_description`) and, where the RFCs ask for it, `WWW-Authenticate`. It is also
//! where the internal fault behind an answer is logged, once, with its whole cause chain, inside
//! the request's span (which carries the request id, see [`crate::middleware`]).

use mcp_oauth_core::{ErrorCode, OAuthError};
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

/// An error answer (RFC 6749 §5.2, RFC 6750 §3, RFC 7591 §3.2.2).
#[derive(Clone, Debug, Object)]
pub struct ErrorBody {
    /// A registered error code, e.g. `invalid_request`.
    pub error: String,
    /// What went wrong, for the developer of the client.
    pub error_description: String,
}

/// Every error status an operation can answer with; the body is always an [`ErrorBody`].
#[derive(Debug, ApiResponse)]
pub enum ErrorResponse {
    /// The request is malformed, or a parameter or grant is invalid.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Missing, invalid or expired credentials. `WWW-Authenticate` names the scheme and, for
    /// bearer tokens, where to find the protected-resource metadata.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>, #[oai(header = "WWW-Authenticate")] String),
    /// The credentials lack the scope this operation needs (`insufficient_scope`, with the scope in
    /// `WWW-Authenticate`), or the owner denied the request.
    #[oai(status = 403)]
    Forbidden(
        Json<ErrorBody>,
        #[oai(header = "WWW-Authenticate")] Option<String>,
    ),
    /// No such resource.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The request is too large.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The request's content type is not one this operation accepts.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Too many requests, or too many failed credentials, from this address; retry after
    /// `Retry-After` seconds.
    #[oai(status = 429)]
    TooManyRequests(
        Json<ErrorBody>,
        #[oai(header = "Retry-After")] Option<String>,
    ),
    /// An internal error.
    #[oai(status = 500)]
    ServerError(Json<ErrorBody>),
    /// Storage is unavailable; retry later.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

/// The scopes a 401 suggests asking for (MCP authorization: the `scope` of the challenge).
pub const SCOPE_HINT: &str = "read write";

tokio::task_local! {
    /// The issuer name the request being answered reached the server by: the issuer, or one of
    /// its loopback aliases.
    static REQUEST_ISSUER: String;
}

/// Answers with `answer`, whose bearer challenges name `issuer`'s protected-resource metadata:
/// a client that reached the server as `127.0.0.1` is sent to metadata naming `127.0.0.1`, as the
/// TypeScript SDK requires. The shared middleware runs every request in it.
pub async fn answering_as<F: std::future::Future>(issuer: String, answer: F) -> F::Output {
    REQUEST_ISSUER.scope(issuer, answer).await
}

/// What the error renderer needs to know about this server.
#[derive(Clone, Debug)]
pub struct Challenge {
    /// The issuer, named in challenges rendered outside any request.
    pub issuer: String,
    /// Where each error answer is counted (refusals by reason, faults by kind).
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
}

impl Challenge {
    /// `{issuer}/.well-known/oauth-protected-resource/mcp` for the issuer the request reached the
    /// server by, named in bearer challenges (RFC 9728 §5.1).
    fn resource_metadata(&self) -> String {
        let metadata = |issuer: &str| format!("{issuer}/.well-known/oauth-protected-resource/mcp");
        REQUEST_ISSUER
            .try_with(|issuer| metadata(issuer))
            .unwrap_or_else(|_| metadata(&self.issuer))
    }

    /// Turns a protocol error into its HTTP answer.
    pub fn render(&self, error: &OAuthError) -> ErrorResponse {
        self.render_with_status(error, None)
    }

    /// The answer with exactly `status`, for the refusals of the shared middleware (a `Host` it
    /// does not serve, a body too large, a rate limit, a panic).
    pub fn response(&self, status: StatusCode, error: &OAuthError) -> Response {
        let mut response = self.render_with_status(error, Some(status)).into_response();
        response.set_status(status);
        response
    }

    /// Like [`render`](Self::render), with a status other than the code's own (400 for
    /// `invalid_client` where no client authenticates; 403, 404, 405, 413, 415, 429 for
    /// `invalid_request` and `temporarily_unavailable`).
    pub fn render_with_status(
        &self,
        error: &OAuthError,
        status: Option<StatusCode>,
    ) -> ErrorResponse {
        log_fault(error);
        self.metrics.error(error);
        let body = Json(ErrorBody {
            error: error.code.as_str().to_owned(),
            error_description: error.description.to_string(),
        });
        let bearer = |code: ErrorCode, scope: Option<&str>| {
            let scope = scope
                .map(|s| format!(", scope=\"{s}\""))
                .unwrap_or_default();
            format!(
                "Bearer error=\"{code}\", error_description=\"{}\"{scope}, resource_metadata=\"{}\"",
                quoted(&error.description),
                self.resource_metadata()
            )
        };
        let retry_after = error.retry_after.map(|seconds| seconds.to_string());
        if retry_after.is_some() {
            return ErrorResponse::TooManyRequests(body, retry_after);
        }
        match status {
            Some(StatusCode::BAD_REQUEST) => return ErrorResponse::BadRequest(body),
            Some(StatusCode::FORBIDDEN) => return ErrorResponse::Forbidden(body, None),
            Some(StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED) => {
                return ErrorResponse::NotFound(body);
            }
            Some(StatusCode::PAYLOAD_TOO_LARGE) => return ErrorResponse::PayloadTooLarge(body),
            Some(StatusCode::UNSUPPORTED_MEDIA_TYPE) => {
                return ErrorResponse::UnsupportedMediaType(body);
            }
            Some(StatusCode::TOO_MANY_REQUESTS) => {
                return ErrorResponse::TooManyRequests(body, None);
            }
            _ => {}
        }
        match error.code {
            // RFC 6750 §3.1: a request without credentials gets a challenge without an error.
            ErrorCode::InvalidToken if error.credentials_missing => ErrorResponse::Unauthorized(
                body,
                format!(
                    "Bearer scope=\"{SCOPE_HINT}\", resource_metadata=\"{}\"",
                    self.resource_metadata()
                ),
            ),
            ErrorCode::InvalidToken => {
                ErrorResponse::Unauthorized(body, bearer(ErrorCode::InvalidToken, Some(SCOPE_HINT)))
            }
            ErrorCode::InsufficientScope => ErrorResponse::Forbidden(
                body,
                Some(bearer(
                    ErrorCode::InsufficientScope,
                    error.required_scope.as_deref(),
                )),
            ),
            // RFC 6749 §5.2: a failed client authentication may answer 401 with the scheme used.
            ErrorCode::InvalidClient => {
                ErrorResponse::Unauthorized(body, "Basic realm=\"mcp-oauth\"".to_owned())
            }
            ErrorCode::AccessDenied => ErrorResponse::Forbidden(body, None),
            ErrorCode::ServerError => ErrorResponse::ServerError(body),
            ErrorCode::TemporarilyUnavailable => ErrorResponse::Unavailable(body),
            _ => ErrorResponse::BadRequest(body),
        }
    }
}

/// Logs the internal fault behind `error`, if there is one: its whole cause chain, from the
/// plugin that failed up. Called where the answer is chosen ([`Challenge::render_with_status`],
/// and the MCP tools, whose errors are not HTTP answers), so each fault is logged once.
pub fn log_fault(error: &OAuthError) {
    let Some(fault) = &error.fault else {
        return;
    };
    match error.code {
        ErrorCode::TemporarilyUnavailable => {
            tracing::warn!(error = %error.code, fault = %fault.chain(), "request failed")
        }
        _ => tracing::error!(error = %error.code, fault = %fault.chain(), "request failed"),
    }
}

/// `text` made safe inside an RFC 7230 quoted-string.
fn quoted(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' || c == '\\' { '\'' } else { c })
        .collect()
}
