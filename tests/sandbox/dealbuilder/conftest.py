"""The Dealbuilder sandbox served for the tests of its seeded world (the adapter tests' fixtures)."""

from tests.adapters.dealbuilder.conftest import app, contracts, sandbox, server, settings

__all__ = ["app", "contracts", "sandbox", "server", "settings"]
