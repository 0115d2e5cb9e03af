"""Documents the enrollment service lays out itself (the termination pack)."""
