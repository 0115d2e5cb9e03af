-- The insured groups (A, P, E, M) of each collective contract (issue 12): what a primary correspondent may grant
-- a secondary one on each contract. NULL for a contract recorded before: its signature read again fills it.
ALTER TABLE company_contracts ADD COLUMN insured_groups text[];
