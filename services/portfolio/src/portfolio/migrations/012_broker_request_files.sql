-- The legacy system fetches a broker's request's document (the Kbis of an address change) by the reference its
-- event carries (issue 11): the request is found by that reference.
CREATE INDEX broker_requests_document ON broker_requests (document_file_id) WHERE document_file_id IS NOT NULL;
