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


def register(app):
    """Attach every command to the app's CLI."""
    for command in (seed_demo_command, create_token_command, revoke_token_command):
        app.cli.add_command(command)
