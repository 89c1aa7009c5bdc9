//! Human agents: who they are (work number, skills, entrances, capacity) and whether they
//! can take conversations right now.

use std::time::SystemTime;

use super::{DomainError, Entrance, Presence};

/// Concurrent chats an agent takes unless configured otherwise.
pub const DEFAULT_CAPACITY: u32 = 3;

/// The part of an agent an administrator sets.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentProfile {
    /// Stable id; the subject of the agent's token.
    pub agent_id: String,
    /// 工号: the public number customers see.
    pub work_number: String,
    /// The name customers see.
    pub display_name: String,
    /// Skill queues the agent serves.
    pub skills: Vec<String>,
    /// Entrances the agent serves.
    pub entrances: Vec<Entrance>,
    /// Concurrent chats at most.
    #[serde(default = "default_capacity")]
    pub capacity: u32,
}

fn default_capacity() -> u32 {
    DEFAULT_CAPACITY
}

impl AgentProfile {
    /// INVALID_ARGUMENT-worthy problems, naming the field.
    pub fn validate(&self) -> Result<(), DomainError> {
        let field = |name: &str, why: &str| Err(DomainError::invalid(format!("agent.{name}"), why));
        if !valid_id(&self.agent_id) {
            return field("agent_id", "must be 1-64 letters, digits, '-', '_' or '.'");
        }
        if !valid_id(&self.work_number) {
            return field(
                "work_number",
                "must be 1-64 letters, digits, '-', '_' or '.'",
            );
        }
        let name = self.display_name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return field("display_name", "must be 1-64 characters");
        }
        if self.skills.is_empty() || !self.skills.iter().all(|s| valid_id(s)) {
            return field(
                "skills",
                "must name at least one skill (letters, digits, '-', '_', '.')",
            );
        }
        if self.entrances.is_empty() {
            return field("entrances", "must name at least one entrance");
        }
        if self.capacity == 0 || self.capacity > 50 {
            return field("capacity", "must be between 1 and 50");
        }
        Ok(())
    }
}

/// Ids, work numbers and skill names: short, printable, no spaces.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// An agent with their current presence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agent {
    /// What an administrator set.
    pub profile: AgentProfile,
    /// Available, away or offline.
    pub presence: Presence,
    /// When the presence last changed.
    pub presence_since: SystemTime,
}

/// The public face of an agent: what the customer sees ("工号 1024 has joined").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentCard {
    /// The agent behind the card (not shown to customers).
    pub agent_id: String,
    /// 工号.
    pub work_number: String,
    /// The name customers see.
    pub display_name: String,
}

impl Agent {
    /// The card customers see for this agent.
    pub fn card(&self) -> AgentCard {
        AgentCard {
            agent_id: self.profile.agent_id.clone(),
            work_number: self.profile.work_number.clone(),
            display_name: self.profile.display_name.clone(),
        }
    }

    /// Whether the agent can be offered work in `entrance` and `skill` right now
    /// (capacity aside).
    pub fn available_for(&self, entrance: Entrance, skill: &str) -> bool {
        self.presence == Presence::Available && self.serves(entrance, skill)
    }

    /// Whether the agent serves `entrance` and `skill`.
    pub fn serves(&self, entrance: Entrance, skill: &str) -> bool {
        self.profile.entrances.contains(&entrance) && self.profile.skills.iter().any(|s| s == skill)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> AgentProfile {
        AgentProfile {
            agent_id: "a-1024".into(),
            work_number: "1024".into(),
            display_name: "小美".into(),
            skills: vec!["orders".into()],
            entrances: vec![Entrance::Consumer],
            capacity: 3,
        }
    }

    #[test]
    fn validation_names_the_field() {
        profile().validate().unwrap();
        let mut p = profile();
        p.capacity = 0;
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("agent.capacity")
        );
        let mut p = profile();
        p.agent_id = "has space".into();
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("agent.agent_id")
        );
    }
}
