-- Human agents and their presence.
CREATE TABLE agents (
    agent_id       TEXT    PRIMARY KEY,
    work_number    TEXT    NOT NULL UNIQUE,
    display_name   TEXT    NOT NULL,
    skills         TEXT    NOT NULL, -- comma-separated skill names
    entrances      TEXT    NOT NULL, -- comma-separated: consumer, merchant
    capacity       INTEGER NOT NULL CHECK (capacity > 0),
    presence       TEXT    NOT NULL CHECK (presence IN ('available', 'away', 'offline')),
    presence_since BIGINT  NOT NULL  -- unix milliseconds
);
