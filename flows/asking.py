"""Asking a person (or the poller) through a suspended run: the one way every wait of a case asks.

A question names its form, its pause key (models/waits.py), who answers and who may; `ask` shows the form, suspends,
tells the person once the run is suspended, reads the answer, spells the answerer as the approvers list does,
records the decision, and says who may not answer. The caller validates the rest and, with `refuse`, asks again
under the next key.

A run put back on the schedule after a stop (or by an ops Retry) starts again from the top, and Prefect forgets
the pauses a run has fired when it leaves a terminal state (Cancelled, Crashed, Failed): `suspend_flow_run` would
suspend again at a key that was already answered. The answer is still stored on the run under the pause's key, so
it is read back instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from prefect.exceptions import Pause
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput, keyset_from_base_key
from prefect.input.actions import read_flow_run_input
from pydantic import ConfigDict

from bootstrap.runtime import Runtime
from models.approval import answerer_problems
from models.approvers import spelled_as_listed
from models.notices import Due
from tasks.case_tasks import record_decision, record_refusal
from tasks.notifying import notify_suspended

Form = TypeVar("Form", bound=RunInput)


@dataclass(frozen=True)
class Question(Generic[Form]):
    """One ask of a wait: what to fill in, under which pause key, and who answers."""

    form: type[Form]
    key: str
    # The form's field that names who answers (recorded as the decision's actor).
    answerer: str
    # Markdown above the form (None: the poller's form, which no person reads).
    description: str | None = None
    # Only these people may answer (the form offers their names, anyone else is refused); None: anyone may claim,
    # and the run checks the claim itself (the signature).
    approvers: Sequence[str] | None = None
    # How the form titles the answerer field, in the refusal shown on the next form.
    answerer_title: str = ""
    # Whom to tell once the run is suspended, once per claim (a refused answer asks again without another mail).
    due: Due | None = None
    detail: str = ""


@dataclass(frozen=True)
class Answer(Generic[Form]):
    """The answer, with its answerer spelled as the approvers list spells them, and why they may not answer."""

    value: Form
    by: str
    problems: list[str]


def ask(rt: Runtime, case_key: str, question: Question[Form]) -> Answer[Form]:
    """Ask `question` and record the answer as the decision at its key; a replay returns the stored answer and tells
    no one."""
    form = question.form
    if question.description is not None:
        form = form_for(
            question.form,
            description=question.description,
            person=question.answerer,
            approvers=question.approvers or (),
        )
    try:
        answer = _answer(form, question.key)
    except Pause:
        if question.due is not None:
            notify_suspended(rt, case_key, question.due, question.detail)
        raise
    by = str(getattr(answer, question.answerer))
    problems: list[str] = []
    if question.approvers is not None:
        # Recorded and acted on as the approvers list spells the person (a Kelvin sign typed for a K is a K).
        by = spelled_as_listed(by, question.approvers)
        answer = answer.model_copy(update={question.answerer: by})
        problems = answerer_problems(by, question.approvers, title=question.answerer_title or question.answerer)
    record_decision(rt, case_key, question.key, by, answer.model_dump(mode="json"))
    return Answer(answer, by, problems)


def refuse(rt: Runtime, case_key: str, answer: Answer[Any], key: str, problems: list[str]) -> None:
    """Record why the answer at `key` is not acted on; the caller asks (or waits) again under the next key."""
    record_refusal(rt, case_key, key, answer.by, problems)


def _answer(form: type[Form], key: str) -> Form:
    """The answer to `form` at pause `key`: the one this run already got, or suspend until someone gives it."""
    # Prefect names a suspended run's inputs "suspended-<pause key>-..." (prefect.input.keyset_from_paused_state).
    keyset = keyset_from_base_key(f"suspended-{key}")
    if read_flow_run_input(keyset["response"]) is not None:
        # Called from the flow's (sync) body, load runs synchronously.
        return cast(Form, form.load(keyset))
    answer = suspend_flow_run(wait_for_input=form, key=key)
    assert answer is not None  # with wait_for_input, a resumed run always returns its input
    return answer


def form_for(form: type[Form], *, description: str, person: str, approvers: Sequence[str]) -> type[Form]:
    """The form with its description, whose `person` field offers only the approvers (a choice list the Prefect
    server checks: any other name is refused before the run resumes); an empty list leaves it a free text."""
    asked = form.with_initial_data(description=description)
    if not approvers:
        return asked
    extra = form.model_config.get("json_schema_extra")
    choices = list(dict.fromkeys(approvers))

    def finish(schema: dict[str, Any]) -> None:
        if callable(extra):
            extra(schema)  # type: ignore[call-arg]
        schema["properties"][person]["enum"] = choices

    class Asked(asked):  # type: ignore[valid-type, misc]
        model_config = ConfigDict(json_schema_extra=finish)

    Asked.__name__ = Asked.__qualname__ = form.__name__
    return Asked
