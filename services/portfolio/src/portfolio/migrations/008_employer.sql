-- The employer portal's reads (issue 12): what the company sheet, the search of an employee and the
-- employee list need of a membership, besides what the broker portal already reads.
--
-- The NIR is never kept in clear: `nir_digest` is its HMAC-SHA256 under the service's NIR search key
-- (settings), to find an employee by the number a correspondent types; `nir_masked` is what is shown.
-- The dependants' NIRs are kept masked inside `dependants` (jsonb), the IBAN masked only.
ALTER TABLE memberships
    ADD COLUMN birth_date    date,
    ADD COLUMN nir_digest    text,
    ADD COLUMN nir_masked    text,
    ADD COLUMN address       jsonb,
    ADD COLUMN email         text,
    ADD COLUMN mobile_phone  text,
    ADD COLUMN iban_masked   text,
    ADD COLUMN search_last_name text GENERATED ALWAYS AS (fold(last_name)) STORED,
    ADD COLUMN search_first_name text GENERATED ALWAYS AS (fold(first_name)) STORED;

-- « Rechercher un salarié »: by the start of the last name within a company, or by the NIR's digest.
CREATE INDEX memberships_company_last_name ON memberships (tenant, company_code, search_last_name text_pattern_ops);
CREATE INDEX memberships_nir ON memberships (tenant, nir_digest) WHERE nir_digest IS NOT NULL;
