"""The licence sandbox served for the tests of its own API (the adapter tests' fixtures)."""

from tests.adapters.licences.conftest import app, server

__all__ = ["app", "server"]
