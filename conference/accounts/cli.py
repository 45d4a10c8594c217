"""``flask users ...``: create accounts from the command line (the first admin, say)."""

import secrets

import click
from flask.cli import AppGroup

from conference.access import Role
from conference.accounts import services

users_cli = AppGroup("users", help="Create and list back-office accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="", help="The person's name, as colleagues know it.")
@click.password_option(help="Asked for when not given (typing is hidden).")
def create_command(email, role, name, password):
    """Create an account for EMAIL with ROLE and a password."""
    try:
        user = services.create_user(email, role=role, name=name, password=password)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.email} ({user.role.value}).")


@users_cli.command("demo")
def demo_command():
    """Create a demo organizer on an empty installation and say how to sign in."""
    if services.list_users():
        click.echo("Accounts exist already: no demo organizer created.")
        return
    password = secrets.token_urlsafe(12)
    services.create_user(
        "organizer@example.org", role=Role.organizer, name="Demo organizer", password=password
    )
    click.echo(
        "Demo organizer created. Sign in at http://127.0.0.1:5000/manage/login with\n"
        f"  email:    organizer@example.org\n  password: {password}\n"
        "(shown once; make an admin with: .venv/bin/flask users create EMAIL --role admin)"
    )


@users_cli.command("list")
def list_command():
    """List the accounts and their roles."""
    for user in services.list_users():
        state = "enabled" if user.is_enabled else "disabled"
        click.echo(f"{user.email:<40} {user.role.value:<12} {state}")
