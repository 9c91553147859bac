"""The Dealbuilder sandbox served for the tests of its seeded world (the adapter tests' fixtures)."""

from tests.adapters.dealbuilder.conftest import app, sandbox, server

__all__ = ["app", "sandbox", "server"]
