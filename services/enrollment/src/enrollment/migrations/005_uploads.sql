-- Files sent before the request they join exists (issue 11): a member's file for « Écrivez-nous », uploaded
-- first and then named by its id in the message. Each upload is its owner's (a member's household: portal
-- 'member' and its member number); a message takes only its owner's uploads not used yet (used_by: the
-- request it joined). An upload never used is forgotten a day later (row and file).

CREATE TABLE uploads (
    tenant       text NOT NULL,
    file_id      uuid NOT NULL,            -- its key in the document store
    portal       text NOT NULL,
    reference    text NOT NULL,            -- the owner: the household's member number
    account      text NOT NULL,            -- who sent it
    name         text NOT NULL,            -- the name the user gave it (for people to read)
    media_type   text NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size         integer NOT NULL CHECK (size > 0),
    sha256       text NOT NULL,
    uploaded_at  timestamptz NOT NULL,
    used_by      uuid REFERENCES requests (id),
    PRIMARY KEY (tenant, file_id)
);
CREATE INDEX uploads_unused ON uploads (tenant, uploaded_at) WHERE used_by IS NULL;
CREATE INDEX uploads_owner ON uploads (tenant, portal, reference) WHERE used_by IS NULL;
