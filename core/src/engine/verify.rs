//! Access-token verification for this server's own resource endpoints, with a cache of tokens
//! whose signature was already checked.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::AuthorizationServer;
use crate::clock::UnixTime;
use crate::error::{OAuthError, Refusal};
use crate::model::{AccessClaims, Scope, ScopeSet};
use crate::signer::Expectations;

/// Most tokens the verified-token cache holds before it starts afresh.
pub(crate) const VERIFIED_LIMIT: usize = 16_384;

/// A token whose signature, issuer and audience were verified. The engine keeps these in a
/// [`TimedCache`](super::cache::TimedCache) keyed by the SHA-256 of the token text, each believed
/// until the token expires: a token presented again costs a hash instead of a signature check (an
/// Ed25519 or PASETO v4.public verification takes 30–40 µs, the hash well under one) and, for a few
/// seconds, no revocation lookup. Every revocation made on this replica forgets the entries it
/// concerns at once. Holding only hashes, the cache never keeps a usable token.
#[derive(Clone)]
pub(crate) struct Verified {
    principal: Arc<Principal>,
    claims: Arc<AccessClaims>,
    /// Until when "not revoked" is believed without asking again.
    unrevoked_until: UnixTime,
}

/// The verified-token cache's key for `token`.
pub(crate) fn key_of(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Who is calling a protected endpoint, and with which scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's subject, or `owner` for the API key.
    pub subject: String,
    /// The client the token was issued to; `None` for the API key.
    pub client_id: Option<String>,
    /// The scopes granted.
    pub scopes: ScopeSet,
}

impl Principal {
    /// The owner, authenticated by the API key: every scope.
    pub fn owner() -> Self {
        Self {
            subject: "owner".into(),
            client_id: None,
            scopes: [Scope::Read, Scope::Write, Scope::Admin]
                .into_iter()
                .collect(),
        }
    }

    /// Succeeds when the principal's scopes grant `scope` (by the hierarchy `admin ⊇ write ⊇
    /// read`); otherwise `insufficient_scope` naming it.
    pub fn require(&self, scope: Scope) -> Result<(), OAuthError> {
        if self.scopes.grants(scope) {
            Ok(())
        } else {
            Err(OAuthError::insufficient_scope(scope.as_str()))
        }
    }
}

/// The principal of a cache entry still believed unrevoked at `now`.
fn fresh(cached: Option<&Verified>, now: UnixTime) -> Option<Principal> {
    cached
        .filter(|verified| verified.unrevoked_until > now)
        .map(|verified| Principal::clone(&verified.principal))
}

impl AuthorizationServer {
    /// The principal of `token` if this server verified it recently and believes it unrevoked:
    /// a hash and a cache lookup, nothing else. `None` says only that the full check
    /// ([`verify_access_token`](Self::verify_access_token)) is needed, or that `token` is no
    /// access token at all (the API key, say).
    pub fn recently_verified(&self, token: &str) -> Option<Principal> {
        let now = self.clock.now();
        fresh(self.verified.get(&key_of(token), now).as_ref(), now)
    }

    /// Verifies an access token presented to one of this server's resource endpoints: signature,
    /// expiry, issuer and audience.
    pub async fn verify_access_token(&self, token: &str) -> Result<Principal, OAuthError> {
        let now = self.clock.now();
        let key = key_of(token);
        // An expired entry is not returned: the full check below then says why.
        let cached = self.verified.get(&key, now);
        if let Some(principal) = fresh(cached.as_ref(), now) {
            return Ok(principal);
        }
        let (principal, claims) = match cached {
            Some(verified) => (verified.principal, verified.claims),
            None => {
                let expectations = Expectations {
                    issuer: &self.config.issuer,
                    audiences: self.audiences(),
                    now,
                };
                let claims = expectations.verify(self.signer.as_ref(), token)?;
                let scopes = claims.scope.parse().map_err(|_| {
                    OAuthError::invalid_token("the access token carries an unknown scope")
                })?;
                let principal = Principal {
                    subject: claims.sub.clone(),
                    client_id: Some(claims.client_id.clone()),
                    scopes,
                };
                (Arc::new(principal), Arc::new(claims))
            }
        };
        if self.is_token_revoked(&claims).await? {
            return Err(
                OAuthError::invalid_token("the access token was revoked").because(Refusal::Revoked)
            );
        }
        let answer = Principal::clone(&principal);
        let expires_at = claims.exp;
        let verified = Verified {
            principal,
            claims,
            unrevoked_until: now + super::revoke::NOT_REVOKED_TTL,
        };
        self.verified.put(key, verified, expires_at);
        Ok(answer)
    }
}
