"""Command-line tasks: `flask create-admin`, `flask seed`, `flask demo-accounts`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click
from flask import Flask
from marshmallow import Schema, ValidationError, fields

from exchange.accounts.schemas import PASSWORD_RULE, EmailField
from exchange.database import transaction
from exchange.errors import DomainError, flatten_errors


class AdminSchema(Schema):
    email = EmailField(required=True)
    password = fields.String(required=True, validate=PASSWORD_RULE)


def _progress(items: Iterable[Any], label: str) -> Iterable[Any]:
    items = list(items)
    with click.progressbar(items, label=f"{label:<14}", show_pos=True) as bar:
        yield from bar


def register_cli(app: Flask) -> None:
    from exchange.search.cli import search_cli

    app.cli.add_command(search_cli)

    @app.cli.command("create-admin")
    @click.option("--email", required=True, help="The administrator's email address.")
    @click.option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 10 characters (prompted for when not given).",
    )
    @click.option("--name", default="Platform administrator", show_default=True)
    def create_admin(email: str, password: str, name: str) -> None:
        """Create a platform administrator (or promote an existing account)."""
        from exchange.accounts import services

        try:
            data = AdminSchema().load({"email": email, "password": password})
        except ValidationError as error:
            for field, messages in flatten_errors(error.messages).items():
                click.echo(f"{field}: {' '.join(messages)}", err=True)
            raise SystemExit(2) from error
        click.echo(f"Creating platform administrator {data['email']} ...")
        try:
            with transaction():
                user = services.ensure_platform_admin(
                    email=data["email"], password=data["password"], full_name=name
                )
        except DomainError as error:
            click.echo(error.message, err=True)
            raise SystemExit(2) from error
        click.echo(f"Done: {user.email} is a platform administrator.")

    @app.cli.command("seed")
    @click.option("--if-empty", is_flag=True, help="Only load into a database with no users.")
    def seed(if_empty: bool) -> None:
        """Load the demo data from seed/ (idempotent: existing records are kept)."""
        from seed.loader import database_is_empty, load_demo

        if if_empty and not database_is_empty():
            click.echo("The database already has data: demo data not loaded.")
            return
        report = load_demo(progress=_progress)
        click.echo(
            f"Demo data: {report.organizations} organizations, {report.people} people, "
            f"{report.modules} modules, {report.offers} offers, {report.licenses} licenses and "
            f"{report.completions} completions added. `flask demo-accounts` lists the sign-ins."
        )

    @app.cli.command("seed-synthetic")
    @click.option("--count", type=click.IntRange(1, 1_000_000), required=True)
    @click.option("--batch", type=click.IntRange(1, 10_000), default=500, show_default=True)
    def seed_synthetic(count: int, batch: int) -> None:
        """Add COUNT synthetic published modules (for benchmarks) on top of the demo data."""
        from seed.synthetic import load_synthetic

        with click.progressbar(length=count, label="Synthetic modules", show_pos=True) as bar:
            state = {"done": 0}

            def advance(done: int) -> None:
                bar.update(done - state["done"])
                state["done"] = done

            try:
                load_synthetic(count, batch=batch, progress=advance)
            except RuntimeError as error:
                raise click.ClickException(str(error)) from error
        click.echo(f"Added {count} synthetic modules.")

    @app.cli.command("demo-accounts")
    def demo_accounts() -> None:
        """Print the demo accounts and their password."""
        from seed.loader import DEMO_PASSWORD, read

        people = read("people.toml")["people"]
        _print_accounts(
            [(p["email"], p.get("note", "Platform administrator")) for p in people], DEMO_PASSWORD
        )


def _print_accounts(accounts: list[tuple[str, str]], password: str) -> None:
    if not accounts:
        return
    click.echo(f"\nDemo accounts (password for all: {password})")
    width = max(len(email) for email, _ in accounts)
    for email, note in accounts:
        click.echo(f"  {email:<{width}}  {note}")
    click.echo("  Every organization also has admin@<slug>.example and education@<slug>.example.\n")
