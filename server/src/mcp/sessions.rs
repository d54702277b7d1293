//! Who opened each MCP session (the MCP transport: a session id must not be usable by anyone
//! else). rmcp keeps the sessions; this keeps their owners, so that a session is driven, streamed
//! and closed only by the subject and client that opened it.

use std::collections::HashMap;
use std::sync::Mutex;

use mcp_oauth_core::engine::Principal;
use poem::Response;
use poem::http::StatusCode;

/// The header that carries a session id.
pub const SESSION_HEADER: &str = "mcp-session-id";
/// Most sessions whose owners are kept. Past it the oldest are forgotten, and their sessions
/// answered 404, after which a client opens a new one (the transport's rule for a lost session).
const MAX_SESSIONS: usize = 100_000;

/// The principal a session belongs to: its subject and client.
#[derive(Clone, PartialEq, Eq)]
struct Owner {
    subject: String,
    client_id: Option<String>,
}

impl Owner {
    fn of(principal: &Principal) -> Self {
        Self {
            subject: principal.subject.clone(),
            client_id: principal.client_id.clone(),
        }
    }
}

/// The sessions' owners: session id → (when it was opened, counted in sessions, who opened it),
/// and the count of sessions opened so far.
#[derive(Default)]
struct Owners {
    by_session: HashMap<String, (u64, Owner)>,
    opened: u64,
}

/// Who opened each session.
#[derive(Default)]
pub struct SessionOwners {
    owners: Mutex<Owners>,
}

impl SessionOwners {
    /// Records that `principal` opened `session`.
    pub fn opened(&self, session: &str, principal: &Principal) {
        let mut owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        owners.opened += 1;
        let now = owners.opened;
        if owners.by_session.len() >= MAX_SESSIONS {
            let oldest = now - (MAX_SESSIONS as u64 / 2);
            owners.by_session.retain(|_, (opened, _)| *opened >= oldest);
        }
        owners
            .by_session
            .insert(session.to_owned(), (now, Owner::of(principal)));
    }

    /// Whether `session` was opened by `principal`; `false` for a session not opened here.
    pub fn belongs_to(&self, session: &str, principal: &Principal) -> bool {
        let owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        owners
            .by_session
            .get(session)
            .is_some_and(|(_, owner)| *owner == Owner::of(principal))
    }

    /// Forgets `session`, which its owner closed.
    pub fn closed(&self, session: &str) {
        let mut owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        owners.by_session.remove(session);
    }
}

/// The answer to a session id that is not the caller's: the one an unknown session gets.
pub fn not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .content_type("application/json")
        .body(
            serde_json::json!({
                "jsonrpc": "2.0",
                "id": null,
                "error": {"code": -32001, "message": "Session not found"},
            })
            .to_string(),
        )
}
