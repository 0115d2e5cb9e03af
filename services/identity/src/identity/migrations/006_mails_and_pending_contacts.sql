-- What became of each notification identity asked for (matched by the request's event id from the
-- notifications service's outcomes), and a contact change asked in a portal, pending until the
-- legacy system, which stays the truth, carries it.
CREATE TABLE sent_mails (
    request_id   uuid PRIMARY KEY,           -- the NotificationRequested's event id
    tenant       text NOT NULL,
    template     text NOT NULL,
    account_id   uuid REFERENCES accounts (id),
    reference    text NOT NULL,
    status       text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'delivered', 'failed')),
    requested_at timestamptz NOT NULL,
    outcome_at   timestamptz
);
CREATE INDEX sent_mails_account ON sent_mails (account_id, template);

ALTER TABLE accounts ADD COLUMN pending_contact jsonb;
