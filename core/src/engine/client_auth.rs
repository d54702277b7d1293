//! Client authentication (RFC 6749 §2.3), the one place it is decided, for the token, revocation
//! and introspection endpoints alike.

use super::AuthorizationServer;
use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::model::Client;
use crate::secret::Secret;

/// How the client identified itself on a request to the token, revocation or introspection
/// endpoint.
#[derive(Debug)]
pub struct ClientCredentials {
    /// The client id (from Basic auth or the form).
    pub client_id: String,
    /// The secret, when one was presented (by HTTP Basic or in the form: both carry the same
    /// secret, and a confidential client may use either whatever it registered, as the Python
    /// service's own tests do, so the method used is not recorded).
    pub secret: Option<Secret>,
}

impl AuthorizationServer {
    /// The client the credentials prove: a public client presents no secret; a confidential one
    /// presents its own (compared in constant time). Every failure is the same `invalid_client`,
    /// so an unknown id and a wrong secret cannot be told apart.
    pub async fn authenticate_client(
        &self,
        credentials: &ClientCredentials,
    ) -> Result<Client, OAuthError> {
        self.authenticate_client_at(credentials, self.clock.now())
            .await
    }

    pub(crate) async fn authenticate_client_at(
        &self,
        credentials: &ClientCredentials,
        now: UnixTime,
    ) -> Result<Client, OAuthError> {
        let failed = || OAuthError::invalid_client("client authentication failed");
        let client = self
            .find_client_at(&credentials.client_id, now)
            .await?
            .ok_or_else(failed)?;
        match (&client.secret_hash, &credentials.secret) {
            (None, None) => Ok(client),
            (Some(hash), Some(secret)) if hash.matches(secret.expose()) => Ok(client),
            _ => Err(failed()),
        }
    }
}
