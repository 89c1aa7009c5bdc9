//! `cargo run --bin otlp-sink`: a minimal OTLP/gRPC trace receiver that accepts every
//! span and counts them, for measuring what exporting traces costs without a real
//! collector (point `OTEL_EXPORTER_OTLP_ENDPOINT` at it). Prints the count every 5 s
//! and on Ctrl-C.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use clap::Parser;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use tonic::{Request, Response, Status};

/// Receive OTLP traces and count the spans.
#[derive(Parser)]
struct Cli {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:4317")]
    listen: SocketAddr,
}

#[derive(Clone, Default)]
struct Sink {
    spans: Arc<AtomicU64>,
}

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let n: usize = request
            .into_inner()
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        self.spans.fetch_add(n as u64, Ordering::Relaxed);
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let sink = Sink::default();
    let count = sink.spans.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            println!("spans received: {}", count.load(Ordering::Relaxed));
        }
    });
    println!("OTLP sink on {}", cli.listen);
    tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(sink.clone()))
        .serve_with_shutdown(cli.listen, server_kit::shutdown::stop_signal())
        .await?;
    println!("spans received: {}", sink.spans.load(Ordering::Relaxed));
    Ok(())
}
