-- What the legacy contract now carries for the employer portal (issue 12, guide 003): each insured group's address
-- and contacts (« Votre groupe »), each product's brochure (« Fiche », a file in the document store), and each
-- employee's family situation and how its contributions are paid. Projected with the rest of their event (the same
-- snapshot and revision guard); NULL where the event did not say (projected before, or nothing on file).
ALTER TABLE contracts ADD COLUMN group_details jsonb;
ALTER TABLE guarantees ADD COLUMN brochure jsonb;
ALTER TABLE memberships ADD COLUMN family_situation text, ADD COLUMN payment_mode text, ADD COLUMN payment_frequency text;
