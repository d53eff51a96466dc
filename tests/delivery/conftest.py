"""The fake Bot API server for delivery tests (the same fixture as the end-to-end tests)."""

from tests.e2e.conftest import fake  # noqa: F401
