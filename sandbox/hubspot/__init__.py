"""A local HubSpot CRM that speaks the wire protocol hubspot-api-client 12 uses."""

from sandbox.hubspot.app import HubSpotSandbox

__all__ = ["HubSpotSandbox"]
