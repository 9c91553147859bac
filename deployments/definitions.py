"""The two deployments, declared once in `prefect.yaml`: production deploys that file with `prefect deploy`, and the
local stack serves the same names, entrypoints, descriptions and concurrency limits from it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import yaml
from prefect import Flow
from prefect.deployments.runner import RunnerDeployment
from prefect.flows import load_flow_from_entrypoint

PREFECT_YAML = Path(__file__).with_name("prefect.yaml")


def declared() -> list[dict[str, Any]]:
    """The deployments as `prefect.yaml` declares them."""
    return cast(list[dict[str, Any]], yaml.safe_load(PREFECT_YAML.read_text())["deployments"])


def served(poll_interval: timedelta) -> list[RunnerDeployment]:
    """The declared deployments for `serve`; a scheduled one runs every `poll_interval` (a setting locally)."""
    deployments = []
    for declaration in declared():
        flow: Flow[..., Any] = load_flow_from_entrypoint(declaration["entrypoint"])
        deployment = flow.to_deployment(
            name=declaration["name"],
            description=declaration.get("description"),
            interval=poll_interval if declaration.get("schedules") else None,
            concurrency_limit=declaration.get("concurrency_limit"),
        )
        deployments.append(cast(RunnerDeployment, deployment))
    return deployments
