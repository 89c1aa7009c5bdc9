//! Loading a roster file (`[[agent]]` tables) at start-up, e.g. the demo agents.

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

/// Creates or updates every agent in `file`; returns how many.
pub async fn apply(roster: &Roster, file: &Path) -> Result<usize, SeedError> {
    let parsed: RosterFile = server_kit::config::load_file(Some(file))?;
    let count = parsed.agent.len();
    for profile in parsed.agent {
        let agent = profile.agent_id.clone();
        roster
            .upsert(profile)
            .await
            .map_err(|source| SeedError::Agent {
                file: file.display().to_string(),
                agent,
                source,
            })?;
    }
    Ok(count)
}
