"""The notifications service: package skeleton, built in a later issue."""
