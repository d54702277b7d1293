//! The MCP endpoint `/mcp`: rmcp's Streamable HTTP server (a tower service, hosted by poem) with
//! the memory tools, behind a guard that authenticates every request and answers as the MCP
//! authorization specification asks: 401 with `WWW-Authenticate` naming the protected-resource
//! metadata, 403 `insufficient_scope` naming the scope a tool needs (step-up). A session belongs
//! to whoever opened it: another principal presenting its `Mcp-Session-Id` is answered 404, as for
//! an unknown session.

mod sessions;
mod tools;

use std::sync::Arc;

use mcp_oauth_core::OAuthError;
use mcp_oauth_openapi::{AppState, authenticate};
use poem::endpoint::TowerCompatExt as _;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use tools::{MemoryTools, required_scope};

/// The `/mcp` endpoint over `state`; `shutdown` ends its sessions and streams. rmcp checks `Host`
/// against the site's names too, after the check every route gets.
pub fn endpoint(
    state: Arc<AppState>,
    shutdown: CancellationToken,
) -> impl Endpoint<Output = Response> {
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(state.site.allowed_hosts().to_vec())
        .with_cancellation_token(shutdown);
    let tools_state = state.clone();
    let owners = Arc::new(sessions::SessionOwners::default());
    let service = StreamableHttpService::new(
        move || Ok(MemoryTools::new(tools_state.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    service
        .compat()
        .map_to_response()
        .around(move |inner, req| {
            let state = state.clone();
            let owners = owners.clone();
            async move { guard(&state, &owners, req, inner).await }
        })
}

/// Authenticates the request, holds a session to the principal that opened it, and checks the
/// scope of every tool it calls before rmcp sees it.
async fn guard(
    state: &AppState,
    owners: &sessions::SessionOwners,
    mut req: Request,
    inner: Arc<impl Endpoint<Output = Response>>,
) -> poem::Result<Response> {
    let principal = match authenticate(&req, state).await {
        Ok(principal) => principal,
        Err(error) => return Ok(state.fail(error).into_response()),
    };
    let session = req
        .headers()
        .get(sessions::SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if let Some(session) = &session
        && !owners.belongs_to(session, &principal)
    {
        return Ok(sessions::not_found());
    }
    let closing = req.method() == poem::http::Method::DELETE;
    if req.method() == poem::http::Method::POST {
        let body = req.take_body().into_bytes().await?;
        if let Some(scope) = called_tools(&body)
            .filter_map(|tool| required_scope(&tool))
            .find(|scope| !principal.scopes.grants(*scope))
        {
            return Ok(state
                .fail(OAuthError::insufficient_scope(scope.as_str()))
                .into_response());
        }
        req.set_body(body);
    }
    req.extensions_mut().insert(principal.clone());
    let response = inner.call(req).await?;
    match (&session, response.headers().get(sessions::SESSION_HEADER)) {
        (None, Some(opened)) => {
            if let Ok(opened) = opened.to_str() {
                owners.opened(opened, &principal);
            }
        }
        (Some(session), _) if closing && response.status().is_success() => {
            owners.closed(session);
        }
        _ => {}
    }
    Ok(response)
}

/// The names of the tools a JSON-RPC message (or batch) calls.
fn called_tools(body: &[u8]) -> impl Iterator<Item = String> {
    let messages = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(batch)) => batch,
        Ok(message) => vec![message],
        Err(_) => Vec::new(),
    };
    messages
        .into_iter()
        .filter(|m| m["method"] == "tools/call")
        .filter_map(|m| m["params"]["name"].as_str().map(str::to_owned))
}
