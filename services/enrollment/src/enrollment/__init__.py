"""The enrollment service: package skeleton, built in a later issue."""
