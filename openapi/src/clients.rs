//! Client management (RFC 7592): `GET`, `PUT` and `DELETE /oauth/clients/{client_id}`, allowed to
//! the holder of the client's registration access token and to the owner (API key or `admin`
//! token).

use std::sync::Arc;

use mcp_oauth_core::OAuthError;
use mcp_oauth_core::engine::Registrar;
use mcp_oauth_core::model::{AuditKind, Client, ClientId, Scope};
use poem::http::StatusCode;
use poem::{IntoResponse, Request, RequestBody};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Object, OpenApi,
};

use crate::auth::{
    API_KEY_HEADER, API_KEY_QUERY, Auth, BEARER, OAUTH2, authenticate, bearer_token,
};
use crate::error::ErrorResponse;
use crate::register::{ClientInformation, IssuedSecrets, RegistrationBody};
use crate::state::AppState;
use crate::tags::ApiTags;

/// The security scheme of registration access tokens in the spec.
const REGISTRATION_TOKEN: &str = "registration_access_token";

/// Whoever may manage the client named by the path, with that client loaded.
#[derive(Debug)]
pub struct ClientManager {
    /// The client to manage.
    pub client: Client,
    /// [`Registrar::Owner`] for the owner, [`Registrar::Anonymous`] for the client itself.
    pub registrar: Registrar,
}

impl ClientManager {
    async fn identify(req: &Request, state: &AppState) -> Result<Self, ErrorResponse> {
        let id = ClientId::new(client_id_of(req));
        let bearer = bearer_token(req);
        if let Some(token) = bearer
            && let Some(client) = state
                .engine
                .client_managed_by(&id, token)
                .await
                .map_err(|e| state.fail(e))?
        {
            return Ok(Self {
                client,
                registrar: Registrar::Anonymous,
            });
        }
        // RFC 7592 §2.1: an unknown client and a wrong token get the same 401.
        let principal = authenticate(req, state).await.map_err(|error| {
            if bearer.is_some() {
                state.fail(OAuthError::invalid_token(
                    "the bearer token is neither this client's registration access token nor an \
                     admin token",
                ))
            } else {
                state.fail(error)
            }
        })?;
        principal.require(Scope::Admin).map_err(|e| state.fail(e))?;
        let client = state
            .engine
            .registered_client(&id)
            .await
            .map_err(|e| state.fail(e))?
            .ok_or_else(|| {
                state.challenge.render_with_status(
                    &OAuthError::invalid_request("no client with this client_id"),
                    Some(StatusCode::NOT_FOUND),
                )
            })?;
        Ok(Self {
            client,
            registrar: Registrar::Owner,
        })
    }
}

/// The client id in the request's path, `/oauth/clients/{client_id}`, percent-decoded.
fn client_id_of(req: &Request) -> String {
    let raw = req
        .uri()
        .path()
        .strip_prefix("/oauth/clients/")
        .unwrap_or_default();
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

impl<'a> ApiExtractor<'a> for ClientManager {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        Auth::register(registry);
        registry.create_security_scheme(
            REGISTRATION_TOKEN,
            MetaSecurityScheme {
                ty: "http",
                description: Some(
                    "The registration access token from the client's registration response \
                     (RFC 7592)",
                ),
                name: None,
                key_in: None,
                scheme: Some("bearer"),
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![
            REGISTRATION_TOKEN,
            OAUTH2,
            BEARER,
            API_KEY_HEADER,
            API_KEY_QUERY,
        ]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let state = req
            .data::<Arc<AppState>>()
            .ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
        Self::identify(req, state)
            .await
            .map_err(|error| poem::Error::from_response(error.into_response()))
    }
}

/// A client update (RFC 7592 §2.2): the complete metadata, as at registration; what is left out
/// takes its default. Unknown fields are ignored.
#[derive(Debug, Object)]
pub struct ClientUpdateBody {
    /// The client's identifier; must be the one in the path.
    pub client_id: String,
    /// When sent, must be the client's current secret.
    pub client_secret: Option<String>,
    /// The metadata.
    #[oai(flatten)]
    pub metadata: RegistrationBody,
}

/// Answers of `GET` and `PUT /oauth/clients/{client_id}`.
#[derive(Debug, ApiResponse)]
pub enum ClientResponse {
    /// The client's metadata. `client_secret` appears only when this request issued one (a
    /// public client turned confidential); `registration_access_token`, the client's new one,
    /// when the client itself asked.
    #[oai(status = 200)]
    Found(
        Json<ClientInformation>,
        #[oai(header = "Cache-Control")] String,
    ),
}

/// Answers of `DELETE /oauth/clients/{client_id}`.
#[derive(Debug, ApiResponse)]
pub enum DeletedResponse {
    /// The client is deleted and its tokens revoked.
    #[oai(status = 204)]
    Deleted,
}

/// Client management.
pub struct ClientsApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::OAuth")]
impl ClientsApi {
    /// Read a client (RFC 7592)
    ///
    /// With the client's registration access token, or as the owner. The client reading itself
    /// gets a new `registration_access_token` in the answer, which replaces the one it used.
    #[oai(path = "/oauth/clients/:client_id", method = "get")]
    async fn read(
        &self,
        manager: ClientManager,
        /// The client identifier.
        #[oai(name = "client_id")]
        _client_id: Path<String>,
    ) -> Result<ClientResponse, ErrorResponse> {
        // The errors (401, 403, 404) come from the `ClientManager` extractor; the result type
        // declares them in the spec. The client reading itself gets a fresh registration access
        // token (RFC 7592 §3); the owner's reads leave the client's token alone.
        let (client, issued) = match manager.registrar {
            Registrar::Anonymous => {
                let (client, token) = self
                    .state
                    .engine
                    .reissue_registration_token(&manager.client)
                    .await
                    .map_err(|e| self.state.fail(e))?;
                let issued = IssuedSecrets {
                    registration_access_token: Some(token.expose().to_owned()),
                    ..IssuedSecrets::default()
                };
                (client, issued)
            }
            Registrar::Owner => (manager.client, IssuedSecrets::default()),
        };
        Ok(ClientResponse::Found(
            Json(ClientInformation::of(&client, self.state.issuer(), issued)),
            "no-store".into(),
        ))
    }

    /// Update a client (RFC 7592)
    ///
    /// Replaces the client's metadata with the body, which is validated as a registration is.
    /// The client id and secret stay the same; the client updating itself gets a new
    /// `registration_access_token`, which replaces the one it used.
    #[oai(path = "/oauth/clients/:client_id", method = "put")]
    async fn update(
        &self,
        manager: ClientManager,
        /// The client identifier.
        #[oai(name = "client_id")]
        _client_id: Path<String>,
        body: Json<ClientUpdateBody>,
    ) -> Result<ClientResponse, ErrorResponse> {
        let body = body.0;
        if body.client_id != manager.client.client_id.as_str() {
            return Err(self.state.fail(OAuthError::invalid_client_metadata(
                "client_id in the body must be the client's own",
            )));
        }
        let updated = self
            .state
            .engine
            .update_client(
                &manager.client,
                body.metadata.into_request(),
                manager.registrar,
                body.client_secret.as_deref(),
            )
            .await
            .map_err(|e| self.state.fail(e))?;
        tracing::info!(client_id = %updated.client.client_id, "client updated");
        Ok(ClientResponse::Found(
            Json(ClientInformation::of(
                &updated.client,
                self.state.issuer(),
                IssuedSecrets::of(&updated),
            )),
            "no-store".into(),
        ))
    }

    /// Delete a client (RFC 7592)
    ///
    /// Revokes the client's refresh and access tokens, then forgets it; its registration access
    /// token stops working.
    #[oai(path = "/oauth/clients/:client_id", method = "delete")]
    async fn delete(
        &self,
        manager: ClientManager,
        /// The client identifier.
        #[oai(name = "client_id")]
        _client_id: Path<String>,
    ) -> Result<DeletedResponse, ErrorResponse> {
        self.state
            .engine
            .delete_client(&manager.client)
            .await
            .map_err(|e| self.state.fail(e))?;
        tracing::info!(client_id = %manager.client.client_id, "client deleted");
        self.state.audit.note(AuditKind::ClientDeleted, |event| {
            event
                .client(manager.client.client_id.as_str())
                .detail("RFC 7592")
        });
        Ok(DeletedResponse::Deleted)
    }
}
