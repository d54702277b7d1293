//! The HTTP client the OpenID Connect library calls: reqwest over rustls (webpki roots), no
//! redirects followed (discovery, keys and tokens come from the configured provider only), a
//! timeout, and a bounded answer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

/// Longest a request to the provider may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read from the provider (discovery documents and key sets are a few KB).
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// What went wrong talking to the provider.
#[derive(Debug)]
pub struct HttpError(pub String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

/// The provider's HTTP client.
#[derive(Clone)]
pub struct Http(reqwest::Client);

impl Http {
    /// A client trusting the web's root certificates.
    pub fn new() -> Result<Self, HttpError> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|error| HttpError(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .tls_backend_preconfigured(tls)
            .build()
            .map(Self)
            .map_err(|error| HttpError(error.to_string()))
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let fault = |error: reqwest::Error| HttpError(format!("{}: {error}", parts.uri));
        let mut response = self
            .0
            .request(parts.method.clone(), parts.uri.to_string())
            .headers(parts.headers.clone())
            .body(body)
            .send()
            .await
            .map_err(fault)?;
        let mut answer = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(fault)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(HttpError(format!(
                    "{}: the answer is larger than {MAX_ANSWER_BYTES} bytes",
                    parts.uri
                )));
            }
            body.extend_from_slice(&chunk);
        }
        answer
            .body(body)
            .map_err(|error| HttpError(error.to_string()))
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
