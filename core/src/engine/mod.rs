//! The protocol engine: one method per flow, typed requests in, typed results or an
//! [`OAuthError`](crate::OAuthError) out. It knows no HTTP and reads the time only from its
//! [`Clock`].

mod assertions;
mod authorize;
mod cache;
mod client_auth;
mod consent;
mod documents;
mod grants;
mod id_jag;
mod pinned;
mod register;
mod resource;
mod revoke;
mod session;
mod token;
mod verify;

use std::sync::Arc;

pub use assertions::ClientAssertions;
pub use authorize::{Approval, AuthorizationRequest, AuthorizeFailure, ValidatedAuthorization};
pub use client_auth::ClientCredentials;
pub use consent::ConsentSeal;
pub use documents::{ClientDocuments, DocumentFetcher, FetchedDocument};
pub use grants::revoke_stored_grant;
pub use id_jag::{ID_JAG_PROFILE, ID_JAG_TYPE, TrustedIssuer};
pub use register::{
    RegisteredClient, Registrar, RegistrationRequest, delete_stored_client, prune_unused_clients,
};
pub use revoke::{Introspection, Introspector, TokenHint};
pub use session::{SessionClaim, SessionSeal};
pub use token::{Grant, TokenRequest, TokenResponse};
pub use verify::Principal;

use crate::clock::Clock;
use crate::error::OAuthError;
use crate::model::{Client, ClientId};
use crate::signer::TokenSigner;
use crate::store::Storage;

/// When PKCE is required on authorization requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PkcePolicy {
    /// Required from public clients (RFC 9700 §2.1.1); enforced for everyone who sends a challenge.
    Public,
    /// Required from every client.
    All,
}

/// The engine's settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// The issuer URL, without a trailing slash.
    pub issuer: String,
    /// Access-token lifetime in seconds.
    pub access_token_ttl: i64,
    /// Authorization-code lifetime in seconds.
    pub code_ttl: i64,
    /// Refresh-token lifetime in seconds.
    pub refresh_token_ttl: i64,
    /// When PKCE is required.
    pub pkce: PkcePolicy,
    /// Other issuer URLs that name this same server: the other loopback names (`127.0.0.1`,
    /// `[::1]`) of a derived `http://localhost:PORT` issuer. A client that reached the server
    /// through one of them is answered with it (metadata, RFC 9207 `iss`), and the resources
    /// under each are accepted as audiences, so a token for one loopback name works on the
    /// others. Empty for an issuer set by the deployer.
    pub issuer_aliases: Vec<String>,
    /// Whether a rotated refresh token keeps working until its successor is first used
    /// (`MCP_OAUTH_REFRESH_REUSE_GRACE`, default on). On, a client that lost a refresh response
    /// (a dropped connection, a crash before it saved the new token) presents the old token again
    /// and gets a new successor, the unused one being discarded; reuse after the successor was
    /// used still revokes the family. Off, any second use revokes the family at once: stricter
    /// against a stolen token that is used first, and the user signs in again after a lost
    /// response (RFC 9700 §4.14.2 allows both).
    pub refresh_reuse_grace: bool,
    /// Seconds after which a registered client that never completed a grant is removed
    /// (`MCP_OAUTH_UNUSED_CLIENT_TTL`, default a day); `0` keeps every client.
    pub unused_client_ttl: i64,
}

impl EngineConfig {
    /// The resource this server protects by default, and the audience of tokens that name none:
    /// `{issuer}/mcp`.
    pub fn default_resource(&self) -> String {
        format!("{}/mcp", self.issuer)
    }

    /// Every audience this server's resource endpoints accept: `{issuer}/mcp` and the issuer
    /// itself, under the issuer and under each of its aliases.
    pub fn resources(&self) -> Vec<String> {
        self.issuers()
            .flat_map(|issuer| [format!("{issuer}/mcp"), issuer.to_owned()])
            .collect()
    }

    /// The issuer and its aliases, the issuer first.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.issuer.as_str()).chain(self.issuer_aliases.iter().map(String::as_str))
    }

    /// `name` if it is the issuer or one of its aliases, else the issuer: the issuer to answer a
    /// request with, given the one its URL named.
    pub fn issuer_named<'a>(&'a self, name: &str) -> &'a str {
        self.issuers()
            .find(|issuer| *issuer == name)
            .unwrap_or(&self.issuer)
    }
}

/// The authorization server: configuration, storage, signer and clock.
pub struct AuthorizationServer {
    config: EngineConfig,
    resources: Vec<String>,
    storage: Arc<dyn Storage>,
    signer: Arc<dyn TokenSigner>,
    clock: Arc<dyn Clock>,
    documents: Option<ClientDocuments>,
    assertions: Option<ClientAssertions>,
    /// The enterprise identity providers whose ID-JAGs are accepted.
    trusted_issuers: Vec<TrustedIssuer>,
    /// Access-token ids (and deleted clients) → whether revoked, as storage last said.
    revocations: cache::TimedCache<String, bool>,
    /// Access tokens whose signature was checked, by the hash of their text, until they expire.
    verified: cache::TimedCache<[u8; 32], verify::Verified>,
    /// Registered clients as storage last said, for [`CLIENT_TTL`] seconds.
    clients: cache::TimedCache<ClientId, Client>,
    /// People's grants to clients as storage last said, for a few seconds.
    consents: cache::TimedCache<grants::GrantKey, Option<crate::model::Consent>>,
}

/// How long a client read from storage is believed: the longest an update or deletion made on
/// another replica can go unnoticed here (the replica that made it forgets its copy at once). It
/// matches the revocation cache, so a deleted client and its tokens stop working elsewhere within
/// the same few seconds. Only clients that exist are cached: a new one is found at once.
const CLIENT_TTL: i64 = 5;
/// Most clients the client cache holds before it starts afresh.
const CLIENT_CACHE_LIMIT: usize = 16_384;

impl AuthorizationServer {
    /// An engine over `storage`, signing with `signer`, reading the time from `clock`.
    pub fn new(
        config: EngineConfig,
        storage: Arc<dyn Storage>,
        signer: Arc<dyn TokenSigner>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let resources = config.resources();
        Self {
            config,
            resources,
            storage,
            signer,
            clock,
            documents: None,
            assertions: None,
            trusted_issuers: Vec::new(),
            revocations: cache::TimedCache::new(revoke::REVOCATION_CACHE_LIMIT),
            verified: cache::TimedCache::new(verify::VERIFIED_LIMIT),
            clients: cache::TimedCache::new(CLIENT_CACHE_LIMIT),
            consents: cache::TimedCache::new(grants::CONSENT_CACHE_LIMIT),
        }
    }

    /// Accepts client ID metadata documents: a `client_id` that is a URL is resolved by `documents`.
    pub fn with_client_documents(mut self, documents: ClientDocuments) -> Self {
        self.documents = Some(documents);
        self
    }

    /// Whether client ID metadata documents are accepted.
    pub fn supports_client_documents(&self) -> bool {
        self.documents.is_some()
    }

    /// The client with `client_id`: a registered one, or the one its metadata document describes.
    /// Registered clients come from a short-lived cache (see [`CLIENT_TTL`]).
    pub async fn find_client(&self, client_id: &str) -> Result<Option<Client>, OAuthError> {
        self.find_client_at(client_id, self.clock.now()).await
    }

    pub(crate) async fn find_client_at(
        &self,
        client_id: &str,
        now: crate::clock::UnixTime,
    ) -> Result<Option<Client>, OAuthError> {
        match &self.documents {
            Some(documents) if ClientDocuments::is_document_id(client_id) => {
                documents.resolve(client_id, now).await.map(Some)
            }
            _ => {
                let id = ClientId::new(client_id);
                if let Some(client) = self.clients.get(&id, now) {
                    return Ok(Some(client));
                }
                let found = self.storage.client(&id).await?;
                if let Some(client) = &found {
                    self.clients.put(id, client.clone(), now + CLIENT_TTL);
                }
                Ok(found)
            }
        }
    }

    /// The engine's settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The token signer.
    pub fn signer(&self) -> &dyn TokenSigner {
        self.signer.as_ref()
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Whether the storage answers now: one read, for the readiness probe.
    pub async fn storage_ready(&self) -> Result<(), crate::Error> {
        self.storage.key("readiness-probe").await.map(|_| ())
    }

    /// How many clients are registered and how many grants are in force, read from the
    /// storage (for `/metrics`).
    pub async fn census(&self) -> Result<Census, crate::Error> {
        Ok(Census {
            clients: self.storage.clients().await?.len(),
            grants: self
                .storage
                .consents(None)
                .await?
                .iter()
                .filter(|consent| consent.revoked_at.is_none())
                .count(),
        })
    }
}

/// The live records an operator watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Census {
    /// Registered clients.
    pub clients: usize,
    /// Grants in force (a person's remembered approval of a client).
    pub grants: usize,
}
