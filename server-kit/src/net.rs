//! TCP for gRPC: every accepted and every outbound connection runs with Nagle's algorithm
//! off. A unary reply is small and its trailers follow in a second segment; with Nagle on,
//! that segment waits ~40 ms for the peer's delayed ACK (measured here: 26 turns/s per
//! connection instead of thousands). Each socket's option is read back from the kernel
//! and counted in a [`SocketAudit`], so tests check the real socket, not our intent.
//!
//! Accepted connections also answer in as few writes as they can: the HTTP/2 layer (h2)
//! copies a DATA frame into its write buffer only below a threshold — 256 bytes on a
//! socket that offers vectored writes, 1,024 on one that does not — and a frame it does
//! not copy must be written before any further frame is buffered. A robot answer (a few
//! hundred bytes of Chinese) was therefore written with its headers in one `writev` and
//! its trailers in a second, and no other stream's answer could share either write:
//! measured, 2.6 writes per turn against 1 per `Classify`. [`Coalescing`] tells h2 the
//! socket does not do vectored writes, so answers up to 1 KiB are copied (a memcpy of
//! under a kilobyte instead of a system call) and answers of many streams leave together.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
};

use futures_util::{Stream, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
};
use tonic::transport::server::{Connected, TcpConnectInfo, TcpIncoming};

/// Counts connections and how many of them the kernel reports with `TCP_NODELAY` set.
/// Cheap to clone; clones share the counts.
#[derive(Clone, Debug, Default)]
pub struct SocketAudit {
    inner: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    connections: AtomicU64,
    nodelay: AtomicU64,
}

/// What a [`SocketAudit`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditCounts {
    /// Connections made or accepted.
    pub connections: u64,
    /// Of those, how many had `TCP_NODELAY` set when read back from the socket.
    pub nodelay: u64,
}

impl SocketAudit {
    /// Reads `TCP_NODELAY` back from `stream` and counts it.
    pub fn record(&self, stream: &TcpStream) {
        self.inner.connections.fetch_add(1, Ordering::Relaxed);
        if stream.nodelay().unwrap_or(false) {
            self.inner.nodelay.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> AuditCounts {
        AuditCounts {
            connections: self.inner.connections.load(Ordering::Relaxed),
            nodelay: self.inner.nodelay.load(Ordering::Relaxed),
        }
    }
}

/// The accepted connections of `listener`, each with `TCP_NODELAY` on, recorded in
/// `audit`, and [`Coalescing`] its answers.
pub fn incoming(
    listener: TcpListener,
    audit: SocketAudit,
) -> impl Stream<Item = io::Result<Coalescing>> + Send + 'static {
    TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .map(move |accepted| {
            let stream = accepted?;
            audit.record(&stream);
            Ok(Coalescing(stream))
        })
}

/// An accepted TCP connection that does not offer vectored writes, so the HTTP/2 layer
/// gathers small answers (and several streams' answers) into one write; see the module
/// documentation.
#[derive(Debug)]
pub struct Coalescing(TcpStream);

impl Coalescing {
    /// The socket underneath.
    pub fn get_ref(&self) -> &TcpStream {
        &self.0
    }
}

impl AsyncRead for Coalescing {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Coalescing {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        false
    }
}

impl Connected for Coalescing {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.0.connect_info()
    }
}

/// Connects to `addr` with `TCP_NODELAY` on, recording the socket in `audit`; the shape
/// tonic's `Endpoint::connect_with_connector` takes.
pub async fn connect(addr: SocketAddr, audit: SocketAudit) -> io::Result<TokioIo<TcpStream>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    audit.record(&stream);
    Ok(TokioIo::new(stream))
}

/// A connector for tonic's `Endpoint::connect_with_connector_lazy`: resolves the URI's
/// host and port and connects with [`connect`].
pub fn connector(
    audit: SocketAudit,
) -> impl tower::Service<
    http::Uri,
    Response = TokioIo<TcpStream>,
    Error = io::Error,
    Future = impl Future<Output = io::Result<TokioIo<TcpStream>>> + Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(move |uri: http::Uri| {
        let audit = audit.clone();
        async move {
            let host = uri.host().ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, format!("no host in {uri}"))
            })?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port = uri.port_u16().unwrap_or(80);
            let addr = tokio::net::lookup_host((host, port))
                .await?
                .next()
                .ok_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, format!("{host} did not resolve"))
                })?;
            connect(addr, audit).await
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_and_outbound_sockets_have_nagle_off() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (accepted, outbound) = (SocketAudit::default(), SocketAudit::default());
        let mut incoming = Box::pin(incoming(listener, accepted.clone()));
        let _client = connect(addr, outbound.clone()).await.unwrap();
        let server_side = incoming.next().await.unwrap().unwrap();
        assert!(
            !server_side.is_write_vectored(),
            "accepted sockets let h2 gather small answers into one write"
        );
        assert!(server_side.get_ref().nodelay().unwrap());
        let both = AuditCounts {
            connections: 1,
            nodelay: 1,
        };
        assert_eq!(accepted.counts(), both);
        assert_eq!(outbound.counts(), both);
    }

    #[tokio::test]
    async fn a_socket_left_with_nagle_on_is_counted_as_such() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let plain = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let audit = SocketAudit::default();
        audit.record(&plain);
        assert_eq!(
            audit.counts(),
            AuditCounts {
                connections: 1,
                nodelay: 0
            }
        );
    }
}
