-- Online enrollment by population category (issue 11, guide 003: a secondary correspondent « rattaché en fonction du
-- contrat, le filtre peut être selon la catégorie de la population en gestion »): each contract's category (from
-- legacy.contracts), and each invitation's, recorded from its contract when it is made. NULL for a contract projected
-- before, or an invitation made before: only a correspondent without a category limit manages it.
ALTER TABLE contracts ADD COLUMN category text;
ALTER TABLE invitations ADD COLUMN category text;
