-- The request engine: every request a portal made, its history, the decisions that came before their
-- request, and the memberships (from legacy.memberships) that a correspondent's requests are checked against.

CREATE TABLE requests (
    id               uuid PRIMARY KEY,
    tenant           text NOT NULL,
    kind             text NOT NULL,
    portal           text NOT NULL CHECK (portal IN ('broker', 'member', 'employer')),
    account          text NOT NULL,
    reference        text NOT NULL,           -- broker code, member number or company code of the requester
    subject          text,                    -- for whom, as the requester reads it
    company_code     text,
    contract_number  text,
    payload          jsonb NOT NULL,
    attachments      jsonb NOT NULL DEFAULT '[]',
    status           text NOT NULL CHECK (status IN ('draft', 'submitted', 'sent', 'accepted', 'refused', 'cancelled')),
    origin           text NOT NULL,           -- the service that made it (enrollment, or the event's source)
    created_at       timestamptz NOT NULL,
    submitted_at     timestamptz,
    sent_at          timestamptz,
    decided_at       timestamptz,
    refusal_reason   text,
    awaiting_advisor boolean NOT NULL DEFAULT false,
    advisor_decision jsonb,
    window_start     date,
    window_end       date
);
CREATE INDEX requests_requester ON requests (tenant, portal, reference, created_at DESC);
CREATE INDEX requests_backoffice ON requests (tenant, status, created_at DESC) WHERE status <> 'draft';
CREATE INDEX requests_awaiting_advisor ON requests (tenant, created_at) WHERE awaiting_advisor;

CREATE TABLE request_history (
    request_id uuid NOT NULL REFERENCES requests (id),
    seq        integer NOT NULL,
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    actor_id   text,
    status     text NOT NULL,
    note       text,
    PRIMARY KEY (request_id, seq)
);

-- A decision for a request the engine has not seen yet (the request's event is late): kept, applied when it comes.
CREATE TABLE early_decisions (
    event_id    uuid PRIMARY KEY,
    tenant      text NOT NULL,
    request_id  uuid NOT NULL,
    outcome     text NOT NULL,
    decided_at  timestamptz NOT NULL,
    reason      text,
    note        text,
    received_at timestamptz NOT NULL
);
CREATE INDEX early_decisions_request ON early_decisions (request_id);

CREATE TABLE memberships (
    tenant               text NOT NULL,
    membership_id        text NOT NULL,
    member_number        text,
    contract_number      text,
    company_code         text,
    last_name            text,
    first_name           text,
    start_date           date,
    affiliation_revision integer,
    end_date             date,
    exit_revision        integer,
    PRIMARY KEY (tenant, membership_id)
);
CREATE INDEX memberships_member ON memberships (tenant, member_number, contract_number);
