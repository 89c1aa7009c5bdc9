//! Time bounds with the database stuck behind a lock (PostgreSQL: `LOCK TABLE tickets
//! IN ACCESS EXCLUSIVE MODE` from a connection of the test's own; SQLite: a write
//! transaction held open): a call past the server's deadline or the caller's is answered
//! DEADLINE_EXCEEDED, a statement past the statement timeout UNAVAILABLE (never
//! INTERNAL), a write reported as failed is never committed afterwards (the retry with
//! the same key creates the one ticket), a hand-off reported as failed leaves no ticket
//! behind, and agent-service stops within its drain limit while the lock is held.

use std::time::{Duration, Instant};

use agent_service::config::AgentSettings;
use honeydesk::{
    TestApp,
    bot_side::{BotSide, escalation},
    chat::Chat,
    testing::{Options, authed},
};
use honeydesk_proto::agent::v1 as pb;
use tonic::Code;

/// A stack whose agent-service settings `tweak` changed.
async fn app_with(tweak: fn(&mut AgentSettings)) -> TestApp {
    TestApp::spawn_with(Options {
        agent: Some(Box::new(tweak)),
        ..Options::default()
    })
    .await
}

/// CreateTicket for `customer` as bot-service would send it, optionally with the
/// caller's own deadline (`grpc-timeout`).
async fn create(
    bot: &mut BotSide,
    customer: &str,
    deadline: Option<Duration>,
) -> Result<pb::CreateTicketResponse, tonic::Status> {
    let mut request = authed(
        escalation(customer, pb::Entrance::Consumer, "orders"),
        &bot.token,
    );
    if let Some(d) = deadline {
        request.set_timeout(d);
    }
    bot.client
        .create_ticket(request)
        .await
        .map(|r| r.into_inner())
}

/// Locks the tickets table, sends CreateTicket for `customer` (with `deadline`), and
/// returns the failure it must end in; then releases the lock and checks that the write
/// was never committed: the retry with the same key creates the ticket.
async fn failed_write_is_never_committed(
    app: &TestApp,
    customer: &str,
    deadline: Option<Duration>,
) -> tonic::Status {
    let mut bot = BotSide::new(app).await;
    let lock = app.lock_tickets().await;
    let failure = create(&mut bot, customer, deadline)
        .await
        .expect_err("the table is locked: the write cannot finish");
    lock.release().await;
    let retry = create(&mut bot, customer, None)
        .await
        .expect("the retry goes through once the lock is gone");
    assert!(
        retry.created,
        "the retry with the same key must create the ticket: the failed attempt was committed after all"
    );
    failure
}

#[tokio::test]
async fn a_write_past_the_servers_deadline_is_deadline_exceeded_and_never_committed() {
    let app = app_with(|a| a.server.unary_timeout_secs = 1).await;
    let failure = failed_write_is_never_committed(&app, "u-late", None).await;
    assert_eq!(failure.code(), Code::DeadlineExceeded, "{failure:?}");
    assert!(
        failure.message().contains("nothing was stored")
            && failure.message().contains("same idempotency key"),
        "{failure:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_callers_own_deadline_is_kept_by_the_server_and_answered_deadline_exceeded() {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    let failure =
        failed_write_is_never_committed(&app, "u-hurried", Some(Duration::from_secs(1))).await;
    // The server's verdict, not the client's timer (which says "Timeout expired").
    assert_eq!(failure.code(), Code::DeadlineExceeded, "{failure:?}");
    assert!(
        failure.message().contains("nothing was stored"),
        "{failure:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    app.stop().await;
}

#[tokio::test]
async fn a_statement_past_the_statement_timeout_is_unavailable_not_internal() {
    let app = app_with(|a| a.store.statement_timeout_ms = 300).await;
    let failure = failed_write_is_never_committed(&app, "u-stuck", None).await;
    assert_eq!(failure.code(), Code::Unavailable, "{failure:?}");
    assert!(
        failure.message().contains("did not answer in time")
            && failure.message().contains("statement_timeout_ms"),
        "{failure:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_hand_off_reported_unreachable_leaves_no_ticket_and_the_retry_finds_one() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::named(&app, "u-handed").await;
    chat.say("我要申请退款").await;
    let lock = app.lock_tickets().await;
    let failure = chat
        .request_agent()
        .await
        .expect_err("agent-service cannot store the ticket");
    assert_eq!(failure.code(), Code::DeadlineExceeded, "{failure:?}");
    assert!(failure.message().contains("暂时无法接通"), "{failure:?}");
    lock.release().await;
    let queued = chat
        .request_agent()
        .await
        .expect("the retry hands the session over");
    let open = BotSide::new(&app)
        .await
        .open_ticket("u-handed")
        .await
        .expect("one open ticket");
    let session = queued.session.expect("the session");
    assert_eq!(open.ticket_id, session.ticket_id);
    app.stop().await;
}

#[tokio::test]
async fn agent_service_stops_within_the_drain_limit_while_a_write_waits_on_a_lock() {
    // The database would hold the write for a minute; the drain limit is 5 s.
    let mut app = app_with(|a| a.store.statement_timeout_ms = 60_000).await;
    let mut lock = app.lock_tickets().await;
    let pending = {
        let mut bot = BotSide::new(&app).await;
        tokio::spawn(async move { create(&mut bot, "u-at-closing", None).await })
    };
    lock.has_waiter().await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5 + 5), app.stack.stop_agent())
        .await
        .expect("agent-service stops within its 5 s drain and a margin")
        .expect("agent-service stops cleanly");
    let took = started.elapsed();
    eprintln!("agent-service stopped {took:?} after the signal, the tickets table still locked");
    lock.release().await;
    let first = tokio::time::timeout(Duration::from_secs(30), pending)
        .await
        .expect("the interrupted call ends")
        .expect("the call's task");
    app.stack
        .start_agent()
        .await
        .expect("agent-service starts again");
    let retry = create(&mut BotSide::new(&app).await, "u-at-closing", None)
        .await
        .expect("the retry after the restart");
    // Whatever the interrupted caller heard is the truth: told it failed, the retry
    // creates the ticket; told it was created, the retry finds it.
    assert_eq!(retry.created, first.is_err(), "first answer: {first:?}");
    app.stop().await;
}
