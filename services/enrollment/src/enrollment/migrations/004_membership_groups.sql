-- The insured group (A, P, E, M) of each membership (issue 12): a secondary correspondent acts only on the
-- employees of the groups it manages. NULL for a membership projected before: only a correspondent who manages
-- every group of the contract acts on it.
ALTER TABLE memberships ADD COLUMN insured_group text;
