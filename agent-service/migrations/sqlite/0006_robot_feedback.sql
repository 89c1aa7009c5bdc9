-- The robot's feedback figures, shared by every bot-service replica: questions it could
-- not answer (already normalised and masked of personal data) and answer ratings.
CREATE TABLE robot_unanswered (
    entrance  TEXT    NOT NULL CHECK (entrance IN ('consumer', 'merchant')),
    text      TEXT    NOT NULL,
    count     BIGINT  NOT NULL CHECK (count > 0),
    last_seen BIGINT  NOT NULL,
    PRIMARY KEY (entrance, text)
);

CREATE INDEX robot_unanswered_by_count ON robot_unanswered (count DESC, last_seen DESC);

CREATE TABLE robot_reply_ratings (
    intent      TEXT   PRIMARY KEY,
    helpful     BIGINT NOT NULL CHECK (helpful >= 0),
    not_helpful BIGINT NOT NULL CHECK (not_helpful >= 0)
);
