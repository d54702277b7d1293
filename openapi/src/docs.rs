//! Swagger UI at `/docs`, set up so that its Authorize button runs the authorization-code flow with
//! PKCE against this very server, as the built-in public client `swagger-ui`.

use mcp_oauth_core::model::{
    AuthMethod, Client, ClientId, ClientProfile, GrantType, RedirectUri, Scope,
};
use mcp_oauth_core::{AuthorizationServer, Error};
use std::sync::OnceLock;

use poem::endpoint::BoxEndpoint;
use poem::web::Html;
use poem::{Endpoint, IntoResponse, Request, Response};

/// The client id Swagger UI authorizes as.
pub const SWAGGER_CLIENT_ID: &str = "swagger-ui";

/// Registers the `swagger-ui` public client, redirecting to `{issuer}/docs/oauth-receiver.html`
/// under the issuer and each of its aliases, or brings the stored one up to date (the issuer may
/// have changed since it was stored).
pub async fn register_swagger_client(engine: &AuthorizationServer) -> mcp_oauth_core::Result<()> {
    let redirect_uris = engine
        .config()
        .issuers()
        .map(|issuer| {
            RedirectUri::parse(&format!("{issuer}/docs/oauth-receiver.html")).map_err(|e| {
                Error::Config {
                    variable: "MCP_OAUTH_ISSUER".into(),
                    got: issuer.to_owned(),
                    expected: format!(
                        "an http(s) URL usable as a redirect base ({})",
                        e.description
                    ),
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let client = Client {
        client_id: ClientId::new(SWAGGER_CLIENT_ID),
        secret_hash: None,
        redirect_uris,
        grant_types: vec![GrantType::AuthorizationCode],
        auth_method: AuthMethod::None,
        scope: [Scope::Read, Scope::Write, Scope::Admin]
            .into_iter()
            .collect(),
        profile: ClientProfile {
            client_name: Some("Swagger UI of this server".into()),
            ..ClientProfile::default()
        },
        issued_at: engine.clock().now(),
        registration_token_hash: None,
        used_at: None,
        keys: None,
    };
    engine.install_first_party_client(client).await
}

/// Swagger UI (poem-openapi's), with PKCE and the built-in client preset on its Authorize dialog,
/// built on first use: its page inlines the 1.6 MB Swagger UI bundle, which made up a fifth of an
/// idle server's memory when built at start.
pub struct SwaggerUi<F> {
    build: F,
    built: OnceLock<(BoxEndpoint<'static>, String)>,
}

impl<F> SwaggerUi<F>
where
    F: Fn() -> (BoxEndpoint<'static>, String) + Send + Sync,
{
    /// `build` makes poem-openapi's Swagger UI endpoint and its page.
    pub fn new(build: F) -> Self {
        Self {
            build,
            built: OnceLock::new(),
        }
    }
}

impl<F> Endpoint for SwaggerUi<F>
where
    F: Fn() -> (BoxEndpoint<'static>, String) + Send + Sync,
{
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let (swagger, page) = self.built.get_or_init(|| {
            let (swagger, page) = (self.build)();
            (swagger, with_pkce(&page))
        });
        match req.uri().path() {
            "" | "/" => Ok(Html(page.clone()).into_response()),
            _ => swagger.call(req).await,
        }
    }
}

/// Adds PKCE and the client id to the Authorize dialog of poem-openapi's Swagger UI page. A test
/// checks the served page carries them, so a template change upstream is caught.
fn with_pkce(page: &str) -> String {
    page.replacen("SwaggerUIBundle({", "const ui = SwaggerUIBundle({", 1).replacen(
        "</script>\n\n</body>",
        &format!(
            "ui.initOAuth({{ clientId: \"{SWAGGER_CLIENT_ID}\", usePkceWithAuthorizationCodeGrant: \
             true, scopes: \"read write\" }});\n</script>\n\n</body>"
        ),
        1,
    )
}
