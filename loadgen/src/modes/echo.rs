//! The anchor: a genuinely bare tonic server (one unary method, `/loadgen.v1.Echo/Echo`,
//! that returns its ~100-byte payload; `TcpIncoming` with TCP_NODELAY, no layers) and
//! the load that calls it. Every honeydesk figure is read against this one, measured in
//! the same run on the same pinned core.

use std::{convert::Infallible, net::SocketAddr, sync::Arc, task::Poll};

use anyhow::Context;
use tonic::{
    Request, Response, Status,
    codegen::{BoxFuture, Service, http},
    server::{NamedService, UnaryService},
    transport::{Channel, Server, server::TcpIncoming},
};
use tonic_prost::ProstCodec;

use crate::{
    runner::{StreamWork, Workload},
    stats::Failure,
};

/// The method's path.
const PATH: &str = "/loadgen.v1.Echo/Echo";

/// Bytes in each request and reply.
pub const PAYLOAD_BYTES: usize = 100;

/// The one message of the echo service: an opaque payload.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EchoMessage {
    /// Returned unchanged.
    #[prost(bytes = "vec", tag = "1")]
    pub payload: Vec<u8>,
}

/// The echo service, written by hand the way tonic's generated code is.
#[derive(Clone, Default)]
pub struct EchoService;

impl NamedService for EchoService {
    const NAME: &'static str = "loadgen.v1.Echo";
}

struct EchoMethod;

impl UnaryService<EchoMessage> for EchoMethod {
    type Response = EchoMessage;
    type Future = std::future::Ready<Result<Response<EchoMessage>, Status>>;

    fn call(&mut self, request: Request<EchoMessage>) -> Self::Future {
        std::future::ready(Ok(Response::new(request.into_inner())))
    }
}

impl Service<http::Request<tonic::body::Body>> for EchoService {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut std::task::Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        if request.uri().path() != PATH {
            return Box::pin(async {
                Ok(Status::unimplemented("only /loadgen.v1.Echo/Echo is served").into_http())
            });
        }
        Box::pin(async move {
            let mut grpc =
                tonic::server::Grpc::new(ProstCodec::<EchoMessage, EchoMessage>::default());
            Ok(grpc.unary(EchoMethod, request).await)
        })
    }
}

/// Serves the echo service on `listen` until the process is killed.
pub async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let incoming = TcpIncoming::bind(listen)
        .with_context(|| format!("binding {listen}"))?
        .with_nodelay(Some(true));
    eprintln!("echo server listening on {listen}");
    Server::builder()
        .tcp_nodelay(true)
        .add_service(EchoService)
        .serve_with_incoming(incoming)
        .await?;
    Ok(())
}

/// One echo call on `channel`.
pub async fn echo_once(channel: Channel, payload: Vec<u8>) -> Result<EchoMessage, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("channel not ready: {e}")))?;
    grpc.unary(
        Request::new(EchoMessage { payload }),
        http::uri::PathAndQuery::from_static(PATH),
        ProstCodec::<EchoMessage, EchoMessage>::default(),
    )
    .await
    .map(Response::into_inner)
}

/// The echo load: every call sends the same 100 bytes and checks they come back.
pub struct EchoLoad {
    payload: Arc<Vec<u8>>,
}

impl Default for EchoLoad {
    fn default() -> Self {
        let payload = (0..PAYLOAD_BYTES).map(|i| b'a' + (i % 26) as u8).collect();
        Self {
            payload: Arc::new(payload),
        }
    }
}

/// One echo stream.
pub struct EchoStream {
    grpc: tonic::client::Grpc<Channel>,
    payload: Arc<Vec<u8>>,
}

impl Workload for EchoLoad {
    type Stream = EchoStream;

    fn open(&self, _index: usize, channel: Channel) -> EchoStream {
        EchoStream {
            grpc: tonic::client::Grpc::new(channel),
            payload: self.payload.clone(),
        }
    }
}

impl StreamWork for EchoStream {
    async fn call(&mut self) -> Result<(), Failure> {
        let fail = |s| Failure::status("Echo", s);
        self.grpc
            .ready()
            .await
            .map_err(|e| fail(Status::unavailable(format!("channel not ready: {e}"))))?;
        let reply = self
            .grpc
            .unary(
                Request::new(EchoMessage {
                    payload: self.payload.to_vec(),
                }),
                http::uri::PathAndQuery::from_static(PATH),
                ProstCodec::<EchoMessage, EchoMessage>::default(),
            )
            .await
            .map_err(fail)?
            .into_inner();
        if reply.payload.len() != self.payload.len() {
            return Err(Failure::unexpected("Echo", "payload came back changed"));
        }
        Ok(())
    }
}
