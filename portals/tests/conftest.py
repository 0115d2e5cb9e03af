"""The portals' unit tests (the browser tests, on the whole stack, are in tests/browser/)."""

import importlib
import sys

# pytest (importlib mode, no __init__.py) names this file `portals.tests.conftest` and stands the
# `portals/` folder in for the `portals` package before running it; put the real package back.
if getattr(sys.modules.get("portals"), "__file__", None) is None:
    sys.modules.pop("portals", None)
    importlib.import_module("portals")
