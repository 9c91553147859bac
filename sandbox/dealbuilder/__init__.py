"""The Dealbuilder sandbox."""

from sandbox.dealbuilder.app import DealbuilderSandbox

__all__ = ["DealbuilderSandbox"]
