//! The roster: who the agents are and whether they are signed in. Profiles come from
//! administrators (whole, or a few fields at a time) or a seed file (which only adds
//! missing agents, so supervisors' changes survive restarts); presence from the agents'
//! desks. Every change is stored before it is acknowledged.

use std::sync::Arc;

use server_kit::clock::SharedClock;

use super::{Agent, AgentProfile, DomainError, Entrance, Presence, agent::DEFAULT_CAPACITY};
use crate::store::{Store, StoreError};

/// Some of an agent's profile fields; `None` leaves a field as it is (or, for a new
/// agent, missing: every field but the capacity is then required).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfilePatch {
    /// 工号.
    pub work_number: Option<String>,
    /// The name customers see.
    pub display_name: Option<String>,
    /// Skill queues served.
    pub skills: Option<Vec<String>>,
    /// Entrances served.
    pub entrances: Option<Vec<Entrance>>,
    /// Concurrent chats at most.
    pub capacity: Option<u32>,
}

impl ProfilePatch {
    /// `profile` with the fields this patch carries replaced.
    fn over(self, profile: AgentProfile) -> AgentProfile {
        AgentProfile {
            work_number: self.work_number.unwrap_or(profile.work_number),
            display_name: self.display_name.unwrap_or(profile.display_name),
            skills: self.skills.unwrap_or(profile.skills),
            entrances: self.entrances.unwrap_or(profile.entrances),
            capacity: self.capacity.unwrap_or(profile.capacity),
            agent_id: profile.agent_id,
        }
    }

    /// A new agent `agent_id` from this patch (validation names a missing field).
    fn into_new(self, agent_id: &str) -> AgentProfile {
        self.over(AgentProfile {
            agent_id: agent_id.to_owned(),
            work_number: String::new(),
            display_name: String::new(),
            skills: Vec::new(),
            entrances: Vec::new(),
            capacity: DEFAULT_CAPACITY,
        })
    }
}

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

    /// Changes the fields `patch` carries of agent `agent_id`, or creates the agent from
    /// them. Concurrent patches of one agent are applied last-writer-wins per call.
    pub async fn patch(&self, agent_id: &str, patch: ProfilePatch) -> Result<Agent, DomainError> {
        let profile = match self.store.agent(agent_id).await? {
            Some(known) => patch.over(known.profile),
            None => patch.into_new(agent_id),
        };
        self.upsert(profile).await
    }

    /// Creates the agent unless one with its id exists (a seed file must not undo what
    /// supervisors changed); whether it was created.
    pub async fn create_if_missing(&self, profile: AgentProfile) -> Result<bool, DomainError> {
        profile.validate()?;
        if self.store.agent(&profile.agent_id).await?.is_some() {
            return Ok(false);
        }
        self.upsert(profile).await.map(|_| true)
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
