#!/usr/bin/env bash
# The govscan action's install step: govscan from the action's own checkout, so the version that runs
# is the version of the action the workflow pinned. It goes into a virtualenv under $RUNNER_TEMP
# (the job's Python stays clean) whose bin directory is added to $GITHUB_PATH for the next steps.
set -euo pipefail

action_path="${GOVSCAN_ACTION_PATH:?GOVSCAN_ACTION_PATH is not set (run this from action.yml)}"
python="${GOVSCAN_PYTHON:-python3}"
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/govscan-venv"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "govscan-action: error: govscan needs Python 3.11 or newer; set the action's python-version input" >&2
  exit 2
fi
"$python" -m venv "$venv"
bin="$venv/bin"
[ -d "$bin" ] || bin="$venv/Scripts" # Windows runners
PIP_DISABLE_PIP_VERSION_CHECK=1 "$bin/python" -m pip install --quiet "$action_path"
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$bin" >> "$GITHUB_PATH"
fi
"$bin/govscan" version
