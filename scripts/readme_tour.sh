#!/usr/bin/env bash
# Run every curl line of the README's API tour against a served app and fail on any
# 5xx, 401 (no token) or connection error: the tour must really work. Usage: readme_tour.sh BASE_URL
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:?usage: readme_tour.sh BASE_URL}"
status=0
while IFS= read -r line; do
  cmd="${line//http:\/\/127.0.0.1:5000/$base}"
  code=$(bash -c "$cmd -o /dev/null -w '%{http_code}'" || echo 000)
  echo "$code  ${line:0:110}"
  if [[ "$code" == 000 || "$code" == 5* || "$code" == 401 ]]; then status=1; fi
done < <(grep -E '^curl ' README.md)
exit $status
