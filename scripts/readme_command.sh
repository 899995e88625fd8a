#!/usr/bin/env bash
# Run one of the README's two quick-start command lines exactly as written there,
# so CI proves they work: `readme_command.sh test` or `readme_command.sh serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:?usage: readme_command.sh test|serve}"
line=$(grep -A2 "<!-- quickstart:$which -->" README.md | grep -m1 -E '^(python3|\.)' || true)
if [ -z "$line" ]; then
  echo "README.md has no quick-start line marked quickstart:$which" >&2
  exit 2
fi
echo "+ $line"
exec bash -c "$line"
