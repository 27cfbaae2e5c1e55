"""``explicate cache``: what the cache directory holds (``info``), emptying it (``clear``) and
keeping it under a size (``prune --max-size``); see ``runtime.cache_admin``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from explicate.errors import ExplicateError

cache_app = typer.Typer(no_args_is_help=True, help="Inspect, clear or prune the cache of "
                        "tokenized columns and LF results (EXPLICATE_CACHE).")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _root() -> Path:
    from explicate.runtime.batch_cache import ENV, cache_dir

    root = cache_dir()
    if root is None:
        err.print(f"the cache is off ({ENV}=off or --no-cache): nothing to do", markup=False)
        raise typer.Exit(0)
    return root


@cache_app.command()
def info() -> None:
    """Where the cache is, and how many entries and bytes of each kind it holds."""
    from explicate.runtime.cache_admin import human, usage

    u = usage(_root())
    out.print(f"cache: {u.root}", markup=False)
    names = {"columns": "tokenized columns", "votes": "LF results", "parsers": "built parsers"}
    for kind, (count, size) in u.kinds.items():
        out.print(f"  {names.get(kind, kind):<18} {count:>8,} entries  {human(size):>10}",
                  markup=False)
    out.print(f"  {'total':<18} {u.total_entries:>8,} entries  {human(u.total_bytes):>10}",
              markup=False)


@cache_app.command()
def clear() -> None:
    """Remove every entry."""
    from explicate.runtime.cache_admin import clear as clear_all
    from explicate.runtime.cache_admin import human

    before = clear_all(_root())
    out.print(f"removed {before.total_entries:,} entries ({human(before.total_bytes)}) from "
              f"{before.root}", markup=False)


@cache_app.command()
def prune(
    max_size: Annotated[str, typer.Option("--max-size", help="Keep at most this much (500MB, "
                        "2G, 1.5GiB, or bytes); the least recently used entries go first.")],
) -> None:
    """Remove the least recently used entries until the cache fits in --max-size."""
    from explicate.runtime.cache_admin import human, parse_size, usage
    from explicate.runtime.cache_admin import prune as prune_to

    try:
        limit = parse_size(max_size)
    except ExplicateError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    root = _root()
    removed = prune_to(root, limit)
    left = usage(root)
    out.print(f"removed {len(removed):,} entries ({human(sum(e.size for e in removed))}); "
              f"{left.total_entries:,} left ({human(left.total_bytes)})", markup=False)
