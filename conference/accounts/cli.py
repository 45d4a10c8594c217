"""``flask users ...``: create accounts from the command line (the first admin, say),
and give one a new password."""

import secrets

import click
from flask.cli import AppGroup

from conference.access import Role
from conference.accounts import services
from conference.urls import external_url

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


DEMO_ORGANIZER = "organizer@example.org"
RESET_HINT = (
    "Lost the password? Get a new one with: .venv/bin/flask users reset-password {email} --generate"
)


@users_cli.command("demo")
def demo_command():
    """Create a demo organizer on an empty installation and say how to sign in."""
    if services.list_users():
        click.echo("Accounts exist already: no demo organizer created.")
        if services.find_user(DEMO_ORGANIZER) is not None:
            click.echo(RESET_HINT.format(email=DEMO_ORGANIZER))
        return
    password = secrets.token_urlsafe(12)
    services.create_user(
        DEMO_ORGANIZER, role=Role.organizer, name="Demo organizer", password=password
    )
    click.echo(
        f"Demo organizer created. Sign in at {external_url('accounts.login')} with\n"
        f"  email:    {DEMO_ORGANIZER}\n  password: {password}\n"
        "(shown once; make an admin with: .venv/bin/flask users create EMAIL --role admin)\n"
        + RESET_HINT.format(email=DEMO_ORGANIZER)
    )


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--generate", is_flag=True, help="Make up a password and print it.")
@click.password_option(
    prompt_required=False, help="Asked for when not given and --generate is not (typing is hidden)."
)
def reset_password_command(email, generate, password):
    """Give the account for EMAIL a new password; its sessions end.

    The audit log records it. With --generate, a random password is printed instead of
    asked for.
    """
    user = services.find_user(email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}.")
    if generate:
        password = secrets.token_urlsafe(12)
    elif password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        services.reset_password(user, password)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"New password for {user.email}" + (f": {password}" if generate else " set."))
    click.echo("Their sessions have ended; the audit log records the change.")


@users_cli.command("list")
def list_command():
    """List the accounts and their roles."""
    for user in services.list_users():
        state = "enabled" if user.is_enabled else "disabled"
        click.echo(f"{user.email:<40} {user.role.value:<12} {state}")
