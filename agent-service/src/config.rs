//! agent-service settings: the `[server]`, `[store]`, `[roster]`, `[routing]`,
//! `[moderation]` and `[complaints]` tables of a TOML file, under `HONEYDESK_*`
//! environment variables, under command-line flags.

use std::{path::PathBuf, time::Duration};

use serde::Deserialize;
use server_kit::config::{ConfigError, ServerArgs, ServerSettings, invalid};

mod store;

pub use store::StoreSettings;

use crate::domain::moderation::{Lexicon, LexiconError};

/// agent-service listens here unless told otherwise.
pub const DEFAULT_PORT: u16 = 50052;

/// Everything agent-service can be configured with.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentSettings {
    /// Listening, tokens, logs, drain.
    pub server: ServerSettings,
    /// Where tickets, transcripts and complaints are kept.
    pub store: StoreSettings,
    /// Agents loaded at start-up.
    pub roster: RosterSettings,
    /// Offers and idle conversations.
    pub routing: RoutingConfig,
    /// Abusive-language checks on agent messages.
    pub moderation: ModerationSettings,
    /// Complaint deadlines and the hotline quoted with decisions.
    pub complaints: ComplaintsConfig,
}

/// Complaint deadlines and the hotline quoted with decisions.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComplaintsConfig {
    /// The official complaint hotline a customer can call when not satisfied.
    pub hotline: String,
    /// Hours from filing until a supervisor must take a complaint into review.
    pub acknowledge_within_hours: u64,
    /// Hours from filing until a decision is due.
    pub decide_within_hours: u64,
}

impl Default for ComplaintsConfig {
    fn default() -> Self {
        Self {
            hotline: crate::domain::complaints::DEFAULT_HOTLINE.to_owned(),
            acknowledge_within_hours: 24,
            decide_within_hours: 7 * 24,
        }
    }
}

impl ComplaintsConfig {
    /// The domain's view of these settings.
    pub fn settings(&self) -> crate::domain::complaints::ComplaintSettings {
        let hours = |h: u64| Duration::from_secs(h * 3600);
        crate::domain::complaints::ComplaintSettings {
            deadlines: crate::domain::complaint::Deadlines {
                acknowledge_within: hours(self.acknowledge_within_hours),
                decide_within: hours(self.decide_within_hours),
            },
            hotline: self.hotline.trim().to_owned(),
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let hotline = self.hotline.trim();
        if hotline.is_empty()
            || hotline.chars().count() > 32
            || hotline.chars().any(char::is_control)
        {
            return Err(invalid(
                "complaints.hotline",
                "must be 1-32 printable characters, e.g. 9510-8888",
            ));
        }
        if !(1..=30 * 24).contains(&self.acknowledge_within_hours) {
            return Err(invalid(
                "complaints.acknowledge_within_hours",
                "must be 1-720",
            ));
        }
        if !(1..=90 * 24).contains(&self.decide_within_hours) {
            return Err(invalid("complaints.decide_within_hours", "must be 1-2160"));
        }
        if self.decide_within_hours < self.acknowledge_within_hours {
            return Err(invalid(
                "complaints.decide_within_hours",
                "must not be shorter than complaints.acknowledge_within_hours",
            ));
        }
        Ok(())
    }
}

/// Abusive-language checks on agent messages.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationSettings {
    /// A TOML lexicon (`zh` and `en` lists); the shipped one when unset.
    pub lexicon_file: Option<PathBuf>,
}

impl ModerationSettings {
    /// The lexicon in force.
    pub fn lexicon(&self) -> Result<Lexicon, LexiconError> {
        match &self.lexicon_file {
            Some(path) => Lexicon::load(path),
            None => Ok(Lexicon::shipped()),
        }
    }
}

/// Routing's timings.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingConfig {
    /// Seconds an agent has to accept an offer before it goes to the next agent.
    pub offer_timeout_secs: u64,
    /// Seconds without a customer message after which a conversation is closed.
    pub idle_timeout_secs: u64,
    /// Seconds a ticket waits for its own skill before agents of its entrance's fallback
    /// skill (`general`) may take it too; 0 = never.
    pub overflow_after_secs: u64,
    /// Skills tickets may be queued for before any agent has them (the catalogue's);
    /// other skills must belong to an agent in the roster.
    pub skills: Vec<String>,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            offer_timeout_secs: 30,
            idle_timeout_secs: 600,
            overflow_after_secs: crate::domain::routing::DEFAULT_OVERFLOW_AFTER.as_secs(),
            skills: crate::domain::routing::plan::DEFAULT_SKILLS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }
}

impl RoutingConfig {
    /// The domain's view of these settings.
    pub fn settings(&self) -> crate::domain::routing::RoutingSettings {
        crate::domain::routing::RoutingSettings {
            offer_timeout: Duration::from_secs(self.offer_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            replicas: false,
            overflow_after: (self.overflow_after_secs > 0)
                .then(|| Duration::from_secs(self.overflow_after_secs)),
            skills: self.skills.clone(),
        }
    }
}

/// Agents loaded at start-up.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RosterSettings {
    /// A TOML file of `[[agent]]` profiles created at start-up when missing (agents
    /// already stored keep their profile).
    pub seed_file: Option<PathBuf>,
}

/// Command-line flags (and environment variables) of agent-service.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct AgentArgs {
    /// Settings file (TOML).
    #[arg(long, env = "HONEYDESK_AGENT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub server: ServerArgs,
    /// The store: sqlite://PATH or postgres://…
    #[arg(long, env = "HONEYDESK_DATABASE_URL")]
    pub database_url: Option<String>,
    /// One of several replicas sharing the PostgreSQL database.
    #[arg(long, env = "HONEYDESK_STORE_REPLICAS")]
    pub replicas: Option<bool>,
    /// Milliseconds one database statement may run or wait for a lock.
    #[arg(long, env = "HONEYDESK_STATEMENT_TIMEOUT_MS")]
    pub statement_timeout_ms: Option<u64>,
    /// Milliseconds a call waits for a pooled database connection.
    #[arg(long, env = "HONEYDESK_ACQUIRE_TIMEOUT_MS")]
    pub acquire_timeout_ms: Option<u64>,
    /// A TOML file of agents created at start-up when missing (known ones are kept).
    #[arg(long, env = "HONEYDESK_SEED_AGENTS")]
    pub seed_agents: Option<PathBuf>,
    /// Seconds an agent has to accept an offer.
    #[arg(long, env = "HONEYDESK_OFFER_TIMEOUT_SECS")]
    pub offer_timeout_secs: Option<u64>,
    /// Seconds without a customer message before a conversation is closed.
    #[arg(long, env = "HONEYDESK_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Seconds a ticket waits before agents of the fallback skill may take it (0 = never).
    #[arg(long, env = "HONEYDESK_OVERFLOW_AFTER_SECS")]
    pub overflow_after_secs: Option<u64>,
    /// The abusive-language lexicon (TOML); the shipped one when unset.
    #[arg(long, env = "HONEYDESK_LEXICON_FILE")]
    pub lexicon_file: Option<PathBuf>,
    /// The official complaint hotline quoted with complaint decisions.
    #[arg(long, env = "HONEYDESK_HOTLINE")]
    pub hotline: Option<String>,
    /// Hours until a complaint must be taken into review.
    #[arg(long, env = "HONEYDESK_COMPLAINT_ACKNOWLEDGE_HOURS")]
    pub complaint_acknowledge_hours: Option<u64>,
    /// Hours until a complaint must be decided.
    #[arg(long, env = "HONEYDESK_COMPLAINT_DECIDE_HOURS")]
    pub complaint_decide_hours: Option<u64>,
}

impl AgentSettings {
    /// File, then environment and flags, then range checks.
    pub fn load(args: &AgentArgs) -> Result<Self, ConfigError> {
        let mut settings: AgentSettings = server_kit::config::load_file(args.config.as_deref())?;
        settings.server.apply(&args.server);
        if let Some(v) = &args.database_url {
            settings.store.url = v.clone();
        }
        if let Some(v) = args.replicas {
            settings.store.replicas = v;
        }
        if let Some(v) = args.statement_timeout_ms {
            settings.store.statement_timeout_ms = v;
        }
        if let Some(v) = args.acquire_timeout_ms {
            settings.store.acquire_timeout_ms = v;
        }
        if let Some(v) = &args.seed_agents {
            settings.roster.seed_file = Some(v.clone());
        }
        if let Some(v) = &args.lexicon_file {
            settings.moderation.lexicon_file = Some(v.clone());
        }
        if let Some(v) = args.offer_timeout_secs {
            settings.routing.offer_timeout_secs = v;
        }
        if let Some(v) = args.idle_timeout_secs {
            settings.routing.idle_timeout_secs = v;
        }
        if let Some(v) = args.overflow_after_secs {
            settings.routing.overflow_after_secs = v;
        }
        if let Some(v) = &args.hotline {
            settings.complaints.hotline = v.clone();
        }
        if let Some(v) = args.complaint_acknowledge_hours {
            settings.complaints.acknowledge_within_hours = v;
        }
        if let Some(v) = args.complaint_decide_hours {
            settings.complaints.decide_within_hours = v;
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Range checks that the types alone do not express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.server.validate()?;
        let url = &self.store.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "store.url",
                "must start with sqlite: or postgres://",
            ));
        }
        if self.store.replicas && url.starts_with("sqlite:") {
            return Err(invalid(
                "store.replicas",
                "needs a shared postgres:// store; an embedded SQLite file serves one agent-service process",
            ));
        }
        self.store.validate()?;
        if !(1..=3600).contains(&self.routing.offer_timeout_secs) {
            return Err(invalid("routing.offer_timeout_secs", "must be 1-3600"));
        }
        if !(1..=7 * 24 * 3600).contains(&self.routing.idle_timeout_secs) {
            return Err(invalid("routing.idle_timeout_secs", "must be 1-604800"));
        }
        if self.routing.overflow_after_secs > 24 * 3600 {
            return Err(invalid(
                "routing.overflow_after_secs",
                "must be 0 (never) to 86400",
            ));
        }
        if !self
            .routing
            .skills
            .iter()
            .all(|s| crate::domain::agent::valid_id(s))
        {
            return Err(invalid(
                "routing.skills",
                "must be skill names of letters, digits, '_', '-' or '.'",
            ));
        }
        self.complaints.validate()
    }
}

/// The demo roster shipped with the repository. A binary run away from its build
/// directory does not find this file and seeds [`DEMO_AGENTS`], compiled in, instead.
pub fn demo_agents_file() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/agents.toml"))
}

/// The demo roster's text, compiled into the binary.
pub const DEMO_AGENTS: &str = include_str!("../demo/agents.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_url_is_checked() {
        AgentSettings::default().validate().unwrap();
        let mut s = AgentSettings::default();
        s.store.url = "mysql://x".into();
        assert!(s.validate().unwrap_err().to_string().contains("store.url"));
    }

    #[test]
    fn replicas_need_postgres() {
        let mut s = AgentSettings::default();
        s.store.replicas = true;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("store.replicas")
        );
        s.store.url = "postgres://db/honeydesk".into();
        s.validate().unwrap();
    }

    #[test]
    fn complaint_settings_are_checked_by_key() {
        let with = |f: fn(&mut ComplaintsConfig)| {
            let mut s = AgentSettings::default();
            f(&mut s.complaints);
            s.validate().unwrap_err().to_string()
        };
        assert!(with(|c| c.hotline = " ".into()).contains("complaints.hotline"));
        assert!(
            with(|c| c.acknowledge_within_hours = 0)
                .contains("complaints.acknowledge_within_hours")
        );
        assert!(
            with(|c| c.decide_within_hours = 10_000).contains("complaints.decide_within_hours")
        );
        assert!(with(|c| c.decide_within_hours = 12).contains("complaints.decide_within_hours"));
    }

    #[test]
    fn overflow_comes_from_toml_and_zero_turns_it_off() {
        let s: AgentSettings = toml::from_str("[routing]\noverflow_after_secs = 45\n").unwrap();
        s.validate().unwrap();
        assert_eq!(
            s.routing.settings().overflow_after,
            Some(Duration::from_secs(45))
        );
        let off: AgentSettings = toml::from_str("[routing]\noverflow_after_secs = 0\n").unwrap();
        assert_eq!(off.routing.settings().overflow_after, None);
        let mut bad = AgentSettings::default();
        bad.routing.overflow_after_secs = 100_000;
        let e = bad.validate().unwrap_err().to_string();
        assert!(e.contains("routing.overflow_after_secs"), "{e}");
    }

    #[test]
    fn complaint_settings_come_from_toml() {
        let s: AgentSettings = toml::from_str(
            "[complaints]\nhotline = \"400-800-1688\"\nacknowledge_within_hours = 12\ndecide_within_hours = 72\n",
        )
        .unwrap();
        s.validate().unwrap();
        let c = s.complaints.settings();
        assert_eq!(c.hotline, "400-800-1688");
        assert_eq!(
            c.deadlines.acknowledge_within,
            Duration::from_secs(12 * 3600)
        );
        assert_eq!(c.deadlines.decide_within, Duration::from_secs(72 * 3600));
    }
}
