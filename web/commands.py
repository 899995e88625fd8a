"""Command-line jobs registered on the app (`flask --app web ...`)."""
import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("seed-demo")
@click.option("--people", type=click.IntRange(1, 200_000), default=None, help="How many synthetic people (default 3000).")
@click.option("--seed", type=int, default=7, help="Random seed, for a reproducible city.")
@with_appcontext
def seed_demo_command(people, seed):
    """Fill an empty database with a demo city around Chongqing."""
    from .demo import seed_demo

    counts = seed_demo(people or current_app.config["DEMO_PEOPLE"], seed=seed)
    if not any(counts.values()):
        click.echo("The database already holds stations or people; demo data not added.")
        return
    click.echo(f"Added {counts['stations']} stations, {counts['people']} people and {counts['tasks']} tasks.")


@click.command("create-token")
@click.option("--role", type=click.Choice(["admin", "coordinator"]), required=True)
@click.option("--station", "stations", type=int, multiple=True, help="Station a coordinator acts for (repeatable).")
@click.option("--name", default=None, help="A note saying whose token this is.")
@with_appcontext
def create_token_command(role, stations, name):
    """Print a new bearer token (shown once; only its hash is stored)."""
    from .auth.principal import issue_token
    from .extensions import db

    if role == "coordinator" and not stations:
        raise click.UsageError("a coordinator token needs at least one --station")
    try:
        row, token = issue_token(role, station_ids=stations, name=name)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    db.session.commit()
    click.echo(token)
    click.echo(f"token id {row.id}: {role}" + (f" for stations {', '.join(map(str, stations))}" if stations else ""), err=True)


@click.command("revoke-token")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_token_command(token_id):
    """Revoke a token by its id (printed when it was created)."""
    from .auth.principal import revoke

    if not revoke(token_id):
        raise click.ClickException(f"no token with id {token_id}")
    click.echo(f"token {token_id} revoked")


@click.command("import-volunteers")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False),
              help="JSON file {header: field} overriding the header names.")
@click.option("--dry-run", is_flag=True, help="Validate and report, write nothing.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="CSV file for rejected rows (UTF-8 with BOM).")
@click.option("--station", "station_id", type=int, help="Home station for rows that name none.")
@click.option("--encoding", help="CSV encoding (default: detect UTF-8, UTF-8 with BOM, or GBK/GB18030).")
@click.option("--sheet", help="Excel sheet name (default: the first).")
@click.option("--jobs", default="auto", show_default=True,
              help="Worker processes that read and validate rows (a number, or auto: one per core for files over 2 MB).")
@with_appcontext
def import_volunteers_command(path, mapping, dry_run, report_path, station_id, encoding, sheet, jobs):
    """Import volunteers from CSV, Excel .xlsx or JSON Lines.

    Exit 0: all accepted, 1: some rejected, 2: unreadable file, 3: stopped part-way (rerun to finish).
    """
    import json
    import sys

    from .services.imports.importer import import_volunteers, limits_of
    from .services.imports.parallel import WorkerLost
    from .services.imports.reader import TableError

    try:
        fields = None
        if mapping:
            with open(mapping, encoding="utf-8-sig") as handle:
                fields = json.load(handle)
        if fields is not None and not (isinstance(fields, dict) and all(isinstance(v, str) for v in fields.values())):
            raise ValueError("must be a JSON object {\"header\": \"field\"}")
    except (OSError, ValueError) as exc:
        click.echo(f"error: --mapping {mapping}: {exc}", err=True)
        sys.exit(2)
    if jobs != "auto" and not (jobs.isdigit() and 1 <= int(jobs) <= 64):
        click.echo(f"error: --jobs {jobs}: give a number from 1 to 64, or auto", err=True)
        sys.exit(2)
    limits = limits_of(current_app.config)
    try:
        summary = import_volunteers(path, mapping=fields, dry_run=dry_run, report_path=report_path,
                                    station_id=station_id, encoding=encoding, sheet=sheet,
                                    jobs=jobs if jobs == "auto" else int(jobs), **limits)
    except TableError as exc:
        if exc.summary is not None:  # stopped part-way: what was done with the rows before
            _import_summary(exc.summary, report_path)
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except WorkerLost as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    _import_summary(summary, report_path)
    sys.exit(summary.exit_status)


def _import_summary(summary, report_path):
    """Print what an import did (also one that stopped part-way)."""
    for line in summary.lines():
        click.echo(line)
    if summary.rejected and report_path:
        click.echo(f"  rejected rows are listed in {report_path}")


@click.group("report")
def report_group():
    """City-wide reports."""


@report_group.command("coverage")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Where to write it: .png for the picture, .json or .csv for the table.")
@click.option("--district", default=None, help="Only this district (e.g. 渝北区).")
@click.option("--category", default=None, help="Only this skill category (e.g. legal).")
@click.option("--from", "starts", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Range start (default today).")
@click.option("--to", "ends", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Range end (default 30 days on).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", help="Language of the picture's labels.")
@with_appcontext
def report_coverage_command(out, district, category, starts, ends, lang):
    """Write the coverage report (people, open demand and gap per district and skill category)."""
    import csv
    import json

    from .common.schemas import LOCAL_TZ
    from .common.spreadsheet import safe_dict
    from .services.coverage import category_labels, coverage
    from .services.coverage_chart import coverage_png

    if category is not None and category not in {c["id"] for c in category_labels()}:
        raise click.BadParameter(f"unknown category {category!r}", param_hint="--category")
    starts, ends = (d.replace(tzinfo=LOCAL_TZ) if d else None for d in (starts, ends))
    if starts and ends and ends <= starts:
        raise click.BadParameter("must be after --from", param_hint="--to")
    report = coverage(district=district, category=category, starts=starts, ends=ends)
    if out.lower().endswith(".png"):
        with open(out, "wb") as f:
            f.write(coverage_png(report, chinese=lang == "zh"))
    elif out.lower().endswith(".json"):
        with open(out, "w", encoding="utf-8") as f:
            json.dump({**report, "from": report["from"].isoformat(), "to": report["to"].isoformat()}, f,
                      ensure_ascii=False, indent=1)
    elif out.lower().endswith(".csv"):
        with open(out, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["district", "category", "people", "demand", "gap", "ratio"])
            writer.writeheader()
            writer.writerows(safe_dict(row) for row in report["rows"])
    else:
        raise click.BadParameter("give a .png, .json or .csv file name", param_hint="--out")
    totals = report["totals"]
    click.echo(f"{len(report['rows'])} rows: {totals['people']} people, {totals['demand']} open seats, "
               f"gap {totals['gap']} -> {out}")


@click.command("worker")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Tasks run at once.")
@click.option("--type", "worker_type", type=click.Choice(["thread", "process"]), default="process", show_default=True,
              help="Workers as processes of their own (an import then reads its file with IMPORT_JOBS processes), "
                   "or as threads of this one.")
@with_appcontext
def worker_command(workers, worker_type):
    """Run the task queue's consumer: imports and the scheduled jobs (until Ctrl-C or SIGTERM)."""
    from .workers.queue import run_consumer

    run_consumer(current_app._get_current_object(), workers, worker_type)


def register(app):
    """Attach every command to the app's CLI."""
    for command in (seed_demo_command, create_token_command, revoke_token_command, import_volunteers_command,
                    report_group, worker_command):
        app.cli.add_command(command)
