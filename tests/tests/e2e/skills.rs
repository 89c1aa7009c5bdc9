//! Tickets go only to skills someone can serve, over real gRPC: `CreateTicket` and
//! `TransferTicket` refuse a skill that is neither configured nor held by an agent in the
//! roster (INVALID_ARGUMENT naming the known skills), and a skill a supervisor gives an
//! agent becomes known at once.

use honeydesk::{
    TestApp,
    bot_side::BotSide,
    chat::Chat,
    desk::{Desk, hand_over},
    testing::authed,
};
use honeydesk_proto::agent::v1::{self as pb, transfer_ticket_request::Target};
use server_kit::Role;
use tonic::Code;

fn request(skill: &str) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        idempotency_key: format!("k-{skill}"),
        customer_id: "u-1".into(),
        entrance: pb::Entrance::Consumer as i32,
        skill: skill.into(),
        reason: "转人工".into(),
        bot_session_id: "s-1".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn create_ticket_refuses_an_unknown_skill_naming_the_known_ones() {
    let app = TestApp::spawn().await;
    let mut bot = BotSide::new(&app).await;
    let err = bot
        .client
        .create_ticket(authed(request("astrology"), &bot.token))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let message = err.message();
    assert!(message.starts_with("skill:"), "names the field: {message}");
    assert!(message.contains("'astrology'"), "{message}");
    assert!(
        message.contains("known skills:")
            && message.contains("aftersale")
            && message.contains("general"),
        "{message}"
    );

    // A supervisor gives an agent the skill: now tickets can be queued for it.
    let agent = pb::Agent {
        agent_id: "a-7777".into(),
        work_number: "7777".into(),
        display_name: "星星".into(),
        skills: vec!["astrology".into()],
        entrances: vec![pb::Entrance::Consumer as i32],
        capacity: 1,
        ..Default::default()
    };
    app.supervisor()
        .await
        .upsert_agent(authed(
            pb::UpsertAgentRequest {
                agent: Some(agent),
                update_mask: None,
            },
            &app.token("supervisor-1", Role::Supervisor),
        ))
        .await
        .expect("the supervisor adds the agent");
    let created = bot.create(request("astrology")).await;
    assert_eq!(created.ticket.unwrap().skill, "astrology");
    app.stop().await;
}

#[tokio::test]
async fn transfer_ticket_refuses_an_unknown_skill() {
    let app = TestApp::spawn().await;
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::consumer(&app).await;
    let ticket = hand_over(&mut chat, &mut desk).await;
    let err = desk
        .transfer(&ticket, Target::Skill("astrology".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().starts_with("skill:") && err.message().contains("known skills:"),
        "{}",
        err.message()
    );
    let moved = desk
        .transfer(&ticket, Target::Skill("invoice".into()))
        .await
        .expect("a known skill is fine");
    assert_eq!(moved.skill, "invoice");
    app.stop().await;
}
