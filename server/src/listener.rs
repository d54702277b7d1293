//! The TCP acceptor: poem's, with Nagle's algorithm off on every connection.
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
