-- The login before the current one (what "last login" shows), and the radiations the legacy system
-- publishes (one per member and contract; a member is radiated once every contract is).
ALTER TABLE accounts ADD COLUMN previous_login_at timestamptz;

CREATE TABLE member_radiations (
    tenant          text NOT NULL,
    member_number   text NOT NULL,
    contract_number text NOT NULL,
    effective_date  date NOT NULL,          -- last day covered
    PRIMARY KEY (tenant, member_number, contract_number)
);
