//! What probes and scrapers read: liveness, readiness (the storage answers) and the metrics.

use std::sync::Arc;

use mcp_oauth_core::OAuthError;
use poem::http::{StatusCode, header};
use poem::{IntoResponse, Request, Response};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::error::ErrorResponse;
use crate::state::AppState;
use crate::tags::ApiTags;

/// The server's health.
#[derive(Debug, Object)]
pub struct Health {
    /// `healthy`.
    pub status: String,
    /// The server's version.
    pub version: String,
    /// The storage plugin in use.
    pub storage: String,
    /// The token signer plugin in use.
    pub signer: String,
}

/// The readiness probe's answer.
#[derive(Debug, Object)]
pub struct Readiness {
    /// `ready`.
    pub status: String,
}

/// The readiness probe: ready, or not while the storage does not answer.
#[derive(ApiResponse)]
pub enum ReadinessResponse {
    /// The storage answers: the server can serve requests.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
}

/// Liveness and readiness, without authentication.
pub struct HealthApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Liveness and the plugins in use (public)
    #[oai(path = "/api/health", method = "get")]
    async fn health(&self) -> Json<Health> {
        Json(Health {
            status: "healthy".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            storage: self.state.storage_name.clone(),
            signer: self.state.signing.name().to_owned(),
        })
    }

    /// Readiness (public): 200 when the storage answers, 503 while it does not
    ///
    /// For a load balancer or Kubernetes: take the replica out of rotation while 503.
    #[oai(path = "/api/health/ready", method = "get")]
    async fn ready(&self) -> Result<ReadinessResponse, ErrorResponse> {
        match self.state.engine.storage_ready().await {
            Ok(()) => Ok(ReadinessResponse::Ready(Json(Readiness {
                status: "ready".to_owned(),
            }))),
            Err(fault) => {
                // Whatever the storage said, the probe's answer is "not now".
                let mut error = OAuthError::from(mcp_oauth_core::Error::unavailable_caused(
                    "readiness probe",
                    fault,
                ));
                error.description = "the storage does not answer; not ready".into();
                Err(self.state.fail(error))
            }
        }
    }
}

/// `GET /metrics`: the OpenMetrics exposition, with the live clients and grants counted now.
/// Outside OAuth; with `MCP_METRICS_TOKEN` set, only for a scraper sending it as a bearer token.
#[poem::handler]
pub async fn metrics(req: &Request) -> Response {
    let Some(state) = req.extensions().get::<Arc<AppState>>() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if !state.metrics.admits(crate::auth::bearer_token(req)) {
        let description = "the metrics need the scrape token (MCP_METRICS_TOKEN) as a bearer token";
        let error = match crate::auth::bearer_token(req) {
            None => OAuthError::credentials_missing(description),
            Some(_) => OAuthError::invalid_token(description),
        };
        return state.fail(error).into_response();
    }
    let census = state.engine.census().await;
    if let Err(fault) = &census {
        tracing::warn!(target: "storage", fault = %fault.chain(), "metrics: cannot count clients and grants");
    }
    let census = census.ok();
    let body = state.metrics.render(
        census.map(|census| census.clients),
        census.map(|census| census.grants),
    );
    Response::builder()
        .header(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}
