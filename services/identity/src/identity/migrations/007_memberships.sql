-- A member's memberships, affiliation and radiation merged in any order (one row per membership id):
-- a member is radiated once every membership has ended, so a new affiliation after a radiation, on
-- the same contract or another, makes them a member again.
CREATE TABLE member_memberships (
    tenant          text NOT NULL,
    member_number   text NOT NULL,
    membership_id   text NOT NULL,
    contract_number text NOT NULL,
    start_date      date,                   -- from MemberAffiliated
    end_date        date,                   -- last day covered, from MemberRadiated
    PRIMARY KEY (tenant, membership_id)
);
CREATE INDEX member_memberships_member ON member_memberships (tenant, member_number);

-- What was known before: one membership per (member, contract), named after the contract.
INSERT INTO member_memberships (tenant, member_number, membership_id, contract_number, end_date)
SELECT m.tenant, m.member_number, 'contract:' || c.number, c.number, r.effective_date
FROM members_on_file m CROSS JOIN unnest(m.contract_numbers) AS c(number)
LEFT JOIN member_radiations r ON r.tenant = m.tenant AND r.member_number = m.member_number AND r.contract_number = c.number
ON CONFLICT DO NOTHING;
DROP TABLE member_radiations;
