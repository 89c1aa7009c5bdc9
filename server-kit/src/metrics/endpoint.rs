//! The metrics listener: plain HTTP/1.1 on its own port, `GET /metrics` answers the
//! Prometheus text format (anything else is 404). Before rendering, the server's
//! [`Collector`] reads its state gauges. We serve it ourselves rather than through the
//! exporter's built-in listener because that one binds inside its builder and cannot
//! report the port it got for port 0, nor run a collector before a scrape.

use std::{
    convert::Infallible, future::Future, net::SocketAddr, pin::Pin, sync::Arc, time::Duration,
};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode, body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::{net::TcpListener, task::JoinHandle};

use super::MetricsError;
use crate::shutdown::Shutdown;

/// How often histogram data is folded in even when nobody scrapes.
const UPKEEP_PERIOD: Duration = Duration::from_secs(5);

/// Reads state gauges just before a scrape.
pub type Collector =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync + 'static>;

/// A bound, not yet serving metrics listener.
pub struct MetricsEndpoint {
    listener: TcpListener,
    handle: PrometheusHandle,
    collector: Option<Collector>,
}

impl MetricsEndpoint {
    /// Binds `addr` (port 0: any free port) for `handle`.
    pub async fn bind(addr: SocketAddr, handle: PrometheusHandle) -> Result<Self, MetricsError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| MetricsError::Bind { addr, source })?;
        Ok(Self {
            listener,
            handle,
            collector: None,
        })
    }

    /// Runs `collector` before every scrape.
    pub fn with_collector(mut self, collector: Collector) -> Self {
        self.collector = Some(collector);
        self
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has an address")
    }

    /// Serves scrapes until `shutdown` starts draining.
    pub fn spawn(self, shutdown: Shutdown) -> JoinHandle<()> {
        let MetricsEndpoint {
            listener,
            handle,
            collector,
        } = self;
        let addr = listener
            .local_addr()
            .map_or_else(|e| format!("unknown ({e})"), |a| a.to_string());
        tracing::info!(addr = %addr, "metrics listening");
        tokio::spawn(async move {
            let draining = shutdown.draining();
            tokio::pin!(draining);
            let mut upkeep = tokio::time::interval(UPKEEP_PERIOD);
            loop {
                let accepted = tokio::select! {
                    _ = &mut draining => break,
                    _ = upkeep.tick() => {
                        handle.run_upkeep();
                        continue;
                    }
                    accepted = listener.accept() => accepted,
                };
                let Ok((stream, _)) = accepted else { continue };
                let (handle, collector) = (handle.clone(), collector.clone());
                let service = service_fn(move |request: Request<Incoming>| {
                    let (handle, collector) = (handle.clone(), collector.clone());
                    async move { Ok::<_, Infallible>(answer(request, &handle, collector).await) }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
    }
}

async fn answer(
    request: Request<Incoming>,
    handle: &PrometheusHandle,
    collector: Option<Collector>,
) -> Response<Full<Bytes>> {
    if request.method() != hyper::Method::GET || request.uri().path() != "/metrics" {
        let mut response = Response::new(Full::new(Bytes::from_static(b"try GET /metrics\n")));
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    }
    if let Some(collect) = collector {
        collect().await;
    }
    handle.run_upkeep();
    let mut response = Response::new(Full::new(Bytes::from(handle.render())));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
