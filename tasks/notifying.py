"""Notifications through the Mailer port, each at most once per case and name: claim, send, record."""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from adapters.errors import is_retryable
from bootstrap.runtime import Runtime
from config.settings import Settings
from models.board import flow_run_url, format_age
from models.case import Case, CaseState
from models.links import DEAL, TICKET, hubspot_record_url
from models.messages import NoticeLinks, notice_message
from models.notices import Due, ReminderPolicy, recipient, reminders_due
from tasks.policy import RETRY_DELAYS


def notice_links(settings: Settings, case: Case, flow_run_id: str) -> NoticeLinks:
    hubspot = settings.hubspot
    deal = hubspot_record_url(hubspot.records_url, hubspot.portal_id, DEAL, case.deal_id) if case.deal_id else ""
    ticket = hubspot_record_url(hubspot.records_url, hubspot.portal_id, TICKET, case.ticket_id)
    return NoticeLinks(run_url=flow_run_url(settings.prefect.ui_url, flow_run_id), deal_url=deal, ticket_url=ticket)


def notify_once(
    rt: Runtime, case_key: str, due: Due, *, actor: str, detail: str = "", flow_run_id: str | None = None
) -> bool:
    """Send the notification unless it was claimed already; True when this call sent it.

    The claim comes first, so of two pollers (or a replay and a poller) only one sends. A failed send releases the
    claim and raises: the next attempt sends it. E-mail stays at least once past this point (see `send_mail`)."""
    settings = rt.settings
    case = rt.store.get(case_key)
    run_id = flow_run_id or case.flow_run_id or ""
    links = notice_links(settings, case, run_id)
    to = recipient(
        due.notice,
        agent_email=case.agent_email,
        ops_recipient=settings.routine.ops_recipient,
        escalation_recipient=settings.notifications.escalation_recipient,
    )
    message = notice_message(due.notice, case, step=due.step, recipient=to, links=links, detail=detail)
    stale_after = timedelta(seconds=settings.notifications.stale_claim_seconds)
    if not rt.store.claim_notification(case_key, due.name, stale_after=stale_after):
        return False
    try:
        message_id = rt.mailer.send(message=message)
    except BaseException:
        rt.store.release_notification(case_key, due.name)
        raise
    details = {"to": to, "subject": message.subject, "link": links.run_url, "message_id": message_id}
    rt.store.notification_sent(case_key, due.name, actor=actor, details=details)
    logging.getLogger(__name__).info("case %s: %s sent to %s", case_key, due.name, to)
    return True


def notify_suspended(rt: Runtime, case_key: str, due: Due, detail: str = "") -> bool:
    """Tell the person a wait that has just begun waits for, once per claim; True when this call sent it.

    Called by a flow once its run is suspended (see `flows/asking.py: ask`), so the link in the mail
    finds the Resume button. Not a task: Prefect runs no task in a suspended run. A transient failure is tried
    again after the tasks' retry delays; a notice that still cannot be sent is logged and must not fail the run
    (its form is open anyway, and the poller's reminders follow)."""
    logger = logging.getLogger(__name__)
    for delay in [*RETRY_DELAYS, None]:
        try:
            return notify_once(rt, case_key, due, actor="flow", detail=detail)
        except Exception as error:
            if delay is None or not is_retryable(error):
                logger.warning("case %s: %s could not be sent: %s", case_key, due.name, error)
                return False
            logger.info("case %s: %s not sent (%s); trying again in %s s", case_key, due.name, error, delay)
            time.sleep(delay)
    return False


# Every state in which a case waits for a person or the customer is watched by the poller.
WATCHED_WAITS = (
    CaseState.AWAITING_APPROVAL,
    CaseState.AWAITING_SIGNATURE,
    CaseState.AWAITING_DECISION,
    CaseState.AWAITING_LICENCE_CONFIRMATION,
)


def reminder_policy(settings: Settings) -> ReminderPolicy:
    policy = settings.notifications
    return ReminderPolicy(
        approval_reminder=timedelta(hours=policy.approval_reminder_hours),
        approval_escalation=timedelta(hours=policy.approval_escalation_hours),
        deadline_heads_up_days=policy.deadline_heads_up_days,
        decision_reminder=timedelta(hours=policy.decision_reminder_hours),
        decision_escalation=timedelta(hours=policy.decision_escalation_hours),
        licence_reminder=timedelta(hours=policy.licence_reminder_hours),
        licence_escalation=timedelta(hours=policy.licence_escalation_hours),
    )


@task(name="send-reminders", cache_policy=NO_CACHE)
def send_reminders(rt: Runtime, now: datetime, today: date, settled: list[str] | None = None) -> int:
    """Send every reminder, escalation and deadline heads-up the waiting cases have earned and not yet had, except
    to `settled` cases (this poll found their contract signed, declined or expired); a send that fails is logged
    and tried by the next poll. Returns how many were sent."""
    policy = reminder_policy(rt.settings)
    logger = get_run_logger()
    sent = 0
    for case in rt.store.cases(WATCHED_WAITS):
        if case.case_key in (settled or []):
            continue
        since = rt.store.waiting_since(case.case_key, case.state)
        waiting_since, step = since if since else (None, "")
        due = reminders_due(
            state=case.state,
            step=step,
            waiting_since=waiting_since,
            signing_deadline=case.signing_deadline,
            now=now,
            today=today,
            policy=policy,
        )
        for reminder in due:
            age = format_age(now - waiting_since) if waiting_since else ""
            try:
                sent += notify_once(rt, case.case_key, reminder, actor="poll-signatures", detail=age)
            except Exception as error:
                logger.warning(
                    "case %s: %s not sent (%s); the next poll tries again", case.case_key, reminder.name, error
                )
    return sent
