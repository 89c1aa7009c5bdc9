//! Asymmetric tokens over real gRPC, with keys made in the test and a JWKS file written
//! by it: both services check EdDSA tokens against the file's public keys by `kid` (two
//! keys at once, as during a rotation); iss, aud, a non-empty subject and a maximum
//! lifetime are required; HS256 tokens are refused once a JWKS file is set; bot-service
//! calls agent-service with its own key, which the JWKS limits to the `service` role,
//! so it cannot mint a supervisor's token; the `token` subcommand signs with a key file.

use std::{path::PathBuf, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use honeydesk::{
    TestApp,
    chat::Chat,
    testing::{Options, authed},
};
use honeydesk_proto::{agent::v1 as agent_pb, bot::v1 as bot_pb};
use rcgen::{KeyPair, PKCS_ED25519};
use server_kit::{
    Role,
    auth::{Minter, TokenRules, claims_for},
    cli::TokenArgs,
    config::ServerSettings,
    keys::KeyTokens,
    pem,
};
use tempfile::TempDir;
use tonic::Code;

/// Ed25519 keys in PEM files and the JWKS that lists their public halves.
struct Keys {
    dir: TempDir,
}

impl Keys {
    /// `ops-1` and `ops-2` (any role: an identity provider mid-rotation) and `bot-1`
    /// (bot-service's own key, `service` only).
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut jwks = Vec::new();
        for (kid, roles) in [
            ("ops-1", None),
            ("ops-2", None),
            ("bot-1", Some(["service"])),
        ] {
            let key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
            let pem = pem::encode("PRIVATE KEY", &key.serialize_der());
            std::fs::write(dir.path().join(format!("{kid}.pem")), pem).unwrap();
            let mut jwk = serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid,
                "x": URL_SAFE_NO_PAD.encode(key.public_key_raw()),
            });
            if let Some(roles) = roles {
                jwk["honeydesk_roles"] = serde_json::json!(roles);
            }
            jwks.push(jwk);
        }
        let set = serde_json::json!({ "keys": jwks });
        std::fs::write(dir.path().join("jwks.json"), set.to_string()).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn signer(&self, kid: &str) -> KeyTokens {
        KeyTokens::from_pem_file(
            &self.path(&format!("{kid}.pem")),
            kid,
            TokenRules::default(),
        )
        .unwrap()
    }
}

async fn spawn_with_jwks(keys: &Keys) -> TestApp {
    let (jwks, agent_jwks) = (keys.path("jwks.json"), keys.path("jwks.json"));
    let bot_key = keys.path("bot-1.pem");
    TestApp::spawn_with(Options {
        agent: Some(Box::new(move |a| a.server.jwks_file = Some(agent_jwks))),
        bot: Some(Box::new(move |b| {
            b.server.jwks_file = Some(jwks);
            b.identity.key_file = Some(bot_key);
            b.identity.key_id = Some("bot-1".into());
        })),
        ..Options::default()
    })
    .await
}

async fn list_agents(app: &TestApp, token: &str) -> Result<(), tonic::Status> {
    app.supervisor()
        .await
        .list_agents(authed(agent_pb::ListAgentsRequest {}, token))
        .await
        .map(drop)
}

#[tokio::test]
async fn jwks_keys_by_kid_are_accepted_and_everything_else_refused() {
    let keys = Keys::new();
    let app = spawn_with_jwks(&keys).await;
    let hour = Duration::from_secs(3600);
    for kid in ["ops-1", "ops-2"] {
        let token = keys
            .signer(kid)
            .mint_for("supervisor-1", Role::Supervisor, hour, None);
        list_agents(&app, &token).await.expect("a key of the set");
    }
    let ops = keys.signer("ops-1");
    let rules = TokenRules::default();
    let mut refused = vec![
        (
            "HS256 with the shared secret",
            app.token("supervisor-1", Role::Supervisor),
        ),
        (
            "bot-service's key minting a supervisor",
            keys.signer("bot-1")
                .mint_for("supervisor-1", Role::Supervisor, hour, None),
        ),
        (
            "a 10-year token",
            ops.mint_for("supervisor-1", Role::Supervisor, hour * 24 * 3650, None),
        ),
    ];
    let claims = || rules.stamp(claims_for("supervisor-1", Role::Supervisor, hour, None));
    let mut wrong_issuer = claims();
    wrong_issuer.iss = "someone-else".into();
    let mut wrong_audience = claims();
    wrong_audience.aud = "another-app".into();
    let mut nobody = claims();
    nobody.sub = String::new();
    refused.extend([
        ("another issuer", ops.sign(&wrong_issuer)),
        ("another audience", ops.sign(&wrong_audience)),
        ("an empty subject", ops.sign(&nobody)),
    ]);
    let stranger = KeyTokens::from_pem_file(&keys.path("ops-1.pem"), "unknown-kid", rules)
        .unwrap()
        .mint_for("supervisor-1", Role::Supervisor, hour, None);
    refused.push(("an unknown kid", stranger));
    for (what, token) in refused {
        let status = list_agents(&app, &token).await.expect_err(what);
        assert_eq!(status.code(), Code::Unauthenticated, "{what}: {status:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn bot_service_hands_off_with_its_own_service_key() {
    let keys = Keys::new();
    let app = spawn_with_jwks(&keys).await;
    let hour = Duration::from_secs(3600);
    let shopper = keys
        .signer("ops-1")
        .mint_for("shopper-1", Role::Consumer, hour, None);
    let mut chat = Chat::with_token(&app, shopper).await;
    chat.say("我要申请退款").await;
    let handed = chat
        .request_agent()
        .await
        .expect("bot-service is trusted as a service");
    assert_eq!(
        handed.session.unwrap().state,
        bot_pb::SessionState::Queued as i32
    );
    app.stop().await;
}

#[tokio::test]
async fn the_token_subcommand_signs_with_a_private_key_file() {
    let keys = Keys::new();
    let app = spawn_with_jwks(&keys).await;
    let args = TokenArgs {
        role: Role::Supervisor,
        subject: "supervisor-1".into(),
        ttl_hours: 1,
        phone: None,
        key: Some(keys.path("ops-2.pem")),
        key_id: Some("ops-2".into()),
    };
    let token = args.mint(&ServerSettings::default()).unwrap();
    list_agents(&app, &token)
        .await
        .expect("a token from the subcommand");
    app.stop().await;
}
