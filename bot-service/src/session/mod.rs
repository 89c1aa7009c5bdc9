//! Live sessions: one conversation each, owned by the user who started it, kept in
//! memory with an idle timeout. States: BOT → QUEUED → WITH_AGENT → (BOT | CLOSED).

pub mod registry;

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime},
};

pub use registry::{Registry, SessionCell};

use crate::{
    handoff::AgentCard,
    vocabulary::{Entrance, Language},
};

/// Where a session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The user ended it.
    CustomerEnded,
    /// No message within the idle timeout.
    IdleTimeout,
    /// A person resolved it.
    Resolved,
}

/// Who said a transcript line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speaker {
    /// The shopper or seller.
    Customer,
    /// The robot.
    Bot,
}

/// One line of the robot conversation, handed to the agent on escalation.
#[derive(Clone, Debug, PartialEq)]
pub struct TranscriptLine {
    /// Who said it.
    pub speaker: Speaker,
    /// What was said.
    pub text: String,
    /// When.
    pub at: SystemTime,
    /// The intent recognised in a customer line.
    pub intent: Option<String>,
}

/// What the robot answered to one turn; replayed verbatim for a retried message.
#[derive(Clone, Debug, PartialEq)]
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
#[derive(Clone, Debug, PartialEq)]
pub struct RecognisedIntent {
    /// Catalogue name, or `fallback`.
    pub name: String,
    /// Its kind.
    pub kind: crate::vocabulary::IntentKind,
    /// Recognition confidence, 0..1.
    pub confidence: f64,
}

/// A suggested question.
#[derive(Clone, Debug, PartialEq)]
pub struct SuggestedIntent {
    /// Catalogue name.
    pub intent: String,
    /// The question to show.
    pub question: String,
    /// Its score.
    pub score: f64,
}

/// How many answered message ids a session remembers for retries.
const REMEMBERED_TURNS: usize = 64;

/// One conversation.
#[derive(Clone, Debug)]
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
    /// The robot conversation so far.
    pub transcript: Vec<TranscriptLine>,
    /// The ticket in agent-service while queued or with a person.
    pub ticket_id: Option<String>,
    /// The latest ticket, kept after it closes (for rating the person).
    pub last_ticket: Option<String>,
    /// The person serving the customer now.
    pub agent: Option<AgentCard>,
    /// The last stored event of the ticket applied to this session.
    pub last_sequence: u64,
    /// Open customer event streams; a customer watching the queue is not idle.
    pub watchers: Arc<AtomicUsize>,
    /// The task under way (top-up, weather…) and how many were started.
    pub tasks: crate::tasks::TaskState,
    /// The complaint dialogue under way, flagged agent messages, one-step complaints.
    pub complaints: crate::complaints::ComplaintState,
    /// Replies by client message id, oldest first, for idempotent retries.
    answered: VecDeque<(String, Reply)>,
    /// Intent of each reply, for ratings.
    reply_intents: HashMap<String, String>,
    /// Ratings already given, by reply id.
    pub ratings: HashMap<String, bool>,
}

impl Session {
    /// A new session in the BOT state.
    pub fn new(
        id: String,
        user_id: String,
        entrance: Entrance,
        now: SystemTime,
        idle_timeout: Duration,
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
            transcript: Vec::new(),
            ticket_id: None,
            last_ticket: None,
            agent: None,
            last_sequence: 0,
            watchers: Arc::default(),
            tasks: Default::default(),
            complaints: Default::default(),
            answered: VecDeque::new(),
            reply_intents: HashMap::new(),
            ratings: HashMap::new(),
        }
    }

    /// Whether the idle limit has passed at `now`. Only a session with the robot, or
    /// waiting in a queue nobody watches, idles out: once a person serves the customer,
    /// agent-service's idle rule decides and the session follows it.
    pub fn is_idle(&self, now: SystemTime) -> bool {
        let counts = match self.state {
            SessionState::Bot => true,
            SessionState::Queued => self.watchers.load(Ordering::Relaxed) == 0,
            SessionState::WithAgent | SessionState::Closed => false,
        };
        counts && now.duration_since(self.last_activity).unwrap_or_default() >= self.idle_timeout
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

    /// Moves to CLOSED with `reason` (no-op when already closed).
    pub fn close(&mut self, reason: CloseReason) {
        if self.state != SessionState::Closed {
            self.state = SessionState::Closed;
            self.close_reason = Some(reason);
            self.ticket_id = None;
            self.agent = None;
        }
    }

    /// The reply already given to `client_message_id`, if any.
    pub fn answered(&self, client_message_id: &str) -> Option<&Reply> {
        self.answered
            .iter()
            .find(|(id, _)| id == client_message_id)
            .map(|(_, r)| r)
    }

    /// Remembers `reply` for `client_message_id` (bounded).
    pub fn remember(&mut self, client_message_id: String, reply: Reply) {
        let intent = match &reply.intent {
            Some(intent) => Some(intent.name.clone()),
            None if reply.fallback => Some("fallback".to_owned()),
            None => None,
        };
        if let Some(intent) = intent {
            self.reply_intents.insert(reply.reply_id.clone(), intent);
        }
        if self.answered.len() == REMEMBERED_TURNS {
            self.answered.pop_front();
        }
        self.answered.push_back((client_message_id, reply));
    }

    /// The intent a reply of this session answered with.
    pub fn reply_intent(&self, reply_id: &str) -> Option<&str> {
        self.reply_intents.get(reply_id).map(String::as_str)
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
