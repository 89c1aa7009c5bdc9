//! Sessions in Redis, shared by every bot-service replica: each session a JSON value
//! with a TTL, a lock key per session (`SET NX PX`, released by a compare-and-delete)
//! so two replicas never run two calls on one session at once, a sorted set of idle
//! deadlines for the sweepers, and a set of open sessions per user so the per-user cap
//! holds cluster-wide. Every multi-key step is one Lua script, hence atomic.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use redis::{
    Client, Script, Value,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

use super::{
    Session, redis_scripts,
    registry::CLOSED_RETENTION,
    store::{Census, Held, SessionGuard, SessionStore, SessionStoreError},
};
use crate::vocabulary::Entrance;

/// The variable naming the Redis that tests use (`redis://127.0.0.1:6379/`); tests
/// that need Redis are skipped without it.
pub const TEST_URL_ENV: &str = "HONEYDESK_TEST_REDIS_URL";

/// Due sessions handed to one sweep at most (the next sweep takes the rest).
const SWEEP_BATCH: isize = 500;

/// How to reach Redis and how long locks last.
#[derive(Clone, Debug)]
pub struct RedisSessionSettings {
    /// `redis://host:port/db`.
    pub url: String,
    /// Put before every key, so several deployments (or tests) share one Redis.
    pub key_prefix: String,
    /// How long a lock holds if its call never releases it (a crashed replica).
    pub lock_lease: Duration,
    /// How long a call waits for a session another call holds.
    pub lock_wait: Duration,
    /// How long one Redis command may take (connecting included).
    pub timeout: Duration,
}

/// The Redis session store.
pub struct RedisSessions {
    shared: Arc<Shared>,
}

struct Shared {
    redis: ConnectionManager,
    prefix: String,
    lease: Duration,
    wait: Duration,
    scripts: Scripts,
}

struct Scripts {
    insert: Script,
    lock: Script,
    commit: Script,
}

impl RedisSessions {
    /// A store on `settings.url`; connects lazily (a replica starts while Redis is
    /// down, and health says NOT_SERVING until it answers).
    pub fn new(settings: &RedisSessionSettings) -> Result<Self, SessionStoreError> {
        let client = Client::open(settings.url.as_str()).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.timeout))
            .set_response_timeout(Some(settings.timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let redis = ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)?;
        Ok(Self {
            shared: Arc::new(Shared {
                redis,
                prefix: settings.key_prefix.clone(),
                lease: settings.lock_lease,
                wait: settings.lock_wait,
                scripts: Scripts {
                    insert: Script::new(redis_scripts::INSERT),
                    lock: Script::new(redis_scripts::LOCK),
                    commit: Script::new(redis_scripts::COMMIT),
                },
            }),
        })
    }
}

impl Shared {
    fn session_key(&self, id: &str) -> String {
        format!("{}session:{id}", self.prefix)
    }

    fn lock_key(&self, id: &str) -> String {
        format!("{}lock:{id}", self.prefix)
    }

    fn user_key(&self, user: &str) -> String {
        format!("{}user:{user}", self.prefix)
    }

    fn deadlines_key(&self) -> String {
        format!("{}deadlines", self.prefix)
    }

    /// One attempt at the lock: the session, `None` when gone, `Err(())` while held.
    async fn try_lock(
        &self,
        id: &str,
        token: &str,
    ) -> Result<Result<Option<Session>, ()>, SessionStoreError> {
        let value: Value = self
            .scripts
            .lock
            .key(self.session_key(id))
            .key(self.lock_key(id))
            .key(self.deadlines_key())
            .arg(token)
            .arg(millis(self.lease))
            .arg(id)
            .invoke_async(&mut self.redis.clone())
            .await
            .map_err(unavailable)?;
        match value {
            Value::Nil => Ok(Ok(None)),
            Value::Int(_) => Ok(Err(())),
            Value::BulkString(bytes) => Ok(Ok(Some(decode(id, &bytes)?))),
            other => Err(SessionStoreError::Unavailable(format!(
                "unexpected answer to the lock script: {other:?}"
            ))),
        }
    }

    /// Writes `session` back under `token` and releases the lock.
    async fn write_back(&self, session: &Session, token: &str) -> Result<(), SessionStoreError> {
        let value = encode(session)?;
        let written: i64 = self
            .scripts
            .commit
            .key(self.session_key(&session.id))
            .key(self.lock_key(&session.id))
            .key(self.deadlines_key())
            .key(self.user_key(&session.user_id))
            .arg(token)
            .arg(value)
            .arg(ttl_ms(session))
            .arg(
                session
                    .next_check()
                    .map(epoch_ms)
                    .map(|ms| ms.to_string())
                    .unwrap_or_default(),
            )
            .arg(&session.id)
            .invoke_async(&mut self.redis.clone())
            .await
            .map_err(unavailable)?;
        if written == 1 {
            Ok(())
        } else {
            Err(SessionStoreError::LockLost(session.id.clone()))
        }
    }
}

#[async_trait]
impl SessionStore for RedisSessions {
    async fn insert(&self, session: Session, max_open: usize) -> Result<(), SessionStoreError> {
        let s = &self.shared;
        let deadline = session.next_check().map_or(0, epoch_ms);
        let open: i64 = s
            .scripts
            .insert
            .key(s.session_key(&session.id))
            .key(s.user_key(&session.user_id))
            .key(s.deadlines_key())
            .arg(&session.id)
            .arg(encode(&session)?)
            .arg(ttl_ms(&session))
            .arg(max_open)
            .arg(deadline)
            .arg(s.session_key(""))
            .invoke_async(&mut s.redis.clone())
            .await
            .map_err(unavailable)?;
        match usize::try_from(open) {
            Ok(open) => Err(SessionStoreError::TooMany { open }),
            Err(_) => Ok(()),
        }
    }

    async fn lock(&self, id: &str) -> Result<Option<SessionGuard>, SessionStoreError> {
        let token = server_kit::request_id::new_id();
        let give_up = tokio::time::Instant::now() + self.shared.wait;
        let mut pause = Duration::from_millis(2);
        loop {
            match self.shared.try_lock(id, &token).await? {
                Ok(None) => return Ok(None),
                Ok(Some(session)) => {
                    let held = RedisHeld {
                        session,
                        token,
                        shared: self.shared.clone(),
                        written: false,
                    };
                    return Ok(Some(SessionGuard::new(Box::new(held))));
                }
                Err(()) if tokio::time::Instant::now() >= give_up => {
                    return Err(SessionStoreError::Busy(id.to_owned()));
                }
                Err(()) => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(25));
                }
            }
        }
    }

    async fn entrance(&self, id: &str) -> Result<Option<Entrance>, SessionStoreError> {
        #[derive(serde::Deserialize)]
        struct Head {
            entrance: Entrance,
        }
        let s = &self.shared;
        let value: Option<Vec<u8>> = redis::cmd("GET")
            .arg(s.session_key(id))
            .query_async(&mut s.redis.clone())
            .await
            .map_err(unavailable)?;
        value
            .map(|bytes| serde_json::from_slice::<Head>(&bytes).map(|h| h.entrance))
            .transpose()
            .map_err(|e| corrupt(id, e))
    }

    async fn due(&self, now: SystemTime) -> Result<Vec<String>, SessionStoreError> {
        let s = &self.shared;
        redis::cmd("ZRANGE")
            .arg(s.deadlines_key())
            .arg("-inf")
            .arg(epoch_ms(now))
            .arg("BYSCORE")
            .arg("LIMIT")
            .arg(0)
            .arg(SWEEP_BATCH)
            .query_async(&mut s.redis.clone())
            .await
            .map_err(unavailable)
    }

    async fn evict_closed(&self, _now: SystemTime) -> usize {
        // Closed sessions expire by their TTL.
        0
    }

    fn census(&self) -> Option<Census> {
        None
    }

    async fn ping(&self) -> Result<(), SessionStoreError> {
        let s = &self.shared;
        redis::cmd("PING")
            .query_async::<()>(&mut s.redis.clone())
            .await
            .map_err(unavailable)
    }
}

/// A session read from Redis under our lock.
struct RedisHeld {
    session: Session,
    token: String,
    shared: Arc<Shared>,
    written: bool,
}

#[async_trait]
impl Held for RedisHeld {
    fn session(&self) -> &Session {
        &self.session
    }

    fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    async fn commit(mut self: Box<Self>) -> Result<(), SessionStoreError> {
        // Marked only once answered: a commit cancelled mid-way is written back by
        // `drop` (the script refuses a second write once the lock is released).
        let written = self.shared.write_back(&self.session, &self.token).await;
        self.written = true;
        written
    }
}

impl Drop for RedisHeld {
    /// Not committed (an error path, or a cancelled call): what was changed is written
    /// back all the same, before the lock is released, as an in-memory session keeps
    /// changes made in place.
    fn drop(&mut self) {
        if self.written {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (shared, token) = (self.shared.clone(), std::mem::take(&mut self.token));
        let session = std::mem::replace(&mut self.session, placeholder());
        runtime.spawn(async move {
            if let Err(e) = shared.write_back(&session, &token).await {
                tracing::warn!(error = %e, session = %session.id, "session not written back");
            }
        });
    }
}

/// An empty session left behind when a dropped guard hands its session to the write-back.
fn placeholder() -> Session {
    Session::new(
        String::new(),
        String::new(),
        Entrance::Consumer,
        SystemTime::UNIX_EPOCH,
        Duration::ZERO,
        1,
    )
}

fn encode(session: &Session) -> Result<Vec<u8>, SessionStoreError> {
    serde_json::to_vec(session).map_err(|e| corrupt(&session.id, e))
}

fn decode(id: &str, bytes: &[u8]) -> Result<Session, SessionStoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(id, e))
}

/// How long Redis keeps a session after this write: its idle limit and the retention
/// of closed sessions (the sweeper closes it well before; the TTL only drops the
/// sessions nobody swept, e.g. after every replica stopped).
fn ttl_ms(session: &Session) -> u64 {
    millis(session.idle_timeout + CLOSED_RETENTION)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn epoch_ms(at: SystemTime) -> u64 {
    millis(
        at.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

fn unavailable(e: redis::RedisError) -> SessionStoreError {
    SessionStoreError::Unavailable(e.to_string())
}

fn corrupt(id: &str, e: serde_json::Error) -> SessionStoreError {
    SessionStoreError::Corrupt {
        id: id.to_owned(),
        reason: e.to_string(),
    }
}
