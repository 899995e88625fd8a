#!/usr/bin/env python
"""Import a volunteer database export: a thin front over `flask --app web import-volunteers`.

    python scripts/import_volunteers.py PATH [--mapping FILE] [--dry-run] [--report FILE] [--station ID]
        [--encoding NAME] [--sheet NAME] [--jobs N|auto]

Uses DATABASE_URL like the service. Exit status: 0 all rows accepted, 1 some rejected, 2 unreadable file,
3 stopped part-way (a worker process died; rerun to finish).
"""
import sys

from web import create_app
from web.commands import import_volunteers_command

if __name__ == "__main__":
    app = create_app()
    with app.app_context():
        sys.exit(import_volunteers_command.main(args=sys.argv[1:], prog_name="import_volunteers.py",
                                                standalone_mode=True))
