-- The portals' sessions (backend-for-frontend): the browser's cookie names a row by its digest; the
-- tokens of the gateway's API never leave this table. Anonymous sessions (no tokens) carry the CSRF
-- token of the login and activation forms and the activation's progress.
CREATE TABLE sessions (
    id_digest      bytea PRIMARY KEY,
    tenant         text NOT NULL,
    portal         text NOT NULL,
    csrf_token     text NOT NULL,
    access_token   text,
    refresh_token  text,
    access_expires_at timestamptz,
    terms_pending  boolean NOT NULL DEFAULT false,
    data           jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
