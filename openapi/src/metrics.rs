//! What an operator scrapes at `GET /metrics` (OpenMetrics text, which Prometheus reads):
//! requests by route, method and status with latency, tokens issued by grant and signer,
//! authorization outcomes, refusals by reason (to tell a client's bug from an attack or a fault),
//! internal faults by kind, and the live clients and grants, counted at each scrape.
//!
//! Each server has its own registry, so that several in one process (the tests) count apart.

use std::time::Duration;

use mcp_oauth_core::secret::SecretHash;
use mcp_oauth_core::{Error, ErrorCode, OAuthError};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One request answered.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

/// A route, for the latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

/// A token response.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    grant_type: &'static str,
    signer: &'static str,
}

/// How an authorization request ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// A refused request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    reason: &'static str,
    error: &'static str,
}

/// An internal fault.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaultLabels {
    kind: &'static str,
}

/// A storage operation (the storage method's name).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

/// A failed storage operation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StorageErrorLabels {
    operation: &'static str,
    kind: &'static str,
}

/// How an authorization request ended, on `oauth_authorizations_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Approved without a page (`MCP_OAUTH_AUTO_APPROVE`).
    AutoApproved,
    /// Approved at once: the person approved this client before (remembered consent).
    Remembered,
    /// Approved on the consent page.
    Approved,
    /// Denied on the consent page.
    Denied,
    /// The consent page was shown.
    ConsentShown,
    /// Refused, with the error sent back to the client's redirect URI.
    ErrorRedirected,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Self::AutoApproved => "auto_approved",
            Self::Remembered => "remembered",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::ConsentShown => "consent_shown",
            Self::ErrorRedirected => "error_redirected",
        }
    }
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
    tokens: Family<TokenLabels, Counter>,
    authorizations: Family<OutcomeLabels, Counter>,
    refusals: Family<RefusalLabels, Counter>,
    faults: Family<FaultLabels, Counter>,
    storage_durations: Family<OperationLabels, Histogram>,
    storage_errors: Family<StorageErrorLabels, Counter>,
    registrations: Counter,
    revocations: Counter,
    clients: Gauge,
    grants: Gauge,
    scrape_token: Option<SecretHash>,
}

fn latency_histogram() -> Histogram {
    // 100 µs to about 3 s.
    Histogram::new(exponential_buckets(0.0001, 2.5, 12))
}

fn storage_histogram() -> Histogram {
    // 10 µs (an in-memory map) to about 2.6 s (a database timing out).
    Histogram::new(exponential_buckets(0.00001, 4.0, 10))
}

impl Metrics {
    /// Empty metrics; `scrape_token` (`MCP_METRICS_TOKEN`), when set, is the bearer token a
    /// scraper must send.
    pub fn new(scrape_token: Option<SecretHash>) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route",
            durations.clone(),
        );
        let tokens = Family::<TokenLabels, Counter>::default();
        registry.register(
            "oauth_tokens_issued",
            "Access tokens issued, by grant type and signer",
            tokens.clone(),
        );
        let authorizations = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "oauth_authorizations",
            "Authorization requests, by outcome",
            authorizations.clone(),
        );
        let refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "oauth_refusals",
            "Requests refused, by reason and the error code answered",
            refusals.clone(),
        );
        let faults = Family::<FaultLabels, Counter>::default();
        registry.register(
            "server_faults",
            "Internal faults behind 5xx answers, by kind (storage, storage_unavailable, signing, other)",
            faults.clone(),
        );
        let storage_durations = Family::<OperationLabels, Histogram>::new_with_constructor(
            storage_histogram as fn() -> Histogram,
        );
        registry.register(
            "storage_operation_duration_seconds",
            "Time the storage took, by operation (the storage method: take_code, rotate_refresh, …)",
            storage_durations.clone(),
        );
        let storage_errors = Family::<StorageErrorLabels, Counter>::default();
        registry.register(
            "storage_errors",
            "Storage operations that failed, by operation and kind (unavailable, storage)",
            storage_errors.clone(),
        );
        let registrations = Counter::default();
        registry.register(
            "oauth_registrations",
            "Clients registered (RFC 7591)",
            registrations.clone(),
        );
        let revocations = Counter::default();
        registry.register(
            "oauth_revocations",
            "Tokens revoked (RFC 7009)",
            revocations.clone(),
        );
        let clients = Gauge::default();
        registry.register(
            "oauth_clients",
            "Registered clients, counted at the scrape",
            clients.clone(),
        );
        let grants = Gauge::default();
        registry.register(
            "oauth_grants",
            "Grants in force (a person's approval of a client), counted at the scrape",
            grants.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            tokens,
            authorizations,
            refusals,
            faults,
            storage_durations,
            storage_errors,
            registrations,
            revocations,
            clients,
            grants,
            scrape_token,
        }
    }

    /// Whether a scrape with `bearer` may read the metrics.
    pub fn admits(&self, bearer: Option<&str>) -> bool {
        match &self.scrape_token {
            None => true,
            Some(hash) => bearer.is_some_and(|token| hash.matches(token)),
        }
    }

    /// Whether scrapes need a token.
    pub fn needs_token(&self) -> bool {
        self.scrape_token.is_some()
    }

    /// Counts a request answered.
    pub fn request(&self, method: &str, path: &str, status: u16, took: Duration) {
        let route = route_of(path);
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method: method_label(method),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels { route })
            .observe(took.as_secs_f64());
    }

    /// Counts an error answer: a refusal by its reason, or a fault by its kind.
    pub fn error(&self, error: &OAuthError) {
        match error.code {
            ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable
                if error.fault.is_some() || error.reason.is_none() =>
            {
                let kind = match error.fault.as_deref() {
                    Some(Error::Unavailable { .. }) => "storage_unavailable",
                    Some(Error::Storage { .. }) => "storage",
                    Some(Error::Signing { .. }) => "signing",
                    _ => "other",
                };
                self.faults.get_or_create(&FaultLabels { kind }).inc();
            }
            _ => self.refused(error.reason_label(), error.code),
        }
    }

    /// Counts a refusal that is not an error answer (a wrong sign-in on the consent page).
    pub fn refused(&self, reason: &'static str, code: ErrorCode) {
        self.refusals
            .get_or_create(&RefusalLabels {
                reason,
                error: code.as_str(),
            })
            .inc();
    }

    /// Counts an access token issued.
    pub fn token_issued(&self, grant_type: &'static str, signer: &'static str) {
        self.tokens
            .get_or_create(&TokenLabels { grant_type, signer })
            .inc();
    }

    /// Counts an authorization outcome.
    pub fn authorization(&self, outcome: Outcome) {
        self.authorizations
            .get_or_create(&OutcomeLabels {
                outcome: outcome.label(),
            })
            .inc();
    }

    /// Counts a registration.
    pub fn registered(&self) {
        self.registrations.inc();
    }

    /// Counts a revocation.
    pub fn revoked(&self) {
        self.revocations.inc();
    }

    /// The exposition, with the live counts as given.
    pub fn render(&self, clients: Option<usize>, grants: Option<usize>) -> String {
        let set = |gauge: &Gauge, count: Option<usize>| match count {
            Some(count) => {
                gauge.set(i64::try_from(count).unwrap_or(i64::MAX));
            }
            None => {
                gauge.set(-1);
            }
        };
        set(&self.clients, clients);
        set(&self.grants, grants);
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl mcp_oauth_core::observed::StorageObserver for Metrics {
    fn observed(&self, operation: &'static str, elapsed: Duration, failure: Option<&Error>) {
        self.storage_durations
            .get_or_create(&OperationLabels { operation })
            .observe(elapsed.as_secs_f64());
        // A conflict (a taken id) is an answer, not a fault.
        let kind = match failure {
            Some(Error::Unavailable { .. }) => "unavailable",
            Some(Error::Storage { .. }) => "storage",
            _ => return,
        };
        self.storage_errors
            .get_or_create(&StorageErrorLabels { operation, kind })
            .inc();
    }
}

/// The route a path belongs to, with its variable parts named, so that labels stay few.
pub fn route_of(path: &str) -> &'static str {
    const FIXED: [&str; 29] = [
        "/mcp",
        "/metrics",
        "/api/health",
        "/api/health/ready",
        "/api/memories",
        "/api/search",
        "/api/search/by-tag",
        "/api/tags",
        "/oauth/register",
        "/oauth/authorize",
        "/oauth/token",
        "/oauth/revoke",
        "/oauth/introspect",
        "/oauth/jwks.json",
        "/oauth/keys",
        "/oauth/keys/rotate",
        "/oauth/grants",
        "/oauth/sign-out",
        "/account",
        "/openapi.json",
        "/openapi.yaml",
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/mcp",
        "/.well-known/openid-configuration",
        "/.well-known/openid-configuration/mcp",
        "/mcp/.well-known/openid-configuration",
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
        "/",
    ];
    if let Some(fixed) = FIXED.iter().find(|fixed| **fixed == path) {
        return fixed;
    }
    const PREFIXED: [(&str, &str); 4] = [
        ("/api/memories/", "/api/memories/{content_hash}"),
        ("/oauth/clients/", "/oauth/clients/{client_id}"),
        ("/oauth/sign-in/", "/oauth/sign-in/{authenticator}"),
        ("/docs", "/docs"),
    ];
    if path.starts_with("/oauth/sign-in/") && path.ends_with("/callback") {
        return "/oauth/sign-in/{authenticator}/callback";
    }
    PREFIXED
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map_or("other", |(_, route)| route)
}

fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "HEAD" => "HEAD",
        "PATCH" => "PATCH",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_oauth_core::Refusal;

    #[test]
    fn routes_name_their_variable_parts() {
        assert_eq!(route_of("/oauth/token"), "/oauth/token");
        assert_eq!(
            route_of("/api/memories/abc123"),
            "/api/memories/{content_hash}"
        );
        assert_eq!(route_of("/oauth/clients/x"), "/oauth/clients/{client_id}");
        assert_eq!(route_of("/wp-login.php"), "other");
    }

    #[test]
    fn refusals_are_counted_by_reason_and_faults_by_kind() {
        let metrics = Metrics::new(None);
        metrics.error(&OAuthError::invalid_token("x").because(Refusal::Expired));
        metrics.error(&OAuthError::invalid_grant("y"));
        metrics.error(&Error::unavailable("down").into());
        let text = metrics.render(Some(2), None);
        assert!(text.contains(r#"oauth_refusals_total{reason="expired",error="invalid_token"} 1"#));
        assert!(
            text.contains(
                r#"oauth_refusals_total{reason="invalid_grant",error="invalid_grant"} 1"#
            )
        );
        assert!(text.contains(r#"server_faults_total{kind="storage_unavailable"} 1"#));
        assert!(text.contains("oauth_clients 2"));
        assert!(text.contains("oauth_grants -1"));
    }

    #[test]
    fn a_scrape_token_is_required_when_set() {
        let metrics = Metrics::new(Some(mcp_oauth_core::secret::Secret::new("s3").hash()));
        assert!(metrics.admits(Some("s3")));
        assert!(!metrics.admits(Some("s4")) && !metrics.admits(None));
        assert!(Metrics::new(None).admits(None));
    }
}
