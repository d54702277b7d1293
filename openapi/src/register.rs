//! Dynamic client registration (RFC 7591), and the client metadata that registration and client
//! management (RFC 7592, [`crate::clients`]) answer with.

use std::sync::Arc;

use mcp_oauth_core::OAuthError;
use mcp_oauth_core::engine::{Registrar, RegistrationRequest};
use mcp_oauth_core::model::{AuditKind, Client, ClientKeys, ClientProfile, Scope};
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::auth::{authenticate, bearer_token};
use crate::error::ErrorResponse;
use crate::state::AppState;
use crate::tags::ApiTags;

/// A registration request (RFC 7591 §2). Unknown fields are ignored.
#[derive(Debug, Object)]
pub struct RegistrationBody {
    /// Redirect URIs: https, http on a loopback host (any port matches), or a private-use scheme.
    pub redirect_uris: Option<Vec<String>>,
    /// `authorization_code` (default), `refresh_token`, `client_credentials`.
    pub grant_types: Option<Vec<String>>,
    /// `["code"]` with the authorization code grant (default), otherwise empty.
    pub response_types: Option<Vec<String>>,
    /// `none` (public client, PKCE), `client_secret_basic` (default), `client_secret_post`, or
    /// `private_key_jwt` (the client signs an assertion with its own key; send `jwks` or
    /// `jwks_uri`).
    pub token_endpoint_auth_method: Option<String>,
    /// The client's public keys, a JWK set (`{"keys":[…]}`) of RS256, ES256 or EdDSA keys, for
    /// `private_key_jwt`.
    pub jwks: Option<serde_json::Value>,
    /// The https URL where the client publishes its JWK set, for `private_key_jwt` (instead of
    /// `jwks`; fetched when needed, so the client can rotate its keys).
    pub jwks_uri: Option<String>,
    /// Space-delimited scopes the client may ask for: `read`, `write`, `admin`; default `read write`.
    pub scope: Option<String>,
    /// `native` (desktop and command-line apps) or `web` (hosted apps). A client with a loopback
    /// or private-use redirect URI is recorded as `native`, whatever it declares.
    pub application_type: Option<String>,
    /// A name shown to the owner on the consent page.
    pub client_name: Option<String>,
    /// The client's home page (http or https).
    pub client_uri: Option<String>,
    /// The client's logo (http or https).
    pub logo_uri: Option<String>,
    /// People responsible for the client.
    pub contacts: Option<Vec<String>>,
    /// Identifies the client software.
    pub software_id: Option<String>,
    /// Version of the client software.
    pub software_version: Option<String>,
}

impl RegistrationBody {
    /// The engine's view of the request.
    pub(crate) fn into_request(self) -> RegistrationRequest {
        RegistrationRequest {
            redirect_uris: self.redirect_uris.unwrap_or_default(),
            grant_types: self.grant_types,
            response_types: self.response_types,
            token_endpoint_auth_method: self.token_endpoint_auth_method,
            scope: self.scope,
            application_type: self.application_type,
            jwks: self.jwks,
            jwks_uri: self.jwks_uri,
            profile: ClientProfile {
                client_name: self.client_name,
                client_uri: self.client_uri,
                logo_uri: self.logo_uri,
                contacts: self.contacts.unwrap_or_default(),
                software_id: self.software_id,
                software_version: self.software_version,
                application_type: None,
            },
        }
    }
}

/// A registered client's metadata (RFC 7591 §3.2.1, RFC 7592 §3). Secrets are stored hashed, so
/// each is shown once: the client secret when it is issued, the registration access token in the
/// registration response.
#[derive(Debug, Object)]
pub struct ClientInformation {
    /// The client identifier.
    pub client_id: String,
    /// The client secret: only in the answer that issued it; absent for public clients.
    #[oai(skip_serializing_if_is_none)]
    pub client_secret: Option<String>,
    /// The bearer token that reads, updates and deletes this client at `registration_client_uri`
    /// (RFC 7592): in the registration response, and renewed in each answer to the client's own
    /// reads and updates (the token used stops working).
    #[oai(skip_serializing_if_is_none)]
    pub registration_access_token: Option<String>,
    /// Where this client is read (GET), updated (PUT) and deleted (DELETE).
    pub registration_client_uri: String,
    /// When the client registered (seconds since the epoch).
    pub client_id_issued_at: i64,
    /// `0`: the secret does not expire. Absent for public clients.
    #[oai(skip_serializing_if_is_none)]
    pub client_secret_expires_at: Option<i64>,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Registered grant types.
    pub grant_types: Vec<String>,
    /// Response types.
    pub response_types: Vec<String>,
    /// Token endpoint auth method.
    pub token_endpoint_auth_method: String,
    /// The widest scope the client may be granted.
    pub scope: String,
    /// `web` or `native`, as recorded.
    pub application_type: String,
    /// The client's JWK set (`private_key_jwt`).
    #[oai(skip_serializing_if_is_none)]
    pub jwks: Option<serde_json::Value>,
    /// Where the client publishes its JWK set (`private_key_jwt`).
    #[oai(skip_serializing_if_is_none)]
    pub jwks_uri: Option<String>,
    /// Name.
    #[oai(skip_serializing_if_is_none)]
    pub client_name: Option<String>,
    /// Home page.
    #[oai(skip_serializing_if_is_none)]
    pub client_uri: Option<String>,
    /// Logo.
    #[oai(skip_serializing_if_is_none)]
    pub logo_uri: Option<String>,
    /// Contacts; omitted when there are none (never `null`), so not required.
    #[oai(skip_serializing_if_is_empty, default)]
    pub contacts: Vec<String>,
    /// Software id.
    #[oai(skip_serializing_if_is_none)]
    pub software_id: Option<String>,
    /// Software version.
    #[oai(skip_serializing_if_is_none)]
    pub software_version: Option<String>,
}

impl ClientInformation {
    /// `client`'s metadata as served by `issuer`, with the secrets just issued, if any.
    pub(crate) fn of(client: &Client, issuer: &str, issued: IssuedSecrets) -> Self {
        let profile = client.profile.clone();
        Self {
            client_id: client.client_id.to_string(),
            client_secret_expires_at: client.secret_hash.as_ref().map(|_| 0),
            client_secret: issued.client_secret,
            registration_access_token: issued.registration_access_token,
            registration_client_uri: format!("{issuer}/oauth/clients/{}", client.client_id),
            client_id_issued_at: client.issued_at,
            redirect_uris: client
                .redirect_uris
                .iter()
                .map(ToString::to_string)
                .collect(),
            grant_types: client
                .grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            response_types: client
                .response_types()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            token_endpoint_auth_method: client.auth_method.as_str().to_owned(),
            scope: client.scope.to_string(),
            application_type: client.application_type().as_str().to_owned(),
            jwks: match &client.keys {
                Some(ClientKeys::Jwks(text)) => serde_json::from_str(text).ok(),
                _ => None,
            },
            jwks_uri: match &client.keys {
                Some(ClientKeys::JwksUri(uri)) => Some(uri.clone()),
                _ => None,
            },
            client_name: profile.client_name,
            client_uri: profile.client_uri,
            logo_uri: profile.logo_uri,
            contacts: profile.contacts,
            software_id: profile.software_id,
            software_version: profile.software_version,
        }
    }
}

/// Secrets issued by the answering request, in clear.
#[derive(Debug, Default)]
pub(crate) struct IssuedSecrets {
    pub(crate) client_secret: Option<String>,
    pub(crate) registration_access_token: Option<String>,
}

impl IssuedSecrets {
    /// What `registered` issued.
    pub(crate) fn of(registered: &mcp_oauth_core::engine::RegisteredClient) -> Self {
        Self {
            client_secret: registered
                .client_secret
                .as_ref()
                .map(|s| s.expose().to_owned()),
            registration_access_token: registered
                .registration_access_token
                .as_ref()
                .map(|s| s.expose().to_owned()),
        }
    }
}

/// Answers of `POST /oauth/register`.
#[derive(Debug, ApiResponse)]
pub enum RegisterResponse {
    /// The client is registered; keep `client_secret` and `registration_access_token`, they are
    /// never shown again.
    #[oai(status = 201)]
    Created(
        Json<ClientInformation>,
        #[oai(header = "Cache-Control")] String,
    ),
}

/// Dynamic client registration.
pub struct RegisterApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

impl RegisterApi {
    /// Whether an anonymous registration may proceed: always, unless `MCP_DCR_REGISTRATION_KEY`
    /// is set, in which case it must be the bearer token (RFC 7591 §3, initial access token).
    fn registration_allowed(&self, req: &Request) -> bool {
        let Some(key) = &self.state.registration_key else {
            return true;
        };
        bearer_token(req).is_some_and(|token| key.matches(token))
    }
}

#[OpenApi(tag = "ApiTags::OAuth")]
impl RegisterApi {
    /// Register a client (RFC 7591)
    ///
    /// Open to anyone, unless `MCP_DCR_REGISTRATION_KEY` is set: then the key is the bearer token
    /// (initial access token). A `client_credentials` client gets tokens without any person approving, so
    /// registering one needs the owner's API key (or an `admin` token) as a bearer token unless the
    /// server auto-approves authorization requests anyway.
    #[oai(path = "/oauth/register", method = "post")]
    async fn register(
        &self,
        req: &Request,
        body: Json<RegistrationBody>,
    ) -> Result<RegisterResponse, ErrorResponse> {
        let registrar = match authenticate(req, &self.state).await {
            Ok(principal) if principal.scopes.grants(Scope::Admin) => Registrar::Owner,
            _ => Registrar::Anonymous,
        };
        if registrar == Registrar::Anonymous && !self.registration_allowed(req) {
            return Err(self.state.fail(OAuthError::invalid_token(
                "registration needs the initial access token (MCP_DCR_REGISTRATION_KEY) as a bearer token",
            )));
        }
        let request = body.0.into_request();
        let registered = self
            .state
            .engine
            .register(request, registrar)
            .await
            .map_err(|e| self.state.fail(e))?;
        self.state.metrics.registered();
        tracing::info!(target: "oauth", client_id = %registered.client.client_id, "client registered");
        self.state.audit.note(AuditKind::ClientRegistered, |event| {
            event.client(registered.client.client_id.as_str()).detail(
                registered
                    .client
                    .profile
                    .client_name
                    .clone()
                    .unwrap_or_default(),
            )
        });
        Ok(RegisterResponse::Created(
            Json(ClientInformation::of(
                &registered.client,
                self.state.issuer(),
                IssuedSecrets::of(&registered),
            )),
            "no-store".into(),
        ))
    }
}
