"""`flask search reindex | verify | drain | merge`."""

from __future__ import annotations

import os
import time

import click
from flask.cli import AppGroup

search_cli = AppGroup("search", help="Build, check and maintain the catalog's search index.")


@search_cli.command("reindex")
@click.option(
    "--procs",
    type=click.IntRange(1, 16),
    default=min(2, os.cpu_count() or 1),
    show_default=True,
    help="Writer processes (Whoosh's multiprocessing writer).",
)
@click.option("--if-missing", is_flag=True, help="Only build when there is no usable index.")
def reindex(procs: int, if_missing: bool) -> None:
    """Rebuild the whole index from the database and swap it in atomically."""
    from exchange.search.indexing import get_index, module_count, rebuild_index
    from exchange.search.whoosh_index import IndexUnavailable

    if if_missing:
        try:
            get_index().searcher()
        except IndexUnavailable:
            pass
        else:
            click.echo("The search index is in place.")
            return
    total = module_count()
    started = time.perf_counter()
    with click.progressbar(length=total, label="Indexing modules", show_pos=True) as bar:
        state = {"done": 0}

        def advance(done: int) -> None:
            bar.update(done - state["done"])
            state["done"] = done

        count = rebuild_index(procs=procs, progress=advance)
    seconds = time.perf_counter() - started
    rate = count / seconds if seconds else 0
    click.echo(f"Indexed {count} modules in {seconds:.1f} s ({rate:.0f} modules/s).")


@search_cli.command("verify")
@click.option("--repair", is_flag=True, help="Fix every difference found.")
def verify(repair: bool) -> None:
    """Compare the index with the database and report (or repair) every difference."""
    from exchange.search.indexing import verify_index

    result = verify_index(repair=repair)
    click.echo(f"Missing from the index: {len(result.missing)} {result.missing[:20] or ''}")
    click.echo(f"Out of date in the index: {len(result.stale)} {result.stale[:20] or ''}")
    click.echo(f"In the index but not the database: {len(result.extra)} {result.extra[:20] or ''}")
    click.echo(f"Waiting in the outbox: {result.pending}")
    if result.clean:
        click.echo("The index matches the database.")
    elif repair:
        click.echo("Repaired.")
    else:
        raise SystemExit(1)


@search_cli.command("drain")
def drain() -> None:
    """Apply changes left in the outbox (after a crash or a lock timeout)."""
    from exchange.search.indexing import drain_outbox

    click.echo(f"Applied {drain_outbox()} module(s) from the outbox.")


@search_cli.command("merge")
@click.option("--optimize", is_flag=True, help="Merge everything into one segment.")
def merge(optimize: bool) -> None:
    """Merge small index segments (run from cron, off the request path)."""
    from exchange.search.indexing import get_index

    click.echo(f"Segments now: {get_index().merge(optimize=optimize)}")
