//! `turn`: robot turns, `ConversationService/SendMessage`. Each stream is one customer
//! at a time: it starts a session (untimed), sends FAQ questions and chit-chat under
//! unique client message ids, and every [`TURNS_PER_SESSION`] turns ends the session and
//! starts a fresh one as a new customer, so sessions stay realistic in length.
//! Every timed turn must come back answered by the robot (not relayed, state BOT).

use std::sync::Arc;

use anyhow::bail;
use honeydesk_proto::bot::v1::{
    self as pb, Entrance, IntentKind, SessionState,
    conversation_service_client::ConversationServiceClient,
    intent_service_client::IntentServiceClient,
};
use server_kit::Role;
use tonic::transport::Channel;

use super::phrases::CONSUMER_TURNS;
use crate::{
    auth::{Bearer, Tokens, authed},
    runner::{StreamWork, Workload},
    stats::{Failure, Rpc},
};

/// Turns before a stream moves on to a new session.
pub const TURNS_PER_SESSION: u32 = 50;

/// The turn load.
pub struct TurnLoad {
    tokens: Tokens,
    utterances: Arc<Vec<&'static str>>,
    /// What the utterances were recognised as, e.g. "27 utterances: 20 FAQ, 5 …".
    pub mix: String,
}

impl TurnLoad {
    /// Checks with `Classify` that every utterance stays with the robot, drops (and
    /// names) any that would ask for a person, complain or start a task, and returns
    /// the load.
    pub async fn vetted(tokens: Tokens, bot: Channel) -> anyhow::Result<Self> {
        let mut client = IntentServiceClient::new(bot);
        let bearer = tokens.bearer("loadgen", Role::Service);
        let mut kept = Vec::new();
        let mut kinds = std::collections::BTreeMap::<String, usize>::new();
        for text in CONSUMER_TURNS {
            let request = pb::ClassifyRequest {
                entrance: Entrance::Consumer as i32,
                text: (*text).to_owned(),
                top_k: 1,
            };
            let reply = client
                .classify(authed(request, &bearer))
                .await?
                .into_inner();
            let top = reply.intents.first();
            let kind = top.map_or(IntentKind::Fallback, |i| i.kind());
            let leaves_robot = reply.confident
                && matches!(
                    kind,
                    IntentKind::Handoff | IntentKind::Task | IntentKind::Complaint
                );
            if leaves_robot {
                let name = top.map_or("", |i| i.name.as_str());
                eprintln!("turn: dropping '{text}': recognised as {name} ({kind:?})");
            } else {
                kept.push(*text);
                let kind = if reply.confident {
                    kind
                } else {
                    IntentKind::Fallback
                };
                *kinds.entry(format!("{kind:?}")).or_default() += 1;
            }
        }
        if kept.is_empty() {
            bail!("no utterance stays with the robot under this catalogue");
        }
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        Ok(Self {
            tokens,
            mix: format!(
                "{} utterances recognised as {}; a new session every {TURNS_PER_SESSION} turns",
                kept.len(),
                kinds.join(", ")
            ),
            utterances: Arc::new(kept),
        })
    }
}

/// One customer stream.
pub struct TurnStream {
    client: ConversationServiceClient<Channel>,
    tokens: Tokens,
    utterances: Arc<Vec<&'static str>>,
    index: usize,
    sessions: u64,
    session: Option<Current>,
    sent: u64,
}

struct Current {
    id: String,
    bearer: Bearer,
    turns: u32,
}

impl Workload for TurnLoad {
    type Stream = TurnStream;

    fn open(&self, index: usize, channel: Channel) -> TurnStream {
        TurnStream {
            client: ConversationServiceClient::new(channel),
            tokens: self.tokens.clone(),
            utterances: self.utterances.clone(),
            index,
            sessions: 0,
            session: None,
            sent: 0,
        }
    }
}

impl TurnStream {
    async fn start_session(&mut self) -> Result<(), Failure> {
        if let Some(old) = self.session.take() {
            let request = pb::EndSessionRequest { session_id: old.id };
            self.client
                .end_session(authed(request, &old.bearer))
                .await
                .rpc("EndSession")?;
        }
        self.sessions += 1;
        let subject = format!("{}-t{}-{}", self.tokens.run, self.index, self.sessions);
        let bearer = self.tokens.bearer(&subject, Role::Consumer);
        let request = pb::StartSessionRequest {
            entrance: Entrance::Consumer as i32,
            language: pb::Language::Unspecified as i32,
        };
        let started = self
            .client
            .start_session(authed(request, &bearer))
            .await
            .rpc("StartSession")?;
        let Some(session) = started.session else {
            return Err(Failure::unexpected(
                "StartSession",
                "no session in the answer",
            ));
        };
        self.session = Some(Current {
            id: session.session_id,
            bearer,
            turns: 0,
        });
        Ok(())
    }
}

impl StreamWork for TurnStream {
    async fn prepare(&mut self) -> Result<(), Failure> {
        match &self.session {
            Some(s) if s.turns < TURNS_PER_SESSION => Ok(()),
            _ => self.start_session().await,
        }
    }

    async fn call(&mut self) -> Result<(), Failure> {
        let session = self.session.as_mut().expect("prepare started a session");
        session.turns += 1;
        self.sent += 1;
        let text = self.utterances[(self.index * 5 + self.sent as usize) % self.utterances.len()];
        let request = pb::SendMessageRequest {
            session_id: session.id.clone(),
            client_message_id: format!("{}-{}-{}", self.tokens.run, self.index, self.sent),
            text: text.to_owned(),
        };
        let answer = self
            .client
            .send_message(authed(request, &session.bearer))
            .await
            .rpc("SendMessage")?;
        let state = answer.session.as_ref().map(|s| s.state());
        if answer.relayed || answer.reply.is_none() || state != Some(SessionState::Bot) {
            // Whatever happened, this session left the robot: start over.
            self.session = None;
            return Err(Failure::unexpected(
                "SendMessage",
                format!(
                    "'{text}' did not stay with the robot (relayed={}, state={state:?})",
                    answer.relayed
                ),
            ));
        }
        Ok(())
    }
}
