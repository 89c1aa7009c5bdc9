-- Escalations from the robot (tickets), the bot transcript that came with each, and the
-- numbered events of each ticket that streams replay after a given sequence.
CREATE TABLE tickets (
    ticket_id       TEXT    PRIMARY KEY,           -- UUIDv7
    idempotency_key TEXT    NOT NULL UNIQUE,
    request_digest  TEXT    NOT NULL,              -- SHA-256 hex of the canonical payload
    customer_id     TEXT    NOT NULL,
    entrance        TEXT    NOT NULL CHECK (entrance IN ('consumer', 'merchant')),
    skill           TEXT    NOT NULL,
    priority        INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 9),
    reason          TEXT    NOT NULL,
    intent          TEXT    NOT NULL,
    bot_session_id  TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'with_agent', 'closed')),
    agent_id        TEXT    REFERENCES agents (agent_id),
    created_at      BIGINT  NOT NULL,              -- unix milliseconds, like every instant
    assigned_at     BIGINT,
    closed_at       BIGINT,
    close_reason    TEXT    CHECK (close_reason IN ('resolved', 'returned_to_bot', 'customer_left', 'customer_idle')),
    last_sequence   BIGINT  NOT NULL DEFAULT 0     -- the sequence of the latest ticket_events row
);

-- A customer has at most one open ticket per entrance.
CREATE UNIQUE INDEX tickets_one_open_per_customer ON tickets (customer_id, entrance)
    WHERE status <> 'closed';
-- The queues, in service order.
CREATE INDEX tickets_queue ON tickets (entrance, skill, priority DESC, created_at, ticket_id)
    WHERE status = 'queued';
-- Each agent's conversations.
CREATE INDEX tickets_with_agent ON tickets (agent_id) WHERE status = 'with_agent';

-- The robot conversation before the hand-off, line by line.
CREATE TABLE ticket_transcript (
    ticket_id TEXT    NOT NULL REFERENCES tickets (ticket_id),
    line_no   INTEGER NOT NULL,                    -- from 1
    sender    TEXT    NOT NULL CHECK (sender IN ('customer', 'bot', 'agent', 'system')),
    text      TEXT    NOT NULL,
    at        BIGINT  NOT NULL,
    intent    TEXT    NOT NULL,                    -- empty when none was recognised
    PRIMARY KEY (ticket_id, line_no)
);

-- Everything that happens to a ticket, numbered 1, 2, 3 … per ticket. One row per event;
-- the columns a kind does not use are NULL.
CREATE TABLE ticket_events (
    ticket_id         TEXT    NOT NULL REFERENCES tickets (ticket_id),
    sequence          BIGINT  NOT NULL CHECK (sequence > 0),
    at                BIGINT  NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('queued', 'agent_joined', 'message', 'transferred', 'closed')),
    sender            TEXT    CHECK (sender IN ('customer', 'bot', 'agent', 'system')), -- message
    agent_id          TEXT,   -- agent_joined, an agent's message, a transfer to a named agent
    skill             TEXT,   -- queued: the queue; transferred: the queue it went to
    from_skill        TEXT,   -- transferred: the queue it left
    priority          INTEGER, -- queued
    text              TEXT,   -- message text, transfer note, close notice
    close_reason      TEXT    CHECK (close_reason IN ('resolved', 'returned_to_bot', 'customer_left', 'customer_idle')),
    client_message_id TEXT,   -- message: the sender's retry key
    flagged_terms     TEXT,   -- message: abusive-language hits, one per line
    PRIMARY KEY (ticket_id, sequence)
);

-- A retried message (same client id) is stored once per ticket.
CREATE UNIQUE INDEX ticket_events_client_message ON ticket_events (ticket_id, client_message_id)
    WHERE client_message_id IS NOT NULL;
