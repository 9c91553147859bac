"""Our exceptions survive the pickling Prefect does when it persists a failed task's state."""

from __future__ import annotations

import pickle

import cloudpickle  # type: ignore[import-untyped]
import pytest

from adapters.errors import ExternalSystemError, TransientError, Unanswered, ValidationRejected
from adapters.licence_admin import ManualStepRequired


@pytest.mark.parametrize(
    "error",
    [
        TransientError("hubspot", "HTTP 503: internal error", object_type="deal", status=503, correlation_id="c-1"),
        Unanswered("dealbuilder", "POST /v1/Documents: no answer", object_type="document"),
        ValidationRejected("hubspot", "bad property", field="amount", status=400),
        ManualStepRequired("set the count by hand", customer_id="912345610", licences=55, case_key="RF-1"),
    ],
    ids=["transient", "unanswered", "rejected", "manual step"],
)
@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps], ids=["pickle", "cloudpickle"])
def test_an_error_is_the_same_after_a_round_trip_through_pickle(error: ExternalSystemError, dumps: object) -> None:
    assert callable(dumps)
    again = pickle.loads(dumps(error))

    assert type(again) is type(error)
    assert (str(again), vars(again)) == (str(error), vars(error))
