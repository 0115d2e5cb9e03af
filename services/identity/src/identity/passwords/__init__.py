"""The list of common and breached passwords identity refuses (`common.txt.gz`, built by `build.py`)."""
