"""The routine's steps as plain functions: a frozen input, the ports the step needs, and its result with the case
transition to record. No Prefect, no case store: the tasks in `tasks/` bind the runtime, call a step, record."""
