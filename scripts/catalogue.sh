#!/bin/sh
# Bring the message catalogue up to date with the source (see web/i18n.py): extract every msg("..."),
# merge into the Chinese catalogue (new entries come empty: translate them), compile it.
set -e
cd "$(dirname "$0")/.."
pybabel -q extract -F babel.cfg -k msg -k N_ --no-default-keywords --sort-by-file --no-wrap --omit-header \
    -o web/translations/messages.pot . > /dev/null
pybabel -q update -i web/translations/messages.pot -d web/translations -l zh --no-wrap --no-fuzzy-matching \
    --ignore-obsolete > /dev/null
pybabel compile -d web/translations --statistics
