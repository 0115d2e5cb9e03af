-- One row per notification request: the delivery key is the request's event id, so that a
-- redelivered request never makes a second message. The row is the persisted schedule of its
-- attempts (retries survive a restart) and, once ended, the delivery log.
CREATE TABLE deliveries (
    request_id          uuid PRIMARY KEY,          -- event id of the NotificationRequested
    tenant              text NOT NULL,
    template            text NOT NULL,
    channel             text NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient_ref       text NOT NULL,
    address             text NOT NULL,             -- email address, or mobile number in E.164
    display_name        text,
    locale              text NOT NULL DEFAULT 'fr',
    data                jsonb,                     -- template variables (codes, links): cleared once ended
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts            integer NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    claimed_by          uuid,                      -- the sender process of the attempt in progress
    attempted_at        timestamptz,               -- when that attempt started (recorded before sending)
    handed_over_at      timestamptz,               -- email: content about to go to the relay (from here the outcome may be uncertain)
    check_provider      boolean NOT NULL DEFAULT false,  -- sms: ask the provider before the next attempt
    provider_message_id text,                      -- Message-ID of the email, or the SMS provider's sid
    outcome_note        text,                      -- how an uncertain attempt was settled
    last_error          text,                      -- reason of the last failure (no personal data)
    traceparent         text,
    tracestate          text,
    requested_at        timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz
);
CREATE INDEX deliveries_due ON deliveries (channel, next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_in_progress ON deliveries (claimed_by) WHERE status = 'sending';
CREATE INDEX deliveries_provider_message ON deliveries (provider_message_id) WHERE provider_message_id IS NOT NULL;
