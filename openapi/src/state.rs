//! What every handler shares: the engine, the owner's API key and the consent policy.

use std::sync::Arc;

use mcp_oauth_core::OAuthError;
use mcp_oauth_core::engine::ConsentSeal;
use mcp_oauth_core::secret::SecretHash;
use mcp_oauth_core::{AuthorizationServer, MemoryService, Signing};

use crate::error::{Challenge, ErrorResponse};
use crate::site::Site;

/// The shared state of the HTTP surface.
pub struct AppState {
    /// The OAuth engine.
    pub engine: Arc<AuthorizationServer>,
    /// The memory service, shared with the MCP tools.
    pub memories: Arc<MemoryService>,
    /// The hash of the owner's legacy API key (`MCP_API_KEY`): grants every scope, approves
    /// consent.
    pub api_key: Option<SecretHash>,
    /// The hash of the initial access token registration needs (`MCP_DCR_REGISTRATION_KEY`).
    pub registration_key: Option<SecretHash>,
    /// Whether authorization requests are approved without showing the consent page.
    pub auto_approve: bool,
    /// Whether requests without credentials get `read write` (development only).
    pub allow_anonymous: bool,
    /// Whether the API key may come in the query (`?api_key=`, `MCP_ALLOW_API_KEY_IN_QUERY`).
    pub api_key_in_query: bool,
    /// Seals consent forms against forgery.
    pub consent_seal: ConsentSeal,
    /// The name of the storage plugin in use.
    pub storage_name: String,
    /// The signer in use, with its key ring (JWKS, rotation).
    pub signing: Arc<Signing>,
    /// The per-client-IP limit on the OAuth endpoints that do work; `None` for no limit.
    pub rate_limit: Option<crate::rate_limit::RateLimit>,
    /// Failed credentials per client address, across every route (API key, bearer tokens, the
    /// consent form).
    pub credential_failures: crate::rate_limit::FailureBudget,
    /// Who may approve on the consent page (`MCP_OAUTH_AUTHENTICATOR`), in the order their
    /// sign-ins are shown.
    pub authenticators: Vec<Arc<dyn mcp_oauth_core::Authenticator>>,
    /// Seals browser sessions.
    pub sessions: mcp_oauth_core::engine::SessionSeal,
    /// Renders errors with this server's bearer challenge.
    pub challenge: Challenge,
    /// The names this server answers to and the origins that may call it.
    pub site: Arc<Site>,
    /// The reverse proxies whose `Forwarded`/`X-Forwarded-For` name the client
    /// (`MCP_TRUSTED_PROXIES`).
    pub trusted_proxies: crate::client_address::TrustedProxies,
    /// What `GET /metrics` shows.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Who did what, kept in the storage (`memory audit`).
    pub audit: crate::audit::AuditTrail,
}

impl AppState {
    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.engine.config().issuer
    }

    /// Whether `candidate` is the owner's API key (hashes compared in constant time, so neither
    /// content nor length leaks).
    pub fn is_api_key(&self, candidate: &str) -> bool {
        self.api_key
            .as_ref()
            .is_some_and(|key| key.matches(candidate))
    }

    /// The HTTP answer for `error`.
    pub fn fail(&self, error: impl Into<OAuthError>) -> ErrorResponse {
        self.challenge.render(&error.into())
    }
}
