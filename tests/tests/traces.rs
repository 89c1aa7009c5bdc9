//! One customer message handed to a person is one trace across both services: an
//! in-process OTLP receiver (a tonic server implementing the collector's
//! `TraceService`, on port 0) takes the spans both services export, and the hand-off's
//! trace holds bot-service's `RequestAgent` server span, its client call, agent-service's
//! `CreateTicket` server span under that call, and the `store.create_ticket` span inside
//! it.
//!
//! The tracing subscriber (and with it the exporter) is process-global, so this is its
//! own test binary with one test, which installs it before any service starts. Both
//! services share that one exporter here, so spans are told apart by their
//! `rpc.service` attribute rather than by the resource's service name (which, in
//! production, each process sets to its own).

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use honeydesk::{TestApp, chat::Chat};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    trace::v1::Span,
};
use server_kit::{config::LogFormat, telemetry};
use tonic::{Request, Response, Status};

/// Collects every exported span.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

async fn start_receiver() -> (SocketAddr, Receiver) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let receiver = Receiver::default();
    let service = TraceServiceServer::new(receiver.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (addr, receiver)
}

/// The span named `name` in `trace` (any trace when `None`).
fn find<'a>(spans: &'a [Span], name: &str, trace: Option<&[u8]>) -> Option<&'a Span> {
    spans
        .iter()
        .find(|s| s.name == name && trace.is_none_or(|t| s.trace_id == t))
}

/// Whether `ancestor` is `span`'s parent, grandparent, …
fn descends(spans: &[Span], span: &Span, ancestor: &Span) -> bool {
    let mut parent = span.parent_span_id.clone();
    while !parent.is_empty() {
        if parent == ancestor.span_id {
            return true;
        }
        parent = match spans.iter().find(|s| s.span_id == parent) {
            Some(p) => p.parent_span_id.clone(),
            None => return false,
        };
    }
    false
}

const BOT: &str = "honeydesk.bot.v1.ConversationService/RequestAgent";
const AGENT: &str = "honeydesk.agent.v1.TicketService/CreateTicket";
const STORE: &str = "store.create_ticket";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_off_is_one_trace_through_both_services_down_to_the_store() {
    let (addr, receiver) = start_receiver().await;
    let _guard = telemetry::init_with(
        LogFormat::Text,
        telemetry::Identity::new("honeydesk-e2e", env!("CARGO_PKG_VERSION")),
        telemetry::TraceSettings {
            endpoint: Some(format!("http://{addr}")),
        },
    );
    assert!(telemetry::traces_enabled());
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    chat.say("我要申请退款").await;
    chat.request_agent().await.expect("queued for a person");

    // Wait (flushing) until the three spans of the hand-off have arrived.
    let complete = |spans: &[Span]| {
        let bot = find(spans, BOT, None)?;
        let agent = find(spans, AGENT, Some(&bot.trace_id))?;
        let store = find(spans, STORE, Some(&bot.trace_id))?;
        Some((bot.clone(), agent.clone(), store.clone()))
    };
    let mut found = None;
    for _ in 0..150 {
        telemetry::flush_traces();
        if let Some(f) = complete(&receiver.spans.lock().unwrap()) {
            found = Some(f);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let spans = receiver.spans.lock().unwrap().clone();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    let (bot, agent, store) = found.unwrap_or_else(|| panic!("spans received: {names:?}"));
    assert_eq!(
        bot.trace_id, agent.trace_id,
        "one trace id across both services"
    );
    assert!(
        descends(&spans, &agent, &bot),
        "agent-service's span is under the bot's call"
    );
    assert!(
        descends(&spans, &store, &agent),
        "the store span is inside CreateTicket"
    );
    let client = spans
        .iter()
        .find(|s| s.span_id == agent.parent_span_id)
        .expect("the parent of CreateTicket was exported");
    assert_eq!(client.name, "escalation", "bot-service's outgoing call");
    let attribute = |span: &Span, key: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.clone())
            .and_then(|v| v.value)
            .map(|v| format!("{v:?}"))
    };
    assert!(
        attribute(&agent, "rpc.service")
            .is_some_and(|v| v.contains("honeydesk.agent.v1.TicketService"))
    );
    assert!(
        attribute(&bot, "request_id").is_some(),
        "the request id rides on the span"
    );
    assert!(
        find(&spans, "routing.enqueue", Some(&bot.trace_id)).is_some(),
        "routing steps are spans of the same trace"
    );
    app.stop().await;
}
