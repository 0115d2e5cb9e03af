-- Searching the portfolio the way people type: case- and accent-insensitive, by any part of a name.
-- `fold` is the one normalisation, used by the stored search columns and by every query on them. The
-- database's locale may be C (lower() then folds ASCII only): accented capitals are translated first.
CREATE FUNCTION fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN regexp_replace(
        replace(replace(replace(replace(lower(translate(value,
            'àÀáÁâÂãÃäÄåÅāĀçÇćĆčČďĎèÈéÉêÊëËēĒėĖęĘěĚìÌíÍîÎïÏīĪįĮłŁñÑńŃňŇòÒóÓôÔõÕöÖøØōŌřŘśŚšŠťŤùÙúÚûÛüÜūŪůŮýÝÿŸžŽźŹżŻ''’-',
            'aAaAaAaAaAaAaAcCcCcCdDeEeEeEeEeEeEeEeEiIiIiIiIiIiIlLnNnNnNoOoOoOoOoOoOoOrRsSsStTuUuUuUuUuUuUyYyYzZzZzZ   ')),
            'œ', 'oe'), 'æ', 'ae'), 'Œ', 'oe'), 'Æ', 'ae'),
        '\s+', ' ', 'g');

ALTER TABLE companies ADD COLUMN search_name text GENERATED ALWAYS AS (fold(legal_name)) STORED;
ALTER TABLE memberships ADD COLUMN search_name text
    GENERATED ALWAYS AS (fold(coalesce(last_name, '') || ' ' || coalesce(first_name, ''))) STORED;

CREATE INDEX companies_siret ON companies (tenant, siret);
CREATE INDEX memberships_contract ON memberships (tenant, contract_number);
