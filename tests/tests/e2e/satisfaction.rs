//! Customers' satisfaction ratings as supervisors read them over real gRPC: each agent's
//! average and count in `ListAgents`, and each queue's (ratings given in the window) in
//! `GetQueueStats`. Runs on SQLite, and on PostgreSQL with `HONEYDESK_TEST_STORE=postgres`.

use std::time::Duration;

use honeydesk::{TestApp, bot_side::BotSide, desk::Desk, testing::authed};
use honeydesk_proto::agent::v1 as pb;
use server_kit::Role;

#[tokio::test]
async fn supervisors_see_each_agents_and_each_queues_ratings() {
    let app = TestApp::spawn().await;
    let mut bot = BotSide::new(&app).await;
    let mut mei = Desk::open(&app, "a-1024").await;
    for (customer, score) in [("u-1", 5), ("u-2", 2)] {
        let ticket = bot.consumer(customer, "orders").await;
        mei.take().await;
        mei.close(&ticket, pb::Resolution::Resolved).await.unwrap();
        bot.rate(&ticket, customer, score).await.expect("rated");
    }
    let token = app.token("boss", Role::Supervisor);
    let mut supervisor = app.supervisor().await;
    let agents = supervisor
        .list_agents(authed(pb::ListAgentsRequest {}, &token))
        .await
        .unwrap()
        .into_inner()
        .agents;
    let csat = |id: &str| {
        let a = agents.iter().find(|a| a.agent_id == id).unwrap();
        (a.csat_average, a.csat_ratings)
    };
    assert_eq!(csat("a-1024"), (3.5, 2));
    assert_eq!(csat("a-1025"), (0.0, 0));

    let queue = |window: Option<Duration>| {
        let mut supervisor = supervisor.clone();
        let token = token.clone();
        async move {
            let request = pb::GetQueueStatsRequest {
                window: window.map(server_kit::time::to_duration),
            };
            let q = supervisor
                .get_queue_stats(authed(request, &token))
                .await
                .unwrap()
                .into_inner()
                .queues
                .into_iter()
                .find(|q| q.skill == "orders" && q.entrance == pb::Entrance::Consumer as i32)
                .expect("the orders queue");
            (q.csat_average, q.csat_ratings)
        }
    };
    assert_eq!(queue(None).await, (3.5, 2));
    app.clock.advance(Duration::from_secs(2 * 3600));
    assert_eq!(queue(None).await, (0.0, 0), "ratings outside the window");
    assert_eq!(queue(Some(Duration::from_secs(3 * 3600))).await, (3.5, 2));
    app.stop().await;
}
