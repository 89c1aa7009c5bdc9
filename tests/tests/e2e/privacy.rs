//! Personal data stays out of what operators and logs see, over real gRPC: a whole
//! conversation full of a customer's mobile, ID-card, e-mail and bank-card numbers (an
//! unanswered question, a top-up whose back end refuses quoting the number, a hand-off,
//! both sides of the human chat) leaves none of them, and none of the message texts, in
//! either service's logs; a question recorded straight into agent-service is masked
//! before supervisors can list it.

use std::{net::SocketAddr, time::Duration};

use honeydesk::{
    TestApp,
    chat::Chat,
    desk::Desk,
    testing::{Options, authed},
};
use honeydesk_proto::{
    agent::v1::{self as agent_pb, robot_feedback_service_client::RobotFeedbackServiceClient},
    bot::v1::{
        self as pb, ActionFailure, ActionFailureKind, ExecuteRequest, ExecuteResponse,
        action_service_server::{ActionService, ActionServiceServer},
        execute_response::Outcome,
    },
};
use server_kit::{Role, telemetry::capture};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

const MOBILE: &str = "13812345678";
const ID_CARD: &str = "11010519491231002X";
const EMAIL: &str = "li.lei@example.com";
const BANK_CARD: &str = "6222020200112233445";

/// A top-up back end that refuses, quoting the number it was given in full.
struct Quoting;

#[tonic::async_trait]
impl ActionService for Quoting {
    async fn execute(
        &self,
        request: Request<ExecuteRequest>,
    ) -> Result<Response<ExecuteResponse>, Status> {
        let phone = request.get_ref().slots.get("phone").cloned();
        Ok(Response::new(ExecuteResponse {
            outcome: Some(Outcome::Failure(ActionFailure {
                kind: ActionFailureKind::Rejected as i32,
                text: format!("号码 {} 暂不支持充值", phone.unwrap_or_default()),
            })),
        }))
    }
}

/// Serves [`Quoting`] on an ephemeral port; its URL.
async fn quoting_backend() -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("a port for the back end");
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(ActionServiceServer::new(Quoting))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    url
}

#[tokio::test]
async fn logs_carry_no_message_text_or_personal_data() {
    let (logs, guard) = capture::on_this_thread();
    let url = quoting_backend().await;
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(move |s| {
            s.actions.backends.insert("topup".to_owned(), url);
        })),
        ..Options::default()
    })
    .await;
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-private").await;
    let question = format!("钱 {MOBILE} 的问题，身份证 {ID_CARD}");
    chat.say(&question).await;
    let ask = chat.say(&format!("帮我给{MOBILE}充50块")).await;
    assert!(ask.text.contains("确认吗"), "{}", ask.text);
    let refused = chat.say("确认").await;
    assert!(
        refused.text.contains(MOBILE),
        "the customer reads the back end's words"
    );

    let refund = format!("我要申请退款，邮箱 {EMAIL}");
    chat.say(&refund).await;
    chat.request_agent().await.expect("queued for a person");
    let ticket = desk.take().await.ticket_id;
    chat.until_state(pb::SessionState::WithAgent).await;
    let card = format!("您的银行卡 {BANK_CARD} 对吗");
    desk.write(&ticket, &card).await;
    let relayed = chat.try_say(&format!("对，手机 {MOBILE}")).await;
    relayed.expect("relayed to the agent");
    desk.close(&ticket, agent_pb::Resolution::Resolved)
        .await
        .expect("closed");
    chat.until_state(pb::SessionState::Closed).await;
    // Background writes (the unanswered question) have landed once the figures show it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.stop().await;
    drop(guard);

    let text = logs.text();
    assert!(
        text.contains("ticket queued") && text.contains("task refused by its back end"),
        "both services' logs were captured:\n{text}"
    );
    for private in [MOBILE, ID_CARD, EMAIL, BANK_CARD, "钱", "退款", "银行卡"] {
        assert!(!text.contains(private), "{private} in the logs:\n{text}");
    }
}

#[tokio::test]
async fn a_question_recorded_straight_into_agent_service_is_masked() {
    let app = TestApp::spawn().await;
    let mut feedback = RobotFeedbackServiceClient::new(app.agent_channel().await);
    let record = agent_pb::RecordUnansweredRequest {
        entrance: agent_pb::Entrance::Consumer as i32,
        text: format!("call {MOBILE} or mail {EMAIL}"),
    };
    feedback
        .record_unanswered(authed(record, &app.token("bot-service", Role::Service)))
        .await
        .expect("recorded");
    let token = app.token("sup-1", Role::Supervisor);
    let questions = app
        .intents()
        .await
        .list_unanswered(authed(pb::ListUnansweredRequest::default(), &token))
        .await
        .expect("supervisors list them")
        .into_inner()
        .questions;
    let texts: Vec<&str> = questions.iter().map(|q| q.text.as_str()).collect();
    assert_eq!(texts, ["call [mobile] or mail [email]"]);
    app.stop().await;
}
