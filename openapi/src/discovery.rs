//! Discovery: authorization-server metadata (RFC 8414) at every path MCP clients try, and
//! protected-resource metadata (RFC 9728). Both documents are built once at start, for the issuer
//! and for each of its loopback aliases: a client that reached the server as `127.0.0.1` reads
//! documents naming `127.0.0.1`, as the TypeScript SDK and RFC 8414 §3.3 require.

use std::sync::Arc;

use poem::Request;

use mcp_oauth_core::model::{AuthMethod, GrantType, Scope};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::state::AppState;
use crate::tags::ApiTags;

/// RFC 8414 authorization-server metadata.
#[derive(Clone, Debug, Object)]
pub struct AuthorizationServerMetadata {
    /// The issuer identifier; byte-equal to `authorization_servers[0]` of the resource metadata.
    pub issuer: String,
    /// The authorization endpoint.
    pub authorization_endpoint: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The dynamic client registration endpoint (RFC 7591).
    pub registration_endpoint: String,
    /// The revocation endpoint (RFC 7009).
    pub revocation_endpoint: String,
    /// The introspection endpoint (RFC 7662).
    pub introspection_endpoint: String,
    /// Client authentication at the revocation endpoint.
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    /// Client authentication at the introspection endpoint (confidential clients; the owner may
    /// also use a bearer token).
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    /// The public keys of asymmetric signers (absent for HS256).
    #[oai(skip_serializing_if_is_none)]
    pub jwks_uri: Option<String>,
    /// Scopes clients may ask for.
    pub scopes_supported: Vec<String>,
    /// Always `["code"]`.
    pub response_types_supported: Vec<String>,
    /// Always `["query"]`.
    pub response_modes_supported: Vec<String>,
    /// The grant types of the token endpoint.
    pub grant_types_supported: Vec<String>,
    /// Client authentication methods of the token endpoint.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// The algorithms of `private_key_jwt` assertions at the token endpoint.
    #[oai(skip_serializing_if_is_none)]
    pub token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    /// The algorithms of `private_key_jwt` assertions at the revocation endpoint.
    #[oai(skip_serializing_if_is_none)]
    pub revocation_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    /// The algorithms of `private_key_jwt` assertions at the introspection endpoint.
    #[oai(skip_serializing_if_is_none)]
    pub introspection_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    /// Always `["S256"]`: `plain` is refused.
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207: authorization responses carry `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    /// Human-readable documentation: the Swagger UI.
    pub service_documentation: String,
    /// A `client_id` may be the https URL of a client ID metadata document.
    pub client_id_metadata_document_supported: bool,
    /// The grant profiles of the JWT bearer grant: the ID-JAG's
    /// (`urn:ietf:params:oauth:grant-profile:id-jag`), when trusted identity providers are
    /// configured.
    #[oai(skip_serializing_if_is_none)]
    pub authorization_grant_profiles_supported: Option<Vec<String>>,
}

/// RFC 9728 protected-resource metadata.
#[derive(Clone, Debug, Object)]
pub struct ProtectedResourceMetadata {
    /// The protected resource whose metadata URL this is (RFC 9728 §3.3): `{issuer}/mcp` at
    /// `/.well-known/oauth-protected-resource/mcp`, the origin `{issuer}` at the root one.
    pub resource: String,
    /// The authorization servers that issue tokens for it.
    pub authorization_servers: Vec<String>,
    /// Scopes the resource understands.
    pub scopes_supported: Vec<String>,
    /// How tokens are presented: `["header"]`.
    pub bearer_methods_supported: Vec<String>,
    /// A name for people.
    pub resource_name: String,
    /// Human-readable documentation.
    pub resource_documentation: String,
}

/// What the metadata advertises beyond the fixed endpoints.
#[derive(Clone, Copy, Debug)]
pub struct ServerFeatures {
    /// The signer publishes public keys (`jwks_uri`).
    pub jwks: bool,
    /// Client ID metadata documents are accepted.
    pub client_documents: bool,
    /// `private_key_jwt` client authentication is accepted.
    pub client_assertions: bool,
    /// The JWT bearer grant with ID-JAGs is accepted.
    pub id_jag: bool,
}

impl AuthorizationServerMetadata {
    /// The metadata of the server at `issuer` with `features`.
    pub fn new(issuer: &str, features: ServerFeatures) -> Self {
        let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        let methods = |confidential_only: bool| -> Vec<String> {
            AuthMethod::ALL
                .into_iter()
                .filter(|method| !confidential_only || *method != AuthMethod::None)
                .filter(|method| features.client_assertions || *method != AuthMethod::PrivateKeyJwt)
                .map(|method| method.as_str().to_owned())
                .collect()
        };
        let signing_algs = features
            .client_assertions
            .then(|| strings(&mcp_oauth_core::assertion::SIGNING_ALGORITHMS));
        Self {
            issuer: issuer.to_owned(),
            authorization_endpoint: format!("{issuer}/oauth/authorize"),
            token_endpoint: format!("{issuer}/oauth/token"),
            registration_endpoint: format!("{issuer}/oauth/register"),
            revocation_endpoint: format!("{issuer}/oauth/revoke"),
            introspection_endpoint: format!("{issuer}/oauth/introspect"),
            revocation_endpoint_auth_methods_supported: methods(false),
            introspection_endpoint_auth_methods_supported: methods(true),
            jwks_uri: features.jwks.then(|| format!("{issuer}/oauth/jwks.json")),
            scopes_supported: Scope::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
            response_types_supported: strings(&["code"]),
            response_modes_supported: strings(&["query"]),
            grant_types_supported: GrantType::ALL
                .iter()
                .filter(|g| features.id_jag || **g != GrantType::JwtBearer)
                .map(|g| g.as_str().to_owned())
                .collect(),
            token_endpoint_auth_methods_supported: methods(false),
            token_endpoint_auth_signing_alg_values_supported: signing_algs.clone(),
            revocation_endpoint_auth_signing_alg_values_supported: signing_algs.clone(),
            introspection_endpoint_auth_signing_alg_values_supported: signing_algs,
            code_challenge_methods_supported: strings(&["S256"]),
            authorization_response_iss_parameter_supported: true,
            service_documentation: format!("{issuer}/docs"),
            client_id_metadata_document_supported: features.client_documents,
            authorization_grant_profiles_supported: features
                .id_jag
                .then(|| strings(&[mcp_oauth_core::engine::ID_JAG_PROFILE])),
        }
    }
}

impl ProtectedResourceMetadata {
    /// The metadata of `resource`, a resource of the server at `issuer` (the `/mcp` endpoint, or
    /// the whole origin: tokens for either work on every resource endpoint).
    pub fn new(issuer: &str, resource: String) -> Self {
        Self {
            resource,
            authorization_servers: vec![issuer.to_owned()],
            scopes_supported: [Scope::Read, Scope::Write, Scope::Admin]
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            bearer_methods_supported: vec!["header".to_owned()],
            resource_name: "MCP Memory Service".to_owned(),
            resource_documentation: format!("{issuer}/docs"),
        }
    }
}

/// The documents of one issuer.
struct Documents {
    issuer: String,
    server: AuthorizationServerMetadata,
    /// At `/.well-known/oauth-protected-resource/mcp`.
    mcp_resource: ProtectedResourceMetadata,
    /// At `/.well-known/oauth-protected-resource`.
    origin_resource: ProtectedResourceMetadata,
}

/// The discovery endpoints.
pub struct DiscoveryApi {
    state: Arc<AppState>,
    /// The issuer's documents first, then each alias's.
    documents: Vec<Documents>,
}

impl DiscoveryApi {
    /// The endpoints, with their documents built once from `state`.
    pub fn new(state: &Arc<AppState>) -> Self {
        let features = ServerFeatures {
            jwks: !state.engine.signer().public_keys().is_empty(),
            client_documents: state.engine.supports_client_documents(),
            client_assertions: state.engine.supports_client_assertions(),
            id_jag: state.engine.accepts_id_jag(),
        };
        let documents = state
            .engine
            .config()
            .issuers()
            .map(|issuer| Documents {
                issuer: issuer.to_owned(),
                server: AuthorizationServerMetadata::new(issuer, features),
                mcp_resource: ProtectedResourceMetadata::new(issuer, format!("{issuer}/mcp")),
                origin_resource: ProtectedResourceMetadata::new(issuer, issuer.to_owned()),
            })
            .collect();
        Self {
            state: state.clone(),
            documents,
        }
    }

    /// The documents for the issuer `req` reached the server by.
    fn documents(&self, req: &Request) -> &Documents {
        let issuer = self.state.site.issuer_for(req);
        self.documents
            .iter()
            .find(|documents| documents.issuer == issuer)
            .unwrap_or(&self.documents[0])
    }

    fn server(&self, req: &Request) -> Json<AuthorizationServerMetadata> {
        Json(self.documents(req).server.clone())
    }

    fn resource(&self, req: &Request, origin: bool) -> Json<ProtectedResourceMetadata> {
        let documents = self.documents(req);
        Json(if origin {
            documents.origin_resource.clone()
        } else {
            documents.mcp_resource.clone()
        })
    }
}

#[OpenApi(tag = "ApiTags::Discovery")]
impl DiscoveryApi {
    /// Authorization-server metadata (RFC 8414)
    #[oai(path = "/.well-known/oauth-authorization-server", method = "get")]
    async fn authorization_server(&self, req: &Request) -> Json<AuthorizationServerMetadata> {
        self.server(req)
    }

    /// Authorization-server metadata for the `/mcp` resource (RFC 8414 §3.1 path insertion)
    #[oai(path = "/.well-known/oauth-authorization-server/mcp", method = "get")]
    async fn authorization_server_mcp(&self, req: &Request) -> Json<AuthorizationServerMetadata> {
        self.server(req)
    }

    /// The same metadata at the OpenID Connect discovery path, which some MCP clients try
    #[oai(path = "/.well-known/openid-configuration", method = "get")]
    async fn openid_configuration(&self, req: &Request) -> Json<AuthorizationServerMetadata> {
        self.server(req)
    }

    /// The same metadata at the OpenID Connect path with `/mcp` inserted
    #[oai(path = "/.well-known/openid-configuration/mcp", method = "get")]
    async fn openid_configuration_mcp(&self, req: &Request) -> Json<AuthorizationServerMetadata> {
        self.server(req)
    }

    /// The same metadata at the OpenID Connect path appended to `/mcp`
    #[oai(path = "/mcp/.well-known/openid-configuration", method = "get")]
    async fn mcp_openid_configuration(&self, req: &Request) -> Json<AuthorizationServerMetadata> {
        self.server(req)
    }

    /// Protected-resource metadata of the origin (RFC 9728; its `resource` is the origin)
    #[oai(path = "/.well-known/oauth-protected-resource", method = "get")]
    async fn protected_resource(&self, req: &Request) -> Json<ProtectedResourceMetadata> {
        self.resource(req, true)
    }

    /// Protected-resource metadata of the `/mcp` resource (RFC 9728 §3.1 path insertion)
    #[oai(path = "/.well-known/oauth-protected-resource/mcp", method = "get")]
    async fn protected_resource_mcp(&self, req: &Request) -> Json<ProtectedResourceMetadata> {
        self.resource(req, false)
    }
}
