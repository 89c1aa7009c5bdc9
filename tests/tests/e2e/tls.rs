//! TLS and mutual TLS over real connections, with certificates made in the test by
//! rcgen: bot-service serves TLS, agent-service serves mutual TLS (only clients with a
//! certificate from its CA get in), bot-service reaches agent-service over mTLS with its
//! own client certificate, a plaintext or certificate-less client is turned away, and an
//! `https://` agent URL without a CA to trust stops bot-service at start-up.

use std::{path::PathBuf, time::Duration};

use honeydesk::{
    TestApp,
    chat::Chat,
    testing::{Options, authed},
};
use honeydesk_proto::{agent::v1 as agent_pb, bot::v1 as bot_pb};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use server_kit::{Role, pem};
use tempfile::TempDir;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

/// A CA and the PEM files it signed, in a temporary directory.
struct Pki {
    dir: TempDir,
}

impl Pki {
    /// A CA (`ca.pem`), a server certificate for localhost / 127.0.0.1 (`server.pem`,
    /// `server.key`), a client certificate (`client.pem`, `client.key`), and a client
    /// certificate from another CA (`rogue.pem`, `rogue.key`).
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
        let authority = ca("honeydesk test CA");
        write("ca.pem", pem::encode("CERTIFICATE", authority.der()));
        let (cert, key) = leaf(
            &authority,
            "agent-service",
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        write("server.pem", cert);
        write("server.key", key);
        let (cert, key) = leaf(
            &authority,
            "bot-service",
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        write("client.pem", cert);
        write("client.key", key);
        let rogue = ca("someone else's CA");
        let (cert, key) = leaf(&rogue, "intruder", ExtendedKeyUsagePurpose::ClientAuth);
        write("rogue.pem", cert);
        write("rogue.key", key);
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    /// A TLS channel to `addr` trusting the test CA, presenting `identity`
    /// (`"client"`, `"rogue"`) when given.
    async fn channel(
        &self,
        addr: std::net::SocketAddr,
        identity: Option<&str>,
    ) -> Result<Channel, tonic::transport::Error> {
        let mut tls =
            ClientTlsConfig::new().ca_certificate(Certificate::from_pem(self.read("ca.pem")));
        if let Some(who) = identity {
            tls = tls.identity(Identity::from_pem(
                self.read(&format!("{who}.pem")),
                self.read(&format!("{who}.key")),
            ));
        }
        Channel::from_shared(format!("https://{addr}"))
            .unwrap()
            .tls_config(tls)?
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
    }
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    name: &str,
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let mut params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &**issuer).unwrap();
    (
        pem::encode("CERTIFICATE", cert.der()),
        pem::encode("PRIVATE KEY", &key.serialize_der()),
    )
}

/// bot-service on TLS, agent-service on mutual TLS, the link between them on mTLS.
async fn spawn_on_tls(pki: &Pki) -> TestApp {
    let (cert, key, ca) = (
        pki.path("server.pem"),
        pki.path("server.key"),
        pki.path("ca.pem"),
    );
    let (client_cert, client_key) = (pki.path("client.pem"), pki.path("client.key"));
    let (agent_cert, agent_key, agent_ca) = (cert.clone(), key.clone(), ca.clone());
    TestApp::spawn_with(Options {
        agent: Some(Box::new(move |a| {
            a.server.tls_cert = Some(agent_cert);
            a.server.tls_key = Some(agent_key);
            a.server.tls_client_ca = Some(agent_ca);
        })),
        bot: Some(Box::new(move |b| {
            b.server.tls_cert = Some(cert);
            b.server.tls_key = Some(key);
            b.agent.tls.ca_file = Some(ca);
            b.agent.tls.cert_file = Some(client_cert);
            b.agent.tls.key_file = Some(client_key);
        })),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn a_hand_off_crosses_tls_and_mutual_tls_end_to_end() {
    let pki = Pki::new();
    let app = spawn_on_tls(&pki).await;
    let bot = pki
        .channel(app.stack.bot_addr, None)
        .await
        .expect("TLS to bot-service");
    let token = app.token("shopper-1", Role::Consumer);
    let mut conversation = bot_pb::conversation_service_client::ConversationServiceClient::new(bot);
    let started = conversation
        .start_session(authed(
            bot_pb::StartSessionRequest {
                entrance: bot_pb::Entrance::Consumer as i32,
                language: bot_pb::Language::Zh as i32,
            },
            &token,
        ))
        .await
        .expect("a session over TLS")
        .into_inner();
    let session_id = started.session.unwrap().session_id;
    let mut chat = Chat::over(conversation, token, session_id);
    chat.say("我要申请退款").await;
    // bot-service → agent-service over mTLS with its own client certificate.
    let handed = chat.request_agent().await.expect("hand-off over mTLS");
    assert_eq!(
        handed.session.unwrap().state,
        bot_pb::SessionState::Queued as i32
    );

    let agent = pki
        .channel(app.stack.agent_addr, Some("client"))
        .await
        .expect("mTLS with a certificate from the CA");
    let stats = agent_pb::supervisor_service_client::SupervisorServiceClient::new(agent)
        .get_queue_stats(authed(
            agent_pb::GetQueueStatsRequest::default(),
            &app.token("supervisor-1", Role::Supervisor),
        ))
        .await
        .expect("a supervisor over mTLS")
        .into_inner();
    assert!(stats.queues.iter().any(|q| q.waiting == 1), "{stats:?}");
    app.stop().await;
}

#[tokio::test]
async fn plaintext_and_clients_without_a_trusted_certificate_are_turned_away() {
    let pki = Pki::new();
    let app = spawn_on_tls(&pki).await;
    let supervisor = app.token("supervisor-1", Role::Supervisor);
    let stats = |channel: Channel| {
        let token = supervisor.clone();
        async move {
            agent_pb::supervisor_service_client::SupervisorServiceClient::new(channel)
                .get_queue_stats(authed(agent_pb::GetQueueStatsRequest::default(), &token))
                .await
        }
    };
    // Plaintext to a TLS port: no gRPC answer at all, only a broken transport.
    let plain = Channel::from_shared(format!("http://{}", app.stack.bot_addr))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect_lazy();
    let status = bot_pb::intent_service_client::IntentServiceClient::new(plain)
        .list_unanswered(authed(
            bot_pb::ListUnansweredRequest::default(),
            &supervisor,
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(
            status.code(),
            tonic::Code::Unavailable | tonic::Code::Unknown
        ) && status.message().contains("transport error"),
        "{status:?}"
    );
    // TLS without a client certificate, and with one from another CA: refused by mTLS.
    for identity in [None, Some("rogue")] {
        let refused = match pki.channel(app.stack.agent_addr, identity).await {
            Err(_) => true,
            Ok(channel) => stats(channel).await.is_err(),
        };
        assert!(refused, "{identity:?} got through mutual TLS");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_https_agent_url_without_a_ca_stops_bot_service_at_start_up() {
    let mut settings = bot_service::config::BotSettings {
        server: server_kit::config::ServerSettings::listening_on(([127, 0, 0, 1], 0).into()),
        ..Default::default()
    };
    settings.agent.url = "https://127.0.0.1:1".into();
    let clock = honeydesk::stack::shared(server_kit::FakeClock::starting_now());
    let err = match bot_service::Application::build(settings, clock).await {
        Ok(_) => panic!("bot-service started with an https:// URL and no CA"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("agent.tls.ca_file"), "{err}");
}
