//! Resource indicators (RFC 8707): which resource a token is for.

use url::Url;

use super::AuthorizationServer;
use crate::error::{ErrorCode, OAuthError};

impl AuthorizationServer {
    /// The audience for a request's `resource` parameter: the default resource when absent;
    /// otherwise the canonical form of the value, which must be a resource this server protects
    /// (else `invalid_target`).
    pub fn resolve_resource(&self, requested: Option<&str>) -> Result<String, OAuthError> {
        let Some(requested) = requested else {
            return Ok(self.config.default_resource());
        };
        let invalid = || {
            OAuthError::new(
                ErrorCode::InvalidTarget,
                format!(
                    "resource is not one this server protects; use {}",
                    self.config.default_resource()
                ),
            )
        };
        let url = Url::parse(requested).map_err(|_| invalid())?;
        if url.fragment().is_some() {
            return Err(invalid());
        }
        let canonical = url.as_str().trim_end_matches('/');
        self.resources
            .iter()
            .find(|resource| *resource == canonical)
            .cloned()
            .ok_or_else(invalid)
    }

    /// The audiences this server's resource endpoints accept.
    pub fn audiences(&self) -> &[String] {
        &self.resources
    }
}
