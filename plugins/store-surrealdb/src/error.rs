//! SurrealDB failures, classified by the driver's own error kinds (never by message text) and
//! converted to core's [`Error`] at the plugin's edge: a lost connection or a timeout is
//! `Unavailable` (503, retry), a record that exists is `Conflict`, anything else a storage fault
//! that carries the driver's error as its cause.

use mcp_oauth_core::Error;
use surrealdb::types::QueryError;

/// What went wrong in a SurrealDB call.
#[derive(Debug)]
pub(crate) enum SurrealError {
    /// The server cannot be reached, or the connection dropped.
    Lost(surrealdb::Error),
    /// The server did not answer in time.
    TimedOut(std::time::Duration),
    /// A record with this key already exists.
    Exists(surrealdb::Error),
    /// The transaction lost a race with another writer; it may be retried.
    Conflict(surrealdb::Error),
    /// Any other failure of the query.
    Failed(surrealdb::Error),
    /// A stored row that does not read as the model value it should be.
    Unreadable {
        /// What the row should hold, e.g. `client`.
        what: &'static str,
        /// Why it does not.
        cause: serde_json::Error,
    },
    /// A stored value that is not in the shape this plugin writes.
    Malformed(String),
}

impl From<surrealdb::Error> for SurrealError {
    fn from(error: surrealdb::Error) -> Self {
        if error.is_connection() {
            Self::Lost(error)
        } else if error.is_already_exists() {
            Self::Exists(error)
        } else if error.query_details() == Some(&QueryError::TransactionConflict) {
            Self::Conflict(error)
        } else if let Some(QueryError::TimedOut { duration }) = error.query_details() {
            Self::TimedOut(*duration)
        } else {
            Self::Failed(error)
        }
    }
}

impl From<SurrealError> for Error {
    fn from(error: SurrealError) -> Self {
        match error {
            SurrealError::Lost(cause) => {
                Error::unavailable_caused("the SurrealDB connection is lost", cause)
            }
            SurrealError::TimedOut(after) => Error::unavailable(format!(
                "SurrealDB did not answer within {} ms",
                after.as_millis()
            )),
            SurrealError::Exists(cause) => Error::Conflict(cause.to_string()),
            SurrealError::Conflict(cause) => {
                Error::storage_caused("a SurrealDB transaction kept conflicting", cause)
            }
            SurrealError::Failed(cause) => Error::storage_caused("a SurrealDB query failed", cause),
            SurrealError::Unreadable { what, cause } => {
                Error::storage_caused(format!("unreadable {what} record"), cause)
            }
            SurrealError::Malformed(what) => Error::storage(what),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_kinds_decide_the_class() {
        let lost: SurrealError = surrealdb::Error::connection(
            "gone".into(),
            surrealdb::types::ConnectionError::ConnectionFailed,
        )
        .into();
        assert!(matches!(lost, SurrealError::Lost(_)));
        assert!(matches!(Error::from(lost), Error::Unavailable { .. }));
        let exists: SurrealError = surrealdb::Error::already_exists("x".into(), None).into();
        assert!(matches!(Error::from(exists), Error::Conflict(_)));
        let conflict: SurrealError =
            surrealdb::Error::query("busy".into(), QueryError::TransactionConflict).into();
        assert!(matches!(conflict, SurrealError::Conflict(_)));
        let other: SurrealError = surrealdb::Error::internal("connection refused".into()).into();
        assert!(
            matches!(other, SurrealError::Failed(_)),
            "message text decides nothing"
        );
    }

    #[test]
    fn the_driver_error_stays_the_cause() {
        let error: Error =
            SurrealError::from(surrealdb::Error::internal("disk full".into())).into();
        assert_eq!(
            error.chain(),
            "storage error: a SurrealDB query failed: disk full"
        );
    }
}
