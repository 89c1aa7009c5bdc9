//! The foundation over real gRPC: health, reflection listing, every authentication
//! failure, and a clean drain on shutdown.

use std::time::Duration;

use honeydesk::{TestApp, testing::authed};
use honeydesk_proto::{agent::v1 as agent_pb, bot::v1 as bot_pb};
use server_kit::{Role, auth::claims_for};
use tokio_stream::StreamExt;
use tonic::{Code, Request};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1alpha::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

fn start_consumer_session() -> bot_pb::StartSessionRequest {
    bot_pb::StartSessionRequest {
        entrance: bot_pb::Entrance::Consumer as i32,
        language: bot_pb::Language::Zh as i32,
    }
}

#[tokio::test]
async fn both_services_report_serving_without_a_token() {
    let app = TestApp::spawn().await;
    for (channel, service) in [
        (
            app.bot_channel().await,
            "honeydesk.bot.v1.ConversationService",
        ),
        (
            app.agent_channel().await,
            "honeydesk.agent.v1.SupervisorService",
        ),
    ] {
        let mut health = HealthClient::new(channel);
        for name in ["", service] {
            let status = health
                .check(HealthCheckRequest {
                    service: name.into(),
                })
                .await
                .unwrap()
                .into_inner()
                .status;
            assert_eq!(status, ServingStatus::Serving as i32, "service '{name}'");
        }
    }
    app.stop().await;
}

async fn listed_services(channel: tonic::transport::Channel) -> Vec<String> {
    let mut client = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::once(request))
        .await
        .unwrap()
        .into_inner();
    let response = responses.next().await.unwrap().unwrap();
    match response.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
            names.sort();
            names
        }
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

#[tokio::test]
async fn reflection_v1alpha_lists_each_servers_own_services() {
    let app = TestApp::spawn().await;
    let bot = listed_services(app.bot_channel().await).await;
    assert!(
        bot.contains(&"honeydesk.bot.v1.ConversationService".to_string()),
        "{bot:?}"
    );
    assert!(
        bot.contains(&"honeydesk.bot.v1.IntentService".to_string()),
        "{bot:?}"
    );
    assert!(
        bot.contains(&"grpc.health.v1.Health".to_string()),
        "{bot:?}"
    );
    assert!(
        !bot.iter().any(|s| s.starts_with("honeydesk.agent")),
        "{bot:?}"
    );
    let agent = listed_services(app.agent_channel().await).await;
    assert!(
        agent.contains(&"honeydesk.agent.v1.SupervisorService".to_string()),
        "{agent:?}"
    );
    assert!(
        !agent.iter().any(|s| s.starts_with("honeydesk.bot")),
        "{agent:?}"
    );
    app.stop().await;
}

/// Calls StartSession with `authorization` set to `header` (or absent).
async fn start_with_header(app: &TestApp, header: Option<String>) -> tonic::Status {
    let mut request = Request::new(start_consumer_session());
    if let Some(h) = header {
        request
            .metadata_mut()
            .insert("authorization", h.parse().unwrap());
    }
    app.conversation()
        .await
        .start_session(request)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn each_authentication_failure_says_which() {
    let app = TestApp::spawn().await;
    let cases = [
        (None, "missing authorization metadata"),
        (
            Some("Basic dXNlcjpwdw==".to_string()),
            "malformed authorization metadata",
        ),
        (Some("Bearer not-a-jwt".to_string()), "malformed token"),
        (
            Some(format!("Bearer {}", {
                let mut c = claims_for("shopper-1", Role::Consumer, Duration::ZERO, None);
                c.exp -= 3600;
                app.tokens().mint_claims(&c)
            })),
            "token expired",
        ),
        (
            Some(format!(
                "Bearer {}",
                server_kit::Hs256Tokens::new(b"some-other-secret-entirely").mint(
                    "shopper-1",
                    Role::Consumer,
                    Duration::from_secs(60)
                )
            )),
            "invalid token signature",
        ),
        (
            Some(format!("Bearer {}", {
                let mut c = claims_for("x", Role::Consumer, Duration::from_secs(60), None);
                c.role = "root".into();
                app.tokens().mint_claims(&c)
            })),
            "unknown role",
        ),
    ];
    for (header, expected) in cases {
        let status = start_with_header(&app, header.clone()).await;
        assert_eq!(
            status.code(),
            Code::Unauthenticated,
            "{header:?}: {status:?}"
        );
        assert!(
            status.message().contains(expected),
            "{header:?}: {}",
            status.message()
        );
    }
    // The same checks guard agent-service.
    let status = app
        .supervisor()
        .await
        .list_agents(agent_pb::ListAgentsRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    app.stop().await;
}

#[tokio::test]
async fn a_valid_token_with_the_wrong_role_is_permission_denied() {
    let app = TestApp::spawn().await;
    let agent_token = app.token("a-1024", Role::Agent);
    let status = app
        .conversation()
        .await
        .start_session(authed(start_consumer_session(), &agent_token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(
        status.message().contains("consumer"),
        "{}",
        status.message()
    );

    let consumer = app.token("shopper-1", Role::Consumer);
    let status = app
        .supervisor()
        .await
        .list_agents(authed(agent_pb::ListAgentsRequest {}, &consumer))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

    let supervisor = app.token("sup-1", Role::Supervisor);
    let agents = app
        .supervisor()
        .await
        .list_agents(authed(agent_pb::ListAgentsRequest {}, &supervisor))
        .await
        .unwrap()
        .into_inner()
        .agents;
    assert!(
        agents.iter().any(|a| a.work_number == "1024"),
        "demo roster is loaded"
    );
    app.stop().await;
}

#[tokio::test]
async fn shutdown_turns_health_not_serving_ends_watches_and_refuses_new_calls() {
    let app = TestApp::spawn().await;
    let channel = app.bot_channel().await;
    let mut watch = HealthClient::new(channel.clone())
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.next().await.unwrap().unwrap();
    assert_eq!(first.status, ServingStatus::Serving as i32);

    let shutdown = app.stack.bot_shutdown();
    shutdown.trigger();
    let mut saw_not_serving = false;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(item) = watch.next().await {
            if item
                .map(|r| r.status == ServingStatus::NotServing as i32)
                .unwrap_or(false)
            {
                saw_not_serving = true;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "an open Watch must not hold the server up");
    assert!(saw_not_serving, "watchers are told NOT_SERVING");

    let token = app.token("shopper-1", Role::Consumer);
    let refused = bot_pb::conversation_service_client::ConversationServiceClient::new(channel)
        .start_session(authed(start_consumer_session(), &token))
        .await
        .unwrap_err();
    assert!(
        matches!(refused.code(), Code::Unavailable),
        "new calls are refused while draining: {refused:?}"
    );
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("both services stop within the drain limit");
}

#[tokio::test]
async fn every_call_carries_a_request_id_the_caller_can_set() {
    let app = TestApp::spawn().await;
    let token = app.token("shopper-1", Role::Consumer);
    let mut client = app.conversation().await;
    let mut request = authed(start_consumer_session(), &token);
    request
        .metadata_mut()
        .insert("x-request-id", "trace-me-42".parse().unwrap());
    let response = client.start_session(request).await.unwrap();
    assert_eq!(
        response.metadata().get("x-request-id").unwrap(),
        "trace-me-42"
    );
    let generated = client
        .start_session(authed(start_consumer_session(), &token))
        .await
        .unwrap();
    let id = generated
        .metadata()
        .get("x-request-id")
        .expect("a generated id")
        .to_str()
        .unwrap();
    assert_eq!(id.len(), 36, "a UUIDv7: {id}");
    app.stop().await;
}
