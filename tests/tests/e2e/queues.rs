//! Human queues over real gRPC: positions and estimates, skills/entrance/capacity rules,
//! offer timeouts, declines and the AWAY rule, transfers with full history, idle close,
//! ratings and supervisor figures. bot-service is played by a `service` token
//! ([`BotSide`]), agents by `agent` tokens ([`Desk`]).

use std::time::Duration;

use honeydesk::{
    TestApp,
    bot_side::{BotSide, next_event, next_position, text_of},
    desk::{Desk, WAIT},
    testing::authed,
};
use honeydesk_proto::agent::v1::{
    self as pb, stream_desk_response::Kind, ticket_event::Kind as Ev,
};
use server_kit::Role;
use tonic::Code;

const OFFER: Duration = Duration::from_secs(31);

#[tokio::test]
async fn a_customer_waits_in_line_talks_to_an_agent_and_rates_them() {
    let app = TestApp::spawn().await;
    let mut bot = BotSide::new(&app).await;
    let first = bot.consumer("u-1", "orders").await;
    let second = bot.consumer("u-2", "orders").await;
    let created = bot.escalate("u-3", pb::Entrance::Consumer, "orders").await;
    let third = created.ticket.unwrap().ticket_id;
    let status = created.queue_status.unwrap();
    assert_eq!((status.position, status.waiting), (3, 3));
    let mut watch = bot.watch(&third, "u-3", 0).await;
    assert!(matches!(
        next_event(&mut watch).await.kind,
        Some(Ev::Queued(_))
    ));
    let q = next_position(&mut watch).await;
    // Nobody available can take it: the wait is unknown, not made up.
    assert_eq!((q.position, q.waiting, q.estimated_wait), (3, 3, None));
    let mut cancel = bot.client.clone();
    let request = pb::CancelTicketRequest {
        ticket_id: first.clone(),
        customer_id: "u-1".into(),
    };
    cancel
        .cancel_ticket(authed(request, &bot.token))
        .await
        .unwrap();
    assert_eq!(next_position(&mut watch).await.position, 2);

    let mut desk = Desk::open(&app, "a-1024").await;
    // An available agent with three slots shortens the estimate.
    let q = next_position(&mut watch).await;
    assert_eq!((q.position, q.estimated_wait.unwrap().seconds), (2, 120));
    let offer = desk.offer().await;
    assert_eq!(
        offer.ticket.as_ref().unwrap().ticket_id,
        second,
        "longest waiting first"
    );
    assert_eq!(offer.transcript[0].text, "我要找人工");
    desk.accept(&offer).await.unwrap();
    assert_eq!(next_position(&mut watch).await.position, 1);
    let ticket = desk.take().await;
    assert_eq!(ticket.ticket_id, third);
    let joined = loop {
        if let Some(Ev::AgentJoined(j)) = next_event(&mut watch).await.kind {
            break j.agent.unwrap();
        }
    };
    assert_eq!(
        (joined.work_number.as_str(), joined.display_name.as_str()),
        ("1024", "小美")
    );

    desk.say(&third, "d-1", "您好，我是小美").await.unwrap();
    assert_eq!(
        text_of(&next_event(&mut watch).await),
        Some("您好，我是小美")
    );
    let sent = bot.say(&third, "u-3", "c-1", "还没发货").await.unwrap();
    let again = bot.say(&third, "u-3", "c-1", "还没发货").await.unwrap();
    assert_eq!(
        (sent.sequence, sent.message.clone()),
        (again.sequence, again.message)
    );
    let seen = desk
        .event(|e| matches!(e, Ev::Message(m) if m.text == "还没发货"))
        .await;
    assert_eq!(seen.sequence, sent.sequence);
    let long = bot
        .say(&third, "u-3", "c-2", &"长".repeat(2001))
        .await
        .unwrap_err();
    assert_eq!(long.code(), Code::InvalidArgument);
    assert!(long.message().contains("text"), "{long:?}");
    assert_eq!(
        bot.rate(&third, "u-3", 5).await.unwrap_err().code(),
        Code::FailedPrecondition
    );

    desk.close(&third, pb::Resolution::Resolved).await.unwrap();
    let closed = loop {
        if let Some(Ev::Closed(c)) = next_event(&mut watch).await.kind {
            break c;
        }
    };
    assert_eq!(closed.reason, pb::CloseReason::Resolved as i32);
    assert!(
        tokio::time::timeout(WAIT, watch.message())
            .await
            .unwrap()
            .unwrap()
            .is_none(),
        "the watch ends at the close"
    );
    let late = bot.say(&third, "u-3", "c-3", "在吗").await.unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    assert_eq!(
        bot.rate(&third, "u-3", 0).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    bot.rate(&third, "u-3", 5).await.unwrap();
    bot.rate(&third, "u-3", 5)
        .await
        .expect("the same rating again is a retry");
    assert_eq!(
        bot.rate(&third, "u-3", 3).await.unwrap_err().code(),
        Code::FailedPrecondition
    );
    assert_eq!(
        bot.rate(&first, "u-1", 3).await.unwrap_err().code(),
        Code::FailedPrecondition,
        "nobody served it"
    );
    app.stop().await;
}

#[tokio::test]
async fn offers_respect_skills_entrances_and_capacity() {
    let app = TestApp::spawn().await;
    let mut bot = BotSide::new(&app).await;
    let mut lily = Desk::open(&app, "a-3001").await; // consumer + merchant, capacity 2
    let mut chen = Desk::open(&app, "a-2048").await; // merchant only
    bot.consumer("u-1", "invoice").await; // nobody signed in serves invoice
    lily.no_offer().await;
    let merchant = bot
        .escalate("m-1", pb::Entrance::Merchant, "merchant_settlement")
        .await;
    let offer = chen.offer().await;
    assert_eq!(
        offer.ticket.unwrap().ticket_id,
        merchant.ticket.unwrap().ticket_id
    );
    lily.no_offer().await;
    let a = bot.consumer("u-2", "orders").await;
    lily.take().await;
    bot.consumer("u-3", "orders").await;
    lily.take().await;
    let c = bot.consumer("u-4", "orders").await;
    lily.no_offer().await; // at capacity
    assert_eq!(bot.get(&c, "u-4").await.queue_status.unwrap().position, 1);
    // Another agent's ticket is off limits.
    let denied = chen.say(&a, "x-1", "hi").await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(
        chen.history(&a).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    assert_eq!(
        chen.close("no-such-ticket", pb::Resolution::Resolved)
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    lily.close(&a, pb::Resolution::ReturnToBot).await.unwrap();
    assert_eq!(
        lily.take().await.ticket_id,
        c,
        "a freed slot takes the next ticket"
    );
    app.stop().await;
}

#[tokio::test]
async fn declined_and_expired_offers_move_on_and_two_misses_mean_away() {
    let app = TestApp::spawn().await;
    let mut bot = BotSide::new(&app).await;
    let mut mei = Desk::open(&app, "a-1024").await;
    let mut lily = Desk::open(&app, "a-3001").await;
    let ticket = bot.consumer("u-1", "orders").await;
    let first = mei.offer().await; // tie on load and idle time: smaller id
    mei.decline(&first).await;
    let second = lily.offer().await;
    assert_eq!(second.ticket.as_ref().unwrap().ticket_id, ticket);
    app.clock.advance(OFFER);
    assert!(
        matches!(lily.next(WAIT).await, Some(Kind::OfferWithdrawn(w)) if w.offer_id == second.offer_id)
    );
    let third = mei.offer().await;
    let stale = lily.accept(&second).await.unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition);
    assert_eq!(
        lily.accept(&third).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    assert_eq!(mei.accept(&third).await.unwrap().ticket_id, ticket);
    assert_eq!(
        mei.accept(&third).await.unwrap_err().code(),
        Code::FailedPrecondition
    );

    // Lily missed one offer above; missing the next one too sets her AWAY, and she is told.
    bot.consumer("u-2", "aftersale").await;
    lily.offer().await;
    app.clock.advance(OFFER);
    let away = loop {
        match lily.next(WAIT).await {
            Some(Kind::Agent(a)) => break a,
            Some(_) => {}
            None => panic!("not told about being away"),
        }
    };
    assert_eq!(away.presence, pb::Presence::Away as i32);
    let token = app.token("boss", Role::Supervisor);
    let agents = app
        .supervisor()
        .await
        .list_agents(authed(pb::ListAgentsRequest {}, &token))
        .await
        .unwrap()
        .into_inner()
        .agents;
    let lily_now = agents.iter().find(|a| a.agent_id == "a-3001").unwrap();
    assert_eq!(lily_now.presence, pb::Presence::Away as i32);
    app.stop().await;
}

#[tokio::test]
async fn transfers_reach_a_skill_or_a_named_agent_with_the_whole_history() {
    use pb::transfer_ticket_request::Target;
    let app = TestApp::spawn().await;
    let mut bot = BotSide::new(&app).await;
    let mut mei = Desk::open(&app, "a-1024").await;
    let mut qiang = Desk::open(&app, "a-1025").await;
    let mut lily = Desk::open(&app, "a-3001").await;
    let ticket = bot.consumer("u-1", "orders").await;
    mei.take().await;
    bot.say(&ticket, "u-1", "c-1", "我要退款").await.unwrap();
    mei.say(&ticket, "d-1", "帮您转售后").await.unwrap();
    let err = mei
        .transfer(&ticket, Target::AgentId("a-nobody".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = mei
        .transfer(&ticket, Target::AgentId("a-1025".into()))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::FailedPrecondition,
        "a-1025 does not serve orders"
    );
    let moved = mei
        .transfer(&ticket, Target::Skill("aftersale".into()))
        .await
        .unwrap();
    assert_eq!(
        (moved.status, moved.skill.as_str()),
        (pb::TicketStatus::Queued as i32, "aftersale")
    );
    mei.event(|e| matches!(e, Ev::Transferred(_))).await;
    assert_eq!(
        mei.say(&ticket, "d-2", "还在吗").await.unwrap_err().code(),
        Code::FailedPrecondition
    );

    let offer = qiang.offer().await; // fewer chats than nobody, smaller id than Lily
    let history = qiang.history(&ticket).await.unwrap();
    assert_eq!(history.bot_transcript[0].text, "我要找人工");
    let texts: Vec<_> = history.events.iter().filter_map(text_of).collect();
    assert_eq!(texts, ["我要退款", "帮您转售后"]);
    qiang.accept(&offer).await.unwrap();
    // The receiver's desk replays the ticket from the start.
    let replayed = qiang
        .event(|e| matches!(e, Ev::Message(m) if m.text == "我要退款"))
        .await;
    assert_eq!(replayed.sequence, 3);
    qiang
        .transfer(&ticket, Target::AgentId("a-3001".into()))
        .await
        .unwrap();
    let offer = lily.offer().await;
    assert_eq!(offer.ticket.as_ref().unwrap().ticket_id, ticket);
    lily.accept(&offer).await.unwrap();
    lily.event(|e| matches!(e, Ev::Message(m) if m.text == "帮您转售后"))
        .await;
    assert_eq!(
        qiang.say(&ticket, "q-1", "hi").await.unwrap_err().code(),
        Code::PermissionDenied
    );
    app.stop().await;
}

#[tokio::test]
async fn a_silent_customer_is_closed_out_with_a_notice_to_both_sides() {
    let app = TestApp::spawn().await;
    let mut bot = BotSide::new(&app).await;
    let mut mei = Desk::open(&app, "a-1024").await;
    let ticket = bot.consumer("u-1", "orders").await;
    mei.take().await;
    let mut watch = bot.watch(&ticket, "u-1", 2).await;
    app.clock.advance(Duration::from_secs(9 * 60));
    bot.say(&ticket, "u-1", "c-1", "我还在").await.unwrap();
    app.clock.advance(Duration::from_secs(9 * 60));
    assert_eq!(text_of(&next_event(&mut watch).await), Some("我还在"));
    assert_eq!(
        bot.get(&ticket, "u-1").await.ticket.unwrap().status,
        pb::TicketStatus::WithAgent as i32
    );
    app.clock.advance(Duration::from_secs(2 * 60));
    let closed = next_event(&mut watch).await;
    assert!(
        matches!(&closed.kind, Some(Ev::Closed(c)) if c.reason == pb::CloseReason::CustomerIdle as i32 && !c.notice.is_empty())
    );
    let seen = mei.event(|e| matches!(e, Ev::Closed(_))).await;
    assert_eq!(seen.sequence, closed.sequence);
    app.stop().await;
}

#[tokio::test]
async fn supervisors_see_queue_figures_and_agents_load() {
    let app = TestApp::spawn().await;
    let mut bot = BotSide::new(&app).await;
    let token = app.token("boss", Role::Supervisor);
    let mut supervisor = app.supervisor().await;
    bot.consumer("u-1", "orders").await;
    bot.consumer("u-2", "orders").await;
    app.clock.advance(Duration::from_secs(60));
    let stats = |s: pb::GetQueueStatsResponse| {
        s.queues
            .into_iter()
            .find(|q| q.skill == "orders" && q.entrance == pb::Entrance::Consumer as i32)
            .unwrap()
    };
    let q = stats(
        supervisor
            .get_queue_stats(authed(pb::GetQueueStatsRequest::default(), &token))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!(
        (
            q.waiting,
            q.longest_wait.unwrap().seconds,
            q.agents_available
        ),
        (2, 60, 0)
    );
    let mut mei = Desk::open(&app, "a-1024").await;
    let t = mei.take().await;
    let agents = supervisor
        .list_agents(authed(pb::ListAgentsRequest {}, &token))
        .await
        .unwrap()
        .into_inner()
        .agents;
    assert_eq!(
        agents
            .iter()
            .find(|a| a.agent_id == "a-1024")
            .unwrap()
            .active_chats,
        1
    );
    app.clock.advance(Duration::from_secs(300));
    mei.close(&t.ticket_id, pb::Resolution::Resolved)
        .await
        .unwrap();
    let q = stats(
        supervisor
            .get_queue_stats(authed(pb::GetQueueStatsRequest::default(), &token))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!((q.waiting, q.agents_available, q.handled), (1, 1, 1));
    assert_eq!(
        (
            q.average_wait.unwrap().seconds,
            q.average_handling.unwrap().seconds
        ),
        (60, 300)
    );
    app.stop().await;
}
