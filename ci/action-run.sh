#!/usr/bin/env bash
# The govscan action's main step, kept in a file so that tests run exactly what the runner runs.
#
# Inputs arrive as INPUT_* environment variables (action.yml maps them with `env:`; nothing is pasted
# into shell code). Lists are split on whitespace with globbing off, and never evaluated. govscan
# writes SARIF, JUnit, JSON and Markdown reports and annotations; this script then sets the step's
# outputs, appends the Markdown to $GITHUB_STEP_SUMMARY and exits with govscan's exit code, after
# every report is written. soft-fail turns only exit code 1 (blocked) into 0.
set -uo pipefail

say() { printf 'govscan-action: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 2
}

# `true` / `false` inputs; anything else is a mistake worth stopping for.
truth() {
  case "$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')" in
    true | yes | on | 1) echo true ;;
    false | no | off | 0 | "") echo false ;;
    *) die "input $1: '$2' is not true or false" ;;
  esac
}

# A value for $GITHUB_OUTPUT: one line, or it could forge other outputs.
one_line() {
  case "$2" in
    *$'\n'* | *$'\r'*) die "input $1 holds a line break" ;;
  esac
}

command="${INPUT_COMMAND:-scan}"
case "$command" in
  scan | gate | merge | drift | cluster) ;;
  *) die "input command: '$command' is not scan, gate, merge, drift or cluster" ;;
esac
soft_fail="$(truth soft-fail "${INPUT_SOFT_FAIL:-false}")" || exit 2
annotations="$(truth annotations "${INPUT_ANNOTATIONS:-true}")" || exit 2
summary="$(truth summary "${INPUT_SUMMARY:-true}")" || exit 2
sarif_file="${INPUT_SARIF_FILE-govscan.sarif}"
junit_file="${INPUT_JUNIT_FILE-govscan-junit.xml}"
json_file="${INPUT_JSON_FILE:-}"
one_line sarif-file "$sarif_file"
one_line junit-file "$junit_file"
one_line json-file "$json_file"

work="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/govscan.XXXXXX")" || die "cannot create a temporary directory"
[ -n "$json_file" ] || json_file="$work/govscan.json"
markdown_file="$work/summary.md"
stderr_file="$work/stderr.txt"

# Whitespace-separated lists: split, never globbed, never evaluated.
set -f
IFS=$' \t\n'
# shellcheck disable=SC2206
paths=(${INPUT_PATHS:-})
# shellcheck disable=SC2206
extra=(${INPUT_ARGS:-})
set +f
if [ "$command" = scan ] && [ "${#paths[@]}" -eq 0 ]; then
  paths=(.)
fi

argv=(govscan "$command")
[ "${#paths[@]}" -eq 0 ] || argv+=("${paths[@]}")
[ -z "${INPUT_CONFIG:-}" ] || argv+=(--config "$INPUT_CONFIG")
[ -z "${INPUT_FAIL_ON:-}" ] || argv+=(--fail-on "$INPUT_FAIL_ON")
[ -z "${INPUT_SARIF_CATEGORY:-}" ] || argv+=(--sarif-category "$INPUT_SARIF_CATEGORY")
[ "${#extra[@]}" -eq 0 ] || argv+=("${extra[@]}")
[ -z "$sarif_file" ] || argv+=(--format sarif --output "$sarif_file")
[ -z "$junit_file" ] || argv+=(--format junit --output "$junit_file")
argv+=(--format json --output "$json_file" --format markdown --output "$markdown_file")
if [ "$annotations" = true ]; then
  argv+=(--format github) # to stdout: the runner turns these lines into annotations
else
  argv+=(--format table)
fi

say "running: ${argv[*]}"
"${argv[@]}" 2>"$stderr_file"
code=$?
cat "$stderr_file" >&2

absolute() { (cd "$(dirname "$1")" && printf '%s/%s' "$(pwd -P)" "$(basename "$1")"); }
output() { printf '%s=%s\n' "$1" "$2" >>"${GITHUB_OUTPUT:-/dev/null}"; }

blocking=""
if [ -s "$json_file" ]; then
  blocking="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1], encoding="utf-8"))["summary"]["blocking"])' "$json_file" 2>/dev/null)" || blocking=""
fi
output exit-code "$code"
output blocking "$blocking"
for kind in sarif junit json; do
  file_var="${kind}_file"
  file="${!file_var}"
  if [ -n "$file" ] && [ -s "$file" ]; then
    output "$kind-file" "$(absolute "$file")"
  else
    output "$kind-file" ""
  fi
done

final=$code
if [ "$code" -eq 1 ] && [ "$soft_fail" = true ]; then
  final=0
fi

if [ "$summary" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    if [ -s "$markdown_file" ]; then
      cat "$markdown_file"
    else
      printf '## ⚠️ govscan could not run (exit code %s)\n\n' "$code"
      sed 's/^/    /' "$stderr_file" # an indented code block: no markup from the message survives
    fi
    if [ "$final" -ne "$code" ]; then
      printf '\n> soft-fail: the gate blocked (exit code %s), and this step passes because soft-fail is on.\n' "$code"
    fi
  } >>"$GITHUB_STEP_SUMMARY"
fi

rm -f "$markdown_file" "$stderr_file" # the JSON stays: the json-file output names it
if [ "$final" -ne "$code" ]; then
  say "soft-fail: govscan exited $code (blocked); the step passes"
fi
exit "$final"
