"""The claims service's adapters: the read model's projection and its read queries."""
