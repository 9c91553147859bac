"""In-memory fakes of the ports (adapters/ports.py), for rule and step tests without HTTP or Prefect.

Each behaves as its real adapter does on its sandbox; tests/contracts runs one suite per port against both."""

from fakes.contracts import Delivery, FakeContracts
from fakes.crm import FakeCrm
from fakes.licences import FakeLicences, LicenceChange
from fakes.mailer import FakeMailer

__all__ = ["Delivery", "FakeContracts", "FakeCrm", "FakeLicences", "FakeMailer", "LicenceChange"]
