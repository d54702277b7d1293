//! The groups of operations in the spec.

use poem_openapi::Tags;

/// Operation groups, in the order Swagger UI shows them.
#[derive(Tags)]
pub enum ApiTags {
    /// Authorization-server and protected-resource metadata (RFC 8414, RFC 9728)
    Discovery,
    /// Registration, authorization and tokens (RFC 7591, RFC 6749, RFC 7636)
    #[oai(rename = "OAuth")]
    OAuth,
    /// People: browser sessions and the apps each person connected
    Account,
    /// The memory service (scopes read, write)
    Memories,
    /// Liveness
    Health,
}
