-- A company searched by any part of its legal name (Effectifs: "contains", accents and case ignored,
-- migration 003's search_name) reads a trigram index instead of every company of the tenant: on the
-- bench data set (10,000 companies), 'aménag' in the largest portfolio went from 8.5 ms (a sequential
-- scan) to 0.9 ms. pg_trgm is one of PostgreSQL's trusted extensions: the database's owner may create
-- it. It goes to `public` (once per database, every service's search_path ends with it).
-- Terms of fewer than three letters have no trigram: those still read the table.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;

CREATE INDEX IF NOT EXISTS companies_search_trgm ON companies USING gin (search_name public.gin_trgm_ops);
