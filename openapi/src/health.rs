//! Liveness.

use std::sync::Arc;

use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

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

/// Liveness, without authentication.
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
}
