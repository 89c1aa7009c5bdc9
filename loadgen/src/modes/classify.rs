//! `classify`: `honeydesk.bot.v1.IntentService/Classify` with realistic questions at both
//! entrances (service identity), each stream cycling through its own offset of the list.

use honeydesk_proto::bot::v1::{self as pb, Entrance, intent_service_client::IntentServiceClient};
use server_kit::Role;
use tonic::transport::Channel;

use super::phrases::{CONSUMER_TURNS, MERCHANT_QUESTIONS};
use crate::{
    auth::{Bearer, Tokens, authed},
    runner::{StreamWork, Workload},
    stats::{Failure, Rpc},
};

/// The classify load.
pub struct ClassifyLoad {
    bearer: Bearer,
    questions: Vec<(Entrance, &'static str)>,
}

impl ClassifyLoad {
    /// Calls made as the `service` identity `loadgen`.
    pub fn new(tokens: &Tokens) -> Self {
        let consumer = CONSUMER_TURNS.iter().map(|q| (Entrance::Consumer, *q));
        let merchant = MERCHANT_QUESTIONS.iter().map(|q| (Entrance::Merchant, *q));
        Self {
            bearer: tokens.bearer("loadgen", Role::Service),
            questions: consumer.chain(merchant).collect(),
        }
    }
}

/// One classify stream.
pub struct ClassifyStream {
    client: IntentServiceClient<Channel>,
    bearer: Bearer,
    questions: Vec<(Entrance, &'static str)>,
    next: usize,
}

impl Workload for ClassifyLoad {
    type Stream = ClassifyStream;

    fn open(&self, index: usize, channel: Channel) -> ClassifyStream {
        ClassifyStream {
            client: IntentServiceClient::new(channel),
            bearer: self.bearer.clone(),
            questions: self.questions.clone(),
            next: index * 7,
        }
    }
}

impl StreamWork for ClassifyStream {
    async fn call(&mut self) -> Result<(), Failure> {
        let (entrance, text) = self.questions[self.next % self.questions.len()];
        self.next += 1;
        let request = pb::ClassifyRequest {
            entrance: entrance as i32,
            text: text.to_owned(),
            top_k: 5,
        };
        let reply = self
            .client
            .classify(authed(request, &self.bearer))
            .await
            .rpc("Classify")?;
        if reply.intents.is_empty() {
            return Err(Failure::unexpected(
                "Classify",
                format!("no candidates for '{text}'"),
            ));
        }
        Ok(())
    }
}
