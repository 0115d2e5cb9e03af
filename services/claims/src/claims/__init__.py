"""The claims service: package skeleton, built in a later issue."""
