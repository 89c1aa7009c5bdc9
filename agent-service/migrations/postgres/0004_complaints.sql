-- Complaints against human agents: the complaint with its sealed evidence digest, the
-- audit trail of its status changes, the sealed links of its evidence chain, and the
-- per-day counter behind readable references (TS-YYYYMMDD-NNNNNN). Stored messages
-- become immutable, so that sealed evidence can only be contradicted by tampering
-- that bypasses the database's own rules.
CREATE TABLE complaints (
    reference               TEXT    PRIMARY KEY,   -- TS-YYYYMMDD-NNNNNN
    idempotency_key         TEXT    NOT NULL UNIQUE,
    request_digest          TEXT    NOT NULL,      -- SHA-256 hex of the canonical payload
    ticket_id               TEXT    NOT NULL REFERENCES tickets (ticket_id),
    customer_id             TEXT    NOT NULL,
    entrance                TEXT    NOT NULL CHECK (entrance IN ('consumer', 'merchant')),
    agent_id                TEXT    NOT NULL REFERENCES agents (agent_id),
    category                TEXT    NOT NULL CHECK (category IN ('abusive_language', 'rude_attitude', 'wrong_information', 'slow_or_no_response', 'other')),
    description             TEXT    NOT NULL,
    status                  TEXT    NOT NULL CHECK (status IN ('received', 'in_review', 'resolved', 'rejected', 'withdrawn')),
    outcome                 TEXT    NOT NULL DEFAULT '',
    filed_at                BIGINT  NOT NULL,      -- unix milliseconds
    acknowledge_by          BIGINT  NOT NULL,
    decide_by               BIGINT  NOT NULL,
    evidence_digest         TEXT    NOT NULL,
    evidence_messages       INTEGER NOT NULL,
    highlighted_message_ids TEXT    NOT NULL,      -- one per line
    UNIQUE (ticket_id, customer_id)                -- one complaint per ticket per customer
);

CREATE INDEX complaints_customer ON complaints (customer_id, reference);
CREATE INDEX complaints_agent ON complaints (agent_id, status);
CREATE INDEX complaints_status ON complaints (status, decide_by);

-- Every status change, the filing itself first (position 1).
CREATE TABLE complaint_audit (
    reference   TEXT    NOT NULL REFERENCES complaints (reference),
    position    INTEGER NOT NULL CHECK (position > 0),
    actor_id    TEXT    NOT NULL,
    actor_role  TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    from_status TEXT    CHECK (from_status IN ('received', 'in_review', 'resolved', 'rejected', 'withdrawn')),
    to_status   TEXT    NOT NULL CHECK (to_status IN ('received', 'in_review', 'resolved', 'rejected', 'withdrawn')),
    note        TEXT    NOT NULL,
    PRIMARY KEY (reference, position)
);

-- The sealed evidence chain: one link per message, in transcript order.
CREATE TABLE complaint_evidence (
    reference  TEXT    NOT NULL REFERENCES complaints (reference),
    position   INTEGER NOT NULL CHECK (position > 0),
    message_id TEXT    NOT NULL,
    digest     TEXT    NOT NULL,                   -- SHA-256 hex of the chain up to here
    PRIMARY KEY (reference, position)
);

-- The last reference number handed out per filing day (UTC), bumped inside the
-- filing transaction.
CREATE TABLE complaint_counters (
    day         TEXT   PRIMARY KEY,                -- YYYYMMDD
    last_number BIGINT NOT NULL CHECK (last_number > 0)
);

-- Nobody, agents included, edits or deletes a message once stored.
CREATE FUNCTION refuse_stored_message_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stored messages are immutable: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER ticket_transcript_no_update BEFORE UPDATE ON ticket_transcript
    FOR EACH ROW EXECUTE FUNCTION refuse_stored_message_change();
CREATE TRIGGER ticket_transcript_no_delete BEFORE DELETE ON ticket_transcript
    FOR EACH ROW EXECUTE FUNCTION refuse_stored_message_change();
CREATE TRIGGER ticket_transcript_no_truncate BEFORE TRUNCATE ON ticket_transcript
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_stored_message_change();
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION refuse_stored_message_change();
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION refuse_stored_message_change();
CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON ticket_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_stored_message_change();
