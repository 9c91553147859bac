#!/usr/bin/env bash
# The project's two entry points on a fresh machine (Python 3.11 + pip): `./run.sh up` and `./run.sh test`; any other
# command goes to the CLI (`./run.sh cases` is `.venv/bin/reforhandling cases`).
# Each creates .venv and installs the project with its pinned dependencies when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")"

venv=.venv
stamp="$venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -e ".[dev]"
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi

# Debian packages the tests use: PostgreSQL (the case store's production database) and Chromium (browser test).
need_debian_packages() {
  local missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} from Debian's packages ..." >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

case "${1:-}" in
  up)
    exec "$venv/bin/reforhandling" "$@"
    ;;
  test)
    if [ "${2:-}" = fast ]; then
      # The fast layer: the rules and models, and the steps and the ports' contracts on in-memory fakes; no Prefect
      # server, no process of ours. Under a minute.
      layer=()
      for folder in tests/models tests/steps tests/contracts; do
        [ -d "$folder" ] && layer+=("$folder")
      done
      exec "$venv/bin/pytest" -q "${layer[@]}"
    fi
    need_debian_packages
    "$venv/bin/ruff" check .
    "$venv/bin/ruff" format --check .
    "$venv/bin/lint-imports"
    "$venv/bin/mypy" .
    # The flow tests with the Prefect server and the case store on PostgreSQL, as beyond one machine; SQLite, the
    # local stack's database, is what the demo, the browser tests and the stack tests run on. Three xdist workers,
    # each with its own PostgreSQL and Prefect server: most tests wait on servers and processes, so three share two
    # cores well; the browser tests keep to one worker (their module's stack).
    "$venv/bin/pytest" -q --postgres -n 3 --dist loadgroup
    "$venv/bin/reforhandling" demo
    ;;
  "")
    echo "usage: ./run.sh up [--fresh] | ./run.sh test [fast] | ./run.sh <reforhandling command> (e.g. cases, start --help)" >&2
    exit 2
    ;;
  *)
    exec "$venv/bin/reforhandling" "$@"
    ;;
esac
