"""Send one of the routine's e-mails at most once per case and step."""

from __future__ import annotations

from prefect import get_run_logger, task

from bootstrap.runtime import Runtime
from models.mail import MailMessage
from steps.mail import send_mail as send
from tasks.policy import system_step


@task(name="send-mail", **system_step("step"))
def send_mail(rt: Runtime, case_key: str, step: str, message: MailMessage) -> str:
    """Send the message unless the case log says it went already.

    At least once, deliberately: if a worker dies after the server took the message but before `mail-sent` is
    recorded, the retry sends it again (the fixed Message-ID lets the recipient's mail system spot the twin),
    because a lost sales registration costs more than a duplicate one."""
    for sent in rt.store.event_details(case_key, "mail-sent"):
        if sent.get("step") == step:
            return str(sent["message_id"])
    details = {"step": step, "to": list(message.to), "subject": message.subject, "message_id": message.message_id}
    rt.store.add_event(case_key, actor="flow", kind="mail-sending", details=details)
    message_id = send(rt.mailer, message)
    rt.store.add_event(case_key, actor="flow", kind="mail-sent", details={**details, "message_id": message_id})
    get_run_logger().info("case %s: e-mail %r sent to %s", case_key, message.subject, ", ".join(message.to))
    return message_id
