"""The claims service: the reimbursements (décomptes) the legacy system paid for each household, as
the member portal shows them (the last three, the search, a payment's detail with each act explained,
the payments to health professionals)."""
