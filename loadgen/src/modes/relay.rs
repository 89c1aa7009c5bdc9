//! `relay`: agent messages reaching customers in L live chats. Creates ⌈L/capacity⌉
//! agents (SupervisorService/UpsertAgent, CONSUMER, every consumer skill), signs them in,
//! runs their desks accepting every offer, hands L new customers off through bot-service
//! and opens each customer's StreamSessionEvents. Once every chat is WITH_AGENT, each
//! chat's agent sends one message a second (SendAgentMessage); a message's latency runs
//! from just before that call to its arrival on the customer's stream (one process, one
//! clock: the send instant travels in the text). Messages sent during the warm-up are
//! not counted; after the window a short grace collects stragglers, the rest are lost.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::bail;
use honeydesk_proto::{
    agent::v1::{self as apb, agent_desk_service_client::AgentDeskServiceClient},
    bot::v1::{
        self as bpb, conversation_service_client::ConversationServiceClient,
        session_event::Kind as Event,
    },
};
use tokio::time::{Instant, MissedTickBehavior};

use super::{
    desks::staff_desks,
    handoff::{HandoffLoad, Queued, queue_customers},
    phrases::AGENT_LINES,
};
use crate::{
    auth::{Bearer, Tokens, authed},
    runner::{connect_many, cpu_between},
    stats::{Failure, FailureCount, Rpc, Summary, Tally, format_latency},
};

/// How long stragglers may take after the window.
const GRACE: Duration = Duration::from_secs(5);

/// What a `relay` run is asked to do.
#[derive(Clone, Debug)]
pub struct RelayPlan {
    /// Live chats.
    pub chats: usize,
    /// Chats per agent.
    pub capacity: u32,
    /// One message per chat per this.
    pub period: Duration,
    /// Not counted.
    pub warmup: Duration,
    /// Measured.
    pub duration: Duration,
}

/// Runs the relay benchmark.
pub async fn run(
    bot_url: &str,
    agent_url: &str,
    tokens: &Tokens,
    plan: &RelayPlan,
) -> anyhow::Result<Summary> {
    let setup = Instant::now();
    let owners: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let agents = staff_desks(agent_url, tokens, plan.chats, plan.capacity, owners.clone()).await?;
    eprintln!(
        "relay: {} agents at their desks; handing {} customers off…",
        agents.len(),
        plan.chats
    );
    let bot_channels = connect_many(bot_url, plan.chats.div_ceil(100).max(1)).await?;
    let load = HandoffLoad::new(tokens.clone(), "r");
    let (customers, note) = queue_customers(&bot_channels, &load, plan.chats, 64).await?;
    eprintln!("relay: {note}");
    let base = Instant::now();
    let from = Arc::new(Mutex::new(None::<(Instant, Instant)>));
    let delivered = Arc::new(Mutex::new(Tally::default()));
    let joined = Arc::new(AtomicU64::new(0));
    let mut readers = tokio::task::JoinSet::new();
    for (i, customer) in customers.iter().enumerate() {
        let client = ConversationServiceClient::new(bot_channels[i % bot_channels.len()].clone());
        let reader = Reader {
            base,
            window: from.clone(),
            delivered: delivered.clone(),
            joined: joined.clone(),
        };
        readers.spawn(reader.follow(client, customer.clone()));
    }
    let limit = Duration::from_secs(60) + Duration::from_millis(plan.chats as u64 * 20);
    let waited = Instant::now();
    loop {
        let accepted = owners.lock().expect("owners").len();
        let seen = joined.load(Ordering::Relaxed) as usize;
        if (accepted >= customers.len() && seen >= customers.len()) || waited.elapsed() > limit {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let chats: Vec<(Queued, usize)> = {
        let owners = owners.lock().expect("owners");
        customers
            .iter()
            .filter_map(|c| owners.get(&c.ticket_id).map(|a| (c.clone(), *a)))
            .collect()
    };
    let seen = joined.load(Ordering::Relaxed);
    let mut notes = vec![
        format!("set-up: {note}"),
        format!(
            "{} chats WITH_AGENT ({} agent-joined events seen by customers) after {:.1} s of set-up",
            chats.len(),
            seen,
            setup.elapsed().as_secs_f64()
        ),
    ];
    if chats.is_empty() {
        bail!(
            "no chat reached an agent within {limit:?}: {}",
            notes.join("; ")
        );
    }
    eprintln!("relay: {}", notes[1]);

    let start = Instant::now();
    let window = (start + plan.warmup, start + plan.warmup + plan.duration);
    *from.lock().expect("window") = Some(window);
    let cpu = tokio::spawn(cpu_between(window.0, window.1));
    let sent = Arc::new(AtomicU64::new(0));
    let sends = Arc::new(Mutex::new(Tally::default()));
    let mut senders = tokio::task::JoinSet::new();
    for (k, (chat, owner)) in chats.iter().enumerate() {
        let agent = &agents[*owner];
        let sender = Sender {
            desk: agent.desk.clone(),
            bearer: agent.bearer.clone(),
            ticket_id: chat.ticket_id.clone(),
            base,
            window,
            sent: sent.clone(),
            sends: sends.clone(),
        };
        let offset = plan.period.mul_f64(k as f64 / chats.len() as f64);
        senders.spawn(sender.run(start + offset, plan.period, k));
    }
    senders.join_all().await;
    let sent = sent.load(Ordering::Relaxed);
    let grace = Instant::now();
    while delivered.lock().expect("tally").successes() < sent && grace.elapsed() < GRACE {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    readers.abort_all();
    let mut tally = delivered.lock().expect("tally").clone();
    let sends = sends.lock().expect("tally").clone();
    let lost = sent.saturating_sub(tally.successes());
    if lost > 0 {
        tally.failures.insert(
            "delivery lost".to_owned(),
            FailureCount {
                count: lost,
                first: format!("not on the customer's stream {GRACE:?} after the window"),
            },
        );
    }
    tally.failures.extend(sends.failures.clone());
    let short = [
        (
            plan.chats.saturating_sub(customers.len()),
            "set-up hand-off failed",
            "see the set-up note",
        ),
        (
            customers.len().saturating_sub(chats.len()),
            "set-up no agent",
            "queued, but no agent had accepted it when the window began",
        ),
    ];
    for (count, label, why) in short {
        if count > 0 {
            let first = why.to_owned();
            tally.failures.insert(
                label.to_owned(),
                FailureCount {
                    count: count as u64,
                    first,
                },
            );
        }
    }
    notes.push(format!(
        "delivered {} of {sent} agent messages sent in the window; SendAgentMessage itself p50 {} p99 {}",
        tally.successes(),
        sends.latency(0.5).map_or("-".into(), format_latency),
        sends.latency(0.99).map_or("-".into(), format_latency),
    ));
    Ok(Summary {
        path: "relay".to_owned(),
        config: format!("{} chats × 1 msg/{:?}", chats.len(), plan.period),
        window: plan.duration,
        tally,
        notes,
        cpu: cpu.await.ok().flatten(),
    })
}

/// One chat's agent, writing once a period.
struct Sender {
    desk: AgentDeskServiceClient<tonic::transport::Channel>,
    bearer: Bearer,
    ticket_id: String,
    base: Instant,
    window: (Instant, Instant),
    sent: Arc<AtomicU64>,
    sends: Arc<Mutex<Tally>>,
}

impl Sender {
    async fn run(mut self, first: Instant, period: Duration, k: usize) {
        let mut ticks = tokio::time::interval_at(first, period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut n = 0u64;
        loop {
            ticks.tick().await;
            let now = Instant::now();
            // The reader counts a message by this same instant: [from, until).
            if now >= self.window.1 {
                return;
            }
            n += 1;
            let line = AGENT_LINES[(k + n as usize) % AGENT_LINES.len()];
            let marker = (now - self.base).as_nanos();
            let request = apb::SendAgentMessageRequest {
                ticket_id: self.ticket_id.clone(),
                client_message_id: format!("lg-{k}-{n}"),
                text: format!("{line} [lg:{n}:{marker}]"),
            };
            let result = self
                .desk
                .send_agent_message(authed(request, &self.bearer))
                .await;
            let counted = now >= self.window.0;
            if counted {
                let mut sends = self.sends.lock().expect("tally");
                match result.rpc("SendAgentMessage") {
                    Ok(_) => {
                        sends.ok(now.elapsed());
                        self.sent.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(failure) => sends.fail(&failure),
                }
            }
        }
    }
}

/// One customer following their session's events.
struct Reader {
    base: Instant,
    window: Arc<Mutex<Option<(Instant, Instant)>>>,
    delivered: Arc<Mutex<Tally>>,
    joined: Arc<AtomicU64>,
}

impl Reader {
    async fn follow(
        self,
        mut client: ConversationServiceClient<tonic::transport::Channel>,
        customer: Queued,
    ) {
        let request = bpb::StreamSessionEventsRequest {
            session_id: customer.session_id.clone(),
            after_sequence: 0,
        };
        let mut stream = match client
            .stream_session_events(authed(request, &customer.bearer))
            .await
        {
            Ok(r) => r.into_inner(),
            Err(status) => {
                self.delivered
                    .lock()
                    .expect("tally")
                    .fail(&Failure::status("StreamSessionEvents", status));
                return;
            }
        };
        let mut seen = HashSet::new();
        loop {
            let item = match stream.message().await {
                Ok(Some(item)) => item,
                Ok(None) => return,
                Err(status) => {
                    self.delivered
                        .lock()
                        .expect("tally")
                        .fail(&Failure::status("StreamSessionEvents", status));
                    return;
                }
            };
            let arrived = Instant::now();
            match item.event.and_then(|e| e.kind) {
                Some(Event::AgentJoined(_)) => {
                    self.joined.fetch_add(1, Ordering::Relaxed);
                }
                Some(Event::AgentMessage(message)) => {
                    let Some((n, sent)) = parse_marker(&message.text) else {
                        continue;
                    };
                    let sent = self.base + Duration::from_nanos(sent);
                    let window = *self.window.lock().expect("window");
                    let Some((from, until)) = window else {
                        continue;
                    };
                    if sent < from || sent >= until || !seen.insert(n) {
                        continue;
                    }
                    self.delivered.lock().expect("tally").ok(arrived - sent);
                }
                _ => {}
            }
        }
    }
}

/// `(n, nanos)` from a text ending in `[lg:n:nanos]`.
fn parse_marker(text: &str) -> Option<(u64, u64)> {
    let start = text.rfind("[lg:")?;
    let inner = text[start + 4..].strip_suffix(']')?;
    let (n, nanos) = inner.split_once(':')?;
    Some((n.parse().ok()?, nanos.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::parse_marker;

    #[test]
    fn markers_round_trip_through_the_text() {
        assert_eq!(parse_marker("您好 [lg:3:123456789]"), Some((3, 123456789)));
        assert_eq!(parse_marker("no marker"), None);
        assert_eq!(parse_marker("[lg:x:1]"), None);
    }
}
