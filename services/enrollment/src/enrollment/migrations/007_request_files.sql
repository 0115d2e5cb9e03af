-- The legacy system fetches a request's file by the reference its event carries (issue 11): the requests that list
-- a file are found by its id in their attachments (sent ones only: a draft's files are nobody's business yet).
CREATE INDEX requests_attachment_files ON requests USING gin (attachments jsonb_path_ops) WHERE status <> 'draft';
