-- Routing, the end of a conversation, and its figures: a ticket transferred to a named
-- agent waits for that agent only; customers rate the agent once per closed ticket.
ALTER TABLE tickets ADD COLUMN target_agent_id TEXT REFERENCES agents (agent_id);

-- Supervisors' figures and wait estimates read recently assigned and closed tickets.
CREATE INDEX tickets_assigned_at ON tickets (assigned_at) WHERE assigned_at IS NOT NULL;
CREATE INDEX tickets_closed_at ON tickets (closed_at) WHERE closed_at IS NOT NULL;

-- One satisfaction rating per ticket, for the agent who served it last.
CREATE TABLE ticket_ratings (
    ticket_id TEXT    PRIMARY KEY REFERENCES tickets (ticket_id),
    agent_id  TEXT    NOT NULL REFERENCES agents (agent_id),
    score     INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment   TEXT    NOT NULL,
    rated_at  BIGINT  NOT NULL
);
