//! What every route shares: the `Host` check (DNS rebinding), the app state in the request,
//! body-size limits, RFC-shaped JSON for every error (including the framework's parse, size,
//! routing, method and CORS errors, and panics) or an HTML page where a person is looking,
//! `Cache-Control: no-store` on OAuth answers and on answers to requests carrying `?api_key=`,
//! challenges that name the loopback alias the client used, `/mcp/` as `/mcp`, and the
//! `MCP_OAUTH_ENABLED=false` switch.

use std::sync::Arc;
use std::time::Instant;

use mcp_oauth_core::{ErrorCode, OAuthError, Refusal};
use poem::error::{CorsError, ReadBodyError};
use poem::http::{HeaderValue, Method, StatusCode, Uri, header};
use poem::middleware::CatchPanic;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use tracing::Instrument as _;

use crate::client_address::ClientAddress;
use crate::error::ErrorBody;
use crate::pages;
use crate::state::AppState;

/// Largest request body on OAuth and discovery routes.
const OAUTH_BODY_LIMIT: usize = 16 * 1024;
/// Largest request body elsewhere (memory content is at most 100,000 characters).
const API_BODY_LIMIT: usize = 1024 * 1024;
/// The endpoint clients send people to in a browser: its errors are pages for those who ask for
/// HTML.
const BROWSER_PATH: &str = "/oauth/authorize";
/// Every page people reach in a browser: the authorization endpoint, sign-out and the account
/// page (and, below [`SIGN_IN_ELSEWHERE`], a sign-in at another site).
const PERSON_PATHS: [&str; 3] = [BROWSER_PATH, "/oauth/sign-out", ACCOUNT_PATH];
/// Where a sign-in at another site leaves and comes back.
const SIGN_IN_ELSEWHERE: &str = "/oauth/sign-in/";
/// The connected-apps page: personal, so never cached, and part of OAuth.
const ACCOUNT_PATH: &str = "/account";
/// The routes any `Host` may reach: health probes (a load balancer's or Kubernetes') name the
/// server by its address, and the answers tell a rebinding page nothing.
const HEALTH_PATHS: [&str; 2] = ["/api/health", "/api/health/ready"];
/// The metrics: scrapers name the server by its address too, so any `Host` may reach them when a
/// scrape token guards them (a rebinding page cannot send it); without one, only the server's
/// own names.
const METRICS_PATH: &str = "/metrics";

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
            || path == ACCOUNT_PATH
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

/// How long clients and caches may keep a successful answer at `path`: discovery documents
/// (RFC 8414 §3 and RFC 9728 §3 leave caching to HTTP) for five minutes, the key set for one,
/// so that a rotated key reaches verifiers that do not refetch on an unknown `kid` within a
/// minute. Everything else under OAuth is `no-store`.
fn cacheable(path: &str, response: &Response) -> Option<&'static str> {
    if !response.status().is_success() {
        None
    } else if path.starts_with("/.well-known/") || path.starts_with("/mcp/.well-known/") {
        Some("public, max-age=300")
    } else if path == JWKS_PATH {
        Some("public, max-age=60")
    } else {
        None
    }
}

/// The JSON Web Key Set's path.
const JWKS_PATH: &str = "/oauth/jwks.json";

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

    /// Whether `path` answers whatever `Host` the request names.
    fn any_host_may_ask(&self, path: &str) -> bool {
        HEALTH_PATHS.contains(&path) || (path == METRICS_PATH && self.state.metrics.needs_token())
    }

    fn error(
        &self,
        status: StatusCode,
        code: ErrorCode,
        description: String,
        reason: Option<Refusal>,
    ) -> Response {
        let mut error = OAuthError::new(code, description);
        error.reason = reason;
        self.state.challenge.response(status, &error)
    }

    /// The seconds to wait when the request is over its client's rate limit. Only the OAuth
    /// endpoints that do work are limited, by the peer address (behind a proxy, every client
    /// shares the proxy's address: size the limit for it, or limit at the proxy).
    fn rate_limited(&self, req: &Request) -> Option<u64> {
        let limit = self.state.rate_limit.as_ref()?;
        let limited = req.method() != Method::OPTIONS
            && matches!(
                req.uri().path(),
                "/oauth/register"
                    | "/oauth/authorize"
                    | "/oauth/token"
                    | "/oauth/revoke"
                    | "/oauth/introspect"
            );
        let ip = crate::auth::client_ip(req)?;
        limited.then(|| limit.check(ip)).flatten()
    }

    /// The JSON answer for an error the framework raised.
    fn framework_error(&self, error: poem::Error, area: Area, origin: Option<&str>) -> Response {
        let status = error.status();
        if error.is::<CorsError>() {
            let description = format!(
                "the Origin {} may not call this server (MCP_CORS_ORIGINS), or asked for a \
                 method or header it does not take",
                origin.unwrap_or("(none)")
            );
            return self.error(
                StatusCode::FORBIDDEN,
                ErrorCode::InvalidRequest,
                description,
                Some(Refusal::ForbiddenOrigin),
            );
        }
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
        self.error(status, code, description, None)
    }
}

impl<E: Endpoint> Endpoint for Shared<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        // The access log names the path only: a query may carry `api_key`, a code or a state.
        let (method, path, started) = (
            req.method().clone(),
            req.uri().path().to_owned(),
            Instant::now(),
        );
        let client = req.remote_addr().as_socket_addr().map(|peer| {
            ClientAddress(
                self.state
                    .trusted_proxies
                    .client_of(peer.ip(), req.headers()),
            )
        });
        if let Some(client) = client {
            req.extensions_mut().insert(client);
        }
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(MAX_USER_AGENT).collect::<String>())
            .unwrap_or_default();
        let id = request_id(&req);
        // Every line logged while answering, the fault behind an error included, names the id.
        let span = tracing::info_span!("request", id = %id);
        let mut response = self.answer(req).instrument(span.clone()).await;
        self.state.metrics.request(
            method.as_str(),
            &path,
            response.status().as_u16(),
            started.elapsed(),
        );
        let client = client
            .map(|client| client.0.to_string())
            .unwrap_or_default();
        let status = response.status().as_u16();
        let micros = started.elapsed().as_micros() as u64;
        // Short targets, so that `grep oauth` finds the OAuth traffic.
        span.in_scope(|| match Area::of(&path) {
            Area::Registration | Area::OAuth => {
                tracing::info!(target: "oauth", %method, path, status, micros, client, user_agent, "request")
            }
            Area::Other if path == "/mcp" || path == "/mcp/" => {
                tracing::info!(target: "mcp", %method, path, status, micros, client, user_agent, "request")
            }
            Area::Other => {
                tracing::info!(target: "api", %method, path, status, micros, client, user_agent, "request")
            }
        });
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        Ok(response)
    }
}

impl<E: Endpoint> Shared<E> {
    async fn answer(&self, mut req: Request) -> Response {
        if !self.any_host_may_ask(req.uri().path()) && !self.state.site.host_allowed(&req) {
            let description = "this server does not answer to that Host name; set \
                               MCP_OAUTH_ISSUER to the URL clients use";
            return self.error(
                StatusCode::FORBIDDEN,
                ErrorCode::InvalidRequest,
                description.into(),
                Some(Refusal::UnknownHost),
            );
        }
        if req.uri().path() == "/mcp/" {
            // Load balancers and some clients add the slash.
            let query = req
                .uri()
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            if let Ok(uri) = format!("/mcp{query}").parse::<Uri>() {
                *req.uri_mut() = uri;
            }
        }
        let area = Area::of(req.uri().path());
        let path = req.uri().path().to_owned();
        let path = path.as_str();
        let person = (PERSON_PATHS.contains(&path) || path.starts_with(SIGN_IN_ELSEWHERE))
            && pages::accepts_html(&req);
        // RFC 6750 §2.3: an answer to a request with a credential in its URL is private.
        let key_in_url = crate::auth::query_api_key(&req).is_some();
        let issuer = self.state.site.issuer_for(&req).to_owned();
        let mut response = crate::error::answering_as(issuer, self.respond(req, area)).await;
        if person && (response.status().is_client_error() || response.status().is_server_error()) {
            response = into_page(response).await;
        }
        if key_in_url {
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store, private"),
            );
        } else if let Some(policy) = cacheable(path, &response) {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        } else if area != Area::Other {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        response
    }

    /// The answer of the routes, or of the switch, limit or body check that stops the request
    /// first.
    async fn respond(&self, mut req: Request, area: Area) -> Response {
        if !self.oauth_enabled && area != Area::Other {
            let description = "OAuth is disabled on this server (MCP_OAUTH_ENABLED=false)";
            return self.error(
                StatusCode::NOT_FOUND,
                ErrorCode::InvalidRequest,
                description.into(),
                None,
            );
        }
        if let Some(wait) = self.rate_limited(&req) {
            // `temporarily_unavailable` is registered for the authorization endpoint only
            // (RFC 6749 §4.1.2.1); the token, registration, revocation and introspection
            // endpoints answer with a code of their own (RFC 6749 §5.2).
            let code = if req.uri().path() == BROWSER_PATH {
                ErrorCode::TemporarilyUnavailable
            } else {
                ErrorCode::InvalidRequest
            };
            return self.state.challenge.response(
                StatusCode::TOO_MANY_REQUESTS,
                &OAuthError::over_budget(
                    code,
                    format!("too many requests from this address; retry in {wait} s"),
                    wait,
                )
                .because(Refusal::RateLimited),
            );
        }
        match req.take_body().into_bytes_limit(area.body_limit()).await {
            Ok(bytes) => req.set_body(bytes),
            Err(ReadBodyError::PayloadTooLarge) => {
                let description = format!("the request body exceeds {} bytes", area.body_limit());
                return self.error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::InvalidRequest,
                    description,
                    Some(Refusal::TooLarge),
                );
            }
            Err(error) => {
                let description = format!("the request body could not be read: {error}");
                return self.error(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::InvalidRequest,
                    description,
                    None,
                );
            }
        }
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        req.extensions_mut().insert(self.state.clone());
        let response = match self.inner.call(req).await {
            Ok(response) => response.into_response(),
            Err(error) if error.is_from_response() => error.into_response(),
            Err(error) => self.framework_error(error, area, origin.as_deref()),
        };
        if response.status().is_server_error() && !is_json(&response) {
            // A panic caught by CatchPanic, or a framework 5xx with a plain body.
            tracing::error!(status = %response.status(), "internal error");
            return self.error(
                response.status(),
                ErrorCode::ServerError,
                "the server met an internal error".into(),
                None,
            );
        }
        response
    }
}

/// The header that names a request in the answer and in every log line about it.
const REQUEST_ID: &str = "x-request-id";
/// Longest request id taken from a proxy.
const MAX_REQUEST_ID: usize = 64;
/// Longest user agent written to the log.
const MAX_USER_AGENT: usize = 200;

/// The request's id: the one a proxy in front set in `X-Request-Id`, when it is short and plain
/// (letters, digits, `-`, `_`, `.`), so that its log and ours name the request alike; otherwise a
/// new random one.
fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_REQUEST_ID
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map_or_else(
            || mcp_oauth_core::secret::hex(&mcp_oauth_core::secret::random_bytes(8)),
            str::to_owned,
        )
}

/// A JSON error answer turned into the error page, for a person's browser.
async fn into_page(response: Response) -> Response {
    if !is_json(&response) {
        return response;
    }
    let status = response.status();
    let bytes = response.into_body().into_bytes().await.unwrap_or_default();
    let body = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
    let field = |name: &str| {
        body.as_ref()
            .and_then(|body| body[name].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let body = ErrorBody {
        error: field("error"),
        error_description: field("error_description"),
    };
    pages::error_page(status, &body)
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}
