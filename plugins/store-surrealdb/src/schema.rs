//! The schema, defined at start, idempotently, and versioned.

/// The schema version this binary writes.
pub const VERSION: i64 = 6;

/// Every definition of version 1; each is idempotent (`IF NOT EXISTS`).
pub const V1: &str = "
DEFINE TABLE IF NOT EXISTS oauth_client SCHEMALESS;
DEFINE TABLE IF NOT EXISTS oauth_code SCHEMALESS;
DEFINE TABLE IF NOT EXISTS oauth_refresh SCHEMALESS;
DEFINE INDEX IF NOT EXISTS oauth_refresh_family ON oauth_refresh FIELDS family;
DEFINE TABLE IF NOT EXISTS oauth_key SCHEMALESS;
DEFINE TABLE IF NOT EXISTS memory SCHEMALESS;
DEFINE INDEX IF NOT EXISTS memory_created ON memory FIELDS created_at;
DEFINE ANALYZER IF NOT EXISTS memory_text TOKENIZERS blank, class FILTERS lowercase, ascii;
DEFINE INDEX IF NOT EXISTS memory_content ON memory FIELDS content FULLTEXT ANALYZER memory_text BM25;
DEFINE TABLE IF NOT EXISTS schema_meta SCHEMALESS;
";

/// Version 2: revoked access-token ids (RFC 7009) and what each code was exchanged for (replay
/// defence), kept until the tokens concerned expire.
pub const V2: &str = "
DEFINE TABLE IF NOT EXISTS oauth_revoked SCHEMALESS;
DEFINE TABLE IF NOT EXISTS oauth_code_use SCHEMALESS;
";

/// Version 3: refresh tokens found by client, for revoking them all when the client is deleted
/// (RFC 7592).
pub const V3: &str = "
DEFINE INDEX IF NOT EXISTS oauth_refresh_client ON oauth_refresh FIELDS doc.client_id;
";

/// Version 4: one-time identifiers (the `jti` of `private_key_jwt` client assertions), kept until
/// they expire.
pub const V4: &str = "
DEFINE TABLE IF NOT EXISTS oauth_used_once SCHEMALESS;
";

/// Version 5: people. Local accounts, and what each person approved for each client (keyed by
/// subject and client), found by subject for the connected-apps list; refresh tokens found by
/// client and subject, for revoking one person's grant.
pub const V5: &str = "
DEFINE TABLE IF NOT EXISTS oauth_account SCHEMALESS;
DEFINE TABLE IF NOT EXISTS oauth_consent SCHEMALESS;
DEFINE INDEX IF NOT EXISTS oauth_consent_subject ON oauth_consent FIELDS doc.subject;
";

/// Version 6: the audit trail, found by time (`memory audit --since`), dropped after 90 days.
pub const V6: &str = "
DEFINE TABLE IF NOT EXISTS oauth_audit SCHEMALESS;
DEFINE INDEX IF NOT EXISTS oauth_audit_at ON oauth_audit FIELDS at;
";
