//! People's side of the server: signing out, the connected-apps page (`/account`) where a
//! signed-in person sees the clients they approved and revokes any of them (an admin sees
//! everyone's), and the same list over the API (`GET`/`DELETE /oauth/grants`).

use std::sync::Arc;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use mcp_oauth_core::engine::{AuthorizationRequest, ClientDocuments};
use mcp_oauth_core::model::{AuditKind, ClientId, Consent, Role, Scope};
use mcp_oauth_core::{ErrorCode, OAuthError};
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::Query;
use poem_openapi::payload::{Form, Html, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

use crate::auth::Auth;
use crate::error::ErrorResponse;
use crate::pages::{frame, sign_in_elsewhere_links, sign_in_inputs};
use crate::session::{SignedIn, sign_in_fields};
use crate::state::AppState;
use crate::tags::ApiTags;
use crate::upstream::resume_location;

/// The account page's Content-Security-Policy: like every page, and its forms post only here.
const ACCOUNT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The anti-forgery payload of the account page's forms for `subject` (`None`: the sign-in).
fn form_payload(subject: Option<&str>) -> String {
    match subject {
        Some(subject) => format!("account\nrevoke\n{subject}"),
        None => "account\nsign-in".to_owned(),
    }
}

/// Answers of the account page and sign-out.
#[derive(Debug, ApiResponse)]
pub enum AccountResponse {
    /// The page: the connected apps, or a sign-in form.
    #[oai(status = 200)]
    Page(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
    ),
    /// The sign-in proved nobody; the form is shown again.
    #[oai(status = 403)]
    Refused(
        Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
    ),
    /// Done: to the account page, or back to the authorization that was under way; with the
    /// session cookie set (signed in) or cleared (signed out).
    #[oai(status = 303)]
    SeeOther(
        #[oai(header = "Location")] String,
        #[oai(header = "Set-Cookie")] Option<String>,
    ),
}

/// The account page's form.
#[derive(Debug, Object, Deserialize)]
pub struct AccountForm {
    /// `sign_in` or `revoke`.
    pub action: String,
    /// The page's anti-forgery token.
    pub csrf_token: String,
    /// The `owner-key` sign-in.
    pub api_key: Option<String>,
    /// The `local` sign-in: the account's name.
    pub username: Option<String>,
    /// The `local` sign-in: the password.
    pub password: Option<String>,
    /// For `revoke`: whose grant (default: the signed-in person's).
    pub subject: Option<String>,
    /// For `revoke`: the client.
    pub client_id: Option<String>,
}

/// The sign-out form: the authorization request under way, if any, to return to.
#[derive(Debug, Object, Deserialize)]
pub struct SignOutForm {
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
}

/// One person's grant to one client.
#[derive(Debug, Object)]
pub struct GrantOut {
    /// Who approved.
    pub subject: String,
    /// The client.
    pub client_id: String,
    /// The client's name, as it registered it.
    pub client_name: Option<String>,
    /// Every scope approved.
    pub scope: String,
    /// The hosts answers went to.
    pub redirect_hosts: Vec<String>,
    /// When it was approved (Unix time).
    pub granted_at: i64,
    /// When a token was last issued for it, to within ten minutes (Unix time).
    pub last_used_at: i64,
}

/// The grants list.
#[derive(Debug, Object)]
pub struct GrantList {
    /// The grants in force, by person then client.
    pub grants: Vec<GrantOut>,
}

/// Answers of the grants API.
#[derive(Debug, ApiResponse)]
pub enum GrantsResponse {
    /// The grants.
    #[oai(status = 200)]
    List(Json<GrantList>),
    /// Revoked: its refresh tokens stopped working, its access tokens stop at their next use.
    #[oai(status = 204)]
    Revoked,
}

/// People's sessions and connected apps.
pub struct AccountApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Account")]
impl AccountApi {
    /// Sign out of the browser session
    ///
    /// Ends the session cookie. With an authorization request's parameters (the consent page's
    /// "Not you?"), returns to that authorization, which then asks to sign in.
    #[oai(path = "/oauth/sign-out", method = "post")]
    async fn sign_out(
        &self,
        req: &Request,
        form: Form<SignOutForm>,
    ) -> Result<AccountResponse, ErrorResponse> {
        let form = form.0;
        let location = resume_location(&AuthorizationRequest {
            response_type: form.response_type,
            client_id: form.client_id,
            redirect_uri: form.redirect_uri,
            scope: form.scope,
            state: form.state,
            code_challenge: form.code_challenge,
            code_challenge_method: form.code_challenge_method,
            resource: form.resource,
        });
        Ok(AccountResponse::SeeOther(
            location,
            Some(self.state.cleared_session_cookie(req)),
        ))
    }

    /// The connected-apps page
    ///
    /// For a person signed in: the applications they approved, with scopes and first and last
    /// use, each with a button that revokes it (an admin sees everyone's). Otherwise a sign-in.
    #[oai(path = "/account", method = "get")]
    async fn page(&self, req: &Request) -> Result<AccountResponse, ErrorResponse> {
        let session = self.session(req).await?;
        self.render(session.as_ref(), None).await
    }

    /// Sign in, or revoke a connected app (the account page's forms)
    #[oai(path = "/account", method = "post")]
    async fn act(
        &self,
        req: &Request,
        form: Form<AccountForm>,
    ) -> Result<AccountResponse, ErrorResponse> {
        let form = form.0;
        let now = self.state.engine.clock().now();
        let session = self.session(req).await?;
        match (form.action.as_str(), session) {
            ("revoke", Some(session)) => {
                let payload = form_payload(Some(&session.user.subject));
                if !self
                    .state
                    .consent_seal
                    .open(&form.csrf_token, &payload, now)
                {
                    return Err(self.forged());
                }
                let subject = form.subject.as_deref().unwrap_or(&session.user.subject);
                let client = form.client_id.as_deref().unwrap_or_default();
                self.revoke(&session.user.subject, session.user.role, subject, client)
                    .await?;
                Ok(AccountResponse::SeeOther("/account".into(), None))
            }
            ("revoke", None) => self.render(None, Some("Sign in first.")).await,
            ("sign_in", _) => {
                if !self
                    .state
                    .consent_seal
                    .open(&form.csrf_token, &form_payload(None), now)
                {
                    return Err(self.forged());
                }
                let address = crate::auth::client_ip(req);
                self.state
                    .credential_failures
                    .admit(address, ErrorCode::TemporarilyUnavailable)
                    .map_err(|e| self.state.fail(e))?;
                let fields = sign_in_fields(&form.api_key, &form.username, &form.password);
                match self
                    .state
                    .sign_in(&fields)
                    .await
                    .map_err(|e| self.state.fail(e))?
                {
                    Some(signed_in) => {
                        let cookie = self.state.session_cookie(req, &signed_in);
                        Ok(AccountResponse::SeeOther("/account".into(), Some(cookie)))
                    }
                    None => {
                        self.state.credential_failures.failed(address);
                        let refusal = match self.state.authenticators.as_slice() {
                            [only] => only.refusal(),
                            _ => "That sign-in is not correct.",
                        };
                        self.render(None, Some(refusal)).await
                    }
                }
            }
            _ => Err(self.state.fail(OAuthError::invalid_request(
                "action must be sign_in or revoke",
            ))),
        }
    }

    /// List connected apps
    ///
    /// The grants people made to clients and have not revoked: the caller's own, or with the
    /// `admin` scope everyone's (optionally one person's, by `subject`).
    #[oai(path = "/oauth/grants", method = "get")]
    async fn list(
        &self,
        auth: Auth,
        /// Only this person's grants (admin only, for another person).
        subject: Query<Option<String>>,
    ) -> Result<GrantsResponse, ErrorResponse> {
        let principal = &auth.0;
        let admin = principal.scopes.grants(Scope::Admin);
        let wanted = match subject.0 {
            Some(other) if other != principal.subject && !admin => {
                return Err(self.state.fail(OAuthError::insufficient_scope("admin")));
            }
            Some(other) => Some(other),
            None if admin => None,
            None => Some(principal.subject.clone()),
        };
        let grants = self.grants(wanted.as_deref()).await?;
        let mut out = Vec::with_capacity(grants.len());
        for grant in grants {
            let client_name = self.client_name(&grant.client_id).await;
            out.push(GrantOut {
                subject: grant.subject,
                client_id: grant.client_id.to_string(),
                client_name,
                scope: grant.scope.to_string(),
                redirect_hosts: grant.redirect_hosts.into_iter().collect(),
                granted_at: grant.granted_at,
                last_used_at: grant.last_used_at,
            });
        }
        Ok(GrantsResponse::List(Json(GrantList { grants: out })))
    }

    /// Revoke a connected app
    ///
    /// Ends one person's grant to one client: its refresh tokens stop working at once, its
    /// access tokens at their next use. Another person's grant needs the `admin` scope.
    #[oai(path = "/oauth/grants", method = "delete")]
    async fn delete(
        &self,
        auth: Auth,
        /// The client whose grant ends.
        client_id: Query<String>,
        /// Whose grant (default: the caller's).
        subject: Query<Option<String>>,
    ) -> Result<GrantsResponse, ErrorResponse> {
        let principal = &auth.0;
        let role = if principal.scopes.grants(Scope::Admin) {
            Role::Admin
        } else {
            Role::Reader
        };
        let subject = subject.0.unwrap_or_else(|| principal.subject.clone());
        self.revoke(&principal.subject, role, &subject, &client_id.0)
            .await?;
        Ok(GrantsResponse::Revoked)
    }
}

impl AccountApi {
    async fn session(&self, req: &Request) -> Result<Option<SignedIn>, ErrorResponse> {
        self.state
            .session_user(req)
            .await
            .map_err(|e| self.state.fail(e))
    }

    fn forged(&self) -> ErrorResponse {
        self.state.fail(OAuthError::invalid_request(
            "the form is forged, altered or expired; open the account page again",
        ))
    }

    /// The grants in force of `subject`, or everyone's.
    async fn grants(&self, subject: Option<&str>) -> Result<Vec<Consent>, ErrorResponse> {
        let grants = self
            .state
            .engine
            .grants(subject)
            .await
            .map_err(|e| self.state.fail(e))?;
        Ok(grants
            .into_iter()
            .filter(|grant| grant.revoked_at.is_none())
            .collect())
    }

    /// Revokes `subject`'s grant to `client` for `actor` (with `role`): their own, or anyone's
    /// for an admin; 404 when there is no such grant in force.
    async fn revoke(
        &self,
        actor: &str,
        role: Role,
        subject: &str,
        client: &str,
    ) -> Result<(), ErrorResponse> {
        if subject != actor && role != Role::Admin {
            return Err(self.state.fail(OAuthError::insufficient_scope("admin")));
        }
        let revoked = self
            .state
            .engine
            .revoke_grant(subject, &ClientId::new(client))
            .await
            .map_err(|e| self.state.fail(e))?;
        if !revoked {
            return Err(self.state.challenge.render_with_status(
                &OAuthError::invalid_request("no such grant in force"),
                Some(StatusCode::NOT_FOUND),
            ));
        }
        tracing::info!(%subject, client_id = %client, by = %actor, "grant revoked");
        self.state.audit.note(AuditKind::TokenRevoked, |event| {
            event
                .client(client)
                .subject(subject)
                .detail(format!("grant, by {actor}"))
        });
        Ok(())
    }

    /// The name a client registered, or for a metadata-document client its URL's host.
    async fn client_name(&self, id: &ClientId) -> Option<String> {
        if ClientDocuments::is_document_id(id.as_str()) {
            return url::Url::parse(id.as_str())
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned));
        }
        match self.state.engine.registered_client(id).await {
            Ok(Some(client)) => client.profile.client_name,
            _ => None,
        }
    }

    /// The page for `session` (the connected apps) or for nobody (a sign-in), with an `error`
    /// line.
    async fn render(
        &self,
        session: Option<&SignedIn>,
        error: Option<&str>,
    ) -> Result<AccountResponse, ErrorResponse> {
        let now = self.state.engine.clock().now();
        let error_line = error
            .map(|e| format!("<p class=\"error\">{}</p>", text(e)))
            .unwrap_or_default();
        let body = match session {
            None => {
                let csrf = self.state.consent_seal.seal(&form_payload(None), now);
                let fields: Vec<_> = self
                    .state
                    .authenticators
                    .iter()
                    .flat_map(|a| a.fields())
                    .collect();
                let elsewhere = sign_in_elsewhere_links(&self.state.authenticators, "");
                let form = if fields.is_empty() {
                    String::new()
                } else {
                    format!(
                        "<form method=\"post\" action=\"/account\"><input type=\"hidden\" \
                         name=\"action\" value=\"sign_in\"><input type=\"hidden\" \
                         name=\"csrf_token\" value=\"{csrf}\">{fields}<button \
                         type=\"submit\">Sign in</button></form>",
                        csrf = attr(&csrf),
                        fields = sign_in_inputs(fields),
                    )
                };
                format!(
                    "<h1>Connected apps</h1>\n<p>Sign in to see the applications you connected \
                     to this memory service.</p>\n{error_line}\n{elsewhere}{form}"
                )
            }
            Some(session) => {
                let user = &session.user;
                let everyone = user.role == Role::Admin;
                let grants = self
                    .grants((!everyone).then_some(user.subject.as_str()))
                    .await?;
                let csrf = self
                    .state
                    .consent_seal
                    .seal(&form_payload(Some(&user.subject)), now);
                let mut rows = String::new();
                for grant in &grants {
                    let name = self
                        .client_name(&grant.client_id)
                        .await
                        .unwrap_or_else(|| "An unnamed application".into());
                    let person = if everyone {
                        format!("<td>{}</td>", text(&grant.subject))
                    } else {
                        String::new()
                    };
                    rows.push_str(&format!(
                        "<tr>{person}<td><b>{name}</b><br><code>{client}</code></td>\
                         <td>{scope}</td><td>{first}</td><td>{last}</td><td><form method=\"post\" \
                         action=\"/account\"><input type=\"hidden\" name=\"action\" \
                         value=\"revoke\"><input type=\"hidden\" name=\"csrf_token\" \
                         value=\"{csrf}\"><input type=\"hidden\" name=\"subject\" \
                         value=\"{subject}\"><input type=\"hidden\" name=\"client_id\" \
                         value=\"{client_attr}\"><button type=\"submit\">Revoke</button>\
                         </form></td></tr>",
                        name = text(&name),
                        client = text(grant.client_id.as_str()),
                        client_attr = attr(grant.client_id.as_str()),
                        subject = attr(&grant.subject),
                        scope = text(&grant.scope.to_string()),
                        first = when(grant.granted_at),
                        last = when(grant.last_used_at),
                        csrf = attr(&csrf),
                    ));
                }
                let person_head = if everyone { "<th>Person</th>" } else { "" };
                let list = if grants.is_empty() {
                    "<p>No application is connected.</p>".to_owned()
                } else {
                    format!(
                        "<table><tr>{person_head}<th>Application</th><th>Scopes</th>\
                         <th>Approved</th><th>Last used</th><th></th></tr>{rows}</table>"
                    )
                };
                let scope_note = if everyone {
                    "As an administrator you see everyone's."
                } else {
                    ""
                };
                format!(
                    "<h1>Connected apps</h1>\n<p class=\"muted\">Signed in as <b>{who}</b> \
                     ({role}). {scope_note}</p>\n{error_line}\n{list}\n<p>Revoking an application \
                     signs it out at once; it asks for your approval again next time.</p>\n\
                     <form method=\"post\" action=\"/oauth/sign-out\"><button type=\"submit\">\
                     Sign out</button></form>",
                    who = text(&user.subject),
                    role = user.role,
                )
            }
        };
        let html = Html(frame("Connected apps", &body));
        let (csp, frame_options) = (ACCOUNT_CSP.to_owned(), "DENY".to_owned());
        Ok(match error {
            Some(_) => AccountResponse::Refused(html, csp, frame_options),
            None => AccountResponse::Page(html, csp, frame_options),
        })
    }
}

/// `time` (Unix seconds) as a UTC date and time to the minute.
fn when(time: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(time)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
