//! `spawn_app` for end-to-end tests: both services on port 0 over real TCP, a temporary
//! store (SQLite, or PostgreSQL with `HONEYDESK_TEST_STORE=postgres`), the demo roster,
//! a shared [`FakeClock`], and helpers to mint tokens and build authorised requests.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use agent_service::{
    config::AgentSettings,
    store::{Outage, testing::TestDatabase},
};
use bot_service::config::BotSettings;
use honeydesk_proto::{agent::v1 as agent_pb, bot::v1 as bot_pb};
use server_kit::{FakeClock, Hs256Tokens, Role, config::ServerSettings};
use tonic::{Request, transport::Channel};

use crate::Stack;

/// The token secret tests sign with.
pub const TEST_SECRET: &str = "end-to-end-test-secret-0123456789";

/// A running pair for one test.
pub struct TestApp {
    /// Both services.
    pub stack: Stack,
    /// The clock both services read; move it to make time pass.
    pub clock: FakeClock,
    tokens: Hs256Tokens,
    db: TestDatabase,
    outage: Outage,
}

/// Changes a test makes to one service's settings before it starts.
pub type Tweak<T> = Box<dyn FnOnce(&mut T) + Send>;

/// Knobs a test may turn before the services start.
#[derive(Default)]
pub struct Options {
    /// Changes to bot-service's settings.
    pub bot: Option<Tweak<BotSettings>>,
    /// Changes to agent-service's settings.
    pub agent: Option<Tweak<AgentSettings>>,
    /// Serve Prometheus metrics from both services (on ports of their own).
    pub metrics: bool,
    /// Use a fresh PostgreSQL database whatever `HONEYDESK_TEST_STORE` says (the test
    /// needs what only a shared database server gives, e.g. several replicas).
    pub postgres: bool,
}

impl TestApp {
    /// Starts both services with default test settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    /// Starts both services after applying `options`.
    pub async fn spawn_with(options: Options) -> Self {
        static LOGS: std::sync::OnceLock<server_kit::telemetry::LogGuard> =
            std::sync::OnceLock::new();
        LOGS.get_or_init(|| server_kit::telemetry::init(server_kit::config::LogFormat::Text));
        let db = if options.postgres {
            TestDatabase::postgres().await.unwrap_or_else(|| {
                panic!(
                    "this test needs PostgreSQL: set {}",
                    agent_service::store::testing::POSTGRES_ENV
                )
            })
        } else {
            TestDatabase::from_env().await
        };
        let server = |port_zero: SocketAddr| ServerSettings {
            jwt_secret: TEST_SECRET.to_owned(),
            drain_timeout_secs: 5,
            ..ServerSettings::listening_on(port_zero)
        };
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut agent = AgentSettings {
            server: server(any_port),
            ..AgentSettings::default()
        };
        agent.store.url = db.url.clone();
        agent.roster.seed_file = Some(agent_service::config::demo_agents_file());
        let mut bot = BotSettings {
            server: server(any_port),
            ..BotSettings::default()
        };
        bot.agent.deadline_ms = 2000;
        if let Some(f) = options.agent {
            f(&mut agent);
        }
        if let Some(f) = options.bot {
            f(&mut bot);
        }
        if options.metrics {
            agent.server.metrics_listen = Some(any_port);
            bot.server.metrics_listen = Some(any_port);
        }
        let clock = FakeClock::starting_now();
        let outage = Outage::default();
        let stack = Stack::start_with_outage(agent, bot, Arc::new(clock.clone()), outage.clone())
            .await
            .expect("both services start");
        Self {
            stack,
            clock,
            tokens: Hs256Tokens::new(TEST_SECRET.as_bytes()),
            db,
            outage,
        }
    }

    /// Takes agent-service's store away (`false`) or gives it back. On PostgreSQL the
    /// database really refuses connections (and its open ones are terminated); SQLite
    /// has no server to stop, so the store decorator's switch fails every operation.
    pub async fn set_store_reachable(&self, reachable: bool) {
        if !self.db.set_reachable(reachable).await {
            self.outage.set_down(!reachable);
        }
    }

    /// A valid token for `subject` as `role`.
    pub fn token(&self, subject: &str, role: Role) -> String {
        self.tokens.mint(subject, role, Duration::from_secs(3600))
    }

    /// The token signer (for odd tokens: expired, unknown role…).
    pub fn tokens(&self) -> &Hs256Tokens {
        &self.tokens
    }

    /// A connected channel to bot-service.
    pub async fn bot_channel(&self) -> Channel {
        channel(self.stack.bot_addr).await
    }

    /// A connected channel to agent-service.
    pub async fn agent_channel(&self) -> Channel {
        channel(self.stack.agent_addr).await
    }

    /// bot-service's conversation client.
    pub async fn conversation(
        &self,
    ) -> bot_pb::conversation_service_client::ConversationServiceClient<Channel> {
        bot_pb::conversation_service_client::ConversationServiceClient::new(
            self.bot_channel().await,
        )
    }

    /// bot-service's operator client.
    pub async fn intents(&self) -> bot_pb::intent_service_client::IntentServiceClient<Channel> {
        bot_pb::intent_service_client::IntentServiceClient::new(self.bot_channel().await)
    }

    /// agent-service's supervisor client.
    pub async fn supervisor(
        &self,
    ) -> agent_pb::supervisor_service_client::SupervisorServiceClient<Channel> {
        agent_pb::supervisor_service_client::SupervisorServiceClient::new(
            self.agent_channel().await,
        )
    }

    /// agent-service's desk client.
    pub async fn desk(
        &self,
    ) -> agent_pb::agent_desk_service_client::AgentDeskServiceClient<Channel> {
        agent_pb::agent_desk_service_client::AgentDeskServiceClient::new(self.agent_channel().await)
    }

    /// The robot transcript agent-service stored with a ticket, read from its store.
    pub async fn transcript(&self, ticket_id: &str) -> Vec<agent_service::domain::TranscriptLine> {
        use agent_service::store::TicketStore;
        self.db
            .store
            .transcript(ticket_id)
            .await
            .expect("the store answers")
    }

    /// agent-service's complaint client.
    pub async fn complaints(
        &self,
    ) -> agent_pb::complaint_service_client::ComplaintServiceClient<Channel> {
        agent_pb::complaint_service_client::ComplaintServiceClient::new(self.agent_channel().await)
    }

    /// Runs one raw SQL statement against agent-service's database, around the service
    /// (to tamper with stored rows); the number of rows affected.
    pub async fn execute_sql(&self, sql: &str) -> Result<u64, agent_service::store::StoreError> {
        self.db.execute(sql).await
    }

    /// Holds agent-service's tickets table from a connection of its own (PostgreSQL: a
    /// table lock; SQLite: a write transaction) until released.
    pub async fn lock_tickets(&self) -> agent_service::store::testing::TicketsLock {
        self.db.lock_tickets().await
    }

    /// Which database agent-service runs on.
    pub fn dialect(&self) -> agent_service::store::Dialect {
        self.db.dialect()
    }

    /// Stops both services and removes the test database.
    pub async fn stop(self) {
        self.stack.stop().await.expect("both services stop cleanly");
        self.db.drop().await;
    }
}

/// `message` with `authorization: Bearer <token>`.
pub fn authed<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("tokens are ASCII"),
    );
    request
}

/// A connected channel to `addr`.
pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("valid URI")
        .connect()
        .await
        .expect("connect to a test server")
}

/// How `stream` ends: skips its items and returns the status it ends with, failing the
/// test when it ends OK (a plain end of stream) or stays open past five seconds.
pub async fn stream_end<T>(stream: &mut tonic::Streaming<T>) -> tonic::Status {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.message()).await {
            Ok(Ok(Some(_))) => {}
            Ok(Ok(None)) => panic!("the stream ended OK, without a status"),
            Ok(Err(status)) => return status,
            Err(_) => panic!("the stream did not end within 5 s"),
        }
    }
}
