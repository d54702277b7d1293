//! Dynamic client registration (RFC 7591).

use super::{AuthorizationServer, ClientAssertions};
use crate::UnixTime;
use crate::error::{Error, OAuthError};
use crate::model::{
    ApplicationType, AuthMethod, Client, ClientId, ClientKeys, ClientProfile, GrantType,
    RedirectUri, Scope, ScopeSet,
};
use crate::secret::Secret;
use crate::store::{ClientStore, Storage};

/// Most redirect URIs one client may register.
const MAX_REDIRECT_URIS: usize = 20;
/// Longest accepted free-text metadata value.
const MAX_TEXT_LEN: usize = 256;

/// A registration request, as the client sent it (RFC 7591 §2). Absent fields take RFC defaults.
#[derive(Clone, Debug, Default)]
pub struct RegistrationRequest {
    /// Redirect URIs; required for the authorization code grant.
    pub redirect_uris: Vec<String>,
    /// Grant types; default `authorization_code`.
    pub grant_types: Option<Vec<String>>,
    /// Response types; default `code` when the authorization code grant is registered.
    pub response_types: Option<Vec<String>>,
    /// Token endpoint auth method; default `client_secret_basic` (RFC 7591 §2).
    pub token_endpoint_auth_method: Option<String>,
    /// Space-delimited scopes; default `read write`.
    pub scope: Option<String>,
    /// `web` or `native` (SEP-837); recorded by [`ApplicationType::recorded`].
    pub application_type: Option<String>,
    /// The client's public keys (a JWK set), for `private_key_jwt`.
    pub jwks: Option<serde_json::Value>,
    /// Where the client publishes its public keys, for `private_key_jwt`.
    pub jwks_uri: Option<String>,
    /// Descriptive metadata (its `application_type` is set here, from the field above).
    pub profile: ClientProfile,
}

/// Who is registering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registrar {
    /// Anyone who can reach the registration endpoint.
    Anonymous,
    /// The owner of the server (API key or `admin` token).
    Owner,
}

/// A client just registered or updated, with the secrets issued by that request in clear: the only
/// time they are ever shown.
#[derive(Debug)]
pub struct RegisteredClient {
    /// The stored client.
    pub client: Client,
    /// A newly issued client secret: at registration of a confidential client, or when an update
    /// turns a public client into a confidential one. `None` otherwise.
    pub client_secret: Option<Secret>,
    /// The registration access token that manages the client (RFC 7592): issued at registration
    /// and reissued at each update the client makes itself; `None` on the owner's updates.
    pub registration_access_token: Option<Secret>,
}

/// Client metadata that passed this server's rules.
struct Metadata {
    redirect_uris: Vec<RedirectUri>,
    grant_types: Vec<GrantType>,
    auth_method: AuthMethod,
    scope: ScopeSet,
    profile: ClientProfile,
    keys: Option<ClientKeys>,
}

/// The revocation-list key that stands for every access token of a deleted client. Token ids
/// are base64url and never contain `:`, so it cannot collide with one.
pub(crate) fn deleted_client_key(client_id: &str) -> String {
    format!("client:{client_id}")
}

impl AuthorizationServer {
    /// Validates and stores a new client (RFC 7591 §3).
    pub async fn register(
        &self,
        request: RegistrationRequest,
        registrar: Registrar,
    ) -> Result<RegisteredClient, OAuthError> {
        // A client_credentials client gets tokens with no person approving anything: only the
        // owner may register one, whatever the consent policy.
        let metadata = validate(
            request,
            registrar == Registrar::Owner,
            self.assertions.as_ref(),
        )?;
        let client_secret = metadata
            .auth_method
            .uses_secret()
            .then(|| Secret::generate(32));
        let registration_access_token = Secret::generate(32);
        let client = Client {
            client_id: ClientId::generate(),
            secret_hash: client_secret.as_ref().map(Secret::hash),
            redirect_uris: metadata.redirect_uris,
            grant_types: metadata.grant_types,
            auth_method: metadata.auth_method,
            scope: metadata.scope,
            profile: metadata.profile,
            issued_at: self.clock.now(),
            registration_token_hash: Some(registration_access_token.hash()),
            used_at: None,
            keys: metadata.keys,
        };
        self.storage
            .insert_client(&client)
            .await
            .map_err(|error| match error {
                // 128 random bits do not collide; if they ever do, the client may simply retry.
                Error::Conflict(_) => OAuthError::new(
                    crate::ErrorCode::TemporarilyUnavailable,
                    "client id collision; register again",
                ),
                other => other.into(),
            })?;
        Ok(RegisteredClient {
            client,
            client_secret,
            registration_access_token: Some(registration_access_token),
        })
    }

    /// The registered client `id` if `registration_token` is its registration access token
    /// (RFC 7592 §2); `None` when there is no such client or the token is not its token, which
    /// callers must not tell apart.
    pub async fn client_managed_by(
        &self,
        id: &ClientId,
        registration_token: &str,
    ) -> Result<Option<Client>, OAuthError> {
        let client = self.storage.client(id).await?;
        Ok(client.filter(|client| client.has_registration_token(registration_token)))
    }

    /// Removes the registered clients that never completed a grant within
    /// [`EngineConfig::unused_client_ttl`](super::EngineConfig) of registering (every fresh
    /// connection of some clients registers anew); returns how many. A client that was ever issued
    /// a token stays until it is deleted.
    pub async fn prune_unused_clients(&self) -> Result<usize, OAuthError> {
        let removed = prune_unused_clients(
            self.storage.as_ref(),
            self.config.unused_client_ttl,
            self.clock.now(),
        )
        .await?;
        if removed > 0 {
            self.clients.clear();
        }
        Ok(removed)
    }

    /// Records that `client` was issued its first token, so that it is never pruned. Done once:
    /// later tokens find `used_at` set. It rewrites the stored record, so an RFC 7592 update
    /// landing in the same instant as a client's very first token could be lost; the client can
    /// repeat it.
    pub(crate) async fn mark_used(
        &self,
        client: &Client,
        now: crate::clock::UnixTime,
    ) -> Result<(), OAuthError> {
        if client.used_at.is_some() || client.registration_token_hash.is_none() {
            return Ok(());
        }
        let Some(mut stored) = self.storage.client(&client.client_id).await? else {
            return Ok(());
        };
        if stored.used_at.is_none() {
            stored.used_at = Some(now);
            self.storage.update_client(&stored).await?;
        }
        self.clients.forget(&client.client_id);
        Ok(())
    }

    /// The registered client `id`, read from storage rather than the cache (the owner manages
    /// what is stored now).
    pub async fn registered_client(&self, id: &ClientId) -> Result<Option<Client>, OAuthError> {
        Ok(self.storage.client(id).await?)
    }

    /// Makes `client` a registered first-party client, one this server itself uses (Swagger
    /// UI's): stores it, or brings the stored one's redirect URIs up to date, keeping its
    /// registration time. When another replica stores it at the same moment, theirs stays.
    pub async fn install_first_party_client(&self, mut client: Client) -> crate::Result<()> {
        match self.storage.client(&client.client_id).await? {
            Some(stored) if stored.redirect_uris == client.redirect_uris => Ok(()),
            Some(stored) => {
                client.issued_at = stored.issued_at;
                self.storage.update_client(&client).await?;
                self.clients.forget(&client.client_id);
                Ok(())
            }
            None => match self.storage.insert_client(&client).await {
                Ok(()) | Err(Error::Conflict(_)) => Ok(()),
                Err(other) => Err(other),
            },
        }
    }

    /// Gives `client` a fresh registration access token, which replaces the one it had (RFC 7592
    /// §3 has every read and update answer carry one; kept only as a hash, the old one cannot be
    /// shown again, so it rotates). The client's record with the new token's hash, and the token.
    pub async fn reissue_registration_token(
        &self,
        client: &Client,
    ) -> Result<(Client, Secret), OAuthError> {
        let token = Secret::generate(32);
        let mut reissued = client.clone();
        reissued.registration_token_hash = Some(token.hash());
        let updated = self.storage.update_client(&reissued).await?;
        self.clients.forget(&client.client_id);
        if !updated {
            return Err(OAuthError::invalid_token(
                "the client is no longer registered",
            ));
        }
        Ok((reissued, token))
    }

    /// Replaces `current`'s metadata with `request` (RFC 7592 §2.2): omitted fields take their
    /// defaults, as at registration. The client id, issue time and secret stay; a client turning
    /// confidential gets a secret, one turning public loses it. When the client updates itself
    /// (`registrar` is not the owner) its registration access token is reissued, the old one
    /// stopping; the owner's updates leave the client's token as it is.
    /// `presented_secret`, when the request carries one, must be the current secret.
    pub async fn update_client(
        &self,
        current: &Client,
        request: RegistrationRequest,
        registrar: Registrar,
        presented_secret: Option<&str>,
    ) -> Result<RegisteredClient, OAuthError> {
        if let Some(presented) = presented_secret {
            let matches = current
                .secret_hash
                .as_ref()
                .is_some_and(|hash| hash.matches(presented));
            if !matches {
                return Err(OAuthError::invalid_client_metadata(
                    "client_secret does not match the client's current secret",
                ));
            }
        }
        // A client the owner allowed client_credentials may keep it when it updates itself.
        let may_use_client_credentials =
            registrar == Registrar::Owner || current.allows_grant(GrantType::ClientCredentials);
        let metadata = validate(
            request,
            may_use_client_credentials,
            self.assertions.as_ref(),
        )?;
        let (secret_hash, client_secret) = match (metadata.auth_method, &current.secret_hash) {
            (method, _) if !method.uses_secret() => (None, None),
            (_, Some(kept)) => (Some(kept.clone()), None),
            (_, None) => {
                let issued = Secret::generate(32);
                (Some(issued.hash()), Some(issued))
            }
        };
        let registration_access_token =
            (registrar == Registrar::Anonymous).then(|| Secret::generate(32));
        let registration_token_hash = match &registration_access_token {
            Some(token) => Some(token.hash()),
            None => current.registration_token_hash.clone(),
        };
        let client = Client {
            client_id: current.client_id.clone(),
            secret_hash,
            redirect_uris: metadata.redirect_uris,
            grant_types: metadata.grant_types,
            auth_method: metadata.auth_method,
            scope: metadata.scope,
            profile: metadata.profile,
            issued_at: current.issued_at,
            registration_token_hash,
            used_at: current.used_at,
            keys: metadata.keys,
        };
        let updated = self.storage.update_client(&client).await?;
        self.clients.forget(&client.client_id);
        if !updated {
            return Err(OAuthError::invalid_token(
                "the client is no longer registered",
            ));
        }
        Ok(RegisteredClient {
            client,
            client_secret,
            registration_access_token,
        })
    }

    /// Deletes `client` (RFC 7592 §2.3) after revoking everything it holds: its refresh tokens,
    /// and its access tokens until the longest of them would have expired. Deleting a client that
    /// is already gone succeeds.
    pub async fn delete_client(&self, client: &Client) -> Result<(), OAuthError> {
        let now = self.clock.now();
        let ttl = self.config.access_token_ttl;
        delete_stored_client(self.storage.as_ref(), &client.client_id, now, ttl).await?;
        self.revocations.put(
            deleted_client_key(client.client_id.as_str()),
            true,
            now + ttl,
        );
        self.verified.clear();
        self.clients.forget(&client.client_id);
        Ok(())
    }
}

/// Deletes the client `id` from `storage` at `now` (the engine's
/// [`delete_client`](AuthorizationServer::delete_client), and `memory clients revoke` beside a
/// server): its refresh tokens are revoked, its access tokens listed as revoked for
/// `access_token_ttl` seconds (the longest any of them lives), then the registration removed.
/// Returns `false` when there was no such client.
pub async fn delete_stored_client(
    storage: &dyn Storage,
    id: &ClientId,
    now: UnixTime,
    access_token_ttl: i64,
) -> crate::Result<bool> {
    // Tokens first: a failure after them leaves the client listed, to be removed again.
    storage.revoke_client_tokens(id).await?;
    storage
        .revoke_access(&deleted_client_key(id.as_str()), now + access_token_ttl)
        .await?;
    storage.delete_client(id).await
}

/// Removes from `store` the registered clients that never completed a grant within `ttl` seconds
/// of registering, as of `now` (`ttl` 0: none); returns how many. The engine runs it
/// periodically; `memory clients prune` runs it on a storage directly.
pub async fn prune_unused_clients(
    store: &dyn ClientStore,
    ttl: i64,
    now: crate::clock::UnixTime,
) -> crate::Result<usize> {
    if ttl <= 0 {
        return Ok(0);
    }
    store.delete_unused_clients(now - ttl).await
}

/// Checks a registration or update request against this server's rules (RFC 7591 §2).
/// `may_use_client_credentials`: whether the caller may register that grant; `assertions`: how
/// `private_key_jwt` keys are checked, when the server accepts that method.
fn validate(
    request: RegistrationRequest,
    may_use_client_credentials: bool,
    assertions: Option<&ClientAssertions>,
) -> Result<Metadata, OAuthError> {
    let auth_method = match request.token_endpoint_auth_method.as_deref() {
        Some(name) => name.parse()?,
        None => AuthMethod::ClientSecretBasic,
    };
    let grant_types = parse_grant_types(request.grant_types.as_deref())?;
    check_response_types(request.response_types.as_deref(), &grant_types)?;
    let redirect_uris = parse_redirect_uris(&request.redirect_uris, &grant_types)?;
    let scope = match request.scope.as_deref() {
        Some(text) => parse_scope(text)?,
        None => [Scope::Read, Scope::Write].into_iter().collect(),
    };
    if grant_types.contains(&GrantType::ClientCredentials) {
        if auth_method == AuthMethod::None {
            return Err(OAuthError::invalid_client_metadata(
                "client_credentials needs a confidential client; a public client (none) cannot \
                 use it",
            ));
        }
        if !may_use_client_credentials {
            return Err(OAuthError::invalid_client_metadata(
                "registering a client_credentials client needs the owner's API key or an admin \
                 token, because its tokens are issued without consent",
            ));
        }
    }
    // Keys matter only to private_key_jwt; sent with another method they are not kept (RFC 7591
    // §3.2.1 lets the server drop metadata it does not use, and the response shows what it kept).
    let keys = match (auth_method, assertions) {
        (AuthMethod::PrivateKeyJwt, Some(assertions)) => Some(assertions.client_keys(
            request.jwks.as_ref(),
            request.jwks_uri.as_deref(),
            OAuthError::invalid_client_metadata,
        )?),
        (AuthMethod::PrivateKeyJwt, None) => {
            return Err(OAuthError::invalid_client_metadata(
                "this server does not accept private_key_jwt",
            ));
        }
        _ => None,
    };
    check_profile(&request.profile)?;
    let declared = request
        .application_type
        .as_deref()
        .map(str::parse::<ApplicationType>)
        .transpose()?;
    let profile = ClientProfile {
        application_type: Some(ApplicationType::recorded(declared, &redirect_uris)),
        ..request.profile
    };
    Ok(Metadata {
        redirect_uris,
        grant_types,
        auth_method,
        scope,
        profile,
        keys,
    })
}

fn parse_grant_types(names: Option<&[String]>) -> Result<Vec<GrantType>, OAuthError> {
    let Some(names) = names else {
        return Ok(vec![GrantType::AuthorizationCode]);
    };
    let mut grants = Vec::new();
    for name in names {
        let grant: GrantType = name.parse()?;
        if !grants.contains(&grant) {
            grants.push(grant);
        }
    }
    if grants.is_empty() {
        return Err(OAuthError::invalid_client_metadata(
            "grant_types must not be empty",
        ));
    }
    if grants.contains(&GrantType::RefreshToken) && !grants.contains(&GrantType::AuthorizationCode)
    {
        return Err(OAuthError::invalid_client_metadata(
            "refresh_token is only issued with authorization_code; register both",
        ));
    }
    Ok(grants)
}

/// RFC 7591 §2.1: `response_types` must be consistent with `grant_types`; this server has `code`.
fn check_response_types(names: Option<&[String]>, grants: &[GrantType]) -> Result<(), OAuthError> {
    let Some(names) = names else {
        return Ok(());
    };
    if let Some(other) = names.iter().find(|name| name.as_str() != "code") {
        return Err(OAuthError::invalid_client_metadata(format!(
            "response type {:?} is not supported; this server supports code",
            other.chars().take(40).collect::<String>()
        )));
    }
    let has_code = !names.is_empty();
    if has_code != grants.contains(&GrantType::AuthorizationCode) {
        return Err(OAuthError::invalid_client_metadata(
            "response_types [\"code\"] goes with the authorization_code grant, and only with it",
        ));
    }
    Ok(())
}

fn parse_redirect_uris(
    uris: &[String],
    grants: &[GrantType],
) -> Result<Vec<RedirectUri>, OAuthError> {
    if grants.contains(&GrantType::AuthorizationCode) && uris.is_empty() {
        return Err(OAuthError::new(
            crate::ErrorCode::InvalidRedirectUri,
            "redirect_uris is required for the authorization_code grant",
        ));
    }
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::new(
            crate::ErrorCode::InvalidRedirectUri,
            format!("at most {MAX_REDIRECT_URIS} redirect URIs may be registered"),
        ));
    }
    uris.iter().map(|uri| RedirectUri::parse(uri)).collect()
}

fn parse_scope(text: &str) -> Result<ScopeSet, OAuthError> {
    let scope: ScopeSet = text
        .parse()
        .map_err(|error: OAuthError| OAuthError::invalid_client_metadata(error.description))?;
    // offline_access is asked for per authorization, not registered.
    let scope = scope.without(Scope::OfflineAccess);
    if scope.is_empty() {
        return Err(OAuthError::invalid_client_metadata(
            "scope must name at least one of read, write, admin",
        ));
    }
    Ok(scope)
}

fn check_profile(profile: &ClientProfile) -> Result<(), OAuthError> {
    let texts = [
        ("client_name", &profile.client_name),
        ("software_id", &profile.software_id),
        ("software_version", &profile.software_version),
    ];
    for (field, value) in texts {
        if value
            .as_ref()
            .is_some_and(|text| text.chars().count() > MAX_TEXT_LEN)
        {
            return Err(OAuthError::invalid_client_metadata(format!(
                "{field} is longer than {MAX_TEXT_LEN} characters"
            )));
        }
    }
    for (field, value) in [
        ("client_uri", &profile.client_uri),
        ("logo_uri", &profile.logo_uri),
    ] {
        if let Some(uri) = value {
            let web = url::Url::parse(uri)
                .is_ok_and(|url| matches!(url.scheme(), "https" | "http") && url.has_host());
            if !web || uri.len() > 2048 {
                return Err(OAuthError::invalid_client_metadata(format!(
                    "{field} must be an http or https URL"
                )));
            }
        }
    }
    if profile.contacts.len() > 10
        || profile
            .contacts
            .iter()
            .any(|contact| contact.chars().count() > MAX_TEXT_LEN)
    {
        return Err(OAuthError::invalid_client_metadata(
            "contacts takes at most 10 addresses of at most 256 characters",
        ));
    }
    Ok(())
}
