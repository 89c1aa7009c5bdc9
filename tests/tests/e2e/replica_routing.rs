//! Routing among agent-service replicas in processes of their own on one PostgreSQL
//! database: the replica holding the routing lock (A) makes offers that an agent on B
//! accepts, relay runs both ways with streams on the other replica, a transfer is taken
//! on A; then A is killed with SIGKILL mid-conversation, B takes over routing, every
//! stream resumes by sequence on B, and nothing acknowledged is lost or stored twice.
//! Needs the PostgreSQL server named by `HONEYDESK_TEST_POSTGRES_URL` (CI sets it).

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use agent_service::store::testing::{POSTGRES_ENV, TestDatabase};
use honeydesk::{
    bot_side::{BotSide, next_event, text_of},
    desk::Desk,
    testing::{TEST_SECRET, channel},
};
use honeydesk_proto::agent::v1::{self as pb, ticket_event::Kind as Ev, transfer_ticket_request};
use server_kit::{Hs256Tokens, Role};

/// One agent-service process; killed (SIGKILL) when dropped.
struct Replica {
    child: Child,
    addr: SocketAddr,
    /// Lines the process logged, as they come.
    logs: mpsc::Receiver<String>,
}

impl Replica {
    fn start(database_url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_replica"))
            .args(["agent", "--listen", "127.0.0.1:0", "--replicas", "true"])
            .args(["--database-url", database_url, "--jwt-secret", TEST_SECRET])
            .arg("--seed-agents")
            .arg(agent_service::config::demo_agents_file())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the replica binary runs");
        let (tx, logs) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the replica reports");
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("the replica did not start: {line:?}"))
            .parse()
            .expect("an address");
        Self { child, addr, logs }
    }

    /// Waits until the replica logs `what` (panics after a generous limit).
    fn logged(&self, what: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.logs.recv_timeout(left) {
                Ok(line) if line.contains(what) => return,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("the replica never logged {what:?}");
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

const ROUTES: &str = "this replica routes now";

/// The next stored event of a watch (queue figures are not stored events).
async fn stored_event(watch: &mut tonic::Streaming<pb::WatchTicketResponse>) -> pb::TicketEvent {
    loop {
        let event = next_event(watch).await;
        if !matches!(event.kind, Some(Ev::QueueStatus(_))) {
            return event;
        }
    }
}

async fn history(desk: &mut Desk, ticket: &str) -> Vec<pb::TicketEvent> {
    desk.history(ticket).await.expect("history").events
}

#[tokio::test]
async fn routing_survives_the_death_of_the_routing_replica() {
    let Some(db) = TestDatabase::postgres().await else {
        eprintln!("skipped: set {POSTGRES_ENV} to run the replica tests");
        return;
    };
    let mut a = Replica::start(&db.url);
    a.logged(ROUTES);
    let b = Replica::start(&db.url);
    let tokens = Hs256Tokens::new(TEST_SECRET.as_bytes());
    let token = |sub: &str, role| tokens.mint(sub, role, Duration::from_secs(3600));
    let service = token("bot-service", Role::Service);
    let mut bot_a = BotSide::over(channel(a.addr).await, service.clone());
    let mut bot_b = BotSide::over(channel(b.addr).await, service.clone());
    let desk = |addr, id: &'static str| {
        let token = token(id, Role::Agent);
        async move { Desk::over(channel(addr).await, token, id, vec![], true).await }
    };
    // 阿强 (aftersale) at a desk on B, 小美 (orders) on A; A routes.
    let mut qiang = desk(b.addr, "a-1025").await;
    let mut mei = desk(a.addr, "a-1024").await;

    let first = bot_b.consumer("shopper-1", "aftersale").await;
    let offer = qiang.offer().await;
    assert_eq!(
        offer.ticket.as_ref().unwrap().ticket_id,
        first,
        "A's offer reaches the desk on B"
    );
    qiang.accept(&offer).await.expect("accepted on B");
    let again = qiang
        .accept(&offer)
        .await
        .expect_err("an offer is taken once");
    assert_eq!(again.code(), tonic::Code::FailedPrecondition, "{again:?}");

    // Relay both ways, each stream on the other replica from the writer.
    let mut watch = bot_a.watch(&first, "shopper-1", 0).await;
    qiang.write(&first, "您好，我来处理退款").await;
    let seen = loop {
        let event = stored_event(&mut watch).await;
        if text_of(&event) == Some("您好，我来处理退款") {
            break event.sequence;
        }
    };
    bot_a
        .say(&first, "shopper-1", "c-1", "订单 1234")
        .await
        .expect("stored on A");
    assert_eq!(qiang.customer_said().await, "订单 1234");

    // Transfer (on B) to the orders queue: A routes it to 小美, who accepts on A.
    let to_orders = transfer_ticket_request::Target::Skill("orders".into());
    qiang
        .transfer(&first, to_orders)
        .await
        .expect("transferred");
    let taken = mei.take().await;
    assert_eq!(taken.ticket_id, first);

    // The routing replica dies mid-conversation.
    a.kill();
    b.logged(ROUTES);
    let mut mei = desk(b.addr, "a-1024").await;
    let mut watch = bot_b.watch(&first, "shopper-1", seen).await;
    let second = bot_b.consumer("shopper-2", "aftersale").await;
    let offer = qiang.offer().await;
    assert_eq!(
        offer.ticket.as_ref().unwrap().ticket_id,
        second,
        "B routes now"
    );
    qiang
        .accept(&offer)
        .await
        .expect("accepted after the takeover");

    mei.say(&first, "mei-after", "退款已经提交")
        .await
        .expect("stored on B");
    bot_b
        .say(&first, "shopper-1", "c-2", "谢谢")
        .await
        .expect("stored on B");
    let retried = bot_b.say(&first, "shopper-1", "c-2", "谢谢").await;
    assert!(
        retried.is_ok(),
        "a retried message is answered: {retried:?}"
    );
    let mut after = Vec::new();
    while after.len() < 3 {
        after.push(stored_event(&mut watch).await);
    }
    let sequences: Vec<u64> = after.iter().map(|e| e.sequence).collect();
    let expected: Vec<u64> = (seen + 1..=seen + 3).collect();
    assert_eq!(
        sequences, expected,
        "the stream resumes by sequence, without gaps"
    );

    let events = history(&mut mei, &first).await;
    let numbers: Vec<u64> = events.iter().map(|e| e.sequence).collect();
    assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
    let customer_texts: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            Some(Ev::Message(m)) if m.sender == pb::Sender::Customer as i32 => {
                Some(m.text.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        customer_texts,
        ["订单 1234", "谢谢"],
        "each message stored once"
    );
    drop(b);
    db.drop().await;
}
