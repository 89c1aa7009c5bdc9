//! The agents' side of the relay benchmark: load agents created through
//! SupervisorService/UpsertAgent (CONSUMER, every consumer skill), signed in (AVAILABLE),
//! each with an open StreamDesk that accepts every offer and notes which agent owns
//! which ticket.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use anyhow::Context;
use honeydesk_proto::agent::v1::{
    self as apb, agent_desk_service_client::AgentDeskServiceClient,
    stream_desk_response::Kind as DeskItem, supervisor_service_client::SupervisorServiceClient,
};
use server_kit::Role;
use tonic::transport::Channel;

use crate::{
    auth::{Bearer, Tokens, authed},
    runner::connect,
};

/// The skills of the default consumer catalogue, all given to every load agent.
const SKILLS: &[&str] = &[
    "orders",
    "logistics",
    "aftersale",
    "payments",
    "account",
    "invoice",
    "general",
    "complaints",
];
/// An agent at their desk.
pub struct Agent {
    /// The desk client (the agent's own connection).
    pub desk: AgentDeskServiceClient<Channel>,
    /// The agent's bearer.
    pub bearer: Bearer,
}

/// Creates ⌈chats/capacity⌉ agents, signs them in and runs their desks, accepting every
/// offer and noting which agent owns which ticket in `owners`.
pub async fn staff_desks(
    agent_url: &str,
    tokens: &Tokens,
    chats: usize,
    capacity: u32,
    owners: Arc<Mutex<HashMap<String, usize>>>,
) -> anyhow::Result<Vec<Agent>> {
    let supervisor_bearer = tokens.bearer("loadgen-supervisor", Role::Supervisor);
    let mut supervisor = SupervisorServiceClient::new(connect(agent_url).await?);
    let count = chats.div_ceil(capacity.max(1) as usize);
    let mut agents = Vec::with_capacity(count);
    for i in 0..count {
        let agent_id = format!("{}-a{i}", tokens.run);
        let profile = apb::Agent {
            agent_id: agent_id.clone(),
            work_number: format!("{}-{i}", tokens.run),
            display_name: format!("压测客服{i}"),
            skills: SKILLS.iter().map(|s| (*s).to_owned()).collect(),
            entrances: vec![apb::Entrance::Consumer as i32],
            capacity,
            ..apb::Agent::default()
        };
        let request = apb::UpsertAgentRequest {
            agent: Some(profile),
            update_mask: None,
        };
        supervisor
            .upsert_agent(authed(request, &supervisor_bearer))
            .await
            .with_context(|| format!("UpsertAgent {agent_id}"))?;
        let bearer = tokens.bearer(&agent_id, Role::Agent);
        let mut desk = AgentDeskServiceClient::new(connect(agent_url).await?);
        desk.sign_in(authed(apb::SignInRequest {}, &bearer))
            .await
            .with_context(|| format!("SignIn {agent_id}"))?;
        let stream = desk
            .stream_desk(authed(apb::StreamDeskRequest { resume: vec![] }, &bearer))
            .await
            .with_context(|| format!("StreamDesk {agent_id}"))?
            .into_inner();
        tokio::spawn(accept_offers(
            stream,
            desk.clone(),
            bearer.clone(),
            i,
            owners.clone(),
        ));
        agents.push(Agent { desk, bearer });
    }
    Ok(agents)
}

async fn accept_offers(
    mut stream: tonic::Streaming<apb::StreamDeskResponse>,
    desk: AgentDeskServiceClient<Channel>,
    bearer: Bearer,
    agent: usize,
    owners: Arc<Mutex<HashMap<String, usize>>>,
) {
    while let Ok(Some(item)) = stream.message().await {
        let Some(DeskItem::Offer(offer)) = item.kind else {
            continue;
        };
        let (mut desk, bearer, owners) = (desk.clone(), bearer.clone(), owners.clone());
        tokio::spawn(async move {
            let request = apb::AcceptOfferRequest {
                offer_id: offer.offer_id,
            };
            match desk.accept_offer(authed(request, &bearer)).await {
                Ok(answer) => {
                    if let Some(ticket) = answer.into_inner().ticket {
                        owners
                            .lock()
                            .expect("owners")
                            .insert(ticket.ticket_id, agent);
                    }
                }
                Err(status) => {
                    eprintln!("relay: agent {agent} could not accept an offer: {status}")
                }
            }
        });
    }
}
