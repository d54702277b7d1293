//! What a client holds between steps of a flow: authorization codes and refresh tokens. Both are
//! opaque random strings; storage keeps only their hashes.

use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;
use crate::model::{ClientId, PkceChallenge, ScopeSet};
use crate::secret::SecretHash;

/// An issued authorization code (RFC 6749 §4.1.2), bound to everything the token request must repeat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    /// Hash of the code; the code itself is only in the redirect.
    pub code_hash: SecretHash,
    /// The client the code was issued to.
    pub client_id: ClientId,
    /// The `redirect_uri` of the authorization request, exactly as sent.
    pub redirect_uri: String,
    /// Whether the authorization request carried `redirect_uri` (RFC 6749 §4.1.3: then the token
    /// request must repeat it).
    pub redirect_uri_sent: bool,
    /// The granted scope.
    pub scope: ScopeSet,
    /// The audience of the tokens this code yields.
    pub resource: String,
    /// The PKCE challenge, when one was sent.
    pub code_challenge: Option<PkceChallenge>,
    /// The resource owner.
    pub subject: String,
    /// Issue time.
    pub issued_at: UnixTime,
    /// Expiry; an expired code is never returned by storage.
    pub expires_at: UnixTime,
}

/// The life-cycle state of a refresh token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshState {
    /// Usable once.
    Active,
    /// Already exchanged for a successor; presenting it again is a replay.
    Rotated,
    /// Revoked with its whole family.
    Revoked,
}

/// An issued refresh token (RFC 6749 §6). Each rotation makes a child in the same family.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshToken {
    /// Hash of the token.
    pub token_hash: SecretHash,
    /// Identifies every token descended from one authorization.
    pub family_id: String,
    /// The client the token was issued to.
    pub client_id: ClientId,
    /// The scope granted; a refresh may narrow it, never widen it.
    pub scope: ScopeSet,
    /// The audience of the access tokens it yields.
    pub resource: String,
    /// The resource owner.
    pub subject: String,
    /// Issue time.
    pub issued_at: UnixTime,
    /// Expiry; an expired token is never returned by storage.
    pub expires_at: UnixTime,
    /// Life-cycle state.
    pub state: RefreshState,
    /// The token this one replaced (`None` for the first of a family). While this token was never
    /// presented, its parent may be presented again in its place: the client lost the response
    /// that carried this one (see `EngineConfig::refresh_reuse_grace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<SecretHash>,
}

/// What an authorization code was exchanged for, kept after the code itself is gone: a replay of
/// the code revokes these tokens (RFC 9700 §4.5.1, OAuth 2.1 §4.1.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeUse {
    /// Hash of the code.
    pub code_hash: SecretHash,
    /// The access token issued for it.
    pub access_jti: String,
    /// That access token's expiry.
    pub access_expires_at: UnixTime,
    /// The refresh-token family issued for it, if any.
    pub family_id: Option<String>,
    /// When the code was exchanged.
    pub used_at: UnixTime,
    /// When the record may go: once every token issued for the code has expired.
    pub expires_at: UnixTime,
}
