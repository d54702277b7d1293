//! Signing in at another site (the `oidc` authenticator): the consent page's button leads to
//! `GET /oauth/sign-in/{authenticator}`, which sends the browser to the provider with a sealed
//! cookie remembering the departure; the provider sends it back to
//! `GET /oauth/sign-in/{authenticator}/callback`, which signs the person in and resumes the
//! authorization (or the account page) that was under way.

use std::sync::Arc;

use mcp_oauth_core::authenticator::{Arrival, RedirectSignIn};
use mcp_oauth_core::engine::AuthorizationRequest;
use mcp_oauth_core::{ErrorCode, OAuthError};
use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, OpenApi};

use crate::auth::client_ip;
use crate::error::ErrorResponse;
use crate::session::{PendingSignIn, SignedIn};
use crate::state::AppState;
use crate::tags::ApiTags;

/// Where to go back to: the authorization `request` when it has a client, otherwise the account
/// page. Always a path of this server.
pub fn resume_location(request: &AuthorizationRequest) -> String {
    if request.client_id.is_none() {
        return "/account".to_owned();
    }
    format!("/oauth/authorize?{}", authorization_query(request))
}

/// The query string of `request`, its absent parameters left out.
pub fn authorization_query(request: &AuthorizationRequest) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in request.parameters() {
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    query.finish()
}

/// Answers of the sign-in at another site.
#[derive(Debug, ApiResponse)]
pub enum UpstreamResponse {
    /// To the provider (with the departure's cookie), or back to the authorization under way
    /// (with the session cookie).
    #[oai(status = 303)]
    SeeOther(
        #[oai(header = "Location")] String,
        #[oai(header = "Set-Cookie")] String,
    ),
}

/// Sign-in at another site.
pub struct UpstreamApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

impl UpstreamApi {
    /// The authenticator `name` when it signs in at another site.
    fn redirecting(
        &self,
        name: &str,
    ) -> Result<(&'static str, &dyn RedirectSignIn), ErrorResponse> {
        self.state
            .authenticator_named(name)
            .and_then(|authenticator| {
                authenticator
                    .redirect_sign_in()
                    .map(|redirect| (authenticator.name(), redirect))
            })
            .ok_or_else(|| {
                self.state.challenge.render_with_status(
                    &OAuthError::invalid_request(
                        "this server has no sign-in at another site by that name",
                    ),
                    Some(poem::http::StatusCode::NOT_FOUND),
                )
            })
    }

    /// The callback URL the provider sends the browser back to, on the host the browser used.
    fn callback(&self, req: &Request, name: &str) -> String {
        format!(
            "{}/oauth/sign-in/{name}/callback",
            self.state.site.issuer_for(req)
        )
    }
}

#[OpenApi(tag = "ApiTags::Account")]
impl UpstreamApi {
    /// Sign in at another site
    ///
    /// Sends the browser to the sign-in provider (`oidc`: authorization code with PKCE, state
    /// and nonce), remembering in a sealed cookie for ten minutes where to come back to: the
    /// authorization request these parameters describe, or the account page without them.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/oauth/sign-in/:authenticator", method = "get")]
    async fn depart(
        &self,
        req: &Request,
        /// The authenticator (`oidc`).
        authenticator: Path<String>,
        /// The authorization request's `response_type`.
        response_type: Query<Option<String>>,
        /// The authorization request's `client_id`.
        client_id: Query<Option<String>>,
        /// The authorization request's `redirect_uri`.
        redirect_uri: Query<Option<String>>,
        /// The authorization request's `scope`.
        scope: Query<Option<String>>,
        /// The authorization request's `state`.
        state: Query<Option<String>>,
        /// The authorization request's `code_challenge`.
        code_challenge: Query<Option<String>>,
        /// The authorization request's `code_challenge_method`.
        code_challenge_method: Query<Option<String>>,
        /// The authorization request's `resource`.
        resource: Query<Option<String>>,
    ) -> Result<UpstreamResponse, ErrorResponse> {
        let (name, redirect) = self.redirecting(&authenticator)?;
        let departure = redirect
            .depart(&self.callback(req, name))
            .await
            .map_err(|error| self.state.fail(error))?;
        let pending = PendingSignIn {
            authenticator: name.to_owned(),
            resume: resume_location(&AuthorizationRequest {
                response_type: response_type.0,
                client_id: client_id.0,
                redirect_uri: redirect_uri.0,
                scope: scope.0,
                state: state.0,
                code_challenge: code_challenge.0,
                code_challenge_method: code_challenge_method.0,
                resource: resource.0,
            }),
            pending: departure.pending,
        };
        Ok(UpstreamResponse::SeeOther(
            departure.location,
            self.state.pending_sign_in_cookie(req, &pending),
        ))
    }

    /// Come back from signing in at another site
    ///
    /// The provider's answer (RFC 6749 §4.1.2, RFC 9207 `iss`): checked against the departure
    /// this browser made, the code exchanged and the id_token verified. The person is then
    /// signed in and the authorization under way resumes. Failures are budgeted per address.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/oauth/sign-in/:authenticator/callback", method = "get")]
    async fn arrive(
        &self,
        req: &Request,
        /// The authenticator (`oidc`).
        authenticator: Path<String>,
        /// The provider's authorization code.
        code: Query<Option<String>>,
        /// The state of the departure.
        state: Query<Option<String>>,
        /// The provider's issuer (RFC 9207).
        iss: Query<Option<String>>,
        /// The provider's error code instead of a code.
        error: Query<Option<String>>,
        /// The provider's error description.
        error_description: Query<Option<String>>,
    ) -> Result<UpstreamResponse, ErrorResponse> {
        let (name, redirect) = self.redirecting(&authenticator)?;
        let address = client_ip(req);
        self.state
            .credential_failures
            .admit(address, ErrorCode::AccessDenied)
            .map_err(|refused| self.state.fail(refused))?;
        let Some(pending) = self
            .state
            .pending_sign_in(req)
            .filter(|pending| pending.authenticator == name)
        else {
            self.state.credential_failures.failed(address);
            return Err(self.state.fail(OAuthError::invalid_request(
                "this sign-in was not started in this browser, or took longer than ten minutes; \
                 start again from the application",
            )));
        };
        let arrival = Arrival {
            code: code.0,
            state: state.0,
            iss: iss.0,
            error: error.0,
            error_description: error_description.0,
        };
        match redirect
            .arrive(&self.callback(req, name), &pending.pending, &arrival)
            .await
        {
            Ok(user) => {
                let signed_in = SignedIn {
                    authenticator: name,
                    user,
                };
                Ok(UpstreamResponse::SeeOther(
                    pending.resume,
                    self.state.session_cookie(req, &signed_in),
                ))
            }
            Err(refused) => {
                if refused.code != ErrorCode::TemporarilyUnavailable {
                    self.state.credential_failures.failed(address);
                }
                Err(self.state.fail(refused))
            }
        }
    }
}
