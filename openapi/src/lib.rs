//! The typed HTTP surface of the MCP OAuth server: every operation is a poem-openapi handler, so
//! the OpenAPI spec (`/openapi.json`, `/openapi.yaml`, Swagger UI at `/docs`) is generated from
//! the code that serves it.
//!
//! [`endpoint`] assembles the operations with the middleware every route shares: RFC-shaped JSON
//! for every error (the framework's own included), body-size limits, `Cache-Control: no-store` on
//! OAuth answers, and a panic catcher that still answers in JSON.

mod account;
pub mod audit;
mod auth;
mod authorize;
pub mod client_address;
mod client_auth;
mod clients;
mod consent_page;
mod discovery;
mod docs;
mod error;
mod health;
mod keys;
mod memories;
pub mod metrics;
mod middleware;
mod pages;
mod rate_limit;
mod register;
mod revoke;
mod session;
mod site;
mod state;
mod tags;
mod token;
mod upstream;

use std::sync::Arc;

pub use auth::{Auth, authenticate};
pub use discovery::{AuthorizationServerMetadata, ProtectedResourceMetadata};
pub use docs::{SWAGGER_CLIENT_ID, register_swagger_client};
pub use error::{Challenge, ErrorBody, ErrorResponse, log_fault};
pub use rate_limit::{FailureBudget, RateLimit};
pub use site::{CorsOrigins, Site};
pub use state::AppState;

use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::OpenApiService;

/// The title of the API in the spec.
pub const TITLE: &str = "MCP Memory Service";

/// Every operation group, in the order of the spec.
pub type Apis = (
    discovery::DiscoveryApi,
    register::RegisterApi,
    clients::ClientsApi,
    authorize::AuthorizeApi,
    upstream::UpstreamApi,
    account::AccountApi,
    token::TokenApi,
    keys::KeysApi,
    revoke::RevokeApi,
    memories::MemoryApi,
    health::HealthApi,
    pages::LandingApi,
);

/// The OpenAPI service over every operation group.
pub fn api_service(state: &Arc<AppState>) -> OpenApiService<Apis, ()> {
    let apis = (
        discovery::DiscoveryApi::new(state),
        register::RegisterApi {
            state: state.clone(),
        },
        clients::ClientsApi {
            state: state.clone(),
        },
        authorize::AuthorizeApi {
            state: state.clone(),
        },
        upstream::UpstreamApi {
            state: state.clone(),
        },
        account::AccountApi {
            state: state.clone(),
        },
        token::TokenApi {
            state: state.clone(),
        },
        keys::KeysApi {
            state: state.clone(),
        },
        revoke::RevokeApi {
            state: state.clone(),
        },
        memories::MemoryApi {
            state: state.clone(),
        },
        health::HealthApi {
            state: state.clone(),
        },
        pages::LandingApi {
            state: state.clone(),
        },
    );
    OpenApiService::new(apis, TITLE, env!("CARGO_PKG_VERSION")).description(
        "OAuth 2.1 authorization server (dynamic client registration, authorization code with \
         PKCE, refresh rotation, client credentials) and the memory service it protects.",
    )
}

/// Every route of the HTTP surface, with the shared middleware and CORS, the landing page and
/// favicon, and `mcp` (the MCP endpoint, which this crate does not know) at `/mcp` (and `/mcp/`). `oauth_enabled: false` answers 404 on the OAuth and
/// discovery routes (API key only, like `MCP_OAUTH_ENABLED=false`).
pub fn endpoint(
    state: Arc<AppState>,
    oauth_enabled: bool,
    mcp: impl Endpoint<Output = poem::Response> + 'static,
) -> impl Endpoint<Output = poem::Response> {
    let service = api_service(&state);
    let docs_state = state.clone();
    let docs = docs::SwaggerUi::new(move || {
        let service = api_service(&docs_state);
        let swagger = service.swagger_ui().map_to_response().boxed();
        (swagger, service.swagger_ui_html())
    });
    let route = Route::new()
        .at(
            "/favicon.ico",
            poem::get(poem::endpoint::make_sync(|_| pages::favicon())),
        )
        .at("/mcp", mcp)
        .at("/metrics", poem::get(health::metrics))
        .at("/openapi.json", service.spec_endpoint())
        .at("/openapi.yaml", service.spec_endpoint_yaml())
        .nest("/docs", docs)
        .nest("/", service)
        .with(state.site.cors());
    middleware::Shared::new(route, state, oauth_enabled)
}
