//! Per-caller limits over real gRPC, on by default, on the fake clock: an eleventh new
//! session for one user within the minute, a twenty-first message in a burst on one
//! session, and one event stream too many for a user are RESOURCE_EXHAUSTED with a
//! retry-after hint; other callers are not affected, and time refills the bucket. One
//! user's open sessions are capped too (ending one frees a place), and so are calls
//! with unknown tokens per peer address.

use std::time::Duration;

use honeydesk::{
    TestApp,
    bot_side::BotSide,
    chat::Chat,
    desk::Desk,
    testing::{Options, authed},
};
use honeydesk_proto::{agent::v1 as agent_pb, bot::v1 as pb};
use server_kit::{Role, limits::RETRY_AFTER_MS};
use tonic::{Code, Status};

fn assert_limited(status: &Status, what: &str) {
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains(what), "{}", status.message());
    let wait: u64 = status
        .metadata()
        .get(RETRY_AFTER_MS)
        .expect("a retry-after hint")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0);
}

async fn start(app: &TestApp, token: &str) -> Result<pb::StartSessionResponse, Status> {
    app.conversation()
        .await
        .start_session(authed(
            pb::StartSessionRequest {
                entrance: pb::Entrance::Consumer as i32,
                language: pb::Language::Zh as i32,
            },
            token,
        ))
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn new_sessions_per_user_are_limited_to_ten_a_minute() {
    let app = TestApp::spawn().await;
    let flood = app.token("flooder", Role::Consumer);
    for _ in 0..10 {
        start(&app, &flood).await.expect("within the limit");
    }
    let status = start(&app, &flood).await.unwrap_err();
    assert_limited(&status, "new sessions per user");
    start(&app, &app.token("someone-else", Role::Consumer))
        .await
        .expect("another user has a limit of their own");
    app.clock.advance(Duration::from_secs(6));
    start(&app, &flood)
        .await
        .expect("a tenth of a minute refills one");
    app.stop().await;
}

#[tokio::test]
async fn messages_per_session_are_limited_after_a_burst() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    for i in 0..20 {
        chat.say_with_id(&format!("m{i}"), "你好")
            .await
            .expect("within the burst");
    }
    let status = chat.say_with_id("m20", "你好").await.unwrap_err();
    assert_limited(&status, "messages per session");
    app.clock.advance(Duration::from_secs(1));
    for i in 21..26 {
        chat.say_with_id(&format!("m{i}"), "你好")
            .await
            .expect("five a second after the burst");
    }
    app.stop().await;
}

/// Opens one more event stream on `chat`'s session.
async fn try_events(chat: &mut Chat) -> Result<(), Status> {
    chat.client
        .stream_session_events(authed(
            pb::StreamSessionEventsRequest {
                session_id: chat.session.clone(),
                after_sequence: 0,
            },
            &chat.token,
        ))
        .await
        .map(drop)
}

#[tokio::test]
async fn open_event_streams_per_user_are_capped() {
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(|b| b.limits.streams_per_user = 2)),
        ..Options::default()
    })
    .await;
    let mut chat = Chat::consumer(&app).await;
    chat.say("我要申请退款").await;
    chat.request_agent()
        .await
        .expect("queued: the event stream follows the queue");
    let first = chat.events(0).await;
    let _second = chat.events(0).await;
    let status = try_events(&mut chat).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("event streams per user"));
    // Closing one frees its place (the server learns of it asynchronously).
    drop(first);
    let mut reopened = false;
    for _ in 0..250 {
        if try_events(&mut chat).await.is_ok() {
            reopened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(reopened, "a closed stream's place was never freed");
    app.stop().await;
}

/// One user holds at most `open_sessions_per_user` sessions that are not closed, however
/// slowly they open them (the rate limit alone would let ~100 pile up within an idle
/// limit): the next start is RESOURCE_EXHAUSTED naming the cap, other users are not
/// affected, and ending a session frees a place.
#[tokio::test]
async fn a_user_holds_at_most_the_cap_of_open_sessions() {
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(|b| b.limits.open_sessions_per_user = 3)),
        ..Options::default()
    })
    .await;
    let hoarder = app.token("hoarder", Role::Consumer);
    let mut open = Vec::new();
    for _ in 0..3 {
        let started = start(&app, &hoarder).await.expect("within the cap");
        open.push(started.session.unwrap().session_id);
        // Slowly, so the per-minute rate limit is not what refuses.
        app.clock.advance(Duration::from_secs(30));
    }
    let status = start(&app, &hoarder).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status.message().contains("already has 3 open sessions")
            && status.message().contains("open_sessions_per_user"),
        "{}",
        status.message()
    );
    start(&app, &app.token("someone-else", Role::Consumer))
        .await
        .expect("another user has places of their own");
    app.conversation()
        .await
        .end_session(authed(
            pb::EndSessionRequest {
                session_id: open[0].clone(),
            },
            &hoarder,
        ))
        .await
        .unwrap();
    start(&app, &hoarder)
        .await
        .expect("an ended session frees a place");
    app.stop().await;
}

/// Open streams count against `max_concurrent_requests` for as long as they are open, not
/// only while they are being opened: with agent-service's limit at 3, three agents' open
/// desk streams leave no room for another call, and closing one makes room again.
#[tokio::test]
async fn open_streams_count_against_the_server_limit() {
    let app = TestApp::spawn_with(Options {
        agent: Some(Box::new(|a| a.server.max_concurrent_requests = 3)),
        ..Options::default()
    })
    .await;
    let mut desks = Vec::new();
    for id in ["a-1024", "a-1025", "a-2048"] {
        desks.push(Desk::open(&app, id).await);
    }
    let fourth = app.token("a-3001", Role::Agent);
    let sign_in = || async {
        app.desk()
            .await
            .sign_in(authed(agent_pb::SignInRequest {}, &fourth))
            .await
    };
    let status = sign_in().await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status.message().contains("calls and open streams"),
        "{}",
        status.message()
    );
    drop(desks.pop());
    let mut signed_in = false;
    for _ in 0..50 {
        match sign_in().await {
            Ok(_) => {
                signed_in = true;
                break;
            }
            Err(s) if s.code() == Code::ResourceExhausted => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(s) => panic!("{s:?}"),
        }
    }
    assert!(signed_in, "a closed stream gives its place back");
    drop(desks);
    app.stop().await;
}

/// Calls whose token is not already known (garbage, forged, missing, or simply new) are
/// limited per peer address, so a flood costs a hash lookup each instead of a signature
/// check; a token that has been accepted before keeps working from the same address,
/// and time refills the allowance.
#[tokio::test]
async fn unknown_tokens_are_limited_per_address() {
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(|b| b.server.unknown_tokens_per_minute = 5)),
        ..Options::default()
    })
    .await;
    // One unknown token spent: the chat's own, now known.
    let mut chat = Chat::consumer(&app).await;
    let mut refused = Vec::new();
    for n in 0..10 {
        let status = start(&app, &format!("garbage-{n}")).await.unwrap_err();
        refused.push(status.code());
        if status.code() == Code::ResourceExhausted {
            assert_limited(&status, "new or invalid token per address");
            break;
        }
    }
    assert_eq!(
        refused,
        [
            Code::Unauthenticated,
            Code::Unauthenticated,
            Code::Unauthenticated,
            Code::Unauthenticated,
            Code::ResourceExhausted
        ]
    );
    chat.say("你好").await;
    let newcomer = app.token("newcomer", Role::Consumer);
    let status = start(&app, &newcomer).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    app.clock.advance(Duration::from_secs(60));
    start(&app, &newcomer)
        .await
        .expect("a minute later the address may present new tokens again");
    app.stop().await;
}

/// Each caller may make so many calls a minute, whatever it calls: a supervisor's script
/// is refused past the limit with a retry-after hint, another supervisor is not, and
/// bot-service (a `service` caller speaking for every customer) is exempt, so hand-offs
/// keep flowing; time refills the allowance.
#[tokio::test]
async fn calls_per_caller_are_limited_but_services_are_exempt() {
    let app = TestApp::spawn_with(Options {
        agent: Some(Box::new(|a| a.server.calls_per_caller_per_minute = 5)),
        ..Options::default()
    })
    .await;
    let list = |who: &'static str| {
        let token = app.token(who, Role::Supervisor);
        let app = &app;
        async move {
            app.supervisor()
                .await
                .list_agents(authed(agent_pb::ListAgentsRequest {}, &token))
                .await
        }
    };
    for _ in 0..5 {
        list("supervisor-1").await.expect("within the limit");
    }
    let status = list("supervisor-1").await.unwrap_err();
    assert_limited(&status, "calls per caller");
    list("supervisor-2")
        .await
        .expect("another caller has an allowance of its own");
    let mut bot = BotSide::new(&app).await;
    for n in 0..8 {
        bot.consumer(&format!("u-{n}"), "orders").await;
    }
    app.clock.advance(Duration::from_secs(60));
    list("supervisor-1")
        .await
        .expect("a minute later the caller may call again");
    app.stop().await;
}
