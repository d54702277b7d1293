//! SurrealDB errors, converted to core's at the edge: a lost connection is `Unavailable` (503,
//! retry), anything else a storage fault.

use mcp_oauth_core::Error;

/// Converts a SurrealDB error.
pub(crate) fn convert(error: surrealdb::Error) -> Error {
    let text = error.to_string();
    let lower = text.to_ascii_lowercase();
    let lost = [
        "connection",
        "closed",
        "timed out",
        "timeout",
        "refused",
        "reset",
        "broken pipe",
        "not connected",
        "websocket",
    ];
    if lost.iter().any(|word| lower.contains(word)) {
        Error::Unavailable(text)
    } else {
        Error::Storage(text)
    }
}

/// Whether a failed transaction lost a race with another writer and may be retried.
pub(crate) fn is_conflict(error: &Error) -> bool {
    matches!(error, Error::Storage(text) if {
        let lower = text.to_ascii_lowercase();
        lower.contains("conflict") || lower.contains("retry") || lower.contains("can be retried")
    })
}
