//! `private_key_jwt` client authentication (RFC 7523 §2.2, RFC 7521 §4.2): a client signs a short
//! JWT with its own key and presents it instead of a secret. The keys are the client's `jwks`, or
//! the JWK set at its `jwks_uri`, fetched with the same guards as metadata documents and cached.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use url::Url;

use super::AuthorizationServer;
use super::cache::TimedCache;
use super::documents::{DocumentFetcher, MIN_CACHE_SECONDS, cache_seconds, document_url};
use crate::assertion::{AssertionRules, AssertionVerifier, refused};
use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::model::{Client, ClientKeys};

/// Most JWK sets kept in the cache.
const MAX_CACHED: usize = 1024;
/// Longest accepted `jwks_uri`.
const MAX_URI_LEN: usize = 2048;

/// A fetched JWK set and when it was fetched.
#[derive(Clone)]
struct KeySet {
    jwks: Arc<serde_json::Value>,
    fetched_at: UnixTime,
}

/// Verifies client assertions: the signature by a [`AssertionVerifier`], the keys from the client
/// (fetched by a [`DocumentFetcher`] for a `jwks_uri`), the claims by [`AssertionRules`].
pub struct ClientAssertions {
    pub(super) verifier: Arc<dyn AssertionVerifier>,
    fetcher: Arc<dyn DocumentFetcher>,
    allow_http_loopback: bool,
    key_sets: TimedCache<String, KeySet>,
    /// The audiences an assertion may name, set when the engine takes these assertions.
    audiences: Vec<String>,
}

impl ClientAssertions {
    /// Assertions checked by `verifier`, with JWK sets fetched by `fetcher`.
    /// `allow_http_loopback` also accepts `http://` key URLs on loopback hosts: for tests only.
    pub fn new(
        verifier: Arc<dyn AssertionVerifier>,
        fetcher: Arc<dyn DocumentFetcher>,
        allow_http_loopback: bool,
    ) -> Self {
        Self {
            verifier,
            fetcher,
            allow_http_loopback,
            key_sets: TimedCache::new(MAX_CACHED),
            audiences: Vec::new(),
        }
    }

    /// The keys a client registers or publishes, checked: exactly one of `jwks` (a usable JWK set)
    /// and `jwks_uri` (an https URL). `invalid` makes the error (registration and metadata
    /// documents word it differently).
    pub(crate) fn client_keys(
        &self,
        jwks: Option<&serde_json::Value>,
        jwks_uri: Option<&str>,
        invalid: impl Fn(String) -> OAuthError,
    ) -> Result<ClientKeys, OAuthError> {
        let keys = ClientKeys::from_metadata(jwks, jwks_uri).map_err(|why| invalid(why.into()))?;
        match &keys {
            ClientKeys::Jwks(_) => {
                if let Some(jwks) = jwks {
                    self.verifier
                        .check_key_set(jwks)
                        .map_err(|error| invalid(error.description.into_owned()))?;
                }
            }
            ClientKeys::JwksUri(uri) => {
                self.check_key_url(uri)
                    .map_err(|why| invalid(format!("jwks_uri {why}")))?;
            }
        }
        Ok(keys)
    }

    /// The rules for a key URL: those of every document a client publishes, and a bounded
    /// length.
    fn check_key_url(&self, uri: &str) -> Result<Url, &'static str> {
        if uri.len() > MAX_URI_LEN {
            return Err("must be at most 2048 characters");
        }
        document_url(uri, self.allow_http_loopback)
    }

    /// The JWK set at `uri`, cached; `refresh` fetches it again unless the cached copy is less
    /// than a minute old (a client that rotated its key signs with a `kid` the cached copy lacks).
    pub(super) async fn fetched_keys(
        &self,
        uri: &str,
        refresh: bool,
        now: UnixTime,
    ) -> Result<Arc<serde_json::Value>, OAuthError> {
        if let Some(cached) = self.key_sets.get(uri, now)
            && (!refresh || cached.fetched_at + MIN_CACHE_SECONDS > now)
        {
            return Ok(cached.jwks);
        }
        let url = self
            .check_key_url(uri)
            .map_err(|why| refused(&format!("its jwks_uri {why}")))?;
        let fetched = self.fetcher.fetch(&url).await?;
        let jwks: serde_json::Value = serde_json::from_slice(&fetched.body)
            .map_err(|_| refused("its jwks_uri does not serve JSON"))?;
        let jwks = Arc::new(jwks);
        let seconds = cache_seconds(fetched.max_age);
        self.key_sets.put(
            uri.to_owned(),
            KeySet {
                jwks: jwks.clone(),
                fetched_at: now,
            },
            now + seconds,
        );
        Ok(jwks)
    }
}

impl AuthorizationServer {
    /// Accepts `private_key_jwt` client authentication, checked by `assertions`. An assertion
    /// may name, under each issuer name, the issuer or the token endpoint (RFC 7523 §3 allows the
    /// token endpoint URL; the issuer is what newer profiles ask for); the same assertion form
    /// serves revocation and introspection.
    pub fn with_client_assertions(mut self, mut assertions: ClientAssertions) -> Self {
        assertions.audiences = self
            .config
            .issuers()
            .flat_map(|issuer| [issuer.to_owned(), format!("{issuer}/oauth/token")])
            .collect();
        self.assertions = Some(assertions);
        self
    }

    /// Whether `private_key_jwt` client authentication is accepted.
    pub fn supports_client_assertions(&self) -> bool {
        self.assertions.is_some()
    }

    /// Checks that `assertion` was signed by `client` with one of its keys, names this server,
    /// is within its time bounds and was never presented before (its `jti` is recorded in
    /// storage until it expires, so replicas sharing one storage refuse it too).
    pub(crate) async fn check_client_assertion(
        &self,
        client: &Client,
        assertion: &str,
        now: UnixTime,
    ) -> Result<(), OAuthError> {
        let assertions = self
            .assertions
            .as_ref()
            .ok_or_else(|| refused("this server does not accept client assertions"))?;
        let claims = match &client.keys {
            Some(ClientKeys::Jwks(text)) => {
                let jwks = serde_json::from_str(text)
                    .map_err(|_| refused("the client's registered jwks do not read"))?;
                assertions.verifier.verify(assertion, &jwks)?
            }
            Some(ClientKeys::JwksUri(uri)) => {
                let jwks = assertions.fetched_keys(uri, false, now).await?;
                match assertions.verifier.verify(assertion, &jwks) {
                    Ok(claims) => claims,
                    Err(_) => {
                        let jwks = assertions.fetched_keys(uri, true, now).await?;
                        assertions.verifier.verify(assertion, &jwks)?
                    }
                }
            }
            None => return Err(refused("the client has no keys to check an assertion with")),
        };
        AssertionRules {
            client_id: client.client_id.as_str(),
            audiences: &assertions.audiences,
            now,
        }
        .check(&claims)?;
        let digest = Sha256::new()
            .chain_update(client.client_id.as_str())
            .chain_update([0])
            .chain_update(&claims.jti)
            .finalize();
        let key = format!("assertion/{}", crate::secret::hex(&digest));
        let until = claims.exp.max(now) + crate::assertion::LEEWAY_SECONDS;
        if !self.storage.use_once(&key, until, now).await? {
            return Err(refused(
                "the assertion was already used (its jti is single use)",
            ));
        }
        Ok(())
    }
}
