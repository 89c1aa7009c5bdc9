//! Supervisors change agents over real gRPC a field at a time: `UpsertAgent` with only
//! the fields to change (or an explicit `update_mask`), clear errors for an unknown
//! field or an incomplete new agent, and the seed roster at restart adding only missing
//! agents, so a supervisor's change survives. Runs on SQLite, and on PostgreSQL with
//! `HONEYDESK_TEST_STORE=postgres`.

use honeydesk::{TestApp, testing::authed};
use honeydesk_proto::agent::v1 as pb;
use prost_types::FieldMask;
use server_kit::Role;
use tonic::Code;

fn upsert(agent: pb::Agent, mask: &[&str]) -> pb::UpsertAgentRequest {
    pb::UpsertAgentRequest {
        agent: Some(agent),
        update_mask: (!mask.is_empty()).then(|| FieldMask {
            paths: mask.iter().map(|p| (*p).to_owned()).collect(),
        }),
    }
}

fn only(agent_id: &str) -> pb::Agent {
    pb::Agent {
        agent_id: agent_id.into(),
        ..pb::Agent::default()
    }
}

#[tokio::test]
async fn agents_change_a_field_at_a_time_and_keep_changes_across_a_restart() {
    let mut app = TestApp::spawn().await;
    let token = app.token("boss", Role::Supervisor);
    let mut supervisor = app.supervisor().await;
    let capacity_only = pb::Agent {
        capacity: 5,
        ..only("a-1024")
    };
    let saved = supervisor
        .upsert_agent(authed(upsert(capacity_only, &[]), &token))
        .await
        .expect("a capacity alone is accepted")
        .into_inner()
        .agent
        .unwrap();
    assert_eq!(
        (
            saved.capacity,
            saved.work_number.as_str(),
            saved.display_name.as_str()
        ),
        (5, "1024", "小美")
    );
    let renamed = pb::Agent {
        display_name: "小美美".into(),
        work_number: "ignored".into(),
        ..only("a-1024")
    };
    let saved = supervisor
        .upsert_agent(authed(upsert(renamed, &["display_name"]), &token))
        .await
        .expect("the masked field changes")
        .into_inner()
        .agent
        .unwrap();
    assert_eq!(
        (
            saved.capacity,
            saved.work_number.as_str(),
            saved.display_name.as_str()
        ),
        (5, "1024", "小美美")
    );

    let bad_path = supervisor
        .upsert_agent(authed(upsert(only("a-1024"), &["presence"]), &token))
        .await
        .unwrap_err();
    assert_eq!(bad_path.code(), Code::InvalidArgument);
    assert!(
        bad_path.message().contains("update_mask"),
        "{}",
        bad_path.message()
    );
    let incomplete = pb::Agent {
        capacity: 2,
        ..only("a-new")
    };
    let incomplete = supervisor
        .upsert_agent(authed(upsert(incomplete, &[]), &token))
        .await
        .unwrap_err();
    assert_eq!(incomplete.code(), Code::InvalidArgument);
    assert!(
        incomplete.message().contains("agent.work_number"),
        "{}",
        incomplete.message()
    );

    app.stack
        .restart_agent()
        .await
        .expect("agent-service restarts and seeds the demo roster again");
    let mut supervisor = app.supervisor().await;
    let agents = supervisor
        .list_agents(authed(pb::ListAgentsRequest {}, &token))
        .await
        .unwrap()
        .into_inner()
        .agents;
    let mei = agents.iter().find(|a| a.agent_id == "a-1024").unwrap();
    assert_eq!((mei.capacity, mei.display_name.as_str()), (5, "小美美"));
    assert!(agents.iter().any(|a| a.agent_id == "a-1025"));
    app.stop().await;
}
