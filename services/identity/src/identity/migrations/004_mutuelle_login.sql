-- Unions of mutuelles (Solimut): a member's mutuelle within the union, and the key a login finds the
-- account by where the tenant says so (the mutuelle's number with the member's email).
ALTER TABLE members_on_file ADD COLUMN mutuelle_code text;
ALTER TABLE accounts ADD COLUMN login_key text;
CREATE UNIQUE INDEX accounts_login_key ON accounts (tenant, kind, login_key) WHERE login_key IS NOT NULL AND status <> 'deleted';
