//! The dev launcher's settings: each service's own, read the way the service reads them
//! (its TOML file from `--agent-config`/`--bot-config` or `HONEYDESK_AGENT_CONFIG`/
//! `HONEYDESK_BOT_CONFIG`, then the `HONEYDESK_*` variables), then the launcher's flags;
//! the launcher's conveniences (metrics on :9464/:9465, the demo roster, the sandbox for
//! the demo tasks) fill in only what those left unset. `HONEYDESK_LISTEN` and
//! `HONEYDESK_METRICS_LISTEN` are not read: one address cannot serve two services.

use std::{net::SocketAddr, path::PathBuf};

use agent_service::config::{AgentArgs, AgentSettings, demo_agents_file};
use bot_service::config::{BotArgs, BotSettings};
use clap::Parser;
use server_kit::config::LogFormat;

/// The launcher's own flags.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct LaunchArgs {
    /// bot-service address [default: the bot settings' listen, else 127.0.0.1:50051].
    #[arg(long)]
    pub bot_listen: Option<SocketAddr>,
    /// agent-service address [default: the agent settings' listen, else 127.0.0.1:50052].
    #[arg(long)]
    pub agent_listen: Option<SocketAddr>,
    /// bot-service's Prometheus listener [default: the settings', else 127.0.0.1:9464].
    #[arg(long)]
    pub bot_metrics_listen: Option<SocketAddr>,
    /// agent-service's Prometheus listener [default: the settings', else 127.0.0.1:9465].
    #[arg(long)]
    pub agent_metrics_listen: Option<SocketAddr>,
    /// bot-service's settings file (TOML, as `bot-service --config`).
    #[arg(long)]
    pub bot_config: Option<PathBuf>,
    /// agent-service's settings file (TOML, as `agent-service --config`).
    #[arg(long)]
    pub agent_config: Option<PathBuf>,
    /// The store [default: the agent settings' `store.url`, else sqlite://data/agent.db].
    #[arg(long)]
    pub database_url: Option<String>,
    /// HS256 token secret of both services [default: the settings', else development].
    #[arg(long, hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Log format of both services: text or json.
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
}

#[derive(Parser)]
struct AgentEnv {
    #[command(flatten)]
    args: AgentArgs,
}

#[derive(Parser)]
struct BotEnv {
    #[command(flatten)]
    args: BotArgs,
}

/// agent-service's and bot-service's flags as their `HONEYDESK_*` variables set them.
pub fn args_from_env() -> anyhow::Result<(AgentArgs, BotArgs)> {
    Ok((
        AgentEnv::try_parse_from(["honeydesk"])?.args,
        BotEnv::try_parse_from(["honeydesk"])?.args,
    ))
}

/// Both services' settings: files and variables (`agent`, `bot`), then `launch`, then
/// the launcher's defaults where nothing was said.
pub fn settings(
    launch: &LaunchArgs,
    mut agent: AgentArgs,
    mut bot: BotArgs,
) -> anyhow::Result<(AgentSettings, BotSettings)> {
    for server in [&mut agent.server, &mut bot.server] {
        server.listen = None;
        server.metrics_listen = None;
        server.jwt_secret = launch.jwt_secret.clone().or(server.jwt_secret.take());
        server.log_format = launch.log_format.or(server.log_format);
    }
    agent.config = launch.agent_config.clone().or(agent.config);
    bot.config = launch.bot_config.clone().or(bot.config);
    agent.database_url = launch.database_url.clone().or(agent.database_url);
    let mut agent = AgentSettings::load(&agent)?;
    let mut bot = BotSettings::load(&bot)?;
    if agent.server.jwt_secret != bot.server.jwt_secret {
        anyhow::bail!(
            "the agent and bot settings name different jwt secrets; both services must share one (set HONEYDESK_JWT_SECRET or --jwt-secret)"
        );
    }
    let listen = |flag: Option<SocketAddr>, set: Option<SocketAddr>, port: u16| {
        flag.or(set)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], port)))
    };
    agent.server.listen = Some(listen(launch.agent_listen, agent.server.listen, 50052));
    bot.server.listen = Some(listen(launch.bot_listen, bot.server.listen, 50051));
    agent.server.metrics_listen = Some(listen(
        launch.agent_metrics_listen,
        agent.server.metrics_listen,
        9465,
    ));
    bot.server.metrics_listen = Some(listen(
        launch.bot_metrics_listen,
        bot.server.metrics_listen,
        9464,
    ));
    if agent.roster.seed_file.is_none() {
        agent.roster.seed_file = Some(demo_agents_file());
    }
    agent.validate()?;
    bot.validate()?;
    Ok((agent, bot))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn the_services_variables_and_files_reach_the_launched_services() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "[routing]\noffer_timeout_secs = 45").unwrap();
        let agent = AgentArgs {
            config: Some(file.path().to_owned()),
            idle_timeout_secs: Some(20),
            ..AgentArgs::default()
        };
        let mut bot = BotArgs {
            idle_timeout_secs: Some(20),
            hotline: Some("400-1".into()),
            ..BotArgs::default()
        };
        bot.server.listen = Some("127.0.0.1:1".parse().unwrap());
        let launch = LaunchArgs {
            agent_listen: Some("127.0.0.1:7000".parse().unwrap()),
            ..LaunchArgs::default()
        };
        let (agent, bot) = settings(&launch, agent, bot).unwrap();
        assert_eq!(agent.routing.offer_timeout_secs, 45);
        assert_eq!(agent.routing.idle_timeout_secs, 20);
        assert_eq!(bot.bot.idle_timeout_secs, 20);
        assert_eq!(bot.bot.hotline, "400-1");
        assert_eq!(agent.server.listen, Some("127.0.0.1:7000".parse().unwrap()));
        assert_eq!(bot.server.listen, Some("127.0.0.1:50051".parse().unwrap()));
        assert_eq!(
            bot.server.metrics_listen,
            Some("127.0.0.1:9464".parse().unwrap())
        );
        assert_eq!(agent.roster.seed_file, Some(demo_agents_file()));
    }

    #[test]
    fn the_two_services_must_share_one_secret() {
        let mut bot = BotArgs::default();
        bot.server.jwt_secret = Some("another-secret-of-32-bytes-long!".into());
        let err = settings(&LaunchArgs::default(), AgentArgs::default(), bot).unwrap_err();
        assert!(err.to_string().contains("jwt secret"), "{err}");
    }
}
