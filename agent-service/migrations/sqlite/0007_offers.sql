-- Offers made by the routing replica when several agent-service replicas share this
-- database: any replica accepts or declines one with a guarded UPDATE (only an open,
-- unexpired offer to that agent), so exactly one accept wins wherever it lands. A
-- single replica keeps its offers in memory and never writes here.
CREATE TABLE offers (
    offer_id   TEXT   PRIMARY KEY,
    ticket_id  TEXT   NOT NULL REFERENCES tickets (ticket_id),
    agent_id   TEXT   NOT NULL REFERENCES agents (agent_id),
    made_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- open | accepted | ended
    status     TEXT   NOT NULL DEFAULT 'open',
    reason     TEXT   NOT NULL DEFAULT '',
    ended_at   BIGINT
);
CREATE INDEX offers_open ON offers (agent_id) WHERE status = 'open';
