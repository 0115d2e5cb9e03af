-- The statements whose "new document online" email was asked for (paperless members): one row per
-- statement, so that a redelivered payment or a correction of it never announces it twice.
CREATE TABLE documents_announced (
    tenant       text NOT NULL,
    reference    text NOT NULL,
    announced_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, reference)
);
