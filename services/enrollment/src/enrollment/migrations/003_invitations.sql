-- Online enrollment (guide 003, « Affiliation en ligne »): a correspondent invites employees by email; each
-- invitation's link (its token kept only as a digest) lets the employee fill the affiliation wizard without an
-- account. The mails asked for each invitation (the invitation and its reminders), whose outcomes come back on
-- notifications.outcomes; and the companies' names (from legacy.companies) the mails are signed with.

CREATE TABLE invitations (
    id               uuid PRIMARY KEY,
    tenant           text NOT NULL,
    company_code     text NOT NULL,
    contract_number  text NOT NULL,
    account          text NOT NULL,            -- the correspondent who invited
    civility         text NOT NULL,
    last_name        text NOT NULL,
    first_name       text NOT NULL,
    email            text NOT NULL,
    token_digest     bytea NOT NULL UNIQUE,    -- SHA-256 of the link's token (the token itself is never kept)
    status           text NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'refused', 'expired', 'error', 'closed')),
    mail_status      text NOT NULL CHECK (mail_status IN ('requested', 'delivered', 'bounced', 'failed')),
    request_id       uuid REFERENCES requests (id),   -- the affiliation the employee fills, once the link is opened
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    last_mailed_at   timestamptz NOT NULL,
    reminders        integer NOT NULL DEFAULT 0,
    removed_at       timestamptz                -- « Retirer le suivi »: no longer in the tracking table
);
CREATE INDEX invitations_company ON invitations (tenant, company_code, created_at) WHERE removed_at IS NULL;
CREATE INDEX invitations_open ON invitations (expires_at) WHERE status IN ('pending', 'in_progress', 'error');
CREATE INDEX invitations_request ON invitations (request_id) WHERE request_id IS NOT NULL;

CREATE TABLE invitation_mails (
    notification_id uuid PRIMARY KEY,          -- the NotificationRequested event's id (its outcome names it)
    invitation_id   uuid NOT NULL REFERENCES invitations (id),
    template        text NOT NULL,
    requested_at    timestamptz NOT NULL
);
CREATE INDEX invitation_mails_invitation ON invitation_mails (invitation_id, requested_at DESC);

CREATE TABLE companies (
    tenant       text NOT NULL,
    company_code text NOT NULL,
    legal_name   text NOT NULL,
    revision     integer NOT NULL,
    PRIMARY KEY (tenant, company_code)
);
