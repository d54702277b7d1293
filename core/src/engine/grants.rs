//! What people approved for clients: consent remembered per person, client and scope set, the
//! connected-apps list, and revoking one person's grant to one client (its refresh tokens at
//! once, its access tokens at their next check).

use super::AuthorizationServer;
use super::authorize::ValidatedAuthorization;
use crate::authenticator::User;
use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::model::{ClientId, Consent, RedirectKind};
use crate::store::Storage;

/// How long a consent read from storage is believed by the token check: the longest a
/// revocation made on another replica can go unnoticed here (the replica that made it forgets
/// at once).
const CONSENT_TTL: i64 = 5;
/// Most consents the cache holds before it starts afresh.
pub(crate) const CONSENT_CACHE_LIMIT: usize = 16_384;
/// How stale a grant's "last used" may get before a token issue writes it again: one write per
/// grant per ten minutes, not one per refresh.
const LAST_USE_RESOLUTION: i64 = 600;

/// The cache key of a person's grant to a client.
pub(crate) type GrantKey = (String, ClientId);

impl AuthorizationServer {
    /// Whether `user` already approved what `authorization` asks, so the consent page need not
    /// ask again: the same client, no new scope, an answer going to a host they approved it
    /// for. Only for clients answered at a web (`https`) redirect URI: a loopback or
    /// private-use URI does not prove which program is asking, and RFC 8252 §8.6 asks that
    /// such requests be treated as if never approved.
    pub async fn remembers(
        &self,
        authorization: &ValidatedAuthorization,
        user: &User,
    ) -> Result<bool, OAuthError> {
        let Some(registered) = authorization
            .client
            .redirect_uri_for(&authorization.redirect_uri)
        else {
            return Ok(false);
        };
        if registered.kind() != RedirectKind::Web {
            return Ok(false);
        }
        let consent = self
            .storage
            .consent(&user.subject, &authorization.client.client_id)
            .await?;
        let Some(scope) = authorization.scope_for(user) else {
            return Ok(false);
        };
        Ok(consent.is_some_and(|consent| consent.covers(&scope, &registered.host())))
    }

    /// Records that `subject` approved `authorization` at `now`: the scope and redirect host
    /// join what they approved for the client; a revoked grant starts anew. Skips the write
    /// when nothing would change but a recent "last used".
    pub(crate) async fn remember_approval(
        &self,
        authorization: &ValidatedAuthorization,
        subject: &str,
        now: UnixTime,
    ) -> Result<(), OAuthError> {
        let client = &authorization.client;
        let host = client
            .redirect_uri_for(&authorization.redirect_uri)
            .map(|uri| uri.host())
            .unwrap_or_default();
        let previous = self.storage.consent(subject, &client.client_id).await?;
        if let Some(consent) = &previous
            && consent.covers(&authorization.scope, &host)
            && now - consent.last_used_at < LAST_USE_RESOLUTION
        {
            return Ok(());
        }
        let consent = match previous.filter(|consent| consent.revoked_at.is_none()) {
            Some(mut consent) => {
                consent.scope = consent
                    .scope
                    .iter()
                    .chain(authorization.scope.iter())
                    .collect();
                consent.redirect_hosts.insert(host);
                consent.last_used_at = now;
                consent
            }
            None => Consent {
                subject: subject.to_owned(),
                client_id: client.client_id.clone(),
                scope: authorization.scope.clone(),
                redirect_hosts: [host].into(),
                granted_at: now,
                last_used_at: now,
                revoked_at: None,
            },
        };
        self.storage.put_consent(&consent).await?;
        self.consents.put(
            (consent.subject.clone(), consent.client_id.clone()),
            Some(consent),
            now + CONSENT_TTL,
        );
        Ok(())
    }

    /// The grant of `subject` to `client`, as storage said within the last few seconds.
    async fn cached_consent(
        &self,
        subject: &str,
        client: &ClientId,
        now: UnixTime,
    ) -> Result<Option<Consent>, OAuthError> {
        let key = (subject.to_owned(), client.clone());
        if let Some(consent) = self.consents.get(&key, now) {
            return Ok(consent);
        }
        let consent = self.storage.consent(subject, client).await?;
        self.consents.put(key, consent.clone(), now + CONSENT_TTL);
        Ok(consent)
    }

    /// Whether a token `subject` approved for `client`, issued at `issued_at`, belongs to a
    /// revoked grant. A client's own tokens (`client_credentials`, whose subject is the client)
    /// and tokens of grants made before grants were recorded have no consent, and are judged by
    /// their own revocation alone.
    pub(crate) async fn grant_revoked(
        &self,
        subject: &str,
        client: &str,
        issued_at: UnixTime,
    ) -> Result<bool, OAuthError> {
        if subject == client {
            return Ok(false);
        }
        let now = self.clock.now();
        let consent = self
            .cached_consent(subject, &ClientId::new(client), now)
            .await?;
        Ok(consent.is_some_and(|consent| consent.refuses_token_issued_at(issued_at)))
    }

    /// Notes that a token was issued for the grant of `subject` to `client` at `now`, at most
    /// once per [`LAST_USE_RESOLUTION`].
    pub(crate) async fn grant_used(
        &self,
        subject: &str,
        client: &ClientId,
        now: UnixTime,
    ) -> Result<(), OAuthError> {
        if subject == client.as_str() {
            return Ok(());
        }
        if let Some(mut consent) = self.cached_consent(subject, client, now).await?
            && consent.revoked_at.is_none()
            && now - consent.last_used_at >= LAST_USE_RESOLUTION
        {
            consent.last_used_at = now;
            self.storage.put_consent(&consent).await?;
            self.consents.put(
                (subject.to_owned(), client.clone()),
                Some(consent),
                now + CONSENT_TTL,
            );
        }
        Ok(())
    }

    /// The grants of `subject`, or everyone's for `None`, revoked ones included.
    pub async fn grants(&self, subject: Option<&str>) -> Result<Vec<Consent>, OAuthError> {
        Ok(self.storage.consents(subject).await?)
    }

    /// Revokes the grant of `subject` to `client`: its refresh tokens stop working at once, its
    /// access tokens at their next check (at once on this replica, within a few seconds on the
    /// others). Returns `false` when there is no such grant in force.
    pub async fn revoke_grant(&self, subject: &str, client: &ClientId) -> Result<bool, OAuthError> {
        let now = self.clock.now();
        let revoked = revoke_stored_grant(self.storage.as_ref(), subject, client, now).await?;
        self.consents.forget(&(subject.to_owned(), client.clone()));
        // The verified-token cache is keyed by token text, which is not kept: start it afresh.
        self.verified.clear();
        Ok(revoked)
    }
}

/// Revokes the grant of `subject` to `client` in `storage` at `now` (the engine's
/// [`revoke_grant`](AuthorizationServer::revoke_grant), and `memory grants revoke` beside a
/// server): its refresh tokens are revoked, and the consent marked so that its access tokens are
/// refused. Returns `false` when there is no such grant in force.
pub async fn revoke_stored_grant(
    storage: &dyn Storage,
    subject: &str,
    client: &ClientId,
    now: UnixTime,
) -> crate::Result<bool> {
    let Some(mut consent) = storage
        .consent(subject, client)
        .await?
        .filter(|consent| consent.revoked_at.is_none())
    else {
        return Ok(false);
    };
    consent.revoked_at = Some(now);
    // Tokens first: a failure after them leaves the grant listed, to be revoked again.
    storage.revoke_grant_tokens(client, subject).await?;
    storage.put_consent(&consent).await?;
    Ok(true)
}
