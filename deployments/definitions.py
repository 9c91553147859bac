"""The deployments, declared once in `prefect.yaml`: production deploys that file with `prefect deploy`, and the
local stack serves the same names, entrypoints, descriptions and concurrency limits from it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import yaml
from prefect import Flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig
from prefect.deployments.runner import RunnerDeployment
from prefect.flows import load_flow_from_entrypoint
from prefect.schedules import Cron

PREFECT_YAML = Path(__file__).with_name("prefect.yaml")


def declared() -> list[dict[str, Any]]:
    """The deployments as `prefect.yaml` declares them."""
    return cast(list[dict[str, Any]], yaml.safe_load(PREFECT_YAML.read_text())["deployments"])


def served(
    poll_interval: timedelta, cron: str | None = None, intervals: Mapping[str, timedelta] | None = None
) -> list[RunnerDeployment]:
    """The declared deployments for `serve`; one scheduled by interval runs every `poll_interval` (or its own
    interval in `intervals`, by deployment name), one scheduled by cron on `cron` (both settings locally; the declared
    cron when None), in the declared time zone."""
    deployments = []
    for declaration in declared():
        flow: Flow[..., Any] = load_flow_from_entrypoint(declaration["entrypoint"])
        schedules = declaration.get("schedules") or []
        cron_schedule = next((schedule for schedule in schedules if "cron" in schedule), None)
        timing: dict[str, Any] = {}
        if cron_schedule is not None:
            timing = {"schedules": [Cron(cron or cron_schedule["cron"], timezone=cron_schedule.get("timezone"))]}
        elif schedules:
            timing = {"interval": (intervals or {}).get(declaration["name"], poll_interval)}
        deployment = flow.to_deployment(
            name=declaration["name"],
            description=declaration.get("description"),
            concurrency_limit=_concurrency_limit(declaration.get("concurrency_limit")),
            **timing,
        )
        deployments.append(cast(RunnerDeployment, deployment))
    return deployments


def _concurrency_limit(declared: int | dict[str, Any] | None) -> int | ConcurrencyLimitConfig | None:
    """The declared limit as `to_deployment` takes it: a number alone, or with its collision strategy."""
    return ConcurrencyLimitConfig.model_validate(declared) if isinstance(declared, dict) else declared
