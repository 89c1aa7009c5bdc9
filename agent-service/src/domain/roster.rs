//! The roster: who the agents are and whether they are signed in. Profiles come from
//! administrators (or the demo file); presence from the agents' desks. Every change is
//! stored before it is acknowledged.

use std::sync::Arc;

use server_kit::clock::SharedClock;

use super::{Agent, AgentProfile, DomainError, Presence};
use crate::store::{Store, StoreError};

/// Agents and their presence.
#[derive(Clone)]
pub struct Roster {
    store: Arc<dyn Store>,
    clock: SharedClock,
}

impl Roster {
    /// A roster over `store`, timed by `clock`.
    pub fn new(store: Arc<dyn Store>, clock: SharedClock) -> Self {
        Self { store, clock }
    }

    /// Creates or updates an agent's profile.
    pub async fn upsert(&self, profile: AgentProfile) -> Result<Agent, DomainError> {
        profile.validate()?;
        self.store
            .upsert_agent(&profile, self.clock.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(what) => {
                    DomainError::WrongState(format!("{what} belongs to another agent"))
                }
                other => other.into(),
            })
    }

    /// One agent, or NOT_FOUND naming them.
    pub async fn agent(&self, agent_id: &str) -> Result<Agent, DomainError> {
        self.store
            .agent(agent_id)
            .await?
            .ok_or_else(|| unknown_agent(agent_id))
    }

    /// Every agent.
    pub async fn agents(&self) -> Result<Vec<Agent>, DomainError> {
        Ok(self.store.agents().await?)
    }

    /// Sets an agent's presence.
    pub async fn set_presence(
        &self,
        agent_id: &str,
        presence: Presence,
    ) -> Result<Agent, DomainError> {
        self.store
            .set_presence(agent_id, presence, self.clock.now())
            .await?
            .ok_or_else(|| unknown_agent(agent_id))
    }
}

fn unknown_agent(agent_id: &str) -> DomainError {
    DomainError::NotFound(format!(
        "no agent '{agent_id}': ask a supervisor to add you to the roster"
    ))
}
