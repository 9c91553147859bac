"""Benchmark `overhead`: N cases end to end through the deployed flow on the local stack against Prefect's floor, a
trivial flow with the same run phases and tasks on the same server, in one run: CPU seconds and wall time per case.

Run: .venv/bin/python -m bench.overhead [--cases 20]. CPU is read from /proc: the cutime + cstime of each `serve`
process, i.e. the machine time of the flow-run processes it started and waited for (every run phase is one such
process). Ours also serves the scheduled signature poller, at the local default of every 300 s, and signatures
resume through Dealbuilder's webhook as on `up` (the receiver runs in this process: its few requests per case are
not counted). The poll runs are in ours; their CPU per run is measured while the floor runs (the poller then polls
an empty waiting set, each poll one flow-run process) and shown apart."""

from __future__ import annotations

import argparse
import time
from uuid import UUID

from bench.machine import Ratio, children_cpu_seconds, describe


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument(
        "--poll-seconds", type=int, default=300, help="the signature poller's interval (the webhook resumes signatures)"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    print(f"overhead: {describe()}")
    from prefect.client.orchestration import get_client

    from bench.local import drive_floor, floor_serve, local_stack, run_shape, started_runs
    from devtools.soak import SoakReport, drive_cases, start_cases
    from store.case_store import CaseStore

    with local_stack("bench-overhead", poll_seconds=args.poll_seconds, webhook=True) as (settings, sandboxes, stack):
        ours_pid = stack.processes["serve"].pid
        store = CaseStore(settings.effective_database_url)
        report = SoakReport(cases=args.cases)
        polls = started_runs("poll-signatures")
        cpu, began = children_cpu_seconds(ours_pid), time.monotonic()
        keys = start_cases(settings, sandboxes, store, args.cases)
        drive_cases(sandboxes, store, keys, report, deadline=time.monotonic() + 120 + 60 * args.cases)
        ours_wall = time.monotonic() - began
        time.sleep(2)  # serve reaps the last run's process
        ours_cpu = children_cpu_seconds(ours_pid) - cpu
        ours_polls = started_runs("poll-signatures") - polls
        completed = sum(1 for key in keys if store.get(key).state.value == "COMPLETED")
        ours = run_shape([UUID(str(store.get(key).flow_run_id)) for key in keys])
        phases = round(ours.phases / ours.runs)
        tasks_per_phase = max(1, round(ours.task_runs / ours.runs / (phases * (phases + 1) / 2)))
        print(
            f"overhead: ours {completed}/{args.cases} completed; {ours.phases / ours.runs:.1f} run phases and "
            f"{ours.task_runs / ours.runs:.1f} task runs per case"
        )

        with floor_serve(settings, stack) as floor_process, get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name("floor/floor")
            idle, floor_cpu = children_cpu_seconds(ours_pid), children_cpu_seconds(floor_process.pid)
            polls = started_runs("poll-signatures")
            began = time.monotonic()
            runs = [
                client.create_flow_run_from_deployment(
                    deployment.id,
                    parameters={"case": f"floor-{n}", "tasks": [tasks_per_phase] * phases},
                ).id
                for n in range(args.cases)
            ]
            drive_floor(runs, deadline=time.monotonic() + 120 + 60 * args.cases)
            floor_wall = time.monotonic() - began
            time.sleep(2)
            floor_cpu = children_cpu_seconds(floor_process.pid) - floor_cpu
            idle_polls = started_runs("poll-signatures") - polls
            per_poll = (children_cpu_seconds(ours_pid) - idle) / max(1, idle_polls)
        floor = run_shape(runs)

    n = args.cases
    poller_cpu = per_poll * ours_polls
    print()
    print(
        f"cases: {n}; poll interval {args.poll_seconds}s; floor: {phases} phases x {tasks_per_phase} tasks "
        f"({floor.phases / floor.runs:.1f} run phases, {floor.task_runs / floor.runs:.1f} task runs per run)"
    )
    print(Ratio("CPU s per case (all)", ours_cpu / n, floor_cpu / n).line("s"))
    print(Ratio("CPU s per case (w/o poller)", (ours_cpu - poller_cpu) / n, floor_cpu / n).line("s"))
    print(Ratio("CPU s per run phase", ours_cpu / ours.phases, floor_cpu / floor.phases).line("s"))
    print(Ratio("wall s per case", ours_wall / n, floor_wall / n).line("s"))
    print(
        f"the poller: {per_poll:.2f} CPU s per poll run ({idle_polls} measured idle); {ours_polls} polls during ours "
        f"= {poller_cpu:.1f} s; at the default 300 s interval that is {per_poll * 288:.0f} CPU s a day in all"
    )
    print("target: ours at most 1.2 x the floor in CPU per case")


if __name__ == "__main__":
    main()
