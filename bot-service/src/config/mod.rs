//! bot-service settings: the `[server]`, `[bot]`, `[agent]`, `[actions]`, `[identity]`,
//! `[limits]` and `[sessions]` tables of a TOML file, under `HONEYDESK_*` environment variables,
//! under command-line flags.

mod outbound;
mod sessions;

use std::{path::PathBuf, time::Duration};

pub use outbound::{ActionSettings, AgentLinkSettings, IdentitySettings, LimitSettings};
use serde::Deserialize;
use server_kit::config::{ConfigError, ServerArgs, ServerSettings, invalid};
pub use sessions::SessionSettings;

/// bot-service listens here unless told otherwise.
pub const DEFAULT_PORT: u16 = 50051;

/// Everything bot-service can be configured with.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BotSettings {
    /// Listening, tokens, logs, drain.
    pub server: ServerSettings,
    /// The robot's behaviour.
    pub bot: BehaviourSettings,
    /// The link to agent-service.
    pub agent: AgentLinkSettings,
    /// The back ends that carry out task intents.
    pub actions: ActionSettings,
    /// How bot-service proves who it is to the services it calls.
    pub identity: IdentitySettings,
    /// Per-caller limits (`[limits]`); 0 turns one off.
    pub limits: LimitSettings,
    /// Where live sessions are kept (`[sessions]`).
    pub sessions: SessionSettings,
}

/// How the robot behaves.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BehaviourSettings {
    /// The intent catalogue file.
    pub catalogue: PathBuf,
    /// Every this many seconds the catalogue file is read again and, when its content
    /// changed, put in force (so every replica follows one shared file); 0 = only on
    /// `ReloadCatalogue` or SIGHUP.
    pub catalogue_check_secs: u64,
    /// A session closes after this long without a message.
    pub idle_timeout_secs: u64,
    /// Longest accepted message, in characters.
    pub max_message_chars: usize,
    /// Robot transcript lines a session keeps in memory and hands to a person.
    pub transcript_window: usize,
    /// Recognition confidence below which the reply is a fallback; unset = built-in.
    pub confidence_threshold: Option<f64>,
    /// Recognised turns before "talk to a person" is offered.
    pub offer_agent_after_turns: u32,
    /// Fallbacks in a row before "talk to a person" is offered.
    pub offer_agent_after_fallbacks: u32,
    /// The official complaint hotline quoted in answers.
    pub hotline: String,
}

impl Default for BehaviourSettings {
    fn default() -> Self {
        Self {
            catalogue: PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/catalogue/default.toml"
            )),
            catalogue_check_secs: 5,
            idle_timeout_secs: 600,
            max_message_chars: 500,
            transcript_window: crate::session::DEFAULT_TRANSCRIPT_WINDOW,
            confidence_threshold: None,
            offer_agent_after_turns: 1,
            offer_agent_after_fallbacks: 2,
            hotline: "9510-8888".to_owned(),
        }
    }
}

impl BehaviourSettings {
    /// The idle timeout as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }
}

/// Command-line flags (and environment variables) of bot-service.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct BotArgs {
    /// Settings file (TOML).
    #[arg(long, env = "HONEYDESK_BOT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub server: ServerArgs,
    /// The intent catalogue file.
    #[arg(long, env = "HONEYDESK_CATALOGUE")]
    pub catalogue: Option<PathBuf>,
    /// Seconds between checks of the catalogue file for changes (0 = never).
    #[arg(long, env = "HONEYDESK_CATALOGUE_CHECK_SECS")]
    pub catalogue_check_secs: Option<u64>,
    /// Seconds without a message before a session closes.
    #[arg(long, env = "HONEYDESK_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Longest accepted message, in characters.
    #[arg(long, env = "HONEYDESK_MAX_MESSAGE_CHARS")]
    pub max_message_chars: Option<usize>,
    /// The official complaint hotline quoted in answers.
    #[arg(long, env = "HONEYDESK_HOTLINE")]
    pub hotline: Option<String>,
    /// agent-service's address.
    #[arg(long, env = "HONEYDESK_AGENT_URL")]
    pub agent_url: Option<String>,
    /// Deadline for calls to agent-service, in milliseconds.
    #[arg(long, env = "HONEYDESK_AGENT_DEADLINE_MS")]
    pub agent_deadline_ms: Option<u64>,
    /// CA (PEM) that signed agent-service's certificate (for an https:// agent URL).
    #[arg(long, env = "HONEYDESK_AGENT_CA")]
    pub agent_ca: Option<PathBuf>,
    /// Client certificate (PEM) bot-service presents to agent-service (mTLS).
    #[arg(long, env = "HONEYDESK_AGENT_CLIENT_CERT")]
    pub agent_client_cert: Option<PathBuf>,
    /// Private key (PEM) of that client certificate.
    #[arg(long, env = "HONEYDESK_AGENT_CLIENT_KEY")]
    pub agent_client_key: Option<PathBuf>,
    /// bot-service's own token-signing key (PEM), instead of the HS256 secret.
    #[arg(long, env = "HONEYDESK_IDENTITY_KEY")]
    pub identity_key: Option<PathBuf>,
    /// The `kid` of that key in the callee's JWKS file.
    #[arg(long, env = "HONEYDESK_IDENTITY_KEY_ID")]
    pub identity_key_id: Option<String>,
    /// New sessions per user per minute (0 = no limit).
    #[arg(long, env = "HONEYDESK_LIMIT_SESSIONS_PER_MINUTE")]
    pub limit_sessions_per_minute: Option<u32>,
    /// Messages per session per second after a burst (0 = no limit).
    #[arg(long, env = "HONEYDESK_LIMIT_MESSAGES_PER_SECOND")]
    pub limit_messages_per_second: Option<u32>,
    /// Where live sessions are kept: `memory`, or a `redis://` URL shared by replicas.
    #[arg(long, env = "HONEYDESK_SESSION_STORE")]
    pub session_store: Option<String>,
    /// Put before every session key in Redis.
    #[arg(long, env = "HONEYDESK_SESSION_KEY_PREFIX")]
    pub session_key_prefix: Option<String>,
    /// A task back end as NAME=URL (repeatable, or comma-separated in the variable),
    /// e.g. `topup=http://127.0.0.1:50053`.
    #[arg(
        long = "action-backend",
        env = "HONEYDESK_ACTION_BACKENDS",
        value_delimiter = ','
    )]
    pub action_backends: Vec<String>,
}

impl BotSettings {
    /// File, then environment and flags, then range checks.
    pub fn load(args: &BotArgs) -> Result<Self, ConfigError> {
        let mut settings: BotSettings = server_kit::config::load_file(args.config.as_deref())?;
        settings.server.apply(&args.server);
        let bot = &mut settings.bot;
        if let Some(v) = &args.catalogue {
            bot.catalogue = v.clone();
        }
        if let Some(v) = args.catalogue_check_secs {
            bot.catalogue_check_secs = v;
        }
        if let Some(v) = args.idle_timeout_secs {
            bot.idle_timeout_secs = v;
        }
        if let Some(v) = args.max_message_chars {
            bot.max_message_chars = v;
        }
        if let Some(v) = &args.hotline {
            bot.hotline = v.clone();
        }
        if let Some(v) = &args.agent_url {
            settings.agent.url = v.clone();
        }
        if let Some(v) = args.agent_deadline_ms {
            settings.agent.deadline_ms = v;
        }
        let tls = &mut settings.agent.tls;
        for (to, from) in [
            (&mut tls.ca_file, &args.agent_ca),
            (&mut tls.cert_file, &args.agent_client_cert),
            (&mut tls.key_file, &args.agent_client_key),
        ] {
            if let Some(v) = from {
                *to = Some(v.clone());
            }
        }
        if let Some(v) = args.limit_sessions_per_minute {
            settings.limits.sessions_per_minute = v;
        }
        if let Some(v) = args.limit_messages_per_second {
            settings.limits.messages_per_second = v;
        }
        if let Some(v) = &args.session_store {
            settings.sessions.store = v.clone();
        }
        if let Some(v) = &args.session_key_prefix {
            settings.sessions.key_prefix = v.clone();
        }
        if let Some(v) = &args.identity_key {
            settings.identity.key_file = Some(v.clone());
        }
        if let Some(v) = &args.identity_key_id {
            settings.identity.key_id = Some(v.clone());
        }
        for pair in &args.action_backends {
            let (name, url) = pair
                .split_once('=')
                .ok_or_else(|| invalid("actions.backends", &format!("'{pair}' is not NAME=URL")))?;
            settings
                .actions
                .backends
                .insert(name.trim().to_owned(), url.trim().to_owned());
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Range checks that the types alone do not express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.server.validate()?;
        if self.bot.idle_timeout_secs == 0 {
            return Err(invalid("bot.idle_timeout_secs", "must be at least 1"));
        }
        if !(2..=500).contains(&self.bot.transcript_window) {
            return Err(invalid(
                "bot.transcript_window",
                "must be between 2 and 500 lines (agent-service takes up to 500)",
            ));
        }
        if self.bot.max_message_chars == 0 {
            return Err(invalid("bot.max_message_chars", "must be at least 1"));
        }
        if let Some(t) = self.bot.confidence_threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(invalid(
                "bot.confidence_threshold",
                "must be between 0 and 1",
            ));
        }
        if !(self.agent.url.starts_with("http://") || self.agent.url.starts_with("https://")) {
            return Err(invalid("agent.url", "must start with http:// or https://"));
        }
        if self.agent.deadline_ms == 0 {
            return Err(invalid("agent.deadline_ms", "must be at least 1"));
        }
        if self.agent.channels == 0 {
            return Err(invalid("agent.channels", "must be at least 1"));
        }
        if self.agent.attempts == 0 {
            return Err(invalid("agent.attempts", "must be at least 1"));
        }
        if self.identity.key_file.is_some() != self.identity.key_id.is_some() {
            return Err(invalid(
                "identity.key_id",
                "identity.key_file and identity.key_id go together",
            ));
        }
        self.sessions.validate()?;
        self.validate_actions()
    }

    fn validate_actions(&self) -> Result<(), ConfigError> {
        let a = &self.actions;
        for (name, url) in &a.backends {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                return Err(invalid(
                    "actions.backends",
                    &format!("bad back-end name '{name}'"),
                ));
            }
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid(
                    "actions.backends",
                    &format!("{name}: '{url}' must start with http:// or https://"),
                ));
            }
        }
        if a.deadline_ms == 0 {
            return Err(invalid("actions.deadline_ms", "must be at least 1"));
        }
        if a.channels == 0 {
            return Err(invalid("actions.channels", "must be at least 1"));
        }
        if a.attempts == 0 {
            return Err(invalid("actions.attempts", "must be at least 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_name_the_key() {
        BotSettings::default().validate().unwrap();
        let err = server_kit::config::parse::<BotSettings>(
            "[bot]\nidle_timeout_secs = \"soon\"\n",
            "bot.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("bot.idle_timeout_secs"), "{err}");
        let mut s = BotSettings::default();
        s.agent.url = "127.0.0.1:50052".into();
        assert!(s.validate().unwrap_err().to_string().contains("agent.url"));
        let mut s = BotSettings::default();
        s.actions
            .backends
            .insert("topup".into(), "localhost:1".into());
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("actions.backends")
        );
    }
}
