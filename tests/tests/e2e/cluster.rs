//! The whole path through `deploy/cluster.sh`: nginx in front of agent-service ×2 on one
//! PostgreSQL database and bot-service ×2 sharing sessions in Redis, every call of the
//! test balanced by nginx across the replicas. A whole conversation (FAQ turns, a retried
//! message answered once, hand-off, relay both ways, transfer, CSAT, a complaint), then
//! the routing agent-service replica is killed with SIGKILL mid-conversation: routing
//! resumes on the survivor and the customer's stream goes on by sequence. Needs nginx,
//! Redis and the PostgreSQL server named by `HONEYDESK_TEST_POSTGRES_URL` (CI has all
//! three); skipped with a message when one is missing.

use std::{net::SocketAddr, path::PathBuf, process::Command, time::Duration};

use agent_service::store::testing::{POSTGRES_ENV, TestDatabase};
use honeydesk::{
    chat::Chat,
    desk::Desk,
    testing::{TEST_SECRET, authed, channel},
};
use honeydesk_proto::{
    agent::v1::{self as agent_pb, transfer_ticket_request::Target},
    bot::v1::{self as pb, session_event::Kind},
};
use server_kit::{Hs256Tokens, Role};

/// The Redis the cluster's bot-service replicas share.
const REDIS_ENV: &str = "HONEYDESK_TEST_REDIS_URL";

/// A running cluster; stopped (every process) when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    agent: SocketAddr,
    bot: SocketAddr,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/cluster.sh")
}

impl Cluster {
    fn start(database_url: &str, redis_url: &str) -> Self {
        let dir = tempfile::tempdir().expect("a folder for the cluster");
        let replica = env!("CARGO_BIN_EXE_replica");
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .env("HONEYDESK_CLUSTER_DIR", dir.path())
            .env("HONEYDESK_DATABASE_URL", database_url)
            .env("HONEYDESK_SESSION_STORE", redis_url)
            .env("HONEYDESK_JWT_SECRET", TEST_SECRET)
            .env("HONEYDESK_AGENT_BIN", format!("{replica} agent"))
            .env("HONEYDESK_BOT_BIN", format!("{replica} bot"))
            .output()
            .expect("the cluster script runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "cluster.sh failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let front = |name: &str| -> SocketAddr {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name} front: ")))
                .unwrap_or_else(|| panic!("no {name} front in {text}"))
                .parse()
                .expect("an address")
        };
        Self {
            agent: front("agent-service"),
            bot: front("bot-service"),
            dir,
        }
    }

    /// Kills one process of the cluster with SIGKILL (no drain).
    fn kill(&self, name: &str) {
        let pid = std::fs::read_to_string(self.dir.path().join(format!("{name}.pid")))
            .expect("the cluster wrote its pids");
        let killed = Command::new("kill").args(["-9", pid.trim()]).status();
        assert!(killed.is_ok_and(|s| s.success()), "{name} killed");
    }

    /// Waits until a replica's log says `what`.
    async fn logged(&self, name: &str, what: &str) {
        let log = self.dir.path().join(format!("{name}.log"));
        for _ in 0..200 {
            if std::fs::read_to_string(&log).is_ok_and(|l| l.contains(what)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{name} never logged {what:?}");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .env("HONEYDESK_CLUSTER_DIR", self.dir.path())
            .status();
    }
}

fn prerequisites() -> Option<String> {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .any(|p| std::path::Path::new(p).exists());
    let redis = std::env::var(REDIS_ENV).ok().filter(|u| !u.is_empty());
    match (nginx, redis, std::env::var(POSTGRES_ENV).is_ok()) {
        (true, Some(redis), true) => Some(redis),
        _ => {
            eprintln!("skipped: the cluster test needs nginx, {REDIS_ENV} and {POSTGRES_ENV}");
            None
        }
    }
}

fn bot_intent(reply: &pb::BotReply) -> &str {
    reply.intent.as_ref().map_or("", |i| i.name.as_str())
}

#[tokio::test]
async fn a_whole_conversation_through_nginx_survives_the_routing_replica() {
    let Some(redis) = prerequisites() else {
        return;
    };
    let db = TestDatabase::postgres().await.expect("PostgreSQL");
    let cluster = Cluster::start(&db.url, &redis);
    let tokens = Hs256Tokens::new(TEST_SECRET.as_bytes());
    let token = |sub: &str, role| tokens.mint(sub, role, Duration::from_secs(3600));
    let (bot, agent) = (channel(cluster.bot).await, channel(cluster.agent).await);
    let desk =
        |id: &'static str| Desk::over(agent.clone(), token(id, Role::Agent), id, vec![], true);
    let mut qiang = desk("a-1025").await;
    let mut mei = desk("a-1024").await;

    // The robot answers, whichever replica each turn lands on.
    let shopper = token("shopper-k", Role::Consumer);
    let (mut chat, _) = Chat::start_over(bot.clone(), shopper, pb::Entrance::Consumer).await;
    assert_eq!(
        bot_intent(&chat.say("我的快递到哪了").await),
        "logistics.tracking"
    );
    let first = chat.say_with_id("m-refund", "我要申请退款").await.unwrap();
    let retried = chat.say_with_id("m-refund", "我要申请退款").await.unwrap();
    assert_eq!(
        first.reply.map(|r| r.reply_id),
        retried.reply.map(|r| r.reply_id),
        "a retried message is answered once, on any replica"
    );

    // Hand-off: agent-service replica 1 routes; the offer may be accepted on either.
    let queued = chat.request_agent().await.expect("queued");
    let ticket = queued.session.expect("the session").ticket_id;
    assert_eq!(qiang.take().await.ticket_id, ticket);
    chat.until_state(pb::SessionState::WithAgent).await;
    let mut events = chat.events(0).await;
    qiang.write(&ticket, "您好，我来处理退款").await;
    let seen = loop {
        let event = events.next_stored().await;
        if matches!(&event.kind, Some(Kind::AgentMessage(m)) if m.text == "您好，我来处理退款")
        {
            break event.sequence;
        }
    };
    chat.try_say("订单号 1234").await.expect("relayed");
    assert_eq!(qiang.customer_said().await, "订单号 1234");

    // Transfer to 小美 (orders), then the routing replica dies.
    let to_orders = Target::Skill("orders".into());
    qiang
        .transfer(&ticket, to_orders)
        .await
        .expect("transferred");
    assert_eq!(mei.take().await.ticket_id, ticket);
    cluster.kill("agent-1");
    cluster.logged("agent-2", "this replica routes now").await;

    // Streams through nginx may have ended with the dead replica: reopen and resume.
    let mut mei = desk("a-1024").await;
    let mut events = chat.events(seen).await;
    mei.say(&ticket, "mei-1", "退款已经提交")
        .await
        .expect("stored");
    loop {
        let event = events.next_stored().await;
        assert!(event.sequence > seen, "resumed after {seen}: {event:?}");
        if matches!(&event.kind, Some(Kind::AgentMessage(m)) if m.text == "退款已经提交") {
            break;
        }
    }
    // Routing resumed on the survivor: a new customer reaches 阿强.
    let mut qiang = desk("a-1025").await;
    let other = token("shopper-k2", Role::Consumer);
    let (mut second, _) = Chat::start_over(bot.clone(), other, pb::Entrance::Consumer).await;
    second.say("我要申请退款").await;
    let queued = second
        .request_agent()
        .await
        .expect("queued after the takeover");
    let second_ticket = queued.session.expect("the session").ticket_id;
    assert_eq!(qiang.take().await.ticket_id, second_ticket);

    // CSAT, then a complaint about the agent, both through the balancer.
    mei.close(&ticket, agent_pb::Resolution::ReturnToBot)
        .await
        .expect("back to the robot");
    chat.until_state(pb::SessionState::Bot).await;
    let rated = chat
        .client
        .rate_agent(authed(
            pb::RateAgentRequest {
                session_id: chat.session.clone(),
                score: 2,
                comment: "太慢".into(),
            },
            &chat.token,
        ))
        .await;
    assert!(rated.is_ok(), "rated: {rated:?}");
    let choose = chat.say("投诉客服").await;
    assert_eq!(bot_intent(&choose), "complaint.agent");
    let button = choose
        .quick_replies
        .first()
        .expect("whom to complain about")
        .clone();
    chat.say(&button).await;
    chat.say("她一直不回复我").await;
    let done = chat.say("确认提交").await;
    let filed = done.complaint.expect("a complaint filed");
    assert!(filed.created, "{filed:?}");
    drop(cluster);
    db.drop().await;
}
