"""Command-line calculators: `switchboard attribution pool-size` and `switchboard staffing
erlang`. Their flags and `--json` objects are an interface scripts depend on."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from switchboard.attribution.domain import erlang

attribution_app = typer.Typer(help="Marketing attribution: contact-point pools and leases.")
staffing_app = typer.Typer(help="Workforce planning: Erlang C staffing.")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@attribution_app.command("pool-size")
def pool_size(
    visitors_per_hour: Annotated[float, typer.Option(help="Visitors asking for a number")],
    hold_seconds: Annotated[float, typer.Option(help="How long a visitor holds one")],
    max_overflow: Annotated[float, typer.Option(help="Accepted share given the fallback")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """The smallest pool meeting the overflow target (Erlang B: a pool is a loss system)."""
    try:
        load = erlang.offered_load(visitors_per_hour, 3600, hold_seconds)
        points, overflow = erlang.pool_size(load, max_overflow)
    except ValueError as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps({"numbers": points, "overflow": round(overflow, 6)}))
        return
    typer.echo(f"offered load      {load:.2f} Erlangs")
    typer.echo(f"numbers           {points}")
    typer.echo(f"overflow          {overflow:.4%}")


@staffing_app.command("erlang")
def erlang_command(
    calls: Annotated[float, typer.Option(help="Contacts per interval")],
    interval_seconds: Annotated[float, typer.Option(help="Length of the interval")],
    aht_seconds: Annotated[float, typer.Option(help="Average handling time")],
    answer_seconds: Annotated[float, typer.Option(help="Answer within this many seconds")],
    service_level: Annotated[float, typer.Option(help="Share to answer in time, e.g. 0.8")],
    max_occupancy: Annotated[float, typer.Option(help="Busiest agents may be")] = 1.0,
    shrinkage: Annotated[float, typer.Option(help="Share of paid time off the phones")] = 0.0,
    patience_seconds: Annotated[
        float | None, typer.Option(help="Callers' mean patience: Erlang A (they hang up)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Agents needed for the interval with Erlang C (Erlang A with --patience-seconds),
    and heads to schedule."""
    try:
        target = erlang.StaffingTarget(
            service_level, answer_seconds, max_occupancy, shrinkage,
            patience_seconds=patience_seconds,
        )  # fmt: skip
        load = erlang.offered_load(calls, interval_seconds, aht_seconds)
        plan = erlang.required_agents(load, aht_seconds, target)
    except ValueError as exc:
        _fail(str(exc))
        return
    figures = plan.figures()
    if as_json:
        typer.echo(json.dumps(figures))
        return
    typer.echo(f"offered load            {load:.2f} Erlangs")
    for name, value in figures.items():
        typer.echo(f"{name.replace('_', ' '):<24}{value}")
