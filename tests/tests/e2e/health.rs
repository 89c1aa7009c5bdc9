//! Health that tells the truth, over real gRPC: agent-service reports NOT_SERVING (for
//! "" and each of its services) while its store cannot be reached and SERVING again once
//! it can; bot-service stays SERVING itself and reports agent-service's state under
//! `honeydesk.bot.v1.AgentServiceLink`; bot-service on a Redis session store it cannot
//! reach reports NOT_SERVING and refuses sessions as UNAVAILABLE. On PostgreSQL (`HONEYDESK_TEST_STORE=postgres`)
//! the test database really refuses connections; on SQLite, which has no server to stop,
//! the store decorator's outage switch fails every store operation. Changes are awaited
//! on health `Watch` streams, never timed.

use honeydesk::{TestApp, testing::Options};
use tonic::{Streaming, transport::Channel};
use tonic_health::pb::{
    HealthCheckRequest, HealthCheckResponse, health_check_response::ServingStatus,
    health_client::HealthClient,
};

/// How long a status change may take to be seen (the bot checks every 2 s).
const LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

async fn watch(channel: Channel, service: &str) -> Streaming<HealthCheckResponse> {
    HealthClient::new(channel)
        .watch(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .expect("health watch opens")
        .into_inner()
}

async fn check(channel: Channel, service: &str) -> ServingStatus {
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .expect("health check answers")
        .into_inner()
        .status;
    ServingStatus::try_from(status).expect("a known status")
}

/// Reads `stream` until it reports `wanted`.
async fn until(stream: &mut Streaming<HealthCheckResponse>, wanted: ServingStatus) {
    let seen = tokio::time::timeout(LIMIT, async {
        while let Some(item) = stream.message().await.expect("watch stays open") {
            if item.status == wanted as i32 {
                return;
            }
        }
        panic!("the watch ended before {wanted:?}");
    })
    .await;
    assert!(seen.is_ok(), "health never reported {wanted:?}");
}

#[tokio::test]
async fn agent_service_health_follows_its_store_and_the_bot_reports_the_link() {
    let app = TestApp::spawn_with(Options {
        agent: Some(Box::new(|a| a.store.ping_interval_ms = 50)),
        ..Options::default()
    })
    .await;
    let (agent, bot) = (app.agent_channel().await, app.bot_channel().await);
    let mut agent_health = watch(agent.clone(), "").await;
    let mut link = watch(bot.clone(), "honeydesk.bot.v1.AgentServiceLink").await;
    until(&mut agent_health, ServingStatus::Serving).await;
    until(&mut link, ServingStatus::Serving).await;

    app.set_store_reachable(false).await;
    until(&mut agent_health, ServingStatus::NotServing).await;
    assert_eq!(
        check(agent.clone(), "honeydesk.agent.v1.TicketService").await,
        ServingStatus::NotServing
    );
    until(&mut link, ServingStatus::NotServing).await;
    assert_eq!(
        check(bot.clone(), "").await,
        ServingStatus::Serving,
        "the robot itself still answers"
    );
    assert_eq!(
        check(bot.clone(), "honeydesk.bot.v1.ConversationService").await,
        ServingStatus::Serving
    );

    app.set_store_reachable(true).await;
    until(&mut agent_health, ServingStatus::Serving).await;
    assert_eq!(
        check(agent, "honeydesk.agent.v1.AgentDeskService").await,
        ServingStatus::Serving
    );
    until(&mut link, ServingStatus::Serving).await;
    app.stop().await;
}

#[tokio::test]
async fn bot_service_is_not_serving_while_its_session_store_cannot_be_reached() {
    // Nothing listens on port 1: every Redis command fails at once.
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(|b| {
            b.sessions.store = "redis://127.0.0.1:1/".into()
        })),
        ..Options::default()
    })
    .await;
    let bot = app.bot_channel().await;
    let mut health = watch(bot.clone(), "").await;
    until(&mut health, ServingStatus::NotServing).await;
    assert_eq!(
        check(bot, "honeydesk.bot.v1.ConversationService").await,
        ServingStatus::NotServing,
        "a balancer sends conversations to a replica that can keep them"
    );
    let mut chat = app.conversation().await;
    let refused = chat
        .start_session(honeydesk::testing::authed(
            honeydesk_proto::bot::v1::StartSessionRequest {
                entrance: honeydesk_proto::bot::v1::Entrance::Consumer as i32,
                language: 0,
            },
            &app.token("shopper-h", server_kit::Role::Consumer),
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    assert!(refused.message().contains("session store"), "{refused:?}");
    app.stop().await;
}
