-- Transactional outbox: events written in the same transaction as the state change, published
-- afterwards by the relay. Inbox: ids of consumed events, recorded with their effect.
CREATE TABLE outbox (
    seq           bigserial PRIMARY KEY,
    event_id      uuid NOT NULL UNIQUE,
    topic         text NOT NULL,
    key           text NOT NULL,
    value         bytea NOT NULL,
    headers       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error    text
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE sent_at IS NULL;

CREATE TABLE inbox (
    consumer_group text NOT NULL,
    event_id       uuid NOT NULL,
    event_type     text NOT NULL,
    topic          text NOT NULL,
    partition      integer NOT NULL,
    "offset"       bigint NOT NULL,
    processed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, event_id)
);
