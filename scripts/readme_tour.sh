#!/usr/bin/env bash
# Run the README's API tour against a served app, line by line in one shell (a line such as
# `TASK=$(curl …)` keeps an id for the lines after it), and fail on any 5xx, 401 (no token),
# connection error, or an id line that got no id: the tour must really work. Usage: readme_tour.sh BASE_URL
set -uo pipefail
cd "$(dirname "$0")/.."
base="${1:?usage: readme_tour.sh BASE_URL}"
status=0
while IFS= read -r line; do
  line="${line//http:\/\/127.0.0.1:5000/$base}"
  if [[ "$line" =~ ^([A-Z_]+)=\$\((curl .*)\)$ ]]; then  # NAME=$(curl … | python3 -c …): keep what it prints
    name="${BASH_REMATCH[1]}"
    value=$(eval "${BASH_REMATCH[2]}") || value=""
    printf -v "$name" '%s' "$value"
    echo "$name=$value  ${line:0:100}"
    if [[ -z "$value" ]]; then status=1; fi
    continue
  fi
  code=$(eval "$line -o /dev/null -w '%{http_code}'" || echo 000)
  echo "$code  ${line:0:110}"
  if [[ "$code" == 000 || "$code" == 5* || "$code" == 401 ]]; then status=1; fi
done < <(grep -E '^(curl |[A-Z_]+=\$\(curl )' README.md)
exit $status
