//! Signing keys: the public ones for resource servers (`/oauth/jwks.json`), and the ring for the
//! owner (list, rotate).

use std::sync::Arc;

use mcp_oauth_core::keyring::KeyRing;
use mcp_oauth_core::model::{AuditKind, Scope};
use mcp_oauth_core::{Error, OAuthError, TokenSigner as _};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::auth::{ApiScope, Auth};
use crate::error::ErrorResponse;
use crate::state::AppState;
use crate::tags::ApiTags;

/// A JSON Web Key Set (RFC 7517 §5).
#[derive(Debug, Object)]
pub struct JwkSet {
    /// Public keys: the current one and, after a rotation, earlier ones until their tokens expire.
    /// PASETO v4.public keys also carry their PASERK as `paserk`.
    pub keys: Vec<serde_json::Value>,
}

/// A key of the signer's ring, without its material.
#[derive(Debug, Object)]
pub struct KeyInfo {
    /// Key id (`kid`).
    pub kid: String,
    /// Algorithm.
    pub algorithm: String,
    /// When it was made (seconds since the epoch).
    pub created_at: i64,
    /// Age in seconds.
    pub age_seconds: i64,
    /// When it stopped signing; absent for the current key.
    #[oai(skip_serializing_if_is_none)]
    pub retired_at: Option<i64>,
    /// Whether it signs new tokens.
    pub current: bool,
}

/// The signer's ring.
#[derive(Debug, Object)]
pub struct KeyList {
    /// The signer plugin.
    pub signer: String,
    /// Its keys, oldest first; the last is current.
    pub keys: Vec<KeyInfo>,
}

impl KeyList {
    /// The listing of `ring` at `now`.
    pub fn of(signer: &str, ring: &KeyRing, now: i64) -> Self {
        let last = ring.keys.len().saturating_sub(1);
        Self {
            signer: signer.to_owned(),
            keys: ring
                .keys
                .iter()
                .enumerate()
                .map(|(index, key)| KeyInfo {
                    kid: key.kid.clone(),
                    algorithm: key.algorithm.clone(),
                    created_at: key.created_at,
                    age_seconds: now - key.created_at,
                    retired_at: key.retired_at,
                    current: index == last,
                })
                .collect(),
        }
    }
}

/// The key endpoints.
pub struct KeysApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::OAuth")]
impl KeysApi {
    /// Public keys for verifying access tokens (RFC 7517)
    ///
    /// Empty for symmetric signers (`hs256`, `paseto-v4-local`).
    #[oai(path = "/oauth/jwks.json", method = "get")]
    async fn jwks(&self) -> Json<JwkSet> {
        Json(JwkSet {
            keys: self.state.signing.public_keys(),
        })
    }

    /// The signer's key ring (admin)
    #[oai(path = "/oauth/keys", method = "get")]
    async fn list(
        &self,
        #[oai(scope = "ApiScope::Admin")] auth: Auth,
    ) -> Result<Json<KeyList>, ErrorResponse> {
        auth.require(Scope::Admin).map_err(|e| self.state.fail(e))?;
        let ring = self.state.signing.ring();
        let now = self.state.engine.clock().now();
        Ok(Json(KeyList::of(self.state.signing.name(), &ring, now)))
    }

    /// Rotate the signing key (admin)
    ///
    /// A new key signs from now on; the previous one keeps verifying (and stays in the JWKS) until
    /// every token it signed has expired. Other replicas pick the change up within 30 seconds.
    #[oai(path = "/oauth/keys/rotate", method = "post")]
    async fn rotate(
        &self,
        #[oai(scope = "ApiScope::Admin")] auth: Auth,
    ) -> Result<Json<KeyList>, ErrorResponse> {
        auth.require(Scope::Admin).map_err(|e| self.state.fail(e))?;
        let now = self.state.engine.clock().now();
        let ring = self
            .state
            .signing
            .rotate(now)
            .await
            .map_err(|error| match error {
                // A configured key: the answer says which setting to change.
                Error::Config { .. } => self
                    .state
                    .fail(OAuthError::invalid_request(error.to_string())),
                other => self.state.fail(other),
            })?;
        let kid = ring
            .current()
            .map(|key| key.kid.clone())
            .unwrap_or_default();
        tracing::info!(signer = self.state.signing.name(), %kid, "signing key rotated");
        self.state.audit.note(AuditKind::KeyRotated, |event| {
            event
                .subject(auth.0.subject.as_str())
                .detail(format!("{} {kid}", self.state.signing.name()))
        });
        Ok(Json(KeyList::of(self.state.signing.name(), &ring, now)))
    }
}
