//! Token revocation (RFC 7009) and introspection (RFC 7662), and the revoked-token check of this
//! server's resource endpoints with its cache.

use super::AuthorizationServer;
use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::model::{AccessClaims, Client, RefreshState};
use crate::secret::Secret;
use crate::signer::Expectations;

/// How long "not revoked" is believed without asking storage again: the longest a revocation on
/// another replica can go unnoticed here.
pub(crate) const NOT_REVOKED_TTL: i64 = 5;
/// Most token ids the revocation cache holds before it starts afresh.
pub(crate) const REVOCATION_CACHE_LIMIT: usize = 65_536;

/// Which kind of token a revocation or introspection request names (`token_type_hint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenHint {
    /// `access_token`.
    Access,
    /// `refresh_token`.
    Refresh,
    /// No hint, or one this server does not know: try both.
    Unknown,
}

impl TokenHint {
    /// The hint a request sent.
    pub fn parse(hint: Option<&str>) -> Self {
        match hint {
            Some("access_token") => Self::Access,
            Some("refresh_token") => Self::Refresh,
            _ => Self::Unknown,
        }
    }
}

/// Who asks to introspect a token.
#[derive(Clone, Copy, Debug)]
pub enum Introspector<'a> {
    /// The owner (API key or an `admin` token): told about every token.
    Owner,
    /// A confidential client: told about its own tokens only (RFC 7662 §4); another client's
    /// token reads as inactive, so a client learns nothing of the others.
    Client(&'a Client),
}

/// What introspection reveals about an active token (RFC 7662 §2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Introspection {
    /// `access_token` or `refresh_token`.
    pub token_type: &'static str,
    /// The client the token was issued to.
    pub client_id: String,
    /// Its scope.
    pub scope: String,
    /// Its subject.
    pub sub: String,
    /// Its audience.
    pub aud: String,
    /// Issue time.
    pub iat: UnixTime,
    /// Expiry.
    pub exp: UnixTime,
    /// The access token's id.
    pub jti: Option<String>,
}

impl AuthorizationServer {
    /// Whether the access token `jti` was revoked; storage is asked at most every few seconds per
    /// token. Fails closed: a storage error is an error, never "not revoked".
    pub(crate) async fn is_revoked(&self, jti: &str, exp: UnixTime) -> Result<bool, OAuthError> {
        let now = self.clock.now();
        if let Some(revoked) = self.revocations.get(jti, now) {
            return Ok(revoked);
        }
        let revoked = self.storage.is_access_revoked(jti, now).await?;
        let until = if revoked { exp } else { now + NOT_REVOKED_TTL };
        self.revocations.put(jti.to_owned(), revoked, until);
        Ok(revoked)
    }

    /// Whether the access token with `claims` was revoked: alone, with every token of its
    /// client when the client was deleted, or with its grant when the person revoked it.
    pub(crate) async fn is_token_revoked(&self, claims: &AccessClaims) -> Result<bool, OAuthError> {
        if self.is_revoked(&claims.jti, claims.exp).await? {
            return Ok(true);
        }
        let client_key = super::register::deleted_client_key(&claims.client_id);
        if self.is_revoked(&client_key, claims.exp).await? {
            return Ok(true);
        }
        self.grant_revoked(&claims.sub, &claims.client_id, claims.iat)
            .await
    }

    /// Revokes `token` for `client` (RFC 7009 §2.1): a refresh token with its whole family, an
    /// access token until it expires. Unknown tokens, and tokens of other clients, are ignored
    /// without an error, so the endpoint reveals nothing about tokens the caller does not hold.
    pub async fn revoke(
        &self,
        client: &Client,
        token: &str,
        hint: TokenHint,
    ) -> Result<(), OAuthError> {
        let refresh_first = hint != TokenHint::Access;
        if refresh_first && self.revoke_refresh(client, token).await? {
            return Ok(());
        }
        if let Some(claims) = self.own_access_claims(token) {
            if claims.client_id == client.client_id.as_str() {
                self.storage.revoke_access(&claims.jti, claims.exp).await?;
                self.revocations.put(claims.jti.clone(), true, claims.exp);
                self.verified.forget(&super::verify::key_of(token));
            }
            return Ok(());
        }
        if !refresh_first {
            self.revoke_refresh(client, token).await?;
        }
        Ok(())
    }

    async fn revoke_refresh(&self, client: &Client, token: &str) -> Result<bool, OAuthError> {
        let now = self.clock.now();
        match self
            .storage
            .refresh(&Secret::new(token).hash(), now)
            .await?
        {
            Some(record) => {
                if record.client_id == client.client_id {
                    self.storage.revoke_family(&record.family_id).await?;
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The claims of an access token this server signed for itself, whatever its expiry.
    fn own_access_claims(&self, token: &str) -> Option<AccessClaims> {
        let claims = self.signer.decode(token).ok()?;
        (claims.iss == self.config.issuer).then_some(claims)
    }

    /// What `asker` may know about `token` if it is active (RFC 7662): an unexpired, unrevoked
    /// access or refresh token of this server, issued to the asking client unless the owner asks;
    /// `None` otherwise.
    pub async fn introspect(
        &self,
        token: &str,
        hint: TokenHint,
        asker: Introspector<'_>,
    ) -> Result<Option<Introspection>, OAuthError> {
        let found = self.active_token(token, hint).await?;
        Ok(found.filter(|token| match asker {
            Introspector::Owner => true,
            Introspector::Client(client) => token.client_id == client.client_id.as_str(),
        }))
    }

    /// What is known about `token` if it is active.
    async fn active_token(
        &self,
        token: &str,
        hint: TokenHint,
    ) -> Result<Option<Introspection>, OAuthError> {
        let now = self.clock.now();
        if hint != TokenHint::Refresh || token.contains('.') {
            let expectations = Expectations {
                issuer: &self.config.issuer,
                audiences: self.audiences(),
                now,
            };
            if let Ok(claims) = expectations.verify(self.signer.as_ref(), token) {
                if self.is_token_revoked(&claims).await? {
                    return Ok(None);
                }
                return Ok(Some(Introspection {
                    token_type: "access_token",
                    client_id: claims.client_id,
                    scope: claims.scope,
                    sub: claims.sub,
                    aud: claims.aud,
                    iat: claims.iat,
                    exp: claims.exp,
                    jti: Some(claims.jti),
                }));
            }
        }
        match self
            .storage
            .refresh(&Secret::new(token).hash(), now)
            .await?
        {
            Some(record) if record.state == RefreshState::Active => Ok(Some(Introspection {
                token_type: "refresh_token",
                client_id: record.client_id.to_string(),
                scope: record.scope.to_string(),
                sub: record.subject,
                aud: record.resource,
                iat: record.issued_at,
                exp: record.expires_at,
                jti: None,
            })),
            _ => Ok(None),
        }
    }
}
