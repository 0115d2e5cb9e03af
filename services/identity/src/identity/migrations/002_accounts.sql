-- Accounts of every kind, what identity keeps from the legacy system to match an activation,
-- one-time codes, single-use links, refresh tokens, terms-of-use acceptances and throttling.

-- Members as the legacy system knows them: only what an activation must match.
CREATE TABLE members_on_file (
    tenant           text NOT NULL,
    member_number    text NOT NULL,          -- the household's number (primary insured)
    last_name        text NOT NULL,
    first_name       text NOT NULL,
    birth_dates      date[] NOT NULL,        -- primary first, then dependants
    email            text,
    mobile_phone     text,
    postal_code      text,
    contract_numbers text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant, member_number)
);
CREATE INDEX members_on_file_email ON members_on_file (tenant, lower(email));
CREATE INDEX members_on_file_phone ON members_on_file (tenant, mobile_phone);

CREATE TABLE accounts (
    id                uuid PRIMARY KEY,
    tenant            text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('member', 'broker', 'correspondent', 'operator')),
    identifier        text NOT NULL,
    email             text,
    phone             text,
    display_name      text,
    password_hash     text,
    status            text NOT NULL CHECK (status IN ('pending', 'active', 'deleted')),
    scope             jsonb NOT NULL DEFAULT '{}',
    mail_preference   text CHECK (mail_preference IN ('post', 'email', 'sms')),
    notification_email text,
    created_by        uuid REFERENCES accounts (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    activated_at      timestamptz,
    last_login_at     timestamptz,
    failed_logins     integer NOT NULL DEFAULT 0,
    locked_until      timestamptz,
    UNIQUE (tenant, kind, identifier)
);
CREATE INDEX accounts_email ON accounts (tenant, lower(email));

INSERT INTO accounts (id, tenant, kind, identifier, password_hash, status, scope, activated_at, last_login_at)
SELECT gen_random_uuid(), tenant, 'broker', broker_code, password_hash, 'active',
       jsonb_build_object('broker_code', broker_code), created_at, last_login_at
FROM broker_credentials;
DROP TABLE broker_credentials;

-- One-time codes: stored hashed, single use, short-lived, a bounded number of wrong attempts.
CREATE TABLE one_time_codes (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    purpose      text NOT NULL,
    subject      text,                      -- what it proves (a member number), null if nothing matched
    channel      text NOT NULL,
    destination  text NOT NULL,             -- the email or phone the code was sent to
    code_hash    text,
    expires_at   timestamptz NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    sends        integer NOT NULL DEFAULT 1,
    last_sent_at timestamptz NOT NULL DEFAULT now(),
    verified_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Single-use links (activation, password reset, invitations) and activation tickets.
CREATE TABLE action_tokens (
    token_hash   text PRIMARY KEY,
    tenant       text NOT NULL,
    purpose      text NOT NULL,
    account_id   uuid REFERENCES accounts (id),
    subject      text,
    payload      jsonb NOT NULL DEFAULT '{}',
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Refresh tokens, rotated at each use; a reused one revokes its whole session.
CREATE TABLE refresh_tokens (
    token_hash   text PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id),
    session_id   uuid NOT NULL,
    expires_at   timestamptz NOT NULL,
    rotated_at   timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE terms_acceptances (
    account_id          uuid NOT NULL REFERENCES accounts (id),
    version             text NOT NULL,
    accepted_at         timestamptz NOT NULL DEFAULT now(),
    health_data_consent boolean NOT NULL,
    PRIMARY KEY (account_id, version)
);

-- Fixed-window counters for throttling (per account, per client address, per destination).
CREATE TABLE throttle (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL
);
