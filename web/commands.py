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


def register(app):
    """Attach every command to the app's CLI."""
    app.cli.add_command(seed_demo_command)
