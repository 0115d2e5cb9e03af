-- Requests a broker made in the portal for the legacy system (an address change with its Kbis), kept
-- as sent: the request is published on portal.requests in the same transaction (outbox), and its
-- document stays here for the back office. The status moves on once the requests engine follows
-- the legacy system's answers; until then a request is 'submitted'.
CREATE TABLE broker_requests (
    id                  uuid PRIMARY KEY,
    tenant              text NOT NULL,
    broker_code         text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('address_change')),
    payload             jsonb NOT NULL,
    status              text NOT NULL DEFAULT 'submitted',
    document_file_id    uuid,
    document_name       text,
    document_media_type text,
    document_size       integer CHECK (document_size > 0),
    document_sha256     text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    created_by          text NOT NULL,
    CHECK ((document_file_id IS NULL) = (document_media_type IS NULL))
);
CREATE INDEX broker_requests_broker ON broker_requests (tenant, broker_code, kind, created_at DESC);
