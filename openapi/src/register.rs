//! Dynamic client registration (RFC 7591) and reading a client back (admin).

use std::sync::Arc;

use mcp_oauth_core::OAuthError;
use mcp_oauth_core::engine::{Registrar, RegistrationRequest};
use mcp_oauth_core::model::{Client, ClientId, ClientProfile, Scope};
use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::auth::{ApiScope, Auth, authenticate};
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
    /// `none` (public client, PKCE), `client_secret_basic` (default) or `client_secret_post`.
    pub token_endpoint_auth_method: Option<String>,
    /// Space-delimited scopes the client may ask for: `read`, `write`, `admin`; default `read write`.
    pub scope: Option<String>,
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

/// A registered client's metadata. The secret is shown once, in the registration response.
#[derive(Debug, Object)]
pub struct ClientInformation {
    /// The client identifier.
    pub client_id: String,
    /// The client secret: only in the registration response, absent for public clients.
    #[oai(skip_serializing_if_is_none)]
    pub client_secret: Option<String>,
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
    /// Name.
    #[oai(skip_serializing_if_is_none)]
    pub client_name: Option<String>,
    /// Home page.
    #[oai(skip_serializing_if_is_none)]
    pub client_uri: Option<String>,
    /// Logo.
    #[oai(skip_serializing_if_is_none)]
    pub logo_uri: Option<String>,
    /// Contacts.
    #[oai(skip_serializing_if_is_empty)]
    pub contacts: Vec<String>,
    /// Software id.
    #[oai(skip_serializing_if_is_none)]
    pub software_id: Option<String>,
    /// Software version.
    #[oai(skip_serializing_if_is_none)]
    pub software_version: Option<String>,
}

impl ClientInformation {
    fn of(client: &Client, secret: Option<String>) -> Self {
        let profile = client.profile.clone();
        Self {
            client_id: client.client_id.to_string(),
            client_secret_expires_at: client.secret_hash.as_ref().map(|_| 0),
            client_secret: secret,
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
            client_name: profile.client_name,
            client_uri: profile.client_uri,
            logo_uri: profile.logo_uri,
            contacts: profile.contacts,
            software_id: profile.software_id,
            software_version: profile.software_version,
        }
    }
}

/// Answers of `POST /oauth/register`.
#[derive(Debug, ApiResponse)]
pub enum RegisterResponse {
    /// The client is registered; keep `client_secret`, it is never shown again.
    #[oai(status = 201)]
    Created(
        Json<ClientInformation>,
        #[oai(header = "Cache-Control")] String,
    ),
}

/// Answers of `GET /oauth/clients/{client_id}`.
#[derive(Debug, ApiResponse)]
pub enum ClientResponse {
    /// The client's metadata, without its secret.
    #[oai(status = 200)]
    Found(Json<ClientInformation>),
}

/// Registration and client records.
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
        req.headers()
            .get(poem::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .is_some_and(|(scheme, token)| {
                scheme.eq_ignore_ascii_case("bearer") && key.matches(token.trim())
            })
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
            Ok(principal) if principal.scopes.contains(Scope::Admin) => Registrar::Owner,
            _ => Registrar::Anonymous,
        };
        if registrar == Registrar::Anonymous && !self.registration_allowed(req) {
            return Err(self.state.fail(OAuthError::invalid_token(
                "registration needs the initial access token (MCP_DCR_REGISTRATION_KEY) as a bearer token",
            )));
        }
        let body = body.0;
        let request = RegistrationRequest {
            redirect_uris: body.redirect_uris.unwrap_or_default(),
            grant_types: body.grant_types,
            response_types: body.response_types,
            token_endpoint_auth_method: body.token_endpoint_auth_method,
            scope: body.scope,
            profile: ClientProfile {
                client_name: body.client_name,
                client_uri: body.client_uri,
                logo_uri: body.logo_uri,
                contacts: body.contacts.unwrap_or_default(),
                software_id: body.software_id,
                software_version: body.software_version,
            },
        };
        let registered = self
            .state
            .engine
            .register(request, registrar)
            .await
            .map_err(|e| self.state.fail(e))?;
        tracing::info!(client_id = %registered.client.client_id, "client registered");
        let secret = registered.client_secret.map(|s| s.expose().to_owned());
        Ok(RegisterResponse::Created(
            Json(ClientInformation::of(&registered.client, secret)),
            "no-store".into(),
        ))
    }

    /// Read a client's metadata (admin)
    #[oai(path = "/oauth/clients/:client_id", method = "get")]
    async fn client(
        &self,
        #[oai(scope = "ApiScope::Admin")] auth: Auth,
        /// The client identifier.
        client_id: Path<String>,
    ) -> Result<ClientResponse, ErrorResponse> {
        auth.require(Scope::Admin).map_err(|e| self.state.fail(e))?;
        let client = self
            .state
            .engine
            .storage()
            .client(&ClientId::new(client_id.0))
            .await
            .map_err(|e| self.state.fail(e))?
            .ok_or_else(|| {
                self.state.challenge.render_with_status(
                    &OAuthError::invalid_request("no client with this client_id"),
                    Some(poem::http::StatusCode::NOT_FOUND),
                )
            })?;
        Ok(ClientResponse::Found(Json(ClientInformation::of(
            &client, None,
        ))))
    }
}
