//! What every route shares: the app state in the request, body-size limits, RFC-shaped JSON for
//! every error (including the framework's parse, size, routing and method errors, and panics),
//! `Cache-Control: no-store` on OAuth answers, and the `MCP_OAUTH_ENABLED=false` switch.

use std::sync::Arc;
use std::time::Instant;

use mcp_oauth_core::ErrorCode;
use poem::error::ReadBodyError;
use poem::http::{HeaderValue, StatusCode, header};
use poem::middleware::CatchPanic;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};

use crate::error::{ErrorBody, SCOPE_HINT};
use crate::state::AppState;

/// Largest request body on OAuth and discovery routes.
const OAUTH_BODY_LIMIT: usize = 16 * 1024;
/// Largest request body elsewhere (memory content is at most 100,000 characters).
const API_BODY_LIMIT: usize = 1024 * 1024;

/// Which part of the surface a path belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Area {
    /// `POST /oauth/register` and `/oauth/clients/{client_id}`: parse errors are
    /// `invalid_client_metadata` (RFC 7591 §3.2.2, RFC 7592 §2.2).
    Registration,
    /// Other OAuth and discovery routes.
    OAuth,
    /// Everything else.
    Other,
}

impl Area {
    fn of(path: &str) -> Self {
        if path == "/oauth/register" || path.starts_with("/oauth/clients/") {
            Area::Registration
        } else if path.starts_with("/oauth/")
            || path.starts_with("/.well-known/")
            || path.starts_with("/mcp/.well-known/")
        {
            Area::OAuth
        } else {
            Area::Other
        }
    }

    fn body_limit(self) -> usize {
        match self {
            Area::Registration | Area::OAuth => OAUTH_BODY_LIMIT,
            Area::Other => API_BODY_LIMIT,
        }
    }
}

/// The shared middleware around the routes.
pub struct Shared<E> {
    inner: poem::middleware::CatchPanicEndpoint<E, ()>,
    state: Arc<AppState>,
    oauth_enabled: bool,
}

impl<E: Endpoint> Shared<E> {
    /// Wraps `inner`.
    pub fn new(inner: E, state: Arc<AppState>, oauth_enabled: bool) -> Self {
        Self {
            inner: inner.with(CatchPanic::new()),
            state,
            oauth_enabled,
        }
    }

    fn error(&self, status: StatusCode, code: ErrorCode, description: String) -> Response {
        let body = ErrorBody {
            error: code.as_str().to_owned(),
            error_description: description,
        };
        let mut response = poem_openapi::payload::Json(body).into_response();
        response.set_status(status);
        if status == StatusCode::UNAUTHORIZED {
            let challenge = format!(
                "Bearer error=\"invalid_token\", scope=\"{SCOPE_HINT}\", resource_metadata=\"{}\"",
                self.state.challenge.resource_metadata
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }

    /// The seconds to wait when the request is over its client's rate limit. Only the OAuth
    /// endpoints that do work are limited, by the peer address (behind a proxy, every client
    /// shares the proxy's address: size the limit for it, or limit at the proxy).
    fn rate_limited(&self, req: &Request) -> Option<u64> {
        let limit = self.state.rate_limit.as_ref()?;
        let limited = matches!(
            req.uri().path(),
            "/oauth/register"
                | "/oauth/authorize"
                | "/oauth/token"
                | "/oauth/revoke"
                | "/oauth/introspect"
        );
        let ip = req.remote_addr().as_socket_addr()?.ip();
        limited.then(|| limit.check(ip)).flatten()
    }

    /// The JSON answer for an error the framework raised.
    fn framework_error(&self, error: poem::Error, area: Area) -> Response {
        let status = error.status();
        let (code, description) = match status {
            s if s.is_server_error() => {
                tracing::error!(%error, "internal error");
                (
                    ErrorCode::ServerError,
                    "the server met an internal error".to_owned(),
                )
            }
            StatusCode::UNAUTHORIZED => (ErrorCode::InvalidToken, error.to_string()),
            StatusCode::BAD_REQUEST if area == Area::Registration => {
                (ErrorCode::InvalidClientMetadata, error.to_string())
            }
            StatusCode::NOT_FOUND => (ErrorCode::InvalidRequest, "no such endpoint".to_owned()),
            StatusCode::METHOD_NOT_ALLOWED => (
                ErrorCode::InvalidRequest,
                "this endpoint does not take that method".to_owned(),
            ),
            _ => (ErrorCode::InvalidRequest, error.to_string()),
        };
        self.error(status, code, description)
    }
}

impl<E: Endpoint> Endpoint for Shared<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        // The access log names the path only: a query may carry `api_key`, a code or a state.
        let (method, path, started) = (
            req.method().clone(),
            req.uri().path().to_owned(),
            Instant::now(),
        );
        let response = self.answer(req).await;
        tracing::info!(
            %method,
            path,
            status = response.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "request"
        );
        Ok(response)
    }
}

impl<E: Endpoint> Shared<E> {
    async fn answer(&self, mut req: Request) -> Response {
        let area = Area::of(req.uri().path());
        if !self.oauth_enabled && area != Area::Other {
            let description = "OAuth is disabled on this server (MCP_OAUTH_ENABLED=false)";
            return self.error(
                StatusCode::NOT_FOUND,
                ErrorCode::InvalidRequest,
                description.into(),
            );
        }
        if let Some(wait) = self.rate_limited(&req) {
            let mut response = self.error(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TemporarilyUnavailable,
                format!("too many requests from this address; retry in {wait} s"),
            );
            if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        match req.take_body().into_bytes_limit(area.body_limit()).await {
            Ok(bytes) => req.set_body(bytes),
            Err(ReadBodyError::PayloadTooLarge) => {
                let description = format!("the request body exceeds {} bytes", area.body_limit());
                return self.error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::InvalidRequest,
                    description,
                );
            }
            Err(error) => {
                let description = format!("the request body could not be read: {error}");
                return self.error(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::InvalidRequest,
                    description,
                );
            }
        }
        req.extensions_mut().insert(self.state.clone());
        let mut response = match self.inner.call(req).await {
            Ok(response) => response.into_response(),
            Err(error) if error.is_from_response() => error.into_response(),
            Err(error) => self.framework_error(error, area),
        };
        if response.status().is_server_error() && !is_json(&response) {
            // A panic caught by CatchPanic, or a framework 5xx with a plain body.
            tracing::error!(status = %response.status(), "internal error");
            response = self.error(
                response.status(),
                ErrorCode::ServerError,
                "the server met an internal error".into(),
            );
        }
        if area != Area::Other {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        response
    }
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}
