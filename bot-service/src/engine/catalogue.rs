//! Putting a catalogue in force after start-up: on request (`ReloadCatalogue`, SIGHUP)
//! and when the file changes (the follower every replica runs, so replicas sharing one
//! file answer from the same catalogue). The file is read once per check; a catalogue
//! that does not load leaves the one in force answering.

use std::sync::Arc;

use super::{
    BotError, Engine,
    brain::{Brain, ReloadInfo, digest_of},
};

/// What a check of the catalogue file found.
#[derive(Debug)]
pub enum Followed {
    /// The content in force, or one already refused.
    Unchanged,
    /// A changed file, now in force.
    Loaded(ReloadInfo),
    /// A changed file that does not load (its digest, so the next check skips it).
    Refused(String),
}

impl Engine {
    /// Re-reads the catalogue file; on any error the old catalogue stays in force.
    pub fn reload(&self) -> Result<ReloadInfo, BotError> {
        crate::catalogue::read_catalogue(&self.settings.catalogue)
            .map_err(BotError::from)
            .and_then(|bytes| self.put_in_force(&bytes, digest_of(&bytes)))
            .inspect_err(|e| tracing::warn!(error = %e, "catalogue reload refused"))
    }

    /// Reads the catalogue file and puts it in force when its content differs from the
    /// catalogue in force and from `refused` (a content that did not load before).
    /// An error only when the file cannot be read.
    pub fn follow_catalogue(&self, refused: Option<&str>) -> Result<Followed, BotError> {
        let bytes = crate::catalogue::read_catalogue(&self.settings.catalogue)?;
        let digest = digest_of(&bytes);
        if digest == self.brain().info().digest || refused == Some(digest.as_str()) {
            return Ok(Followed::Unchanged);
        }
        Ok(match self.put_in_force(&bytes, digest.clone()) {
            Ok(info) => Followed::Loaded(info),
            Err(e) => {
                tracing::warn!(error = %e, "changed catalogue file refused; the old one stays in force");
                Followed::Refused(digest)
            }
        })
    }

    /// Learns the catalogue `bytes` (content `digest`) and swaps it in.
    fn put_in_force(&self, bytes: &[u8], digest: String) -> Result<ReloadInfo, BotError> {
        let brain = Brain::from_bytes(
            bytes,
            digest,
            &self.settings.catalogue,
            self.settings.confidence_threshold,
            self.clock.now(),
        )?;
        let info = brain.info();
        *self.brain.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(brain);
        tracing::info!(intents = info.intents, digest = %info.digest, "catalogue reloaded");
        Ok(info)
    }
}
