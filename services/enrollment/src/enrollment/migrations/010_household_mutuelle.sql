-- The member's mutuelle within a union of mutuelles (Solimut: MFPLUS 700...), from the household's contract: online
-- payment is offered to some mutuelles' members only (guide 004). NULL: none published.
ALTER TABLE household_contracts ADD COLUMN mutuelle_code text;
