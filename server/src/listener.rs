//! The TCP acceptors: poem's, with Nagle's algorithm off on every connection, and under TLS
//! one that answers plain HTTP with a pointer to `https://`.
//!
//! MCP answers stream as server-sent events: the headers and the first event leave in separate
//! writes. With Nagle's algorithm on, the second write waits for the client's delayed ACK, about
//! 40 ms on Linux: `tools/list` measured 24 requests/s at 44 ms each until `TCP_NODELAY` was set.

use poem::http::uri::Scheme;
use poem::listener::{Acceptor, TcpAcceptor};
use poem::web::{LocalAddr, RemoteAddr};

/// Accepts TCP connections with `TCP_NODELAY` set.
pub struct NoDelayAcceptor(pub TcpAcceptor);

impl Acceptor for NoDelayAcceptor {
    type Io = tokio::net::TcpStream;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.0.local_addr()
    }

    async fn accept(&mut self) -> std::io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let accepted = self.0.accept().await?;
        // A socket that refuses the option still works, only slower on streamed answers.
        let _ = accepted.0.set_nodelay(true);
        Ok(accepted)
    }
}

/// The first byte of every TLS connection: a handshake record (RFC 8446 §5.1).
const TLS_HANDSHAKE: u8 = 0x16;
/// How long a new connection may take to send its first byte.
const FIRST_BYTE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// Connections waiting to be handed to the TLS layer.
const QUEUE: usize = 64;

/// The TCP acceptor under the TLS layer: a connection that starts with anything but a TLS
/// handshake (someone typed `http://` for the HTTPS port) gets a plain-text `400` saying to use
/// `https://`, instead of a connection the TLS layer drops without a word. Each connection is
/// looked at in its own task, so a client that sends nothing holds up no other.
pub struct TlsOnlyAcceptor {
    local: Vec<LocalAddr>,
    accepted: tokio::sync::mpsc::Receiver<std::io::Result<Accepted>>,
}

type Accepted = (tokio::net::TcpStream, LocalAddr, RemoteAddr, Scheme);

impl TlsOnlyAcceptor {
    /// Takes the connections `tcp` accepts, from a task that ends when this acceptor is dropped.
    pub fn new(mut tcp: NoDelayAcceptor) -> Self {
        let local = tcp.local_addr();
        let (sender, accepted) = tokio::sync::mpsc::channel(QUEUE);
        tokio::spawn(async move {
            loop {
                let next = tokio::select! {
                    () = sender.closed() => break,
                    next = tcp.accept() => next,
                };
                let sender = sender.clone();
                match next {
                    Ok(connection) => {
                        tokio::spawn(async move {
                            if let Some(connection) = speaking_tls(connection).await {
                                let _ = sender.send(Ok(connection)).await;
                            }
                        });
                    }
                    Err(error) => {
                        if sender.send(Err(error)).await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Self { local, accepted }
    }
}

impl Acceptor for TlsOnlyAcceptor {
    type Io = tokio::net::TcpStream;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.local.clone()
    }

    async fn accept(&mut self) -> std::io::Result<Accepted> {
        match self.accepted.recv().await {
            Some(accepted) => accepted,
            None => Err(std::io::Error::other("the listener stopped")),
        }
    }
}

/// The connection, when its first byte opens a TLS handshake; otherwise it is answered in plain
/// HTTP and closed, or dropped when it sends nothing in time.
async fn speaking_tls(connection: Accepted) -> Option<Accepted> {
    let mut first = [0u8; 1];
    let peeked = tokio::time::timeout(FIRST_BYTE_WAIT, connection.0.peek(&mut first)).await;
    match peeked {
        Ok(Ok(1)) if first[0] == TLS_HANDSHAKE => Some(connection),
        Ok(Ok(1)) => {
            answer_plain_http(connection.0).await;
            None
        }
        _ => None,
    }
}

/// Reads the start of a plain HTTP request and answers `400` naming the `https://` URL.
async fn answer_plain_http(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = vec![0u8; 4096];
    let read = tokio::time::timeout(FIRST_BYTE_WAIT, stream.read(&mut head))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    let url = https_url(&String::from_utf8_lossy(&head[..read]));
    let body = format!("This port speaks HTTPS only: use {url}\n");
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// `https://` and the request's `Host` and path, when they are plain enough to repeat (never
/// anything that could inject text into the answer); `https://` alone otherwise.
fn https_url(head: &str) -> String {
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .filter(|path| path.starts_with('/'));
    let host = lines
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.trim());
    let plain = |text: &str, extra: &str| {
        !text.is_empty()
            && text.len() <= 256
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~:[]".contains(c) || extra.contains(c))
    };
    match host.filter(|host| plain(host, "")) {
        Some(host) => {
            let path = path.filter(|path| plain(path, "/?&=%+")).unwrap_or("/");
            format!("https://{host}{path}")
        }
        None => "https://".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::https_url;

    #[test]
    fn the_https_url_repeats_only_plain_hosts_and_paths() {
        let head = "GET /api/health?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8443\r\n\r\n";
        assert_eq!(https_url(head), "https://127.0.0.1:8443/api/health?x=1");
        let odd = "GET /<script> HTTP/1.1\r\nhost: memory.example\r\n\r\n";
        assert_eq!(https_url(odd), "https://memory.example/");
        let injected = "GET / HTTP/1.1\r\nHost: a.example\">\r\n\r\n";
        assert_eq!(https_url(injected), "https://");
        assert_eq!(https_url("garbage"), "https://");
    }
}
