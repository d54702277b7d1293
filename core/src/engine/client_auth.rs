//! Client authentication (RFC 6749 §2.3, RFC 7523 §2.2), the one place it is decided, for the
//! token, revocation and introspection endpoints alike.

use super::AuthorizationServer;
use crate::assertion::{refused, unverified_issuer};
use crate::clock::UnixTime;
use crate::error::{OAuthError, Refusal};
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
    /// A JWT client assertion (`private_key_jwt`), when one was presented instead of a secret.
    pub assertion: Option<Secret>,
}

impl ClientCredentials {
    /// Credentials made of a client assertion, for `client_id` when the request names it, else
    /// for the client the assertion says made it (RFC 7521 §4.2: `client_id` is optional).
    pub fn from_assertion(
        client_id: Option<String>,
        assertion: String,
    ) -> Result<Self, OAuthError> {
        let issuer = unverified_issuer(&assertion)
            .ok_or_else(|| refused("the client assertion is not a JWT naming its iss"))?;
        if client_id.as_ref().is_some_and(|id| *id != issuer) {
            return Err(refused("client_id is not the assertion's iss"));
        }
        Ok(Self {
            client_id: issuer,
            secret: None,
            assertion: Some(Secret::new(assertion)),
        })
    }
}

impl AuthorizationServer {
    /// The client the credentials prove: a public client presents nothing; a confidential one
    /// presents its own secret (compared in constant time) or an assertion signed with its own
    /// key. Every failure is `invalid_client`, and an unknown id and a wrong secret cannot be told
    /// apart. A client whose metadata document offers both `none` and `private_key_jwt` may use
    /// either.
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
            .ok_or_else(|| failed().because(Refusal::UnknownClient))?;
        match (&credentials.secret, &credentials.assertion) {
            (None, None) if client.is_public() => Ok(client),
            (Some(secret), None)
                if client
                    .secret_hash
                    .as_ref()
                    .is_some_and(|hash| hash.matches(secret.expose())) =>
            {
                Ok(client)
            }
            (None, Some(assertion)) if client.keys.is_some() => {
                self.check_client_assertion(&client, assertion.expose(), now)
                    .await?;
                Ok(client)
            }
            _ => Err(failed().because(Refusal::BadClientCredentials)),
        }
    }
}
