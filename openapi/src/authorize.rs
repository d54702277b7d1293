//! The authorization endpoint: `GET /oauth/authorize` validates the request and either redirects
//! at once (auto-approve) or shows the consent page; `POST /oauth/authorize` takes the owner's
//! decision from that page.

use std::sync::Arc;

use mcp_oauth_core::authenticator::{SignInFields, User};
use mcp_oauth_core::engine::{
    Approval, AuthorizationRequest, AuthorizeFailure, ValidatedAuthorization,
};
use mcp_oauth_core::{ErrorCode, OAuthError};
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::Query;
use poem_openapi::payload::{Form, Html};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

use crate::consent_page::{ConsentPage, canonical, policy};
use crate::error::ErrorResponse;
use crate::metrics::Outcome;
use crate::pages::sign_in_elsewhere_links;
use crate::session::SignedIn;
use crate::state::AppState;
use crate::tags::ApiTags;
use mcp_oauth_core::model::{AuditKind, OWNER};

/// The parameters RFC 6749 §3.1 forbids repeating.
const SINGLE_PARAMETERS: [&str; 8] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "resource",
];

/// Answers of the authorization endpoint.
#[derive(Debug, ApiResponse)]
pub enum AuthorizeResponse {
    /// Back to the client: `code`, `state` and `iss` on success; `error`, `error_description`,
    /// `state` and `iss` on failure (RFC 6749 §4.1.2, RFC 9207).
    #[oai(status = 302)]
    Redirect(#[oai(header = "Location")] String),
    /// After the consent form: back to the client, as with 302; starts a browser session
    /// when the form signed someone in.
    #[oai(status = 303)]
    SeeOther(
        #[oai(header = "Location")] String,
        #[oai(header = "Set-Cookie")] Option<String>,
    ),
    /// The consent page: a person signs in (unless a browser session says who they are) and
    /// approves or denies.
    #[oai(status = 200)]
    Consent(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
    /// The consent form's sign-in proved nobody; the page is shown again.
    #[oai(status = 403)]
    ConsentRejected(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
}

/// The consent form, as posted back by the page.
#[derive(Debug, Object, Deserialize)]
pub struct ConsentForm {
    /// The authorization request's `response_type`.
    pub response_type: Option<String>,
    /// The authorization request's `client_id`.
    pub client_id: Option<String>,
    /// The authorization request's `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// The authorization request's `scope`.
    pub scope: Option<String>,
    /// The authorization request's `state`.
    pub state: Option<String>,
    /// The authorization request's `code_challenge`.
    pub code_challenge: Option<String>,
    /// The authorization request's `code_challenge_method`.
    pub code_challenge_method: Option<String>,
    /// The authorization request's `resource`.
    pub resource: Option<String>,
    /// The anti-forgery token of the page.
    pub csrf_token: String,
    /// `approve` or `deny`.
    pub decision: String,
    /// The sign-in of the `owner-key` authenticator: the owner's API key.
    pub api_key: Option<String>,
    /// The sign-in of the `local` authenticator: the account's name.
    pub username: Option<String>,
    /// The sign-in of the `local` authenticator: the account's password.
    pub password: Option<String>,
}

impl ConsentForm {
    /// The sign-in fields the form carried, for the authenticators.
    fn sign_in_fields(&self) -> SignInFields {
        crate::session::sign_in_fields(&self.api_key, &self.username, &self.password)
    }

    /// Whether any sign-in field was filled in.
    fn signs_in(&self) -> bool {
        [&self.api_key, &self.username, &self.password]
            .into_iter()
            .any(|value| value.as_deref().is_some_and(|v| !v.is_empty()))
    }
}

/// The authorization endpoint.
pub struct AuthorizeApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// The consent page's referrer policy: its URL (state, challenge) is never sent elsewhere, while
/// its own form still carries the real `Origin` (under `no-referrer` browsers send `Origin: null`,
/// which the origin check refuses).
const REFERRER_POLICY: &str = "same-origin";

#[OpenApi(tag = "ApiTags::OAuth")]
impl AuthorizeApi {
    /// Start an authorization (code flow with PKCE S256)
    ///
    /// An unknown client or unregistered redirect URI is answered here and never redirected:
    /// with an HTML page when the request accepts `text/html` (a browser), else JSON.
    #[oai(path = "/oauth/authorize", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn authorize(
        &self,
        req: &Request,
        /// Must be `code`.
        response_type: Query<Option<String>>,
        /// The registered client.
        client_id: Query<Option<String>>,
        /// A registered redirect URI (loopback URIs match on any port).
        redirect_uri: Query<Option<String>>,
        /// Space-delimited scopes; default: the client's registered scope.
        scope: Query<Option<String>>,
        /// Opaque value returned to the client.
        state: Query<Option<String>>,
        /// BASE64URL(SHA256(code_verifier)); required for public clients.
        code_challenge: Query<Option<String>>,
        /// Must be `S256`.
        code_challenge_method: Query<Option<String>>,
        /// RFC 8707 resource indicator; default `{issuer}/mcp`.
        resource: Query<Option<String>>,
    ) -> Result<AuthorizeResponse, ErrorResponse> {
        if let Some(name) = repeated_parameter(req.uri().query().unwrap_or_default()) {
            return Err(self.state.fail(OAuthError::invalid_request(format!(
                "parameter {name} must not be repeated (RFC 6749 §3.1)"
            ))));
        }
        let request = AuthorizationRequest {
            response_type: response_type.0,
            client_id: client_id.0,
            redirect_uri: redirect_uri.0,
            scope: scope.0,
            state: state.0,
            code_challenge: code_challenge.0,
            code_challenge_method: code_challenge_method.0,
            resource: resource.0,
        };
        let validated = match self.validate(req, &request).await? {
            Ok(validated) => validated,
            Err(redirect) => return Ok(redirect),
        };
        if self.state.auto_approve {
            self.state.metrics.authorization(Outcome::AutoApproved);
            self.note(
                AuditKind::ConsentAutomatic,
                &validated,
                OWNER,
                "auto-approve",
            );
            return self
                .approve(&validated, &User::owner(""))
                .await
                .map(AuthorizeResponse::Redirect);
        }
        let session = self.session(req).await?;
        if let Some(signed_in) = &session
            && self
                .state
                .engine
                .remembers(&validated, &signed_in.user)
                .await
                .map_err(|e| self.state.fail(e))?
        {
            self.state.metrics.authorization(Outcome::Remembered);
            self.note(
                AuditKind::ConsentAutomatic,
                &validated,
                &signed_in.user.subject,
                "remembered",
            );
            tracing::info!(target: "oauth", client_id = %validated.client.client_id, subject = %signed_in.user.subject, "authorization approved: consent remembered");
            return self
                .approve(&validated, &signed_in.user)
                .await
                .map(AuthorizeResponse::Redirect);
        }
        self.state.metrics.authorization(Outcome::ConsentShown);
        Ok(self.consent_page(&request, &validated, session.as_ref(), None))
    }

    /// Approve or deny an authorization (the consent page's form)
    #[oai(path = "/oauth/authorize", method = "post")]
    async fn decide(
        &self,
        req: &Request,
        form: Form<ConsentForm>,
    ) -> Result<AuthorizeResponse, ErrorResponse> {
        let form = form.0;
        let sign_in = form.sign_in_fields();
        let signs_in = form.signs_in();
        let request = AuthorizationRequest {
            response_type: form.response_type,
            client_id: form.client_id,
            redirect_uri: form.redirect_uri,
            scope: form.scope,
            state: form.state,
            code_challenge: form.code_challenge,
            code_challenge_method: form.code_challenge_method,
            resource: form.resource,
        };
        let now = self.state.engine.clock().now();
        if !self
            .state
            .consent_seal
            .open(&form.csrf_token, &canonical(&request), now)
        {
            return Err(self.state.fail(OAuthError::invalid_request(
                "the consent form is forged, altered or expired; start the authorization again",
            )));
        }
        let validated = match self.validate(req, &request).await? {
            Ok(validated) => validated,
            Err(redirect) => return Ok(redirect),
        };
        // A browser session says who is deciding; otherwise the form's sign-in does. Sign-in
        // fields are credentials like any other: wrong ones spend the address's budget of
        // failed credentials, shared with every route, and a spent budget is answered before
        // they are looked at, whichever button was pressed.
        let address = crate::auth::client_ip(req);
        let (signed_in, new_session) = match self.session(req).await? {
            Some(session) => (Some(session), false),
            None if signs_in => {
                if let Err(blocked) = self
                    .state
                    .credential_failures
                    .admit(address, ErrorCode::TemporarilyUnavailable)
                {
                    tracing::warn!(target: "oauth", client_id = %validated.client.client_id, "failed credentials exhausted");
                    return Err(self.state.fail(blocked));
                }
                let signed_in = self
                    .state
                    .sign_in(&sign_in)
                    .await
                    .map_err(|e| self.state.fail(e))?;
                if signed_in.is_none() {
                    self.state.credential_failures.failed(address);
                    self.state
                        .metrics
                        .refused("bad_sign_in", ErrorCode::AccessDenied);
                    tracing::warn!(target: "oauth", client_id = %validated.client.client_id, "consent with a wrong sign-in");
                }
                (signed_in, true)
            }
            None => (None, false),
        };
        let cookie = signed_in
            .as_ref()
            .filter(|_| new_session)
            .map(|session| self.state.session_cookie(req, session));
        match form.decision.as_str() {
            "deny" => {
                self.state.metrics.authorization(Outcome::Denied);
                let subject = signed_in
                    .as_ref()
                    .map_or("", |session| session.user.subject.as_str());
                self.note(AuditKind::ConsentDenied, &validated, subject, "");
                tracing::info!(target: "oauth", client_id = %validated.client.client_id, "authorization denied");
                match self.state.engine.deny(&validated, signed_in.is_some()) {
                    Some(redirect) => Ok(AuthorizeResponse::SeeOther(redirect, cookie)),
                    None => Err(self.state.fail(OAuthError::new(
                        ErrorCode::AccessDenied,
                        "you denied the request; nothing was sent to the application, and you \
                         can close this window",
                    ))),
                }
            }
            "approve" => match signed_in {
                Some(session) => {
                    self.state.metrics.authorization(Outcome::Approved);
                    self.note(
                        AuditKind::ConsentApproved,
                        &validated,
                        &session.user.subject,
                        "",
                    );
                    tracing::info!(target: "oauth", client_id = %validated.client.client_id, subject = %session.user.subject, "authorization approved");
                    self.approve(&validated, &session.user)
                        .await
                        .map(|url| AuthorizeResponse::SeeOther(url, cookie))
                }
                None => Ok(self.refused_sign_in(&request, &validated, signs_in)),
            },
            _ => Err(self.state.fail(OAuthError::invalid_request(
                "decision must be approve or deny",
            ))),
        }
    }
}

impl AuthorizeApi {
    /// The validated request; `Ok(Err(redirect))` for an error to send back to the client; `Err`
    /// for an error to show here.
    async fn validate(
        &self,
        req: &Request,
        request: &AuthorizationRequest,
    ) -> Result<Result<ValidatedAuthorization, AuthorizeResponse>, ErrorResponse> {
        let issuer = self.state.site.issuer_for(req);
        let approval = if self.state.auto_approve {
            Approval::Automatic
        } else {
            Approval::ByOwner
        };
        match self
            .state
            .engine
            .validate_authorization(request, issuer, approval)
            .await
        {
            Ok(validated) => Ok(Ok(validated)),
            Err(AuthorizeFailure::Redirect(error, url)) => {
                self.state.metrics.authorization(Outcome::ErrorRedirected);
                self.state.metrics.error(&error);
                tracing::info!(target: "oauth", error = %error.code, reason = error.reason_label(), "authorization request refused");
                Ok(Err(AuthorizeResponse::Redirect(url)))
            }
            // Nobody authenticates a client here: an unknown one is a bad request, never a
            // `WWW-Authenticate: Basic` challenge (which pops up the browser's password dialog).
            Err(AuthorizeFailure::NotRedirectable(error))
                if error.code == ErrorCode::InvalidClient =>
            {
                Err(self
                    .state
                    .challenge
                    .render_with_status(&error, Some(StatusCode::BAD_REQUEST)))
            }
            Err(AuthorizeFailure::NotRedirectable(error)) => Err(self.state.fail(error)),
        }
    }

    /// The person the request's browser session names, if any.
    async fn session(&self, req: &Request) -> Result<Option<SignedIn>, ErrorResponse> {
        self.state
            .session_user(req)
            .await
            .map_err(|e| self.state.fail(e))
    }

    /// The consent page for `validated` (with an `error` line after a failed attempt), under a
    /// policy that lets its form reach exactly the validated redirect target.
    fn consent_page(
        &self,
        request: &AuthorizationRequest,
        validated: &ValidatedAuthorization,
        session: Option<&SignedIn>,
        error: Option<&str>,
    ) -> AuthorizeResponse {
        let now = self.state.engine.clock().now();
        let csrf_token = self.state.consent_seal.seal(&canonical(request), now);
        let sign_in: Vec<_> = self
            .state
            .authenticators
            .iter()
            .flat_map(|authenticator| authenticator.fields().iter().copied())
            .collect();
        let query = crate::upstream::authorization_query(request);
        let elsewhere = sign_in_elsewhere_links(&self.state.authenticators, &format!("?{query}"));
        let page = ConsentPage {
            issuer: &validated.issuer,
            request,
            validated,
            csrf_token: &csrf_token,
            sign_in: &sign_in,
            sign_in_elsewhere: &elsewhere,
            signed_in: session.map(|s| &s.user),
        };
        let html = Html(page.render(error));
        let csp = policy(&validated.redirect_uri);
        let (frame, referrer) = ("DENY".to_owned(), REFERRER_POLICY.to_owned());
        match error {
            None => AuthorizeResponse::Consent(html, csp, frame, referrer),
            Some(_) => AuthorizeResponse::ConsentRejected(html, csp, frame, referrer),
        }
    }

    /// Issues the code for `validated`, approved by `user`.
    /// Notes a consent decision about `validated` by `subject` in the audit trail, with the
    /// scope asked for.
    fn note(&self, kind: AuditKind, validated: &ValidatedAuthorization, subject: &str, how: &str) {
        let detail = format!("{how} {}", validated.scope).trim().to_owned();
        self.state.audit.note(kind, |event| {
            let event = event
                .client(validated.client.client_id.as_str())
                .detail(detail);
            if subject.is_empty() {
                event
            } else {
                event.subject(subject)
            }
        });
    }

    async fn approve(
        &self,
        validated: &ValidatedAuthorization,
        user: &User,
    ) -> Result<String, ErrorResponse> {
        self.state
            .engine
            .approve(validated, user)
            .await
            .map_err(|e| self.state.fail(e))
    }

    /// The consent page again after an approval nobody signed in for: with the authenticators'
    /// refusal when fields were `filled` in, else a request to sign in.
    fn refused_sign_in(
        &self,
        request: &AuthorizationRequest,
        validated: &ValidatedAuthorization,
        filled: bool,
    ) -> AuthorizeResponse {
        let refusal = match self.state.authenticators.as_slice() {
            [only] if filled => only.refusal(),
            _ if filled => "That sign-in is not correct.",
            _ => "Sign in to approve.",
        };
        self.consent_page(request, validated, None, Some(refusal))
    }
}

/// The first of the single-valued parameters that appears more than once in `query`.
fn repeated_parameter(query: &str) -> Option<&'static str> {
    let mut seen = [false; SINGLE_PARAMETERS.len()];
    for (name, _) in url::form_urlencoded::parse(query.as_bytes()) {
        if let Some(index) = SINGLE_PARAMETERS.iter().position(|p| *p == name)
            && std::mem::replace(&mut seen[index], true)
        {
            return Some(SINGLE_PARAMETERS[index]);
        }
    }
    None
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{SINGLE_PARAMETERS, repeated_parameter};

    /// Parameter names as a client may write them, some percent-encoded, some repeatable.
    fn name() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "response_type",
            "client_id",
            "client%5Fid",
            "redirect_uri",
            "scope",
            "state",
            "st%61te",
            "code_challenge",
            "code_challenge_method",
            "resource",
            "prompt",
            "nonce",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// A query repeats a single-valued parameter exactly when `repeated_parameter` names one,
        /// and the one it names is repeated, however the names are encoded.
        #[test]
        fn repeated_parameters_are_always_found(
            params in prop::collection::vec((name(), "[a-z0-9%+]{0,6}"), 0..12),
        ) {
            let query = params
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("&");
            let count = |wanted: &str| {
                params
                    .iter()
                    .filter(|(name, _)| {
                        percent_encoding::percent_decode_str(name).decode_utf8_lossy() == wanted
                    })
                    .count()
            };
            let any_repeated = SINGLE_PARAMETERS.iter().any(|name| count(name) > 1);
            match repeated_parameter(&query) {
                Some(found) => prop_assert!(count(found) > 1, "{} is not repeated in {}", found, query),
                None => prop_assert!(!any_repeated, "a repetition in {} went unnoticed", query),
            }
        }
    }
}
