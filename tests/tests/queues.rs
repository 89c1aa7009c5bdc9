//! Human queues over real gRPC: positions and estimates, skills/entrance/capacity rules,
//! offer timeouts, declines and the AWAY rule, transfers with full history, idle close,
//! ratings, supervisor figures, resumable streams, a restart of agent-service, and a
//! seeded random walk that checks no ticket is ever with two agents or offered against
//! the rules. bot-service is played by a `service` token, agents by `agent` tokens.

use std::{collections::HashMap, time::Duration};

use honeydesk::{TestApp, testing::authed};
use honeydesk_proto::agent::v1::{
    self as pb, agent_desk_service_client::AgentDeskServiceClient, stream_desk_response::Kind,
    ticket_event::Kind as Ev, ticket_service_client::TicketServiceClient,
};
use server_kit::Role;
use tonic::{Code, Streaming, transport::Channel};

const WAIT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(300);
const OFFER: Duration = Duration::from_secs(31);

/// bot-service's side: TicketService with a `service` token.
struct Bot {
    client: TicketServiceClient<Channel>,
    token: String,
}

impl Bot {
    async fn new(app: &TestApp) -> Self {
        Self {
            client: TicketServiceClient::new(app.agent_channel().await),
            token: app.token("bot-service", Role::Service),
        }
    }

    async fn escalate(
        &mut self,
        customer: &str,
        entrance: pb::Entrance,
        skill: &str,
    ) -> pb::CreateTicketResponse {
        let request = pb::CreateTicketRequest {
            idempotency_key: format!("{customer}-{skill}"),
            customer_id: customer.into(),
            entrance: entrance as i32,
            skill: skill.into(),
            reason: "转人工".into(),
            bot_session_id: format!("s-{customer}"),
            transcript: vec![pb::TranscriptEntry {
                sender: pb::Sender::Customer as i32,
                text: "我要找人工".into(),
                at: Some(prost_types::Timestamp {
                    seconds: 1_700_000_000,
                    nanos: 0,
                }),
                intent: "handoff.human".into(),
            }],
            ..Default::default()
        };
        self.client
            .create_ticket(authed(request, &self.token))
            .await
            .expect("ticket created")
            .into_inner()
    }

    async fn consumer(&mut self, customer: &str, skill: &str) -> String {
        self.escalate(customer, pb::Entrance::Consumer, skill)
            .await
            .ticket
            .unwrap()
            .ticket_id
    }

    async fn say(
        &mut self,
        ticket: &str,
        customer: &str,
        id: &str,
        text: &str,
    ) -> Result<pb::SendCustomerMessageResponse, tonic::Status> {
        let request = pb::SendCustomerMessageRequest {
            ticket_id: ticket.into(),
            customer_id: customer.into(),
            client_message_id: id.into(),
            text: text.into(),
        };
        self.client
            .send_customer_message(authed(request, &self.token))
            .await
            .map(|r| r.into_inner())
    }

    async fn watch(
        &mut self,
        ticket: &str,
        customer: &str,
        after: u64,
    ) -> Streaming<pb::WatchTicketResponse> {
        let request = pb::WatchTicketRequest {
            ticket_id: ticket.into(),
            customer_id: customer.into(),
            after_sequence: after,
        };
        self.client
            .watch_ticket(authed(request, &self.token))
            .await
            .expect("watch opens")
            .into_inner()
    }

    async fn get(&mut self, ticket: &str, customer: &str) -> pb::GetTicketResponse {
        let request = pb::GetTicketRequest {
            ticket_id: ticket.into(),
            customer_id: customer.into(),
        };
        self.client
            .get_ticket(authed(request, &self.token))
            .await
            .unwrap()
            .into_inner()
    }

    async fn rate(
        &mut self,
        ticket: &str,
        customer: &str,
        score: u32,
    ) -> Result<(), tonic::Status> {
        let request = pb::RateTicketRequest {
            ticket_id: ticket.into(),
            customer_id: customer.into(),
            score,
            comment: "谢谢".into(),
        };
        self.client
            .rate_ticket(authed(request, &self.token))
            .await
            .map(|_| ())
    }
}

/// The next event of a watch, or panics after [`WAIT`].
async fn next_event(watch: &mut Streaming<pb::WatchTicketResponse>) -> pb::TicketEvent {
    let item = tokio::time::timeout(WAIT, watch.message())
        .await
        .expect("an event in time");
    item.expect("stream ok")
        .expect("stream open")
        .event
        .unwrap()
}

async fn next_position(watch: &mut Streaming<pb::WatchTicketResponse>) -> pb::QueueStatus {
    loop {
        if let Some(Ev::QueueStatus(q)) = next_event(watch).await.kind {
            return q;
        }
    }
}

/// An agent at their desk.
struct Desk {
    id: String,
    client: AgentDeskServiceClient<Channel>,
    token: String,
    stream: Streaming<pb::StreamDeskResponse>,
}

impl Desk {
    async fn open(app: &TestApp, id: &str) -> Self {
        Self::resume(app, id, vec![], true).await
    }

    async fn resume(app: &TestApp, id: &str, resume: Vec<pb::TicketCursor>, sign_in: bool) -> Self {
        let mut client = app.desk().await;
        let token = app.token(id, Role::Agent);
        if sign_in {
            client
                .sign_in(authed(pb::SignInRequest {}, &token))
                .await
                .expect("signs in");
        }
        let stream = client
            .stream_desk(authed(pb::StreamDeskRequest { resume }, &token))
            .await
            .unwrap()
            .into_inner();
        Self {
            id: id.into(),
            client,
            token,
            stream,
        }
    }

    async fn next(&mut self, limit: Duration) -> Option<Kind> {
        match tokio::time::timeout(limit, self.stream.message()).await {
            Ok(item) => item.expect("desk stream ok").and_then(|m| m.kind),
            Err(_) => None,
        }
    }

    async fn offer(&mut self) -> pb::Offer {
        loop {
            match self.next(WAIT).await {
                Some(Kind::Offer(o)) => return o,
                Some(_) => {}
                None => panic!("{} got no offer", self.id),
            }
        }
    }

    async fn no_offer(&mut self) {
        while let Some(kind) = self.next(QUIET).await {
            assert!(
                !matches!(kind, Kind::Offer(_)),
                "{} got an offer it should not: {kind:?}",
                self.id
            );
        }
    }

    async fn event(&mut self, wanted: impl Fn(&Ev) -> bool) -> pb::TicketEvent {
        loop {
            match self.next(WAIT).await {
                Some(Kind::TicketEvent(e)) if e.kind.as_ref().is_some_and(&wanted) => return e,
                Some(_) => {}
                None => panic!("{} missed an event", self.id),
            }
        }
    }

    async fn accept(&mut self, offer: &pb::Offer) -> Result<pb::Ticket, tonic::Status> {
        let request = pb::AcceptOfferRequest {
            offer_id: offer.offer_id.clone(),
        };
        self.client
            .accept_offer(authed(request, &self.token))
            .await
            .map(|r| r.into_inner().ticket.unwrap())
    }

    async fn take(&mut self) -> pb::Ticket {
        let offer = self.offer().await;
        self.accept(&offer).await.expect("accepts")
    }

    async fn decline(&mut self, offer: &pb::Offer) {
        let request = pb::DeclineOfferRequest {
            offer_id: offer.offer_id.clone(),
        };
        self.client
            .decline_offer(authed(request, &self.token))
            .await
            .expect("declines");
    }

    async fn say(
        &mut self,
        ticket: &str,
        id: &str,
        text: &str,
    ) -> Result<pb::SendAgentMessageResponse, tonic::Status> {
        let request = pb::SendAgentMessageRequest {
            ticket_id: ticket.into(),
            client_message_id: id.into(),
            text: text.into(),
        };
        self.client
            .send_agent_message(authed(request, &self.token))
            .await
            .map(|r| r.into_inner())
    }

    async fn close(
        &mut self,
        ticket: &str,
        resolution: pb::Resolution,
    ) -> Result<pb::Ticket, tonic::Status> {
        let request = pb::CloseTicketRequest {
            ticket_id: ticket.into(),
            resolution: resolution as i32,
            note: String::new(),
        };
        self.client
            .close_ticket(authed(request, &self.token))
            .await
            .map(|r| r.into_inner().ticket.unwrap())
    }

    async fn transfer(
        &mut self,
        ticket: &str,
        target: pb::transfer_ticket_request::Target,
    ) -> Result<pb::Ticket, tonic::Status> {
        let request = pb::TransferTicketRequest {
            ticket_id: ticket.into(),
            target: Some(target),
            note: "请协助".into(),
        };
        self.client
            .transfer_ticket(authed(request, &self.token))
            .await
            .map(|r| r.into_inner().ticket.unwrap())
    }

    async fn presence(&mut self, presence: pb::Presence) {
        let request = pb::SetPresenceRequest {
            presence: presence as i32,
        };
        self.client
            .set_presence(authed(request, &self.token))
            .await
            .expect("presence set");
    }

    async fn history(
        &mut self,
        ticket: &str,
    ) -> Result<pb::GetTicketHistoryResponse, tonic::Status> {
        let request = pb::GetTicketHistoryRequest {
            ticket_id: ticket.into(),
            after_sequence: 0,
        };
        self.client
            .get_ticket_history(authed(request, &self.token))
            .await
            .map(|r| r.into_inner())
    }
}

fn text_of(e: &pb::TicketEvent) -> Option<&str> {
    match &e.kind {
        Some(Ev::Message(m)) => Some(&m.text),
        _ => None,
    }
}

#[tokio::test]
async fn a_customer_waits_in_line_talks_to_an_agent_and_rates_them() {
    let app = TestApp::spawn().await;
    let mut bot = Bot::new(&app).await;
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
    // Three places of the default three minutes, nobody available: one slot assumed.
    assert_eq!(
        (q.position, q.waiting, q.estimated_wait.unwrap().seconds),
        (3, 3, 540)
    );
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
    let mut bot = Bot::new(&app).await;
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
    let mut bot = Bot::new(&app).await;
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
    let mut bot = Bot::new(&app).await;
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
    let mut bot = Bot::new(&app).await;
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
    let mut bot = Bot::new(&app).await;
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

#[tokio::test]
async fn reconnecting_streams_get_exactly_what_they_missed() {
    let app = TestApp::spawn().await;
    let mut bot = Bot::new(&app).await;
    let mut mei = Desk::open(&app, "a-1024").await;
    let ticket = bot.consumer("u-1", "orders").await;
    mei.take().await;
    let mut watch = bot.watch(&ticket, "u-1", 0).await;
    let mut last = 0;
    while last < 2 {
        last = next_event(&mut watch).await.sequence.max(last);
    }
    drop(watch);
    mei.say(&ticket, "d-1", "第一句").await.unwrap();
    mei.say(&ticket, "d-2", "第二句").await.unwrap();
    let mut watch = bot.watch(&ticket, "u-1", last).await;
    let missed = [next_event(&mut watch).await, next_event(&mut watch).await];
    assert_eq!(
        missed.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [3, 4]
    );
    assert_eq!(text_of(&missed[1]), Some("第二句"));
    assert!(
        tokio::time::timeout(QUIET, watch.message()).await.is_err(),
        "nothing twice"
    );

    // The desk too: resume after sequence 4 and get the customer's message sent meanwhile.
    drop(mei);
    bot.say(&ticket, "u-1", "c-1", "收到").await.unwrap();
    let cursor = pb::TicketCursor {
        ticket_id: ticket.clone(),
        after_sequence: 4,
    };
    let mut mei = Desk::resume(&app, "a-1024", vec![cursor], false).await;
    let got = mei.event(|_| true).await;
    assert_eq!((got.sequence, text_of(&got)), (5, Some("收到")));
    assert!(mei.next(QUIET).await.is_none(), "nothing else");
    app.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_the_queue_order_and_open_conversations() {
    let mut app = TestApp::spawn().await;
    let mut bot = Bot::new(&app).await;
    let mut mei = Desk::open(&app, "a-1024").await;
    let open = bot.consumer("u-0", "orders").await;
    mei.take().await;
    mei.presence(pb::Presence::Away).await;
    let first = bot.consumer("u-1", "orders").await;
    let second = bot.consumer("u-2", "orders").await;
    mei.say(&open, "d-1", "请稍等").await.unwrap();
    drop(mei);
    app.stack
        .restart_agent()
        .await
        .expect("agent-service restarts");

    let mut bot = Bot::new(&app).await;
    assert_eq!(
        bot.get(&first, "u-1").await.queue_status.unwrap().position,
        1
    );
    assert_eq!(
        bot.get(&second, "u-2").await.queue_status.unwrap().position,
        2
    );
    let sent = bot.say(&open, "u-0", "c-1", "好的").await.unwrap();
    let cursor = pb::TicketCursor {
        ticket_id: open.clone(),
        after_sequence: 2,
    };
    let mut mei = Desk::resume(&app, "a-1024", vec![cursor], false).await;
    assert_eq!(text_of(&mei.event(|_| true).await), Some("请稍等"));
    assert_eq!(mei.event(|_| true).await.sequence, sent.sequence);
    mei.presence(pb::Presence::Available).await;
    assert_eq!(
        mei.take().await.ticket_id,
        first,
        "the order survives the restart"
    );
    assert_eq!(mei.take().await.ticket_id, second);
    app.stop().await;
}

/// xorshift64*: a seeded walk without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

#[tokio::test]
async fn a_random_walk_never_gives_a_ticket_to_two_agents_or_breaks_the_rules() {
    use pb::transfer_ticket_request::Target;
    let app = TestApp::spawn().await;
    let mut bot = Bot::new(&app).await;
    // The demo roster: who serves what (consumer entrance), and capacity.
    let serves: HashMap<&str, (&[&str], usize)> = HashMap::from([
        (
            "a-1024",
            (&["orders", "logistics", "general", "complaints"][..], 3),
        ),
        (
            "a-1025",
            (
                &["aftersale", "payments", "account", "invoice", "general"][..],
                3,
            ),
        ),
        (
            "a-3001",
            (
                &["orders", "logistics", "aftersale", "payments", "general"][..],
                2,
            ),
        ),
    ]);
    let mut desks = Vec::new();
    for id in ["a-1024", "a-1025", "a-3001"] {
        desks.push(Desk::open(&app, id).await);
    }
    let skills = ["orders", "aftersale", "payments", "general"];
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut holder: HashMap<String, String> = HashMap::new();
    let mut offers: HashMap<String, pb::Offer> = HashMap::new();
    let mut customers = 0;
    for step in 0..80 {
        // Drain what each desk has been told, checking every offer against the rules.
        for desk in desks.iter_mut() {
            while let Some(kind) = desk.next(Duration::from_millis(15)).await {
                match kind {
                    Kind::Offer(o) => {
                        let t = o.ticket.as_ref().unwrap();
                        let (skills, capacity) = serves[desk.id.as_str()];
                        assert!(
                            skills.contains(&t.skill.as_str()),
                            "step {step}: {} offered {}",
                            desk.id,
                            t.skill
                        );
                        assert_eq!(t.entrance, pb::Entrance::Consumer as i32);
                        let held = holder.values().filter(|h| **h == desk.id).count();
                        assert!(
                            held < capacity,
                            "step {step}: {} offered beyond capacity",
                            desk.id
                        );
                        assert!(
                            !holder.contains_key(&t.ticket_id),
                            "step {step}: offered a held ticket"
                        );
                        offers.insert(desk.id.clone(), o);
                    }
                    Kind::OfferWithdrawn(w) => {
                        offers.retain(|_, o| o.offer_id != w.offer_id);
                    }
                    _ => {}
                }
            }
        }
        let d = rng.below(desks.len());
        let desk = &mut desks[d];
        match rng.below(8) {
            0 | 1 => {
                customers += 1;
                bot.consumer(&format!("r-{customers}"), skills[rng.below(skills.len())])
                    .await;
            }
            2 | 3 => {
                if let Some(o) = offers.remove(&desk.id)
                    && let Ok(t) = desk.accept(&o).await
                {
                    let before = holder.insert(t.ticket_id.clone(), desk.id.clone());
                    assert!(
                        before.is_none(),
                        "step {step}: {} was already with {before:?}",
                        t.ticket_id
                    );
                }
            }
            4 => {
                if let Some(o) = offers.remove(&desk.id) {
                    desk.decline(&o).await;
                }
            }
            5 => app.clock.advance(OFFER),
            6 => {
                let presence = [pb::Presence::Available, pb::Presence::Away][rng.below(2)];
                desk.presence(presence).await;
                if presence == pb::Presence::Away {
                    offers.remove(&desk.id);
                }
            }
            _ => {
                let mine: Vec<String> = holder
                    .iter()
                    .filter(|(_, h)| **h == desk.id)
                    .map(|(t, _)| t.clone())
                    .collect();
                if let Some(t) = mine.first() {
                    if rng.below(2) == 0 {
                        desk.close(t, pb::Resolution::Resolved).await.unwrap();
                    } else {
                        desk.transfer(t, Target::Skill("general".into())).await.ok();
                    }
                    holder.remove(t);
                }
            }
        }
    }
    app.stop().await;
}
