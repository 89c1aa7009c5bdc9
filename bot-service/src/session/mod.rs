//! Live sessions: one conversation each, owned by the user who started it, kept in
//! a [`SessionStore`] (this process's memory, or Redis shared by every replica) with an
//! idle timeout. States: BOT → QUEUED → WITH_AGENT → (BOT | CLOSED).

pub mod memory;
pub mod redis;
mod redis_scripts;
pub mod registry;
pub mod store;
#[cfg(test)]
mod store_tests;

use std::time::{Duration, SystemTime};

pub use memory::{DEFAULT_TRANSCRIPT_WINDOW, Replies, Transcript, TranscriptLine};
pub use registry::{Registry, SessionCell};
pub use store::{SessionGuard, SessionStore, SessionStoreError};

use crate::{
    handoff::AgentCard,
    vocabulary::{Entrance, Language},
};

/// Where a session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SessionState {
    /// Talking to the robot.
    Bot,
    /// Waiting in a human queue.
    Queued,
    /// Talking to a person.
    WithAgent,
    /// Over.
    Closed,
}

/// Why a session closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CloseReason {
    /// The user ended it.
    CustomerEnded,
    /// No message within the idle timeout.
    IdleTimeout,
    /// A person resolved it.
    Resolved,
}

/// Who said a transcript line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Speaker {
    /// The shopper or seller.
    Customer,
    /// The robot.
    Bot,
}

/// What the robot answered to one turn; replayed verbatim for a retried message.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reply {
    /// Identifies the reply for ratings.
    pub reply_id: String,
    /// The answer.
    pub text: String,
    /// Its language.
    pub language: Language,
    /// The recognised intent; `None` for a greeting or a fallback.
    pub intent: Option<RecognisedIntent>,
    /// Whether this is the "did not understand" reply.
    pub fallback: bool,
    /// Tap-to-send suggestions.
    pub quick_replies: Vec<String>,
    /// 猜你想问: the closest intents when unsure.
    pub suggestions: Vec<SuggestedIntent>,
    /// Whether "talk to a person" is on offer after this reply.
    pub agent_offered: bool,
    /// When.
    pub at: SystemTime,
    /// The complaint this reply filed (complaint.agent, once confirmed).
    pub complaint: Option<Box<crate::complaints::Filed>>,
}

/// The intent behind a reply.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecognisedIntent {
    /// Catalogue name, or `fallback`.
    pub name: String,
    /// Its kind.
    pub kind: crate::vocabulary::IntentKind,
    /// Recognition confidence, 0..1.
    pub confidence: f64,
}

/// A suggested question.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SuggestedIntent {
    /// Catalogue name.
    pub intent: String,
    /// The question to show.
    pub question: String,
    /// Its score.
    pub score: f64,
}

/// What callers are told about a session: its identity and state, not its memory.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionView {
    /// UUIDv7.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// Which door.
    pub entrance: Entrance,
    /// Current state.
    pub state: SessionState,
    /// Set once closed.
    pub close_reason: Option<CloseReason>,
    /// Opened at.
    pub created_at: SystemTime,
    /// Last user message (or start).
    pub last_activity: SystemTime,
    /// Idle limit.
    pub idle_timeout: Duration,
    /// "Talk to a person" is on offer.
    pub agent_offered: bool,
    /// The ticket in agent-service now, or the latest one.
    pub ticket_id: Option<String>,
}

/// One conversation.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// UUIDv7.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// Which door.
    pub entrance: Entrance,
    /// Current state.
    pub state: SessionState,
    /// Set once closed.
    pub close_reason: Option<CloseReason>,
    /// Opened at.
    pub created_at: SystemTime,
    /// Last user message (or start).
    pub last_activity: SystemTime,
    /// Idle limit.
    pub idle_timeout: Duration,
    /// "Talk to a person" is on offer.
    pub agent_offered: bool,
    /// Turns where a problem intent was recognised.
    pub recognised_turns: u32,
    /// Fallbacks since the last recognised turn.
    pub fallbacks_in_a_row: u32,
    /// The last recognised problem intent and its skill, for routing.
    pub last_problem: Option<(String, String)>,
    /// The latest lines of the robot conversation.
    pub transcript: Transcript,
    /// The ticket in agent-service while queued or with a person.
    pub ticket_id: Option<String>,
    /// The latest ticket, kept after it closes (for rating the person).
    pub last_ticket: Option<String>,
    /// The person serving the customer now.
    pub agent: Option<AgentCard>,
    /// The last stored event of the ticket applied to this session.
    pub last_sequence: u64,
    /// When the session last caught up with its ticket (or was created).
    pub synced_at: SystemTime,
    /// The task under way (top-up, weather…) and how many were started.
    pub tasks: crate::tasks::TaskState,
    /// The complaint dialogue under way, flagged agent messages, one-step complaints.
    pub complaints: crate::complaints::ComplaintState,
    /// Recent replies: for retries by client message id, and for ratings.
    pub replies: Replies,
}

impl Session {
    /// A new session in the BOT state, keeping `transcript_window` transcript lines.
    pub fn new(
        id: String,
        user_id: String,
        entrance: Entrance,
        now: SystemTime,
        idle_timeout: Duration,
        transcript_window: usize,
    ) -> Self {
        Self {
            id,
            user_id,
            entrance,
            state: SessionState::Bot,
            close_reason: None,
            created_at: now,
            last_activity: now,
            idle_timeout,
            agent_offered: false,
            recognised_turns: 0,
            fallbacks_in_a_row: 0,
            last_problem: None,
            transcript: Transcript::new(transcript_window),
            ticket_id: None,
            last_ticket: None,
            agent: None,
            last_sequence: 0,
            synced_at: now,
            tasks: Default::default(),
            complaints: Default::default(),
            replies: Replies::default(),
        }
    }

    /// What callers are told about the session.
    pub fn view(&self) -> SessionView {
        SessionView {
            id: self.id.clone(),
            user_id: self.user_id.clone(),
            entrance: self.entrance,
            state: self.state,
            close_reason: self.close_reason,
            created_at: self.created_at,
            last_activity: self.last_activity,
            idle_timeout: self.idle_timeout,
            agent_offered: self.agent_offered,
            ticket_id: self.ticket_id.clone().or_else(|| self.last_ticket.clone()),
        }
    }

    /// Whether a session handed to a person has gone a whole idle limit without
    /// hearing from its ticket: the sweeper then catches it up, so a conversation the
    /// person closed while the customer was away does not pin the session in memory.
    pub fn needs_sync(&self, now: SystemTime) -> bool {
        matches!(self.state, SessionState::Queued | SessionState::WithAgent)
            && now.duration_since(self.synced_at).unwrap_or_default() >= self.idle_timeout
    }

    /// Whether the idle limit has passed at `now`. Only a session with the robot idles
    /// out: waiting in a queue is not idleness, and once handed off agent-service owns
    /// the idle rules (the session follows its ticket).
    pub fn is_idle(&self, now: SystemTime) -> bool {
        self.state == SessionState::Bot
            && now.duration_since(self.last_activity).unwrap_or_default() >= self.idle_timeout
    }

    /// When the sweeper must next look at the session: its idle limit with the robot, or
    /// the catch-up with its ticket while handed off; `None` once closed.
    pub fn next_check(&self) -> Option<SystemTime> {
        match self.state {
            SessionState::Bot => Some(self.last_activity + self.idle_timeout),
            SessionState::Queued | SessionState::WithAgent => {
                Some(self.synced_at + self.idle_timeout)
            }
            SessionState::Closed => None,
        }
    }

    /// Hands the session to `ticket` (QUEUED).
    pub fn queue(&mut self, ticket: String) {
        self.state = SessionState::Queued;
        self.last_ticket = Some(ticket.clone());
        self.ticket_id = Some(ticket);
        self.last_sequence = 0;
        self.agent = None;
    }

    /// Back to the robot, with the conversation so far kept.
    pub fn back_to_bot(&mut self) {
        self.state = SessionState::Bot;
        self.ticket_id = None;
        self.agent = None;
    }

    /// Back to the robot after leaving the queue: the cancelled ticket is forgotten
    /// (nobody served it, so there is nothing to rate or follow).
    pub fn leave_queue(&mut self) {
        self.back_to_bot();
        self.last_ticket = None;
    }

    /// Moves to CLOSED with `reason` (no-op when already closed).
    pub fn close(&mut self, reason: CloseReason) {
        if self.state != SessionState::Closed {
            self.state = SessionState::Closed;
            self.close_reason = Some(reason);
            self.ticket_id = None;
            self.agent = None;
        }
    }

    /// Records a transcript line.
    pub fn log(&mut self, speaker: Speaker, text: &str, at: SystemTime, intent: Option<&str>) {
        self.transcript.push(TranscriptLine {
            speaker,
            text: text.to_owned(),
            at,
            intent: intent.map(str::to_owned),
        });
    }
}
