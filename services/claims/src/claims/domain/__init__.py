"""Plain rules of reimbursements: amounts in French, what each act means for the member, who may see what."""
