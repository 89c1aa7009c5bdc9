//! Several agent-service replicas on one PostgreSQL database (`[store] replicas = true`):
//! what one replica stores reaches the live streams of another, both ways — an agent's
//! message sent through replica A reaches a customer stream opened on replica B, and a
//! customer message stored through B reaches the agent's desk stream on A, and B finds
//! the customer's open ticket that A took in. Needs the
//! PostgreSQL server named by `HONEYDESK_TEST_POSTGRES_URL` (CI sets it).

use agent_service::store::testing::POSTGRES_ENV;
use honeydesk::{
    TestApp,
    bot_side::{BotSide, next_event, text_of},
    chat::Chat,
    desk::{Desk, hand_over},
    testing::{Options, authed, channel},
};
use honeydesk_proto::agent::v1::{self as pb, ticket_service_client::TicketServiceClient};
use server_kit::Role;

fn postgres_configured() -> bool {
    std::env::var(POSTGRES_ENV).is_ok_and(|url| !url.is_empty())
}

#[tokio::test]
async fn events_stored_through_one_replica_reach_streams_on_another() {
    if !postgres_configured() {
        eprintln!("skipped: set {POSTGRES_ENV} to run the replica tests");
        return;
    }
    let app = TestApp::spawn_with(Options {
        postgres: true,
        agent: Some(Box::new(|a| a.store.replicas = true)),
        ..Options::default()
    })
    .await;
    let replica = app
        .stack
        .start_agent_replica()
        .await
        .expect("a second replica starts on the same database");

    let mut chat = Chat::named(&app, "shopper-r").await;
    let mut desk = Desk::open(&app, "a-1025").await;
    let ticket = hand_over(&mut chat, &mut desk).await;

    let mut on_b = BotSide {
        client: TicketServiceClient::new(channel(replica.addr).await),
        token: app.token("bot-service", Role::Service),
    };
    let seen = on_b
        .get(&ticket, "shopper-r")
        .await
        .ticket
        .expect("replica B reads the ticket")
        .last_sequence;
    let found = on_b.open_ticket("shopper-r").await;
    assert_eq!(
        found.map(|t| t.ticket_id).as_deref(),
        Some(ticket.as_str()),
        "a ticket replica A took in is found through replica B"
    );
    let mut watch = on_b.watch(&ticket, "shopper-r", seen).await;

    desk.write(&ticket, "您好，我来帮您看看退款").await;
    loop {
        let event = next_event(&mut watch).await;
        if text_of(&event) == Some("您好，我来帮您看看退款") {
            assert!(event.sequence > seen);
            break;
        }
    }

    on_b.client
        .send_customer_message(authed(
            pb::SendCustomerMessageRequest {
                ticket_id: ticket.clone(),
                customer_id: "shopper-r".into(),
                client_message_id: "m-on-b".into(),
                text: "订单号 1234，谢谢".into(),
            },
            &on_b.token,
        ))
        .await
        .expect("replica B stores the customer's message");
    assert_eq!(desk.customer_said().await, "订单号 1234，谢谢");
    replica.shutdown.trigger();
}
