//! The authorisation matrix, built from the services' own descriptor sets: every RPC
//! of every honeydesk service × every role (and no token) over real gRPC, each with the
//! code it must get. A role the table allows must never meet UNAUTHENTICATED or
//! PERMISSION_DENIED; any other role must meet PERMISSION_DENIED; no token must meet
//! UNAUTHENTICATED. An RPC added to a `.proto` without an entry here fails the test, and
//! so does an entry for an RPC that no longer exists.

use std::collections::BTreeMap;

use honeydesk::{TestApp, raw, sandbox::RunningSandbox, testing::TEST_SECRET};
use prost::Message;
use prost_types::FileDescriptorSet;
use server_kit::Role;
use tonic::{Code, transport::Channel};

use Role::{Agent, Consumer, Merchant, Service, Supervisor};

const CUSTOMERS: &[Role] = &[Consumer, Merchant];
const CUSTOMER_SIDE: &[Role] = &[Consumer, Merchant, Service];
const EVERYONE: &[Role] = &Role::ALL;

/// Who may call what: `Service/Method` → the roles allowed.
const MATRIX: &[(&str, &[Role])] = &[
    (
        "honeydesk.bot.v1.ConversationService/StartSession",
        CUSTOMERS,
    ),
    (
        "honeydesk.bot.v1.ConversationService/SendMessage",
        CUSTOMERS,
    ),
    ("honeydesk.bot.v1.ConversationService/GetSession", CUSTOMERS),
    ("honeydesk.bot.v1.ConversationService/EndSession", CUSTOMERS),
    (
        "honeydesk.bot.v1.ConversationService/RequestAgent",
        CUSTOMERS,
    ),
    ("honeydesk.bot.v1.ConversationService/LeaveQueue", CUSTOMERS),
    (
        "honeydesk.bot.v1.ConversationService/StreamSessionEvents",
        CUSTOMERS,
    ),
    ("honeydesk.bot.v1.ConversationService/RateReply", CUSTOMERS),
    ("honeydesk.bot.v1.ConversationService/RateAgent", CUSTOMERS),
    (
        "honeydesk.bot.v1.ConversationService/AcceptComplaintOffer",
        CUSTOMERS,
    ),
    (
        "honeydesk.bot.v1.IntentService/Classify",
        &[Service, Supervisor],
    ),
    (
        "honeydesk.bot.v1.IntentService/ReloadCatalogue",
        &[Supervisor],
    ),
    (
        "honeydesk.bot.v1.IntentService/ListUnanswered",
        &[Supervisor],
    ),
    (
        "honeydesk.bot.v1.IntentService/GetReplyRatings",
        &[Supervisor],
    ),
    ("honeydesk.bot.v1.ActionService/Execute", &[Service]),
    ("honeydesk.agent.v1.TicketService/CreateTicket", &[Service]),
    ("honeydesk.agent.v1.TicketService/GetTicket", &[Service]),
    (
        "honeydesk.agent.v1.TicketService/FindOpenTicket",
        &[Service],
    ),
    ("honeydesk.agent.v1.TicketService/CancelTicket", &[Service]),
    (
        "honeydesk.agent.v1.TicketService/SendCustomerMessage",
        &[Service],
    ),
    ("honeydesk.agent.v1.TicketService/WatchTicket", &[Service]),
    ("honeydesk.agent.v1.TicketService/RateTicket", &[Service]),
    (
        "honeydesk.agent.v1.TicketService/ListTicketEvents",
        &[Service],
    ),
    (
        "honeydesk.agent.v1.RobotFeedbackService/RecordUnanswered",
        &[Service],
    ),
    (
        "honeydesk.agent.v1.RobotFeedbackService/RecordReplyRating",
        &[Service],
    ),
    (
        "honeydesk.agent.v1.RobotFeedbackService/ListUnansweredQuestions",
        &[Service, Supervisor],
    ),
    (
        "honeydesk.agent.v1.RobotFeedbackService/ListReplyRatings",
        &[Service, Supervisor],
    ),
    ("honeydesk.agent.v1.AgentDeskService/SignIn", &[Agent]),
    ("honeydesk.agent.v1.AgentDeskService/SetPresence", &[Agent]),
    ("honeydesk.agent.v1.AgentDeskService/StreamDesk", &[Agent]),
    ("honeydesk.agent.v1.AgentDeskService/AcceptOffer", &[Agent]),
    ("honeydesk.agent.v1.AgentDeskService/DeclineOffer", &[Agent]),
    (
        "honeydesk.agent.v1.AgentDeskService/SendAgentMessage",
        &[Agent],
    ),
    ("honeydesk.agent.v1.AgentDeskService/CloseTicket", &[Agent]),
    (
        "honeydesk.agent.v1.AgentDeskService/TransferTicket",
        &[Agent],
    ),
    (
        "honeydesk.agent.v1.AgentDeskService/GetTicketHistory",
        &[Agent],
    ),
    (
        "honeydesk.agent.v1.SupervisorService/GetQueueStats",
        &[Supervisor],
    ),
    (
        "honeydesk.agent.v1.SupervisorService/ListAgents",
        &[Supervisor],
    ),
    (
        "honeydesk.agent.v1.SupervisorService/UpsertAgent",
        &[Supervisor],
    ),
    (
        "honeydesk.agent.v1.SupervisorService/WatchFlags",
        &[Supervisor],
    ),
    (
        "honeydesk.agent.v1.SupervisorService/CheckMessage",
        &[Supervisor],
    ),
    (
        "honeydesk.agent.v1.ComplaintService/FileComplaint",
        CUSTOMER_SIDE,
    ),
    ("honeydesk.agent.v1.ComplaintService/GetComplaint", EVERYONE),
    (
        "honeydesk.agent.v1.ComplaintService/ListComplaints",
        EVERYONE,
    ),
    (
        "honeydesk.agent.v1.ComplaintService/ReviewComplaint",
        &[Supervisor],
    ),
    (
        "honeydesk.agent.v1.ComplaintService/WithdrawComplaint",
        CUSTOMER_SIDE,
    ),
    (
        "honeydesk.agent.v1.ComplaintService/VerifyEvidence",
        EVERYONE,
    ),
    (
        "honeydesk.agent.v1.ComplaintService/ListComplainableTickets",
        CUSTOMER_SIDE,
    ),
];

/// Every RPC in the descriptor set: `Service/Method` → whether it streams responses.
fn rpcs() -> BTreeMap<String, bool> {
    let set = FileDescriptorSet::decode(honeydesk_proto::FILE_DESCRIPTOR_SET)
        .expect("the compiled descriptor set decodes");
    let mut rpcs = BTreeMap::new();
    for file in &set.file {
        for service in &file.service {
            for method in &service.method {
                let name = format!("{}.{}/{}", file.package(), service.name(), method.name());
                rpcs.insert(name, method.server_streaming());
            }
        }
    }
    rpcs
}

/// The subject each role signs in as (the agent is in the demo roster).
fn subject(role: Role) -> &'static str {
    match role {
        Consumer => "shopper-1",
        Merchant => "seller-1",
        Agent => "a-1024",
        Supervisor => "supervisor-1",
        Service => "bot-service",
    }
}

#[test]
fn every_rpc_has_an_entry_and_every_entry_an_rpc() {
    let rpcs = rpcs();
    let listed: BTreeMap<&str, &[Role]> = MATRIX.iter().copied().collect();
    assert_eq!(listed.len(), MATRIX.len(), "an RPC is listed twice");
    let missing: Vec<&String> = rpcs
        .keys()
        .filter(|r| !listed.contains_key(r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "RPCs without an authorisation entry: {missing:?}"
    );
    let stale: Vec<&&str> = listed.keys().filter(|r| !rpcs.contains_key(**r)).collect();
    assert!(
        stale.is_empty(),
        "entries for RPCs that do not exist: {stale:?}"
    );
}

#[tokio::test]
async fn every_rpc_answers_every_role_as_the_matrix_says() {
    let app = TestApp::spawn().await;
    let sandbox = RunningSandbox::start(([127, 0, 0, 1], 0).into(), TEST_SECRET)
        .await
        .expect("the sandbox starts");
    let (bot, agent) = (app.bot_channel().await, app.agent_channel().await);
    let actions = honeydesk::testing::channel(sandbox.addr).await;
    let channel_for = |rpc: &str| -> Channel {
        if rpc.starts_with("honeydesk.bot.v1.ActionService/") {
            actions.clone()
        } else if rpc.starts_with("honeydesk.bot.") {
            bot.clone()
        } else {
            agent.clone()
        }
    };
    let rpcs = rpcs();
    let mut wrong = Vec::new();
    for (rpc, allowed) in MATRIX {
        let streaming = rpcs[*rpc];
        let path = format!("/{rpc}");
        let anonymous = raw::open(channel_for(rpc), &path, None, streaming, Vec::new()).await;
        if anonymous.as_ref().err().map(|s| s.code()) != Some(Code::Unauthenticated) {
            wrong.push(format!("{rpc} without a token: {anonymous:?}"));
        }
        for role in Role::ALL {
            let token = app.token(subject(role), role);
            let answer =
                raw::open(channel_for(rpc), &path, Some(&token), streaming, Vec::new()).await;
            let code = answer.as_ref().err().map(|s| s.code());
            let as_expected = if allowed.contains(&role) {
                !matches!(code, Some(Code::PermissionDenied | Code::Unauthenticated))
            } else {
                code == Some(Code::PermissionDenied)
            };
            if !as_expected {
                wrong.push(format!("{rpc} as {role}: {answer:?}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "answers against the matrix:\n{}",
        wrong.join("\n")
    );
    sandbox.stop().await.unwrap();
    app.stop().await;
}
