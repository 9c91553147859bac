"""Asking a person (or the poller) through a suspended run, without asking twice.

A run put back on the schedule after a stop (or by an ops Retry) starts again from the top, and Prefect forgets
the pauses a run has fired when it leaves a terminal state (Cancelled, Crashed, Failed): `suspend_flow_run` would
suspend again at a key that was already answered. The answer is still stored on the run under the pause's key, so
it is read back instead."""

from __future__ import annotations

from typing import TypeVar, cast

from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput, keyset_from_base_key
from prefect.input.actions import read_flow_run_input

Form = TypeVar("Form", bound=RunInput)


def ask(form: type[Form], key: str) -> Form:
    """The answer to `form` at pause `key`: the one this run already got, or suspend until someone gives it."""
    # Prefect names a suspended run's inputs "suspended-<pause key>-..." (prefect.input.keyset_from_paused_state).
    keyset = keyset_from_base_key(f"suspended-{key}")
    if read_flow_run_input(keyset["response"]) is not None:
        # Called from the flow's (sync) body, load runs synchronously.
        return cast(Form, form.load(keyset))
    answer = suspend_flow_run(wait_for_input=form, key=key)
    assert answer is not None  # with wait_for_input, a resumed run always returns its input
    return answer
