//! Loading a roster file (`[[agent]]` tables) at start-up, e.g. the demo agents: agents
//! it lists that the store does not know are created; known ones are left as they are
//! (supervisors may have changed them with `UpsertAgent`).

use std::path::Path;

use serde::Deserialize;

use crate::domain::{AgentProfile, DomainError, roster::Roster};

/// Why a roster file could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read or parsed.
    #[error(transparent)]
    File(#[from] server_kit::config::ConfigError),
    /// An agent in it was refused.
    #[error("roster file {file}: agent '{agent}': {source}")]
    Agent {
        /// The file.
        file: String,
        /// The agent id.
        agent: String,
        /// Why.
        source: DomainError,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RosterFile {
    #[serde(default)]
    agent: Vec<AgentProfile>,
}

/// Creates every agent in `file` the store does not know yet; returns how many it
/// created (agents already known keep their stored profile).
pub async fn apply(roster: &Roster, file: &Path) -> Result<usize, SeedError> {
    let parsed: RosterFile = if file == crate::config::demo_agents_file() && !file.exists() {
        server_kit::config::parse(crate::config::DEMO_AGENTS, &file.display().to_string())?
    } else {
        server_kit::config::load_file(Some(file))?
    };
    let mut created = 0;
    for profile in parsed.agent {
        let agent = profile.agent_id.clone();
        if roster
            .create_if_missing(profile)
            .await
            .map_err(|source| SeedError::Agent {
                file: file.display().to_string(),
                agent,
                source,
            })?
        {
            created += 1;
        }
    }
    Ok(created)
}
