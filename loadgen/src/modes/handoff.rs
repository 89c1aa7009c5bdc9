//! `handoff`: durable hand-offs end to end through bot-service. One hand-off is three
//! calls by a brand-new customer: StartSession → "我的订单还没发货" (must be recognised as
//! order.not_shipped, with "talk to a person" on offer) → RequestAgent (must leave the
//! session QUEUED); its latency is the three together. No agent is online, so every
//! ticket stays waiting. `--prefill N` first queues N tickets the same way (untimed), and
//! `--watchers W` keeps W of those customers' StreamSessionEvents open, reading their
//! queue-position updates, during the measured run.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use honeydesk_proto::bot::v1::{
    self as pb, Entrance, SessionState, conversation_service_client::ConversationServiceClient,
};
use server_kit::Role;
use tokio::{task::JoinSet, time::Instant};
use tonic::transport::Channel;

use super::phrases::{HANDOFF_INTENT, HANDOFF_PROBLEM};
use crate::{
    auth::{Bearer, Tokens, authed},
    runner::{self, LoadSpec, StreamWork, Workload, connect_many},
    stats::{Failure, Rpc, Summary, code_name, format_latency},
};

/// Hand-offs in flight while prefilling.
const PREFILL_CONCURRENCY: usize = 64;
/// Streams per connection for the watchers.
const WATCHERS_PER_CONNECTION: usize = 100;

/// What a `handoff` run is asked to do.
#[derive(Clone, Debug)]
pub struct HandoffPlan {
    /// Waiting tickets created before measuring.
    pub prefill: usize,
    /// Of those, customers whose event stream stays open during the run.
    pub watchers: usize,
}

/// The hand-off load.
pub struct HandoffLoad {
    tokens: Tokens,
    tag: &'static str,
}

/// A customer queued by a hand-off: their session and token.
#[derive(Clone)]
pub struct Queued {
    /// The session, QUEUED.
    pub session_id: String,
    /// The customer's bearer.
    pub bearer: Bearer,
    /// The ticket in agent-service.
    pub ticket_id: String,
}

/// One stream of hand-offs, each by a new customer.
pub struct HandoffStream {
    client: ConversationServiceClient<Channel>,
    tokens: Tokens,
    subject: String,
    index: usize,
    done: u64,
    bearer: Option<Bearer>,
    keep: bool,
    /// The customers this stream queued (kept only when asked).
    pub queued: Vec<Queued>,
}

impl HandoffLoad {
    /// Hand-offs whose customers are named `<run>-<tag><stream>-<n>`.
    pub fn new(tokens: Tokens, tag: &'static str) -> Self {
        Self { tokens, tag }
    }

    /// A stream that remembers every customer it queued.
    pub fn keeping(&self, index: usize, channel: Channel) -> HandoffStream {
        HandoffStream {
            keep: true,
            ..self.open(index, channel)
        }
    }
}

impl Workload for HandoffLoad {
    type Stream = HandoffStream;

    fn open(&self, index: usize, channel: Channel) -> HandoffStream {
        HandoffStream {
            client: ConversationServiceClient::new(channel),
            tokens: self.tokens.clone(),
            subject: format!("{}-{}{index}", self.tokens.run, self.tag),
            index,
            done: 0,
            bearer: None,
            keep: false,
            queued: Vec::new(),
        }
    }
}

impl StreamWork for HandoffStream {
    async fn prepare(&mut self) -> Result<(), Failure> {
        self.done += 1;
        let subject = format!("{}-{}", self.subject, self.done);
        self.bearer = Some(self.tokens.bearer(&subject, Role::Consumer));
        Ok(())
    }

    async fn call(&mut self) -> Result<(), Failure> {
        let bearer = self.bearer.take().expect("prepare minted a token");
        let start = pb::StartSessionRequest {
            entrance: Entrance::Consumer as i32,
            language: pb::Language::Zh as i32,
        };
        let started = self
            .client
            .start_session(authed(start, &bearer))
            .await
            .rpc("StartSession")?;
        let session_id = started
            .session
            .ok_or_else(|| Failure::unexpected("StartSession", "no session"))?
            .session_id;
        let problem = pb::SendMessageRequest {
            session_id: session_id.clone(),
            client_message_id: format!("{}-p", self.index),
            text: HANDOFF_PROBLEM.to_owned(),
        };
        let answer = self
            .client
            .send_message(authed(problem, &bearer))
            .await
            .rpc("SendMessage")?;
        let reply = answer
            .reply
            .ok_or_else(|| Failure::unexpected("SendMessage", "no robot reply"))?;
        let intent = reply.intent.map(|i| i.name).unwrap_or_default();
        if intent != HANDOFF_INTENT || !reply.agent_offered {
            return Err(Failure::unexpected(
                "SendMessage",
                format!(
                    "recognised '{intent}', agent offered: {}",
                    reply.agent_offered
                ),
            ));
        }
        let ask = pb::RequestAgentRequest {
            session_id: session_id.clone(),
        };
        let queued = self
            .client
            .request_agent(authed(ask, &bearer))
            .await
            .rpc("RequestAgent")?;
        let session = queued
            .session
            .ok_or_else(|| Failure::unexpected("RequestAgent", "no session"))?;
        if session.state() != SessionState::Queued {
            return Err(Failure::unexpected(
                "RequestAgent",
                format!("session is {:?}, not QUEUED", session.state()),
            ));
        }
        if self.keep {
            self.queued.push(Queued {
                session_id,
                bearer,
                ticket_id: session.ticket_id,
            });
        }
        Ok(())
    }
}

/// Queues `count` customers through bot-service with `concurrency` hand-offs in flight
/// over `channels`, untimed; returns them and a note on how it went.
pub async fn queue_customers(
    channels: &[Channel],
    load: &HandoffLoad,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<(Vec<Queued>, String)> {
    let started = Instant::now();
    let (tally, streams) = runner::run_count(count, concurrency, |i| {
        load.keeping(i, channels[i % channels.len()].clone())
    })
    .await?;
    let took = started.elapsed();
    let queued: Vec<Queued> = streams.into_iter().flat_map(|s| s.queued).collect();
    let mut note = format!(
        "queued {} customers in {:.1} s ({:.0}/s, p99 {})",
        queued.len(),
        took.as_secs_f64(),
        queued.len() as f64 / took.as_secs_f64().max(1e-9),
        tally.latency(0.99).map_or("-".into(), format_latency)
    );
    for (label, failure) in &tally.failures {
        note.push_str(&format!("; {label} ×{} ({})", failure.count, failure.first));
    }
    Ok((queued, note))
}

/// Runs the hand-off benchmark against bot-service at `bot_url`.
pub async fn run(
    bot_url: &str,
    tokens: &Tokens,
    spec: &LoadSpec,
    plan: &HandoffPlan,
    path: &str,
) -> anyhow::Result<Summary> {
    let mut notes = Vec::new();
    let mut watchers = Watchers::default();
    if plan.prefill > 0 {
        eprintln!("handoff: prefilling {} waiting tickets…", plan.prefill);
        let channels = connect_many(bot_url, 8).await?;
        let load = HandoffLoad::new(tokens.clone(), "pre");
        let (queued, note) =
            queue_customers(&channels, &load, plan.prefill, PREFILL_CONCURRENCY).await?;
        eprintln!("handoff: {note}");
        notes.push(format!("prefill: {note}"));
        if plan.watchers > 0 {
            let step = (queued.len() / plan.watchers.max(1)).max(1);
            let chosen: Vec<Queued> = queued
                .into_iter()
                .step_by(step)
                .take(plan.watchers)
                .collect();
            watchers = Watchers::open(bot_url, &chosen).await?;
            notes.push(watchers.ready_note(Duration::from_secs(30)).await);
        }
    }
    let before = watchers.events.load(Ordering::Relaxed);
    let load = Arc::new(HandoffLoad::new(tokens.clone(), "h"));
    let mut summary = runner::run(path, bot_url, spec, load).await?;
    notes.push(format!(
        "the queue grows during the run: the {} hand-offs of the window (and the warm-up's) stay waiting",
        summary.tally.successes()
    ));
    if watchers.count > 0 {
        let during = watchers.events.load(Ordering::Relaxed) - before;
        notes.push(format!(
            "{} watchers received {during} stream events during the run (warm-up included)",
            watchers.count
        ));
        notes.extend(watchers.errors().await);
    }
    summary.notes = notes;
    Ok(summary)
}

/// Open `StreamSessionEvents` of queued customers, counting what arrives.
#[derive(Default)]
pub struct Watchers {
    count: usize,
    events: Arc<AtomicU64>,
    started: Arc<AtomicU64>,
    tasks: JoinSet<Option<String>>,
}

impl Watchers {
    /// Opens one stream per customer, ~100 per connection.
    pub async fn open(bot_url: &str, customers: &[Queued]) -> anyhow::Result<Self> {
        let connections = customers.len().div_ceil(WATCHERS_PER_CONNECTION).max(1);
        let channels = connect_many(bot_url, connections).await?;
        let mut watchers = Watchers {
            count: customers.len(),
            ..Watchers::default()
        };
        for (i, customer) in customers.iter().enumerate() {
            let mut client = ConversationServiceClient::new(channels[i % connections].clone());
            let request = pb::StreamSessionEventsRequest {
                session_id: customer.session_id.clone(),
                after_sequence: 0,
            };
            let request = authed(request, &customer.bearer);
            let (events, started) = (watchers.events.clone(), watchers.started.clone());
            watchers.tasks.spawn(async move {
                let mut stream = match client.stream_session_events(request).await {
                    Ok(r) => r.into_inner(),
                    Err(s) => return Some(format!("StreamSessionEvents {}", code_name(s.code()))),
                };
                let mut first = true;
                loop {
                    match stream.message().await {
                        Ok(Some(_)) => {
                            if std::mem::take(&mut first) {
                                started.fetch_add(1, Ordering::Relaxed);
                            }
                            events.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(None) => return Some("stream ended by the server".to_owned()),
                        Err(s) => {
                            return Some(format!(
                                "stream {}: {}",
                                code_name(s.code()),
                                s.message()
                            ));
                        }
                    }
                }
            });
        }
        Ok(watchers)
    }

    /// Waits (at most `limit`) until every watcher got its first event; says how many did.
    pub async fn ready_note(&self, limit: Duration) -> String {
        let started = Instant::now();
        while (self.started.load(Ordering::Relaxed) as usize) < self.count
            && started.elapsed() < limit
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        format!(
            "{} of {} watchers had their first queue update after {:.1} s",
            self.started.load(Ordering::Relaxed),
            self.count,
            started.elapsed().as_secs_f64()
        )
    }

    /// Stops the watchers and reports those whose stream broke.
    pub async fn errors(&mut self) -> Vec<String> {
        let mut broken = std::collections::BTreeMap::<String, usize>::new();
        while let Some(Ok(Some(why))) = self.tasks.try_join_next() {
            *broken.entry(why).or_default() += 1;
        }
        self.tasks.abort_all();
        broken
            .into_iter()
            .map(|(why, n)| format!("watcher streams that broke during the run: {n} × {why}"))
            .collect()
    }
}
