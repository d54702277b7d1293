//! Audit events: who did what to which client, kept in the storage for `memory audit`. They name
//! clients and people, never a secret, token or code.

use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;

/// How long audit events are kept before the storage drops them: 90 days.
pub const AUDIT_RETENTION: i64 = 90 * 86_400;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A client registered (RFC 7591).
    ClientRegistered,
    /// A client's registration was removed (RFC 7592 or `memory clients revoke`).
    ClientDeleted,
    /// A person approved on the consent page.
    ConsentApproved,
    /// A person denied on the consent page.
    ConsentDenied,
    /// The server approved without asking (auto-approve, or consent remembered).
    ConsentAutomatic,
    /// Tokens were issued for a grant other than `refresh_token`.
    TokenIssued,
    /// A refresh token was exchanged for new tokens.
    TokenRefreshed,
    /// A token was revoked (RFC 7009), or a person's grant to a client.
    TokenRevoked,
    /// A new signing key became current.
    KeyRotated,
}

impl AuditKind {
    /// The kind as `memory audit` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientRegistered => "client_registered",
            Self::ClientDeleted => "client_deleted",
            Self::ConsentApproved => "consent_approved",
            Self::ConsentDenied => "consent_denied",
            Self::ConsentAutomatic => "consent_automatic",
            Self::TokenIssued => "token_issued",
            Self::TokenRefreshed => "token_refreshed",
            Self::TokenRevoked => "token_revoked",
            Self::KeyRotated => "key_rotated",
        }
    }
}

/// One audit event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When it happened.
    pub at: UnixTime,
    /// What happened.
    pub kind: AuditKind,
    /// The client concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The person concerned (`owner` for the API key's owner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// More: the grant type and scope of issued tokens, the key id of a rotation, the client's
    /// address. Never a secret.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl AuditEvent {
    /// An event of `kind` at `at` about nobody yet.
    pub fn new(kind: AuditKind, at: UnixTime) -> Self {
        Self {
            at,
            kind,
            client_id: None,
            subject: None,
            detail: String::new(),
        }
    }

    /// The event, about `client`.
    pub fn client(mut self, client: impl Into<String>) -> Self {
        self.client_id = Some(client.into());
        self
    }

    /// The event, about `subject`.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The event, with `detail`.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}
