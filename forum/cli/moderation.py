"""`flask --app wsgi moderation train|status|rescore|export-labels`.

* train          builds the community model (moderation's training), optionally including the
                 moderators' own decisions (export-labels) as extra training rows.
* status         what the pipeline has loaded, the queue, and whether screening works.
* rescore        screens held posts again after a model or rules change; publishes those
                 that now pass (the audit log records it as the automatic screener).
* export-labels  moderators' decisions as training JSONL {"id","parent","text","label","note"}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .. import review, screening

moderation_cli = AppGroup("moderation", help="Screening model, held posts and moderator labels.")


def _default_labels_path() -> Path:
    return Path(current_app.instance_path) / "moderation" / "moderator-labels.jsonl"


def _write_labels(rows: list[dict], out: str) -> None:
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if out == "-":
        sys.stdout.write(lines)
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(lines, encoding="utf-8")
    tmp.replace(path)


@moderation_cli.command("export-labels")
@click.option("--out", default=None,
              help="Where to write the JSONL ('-' for standard output). "
                   "Default: <instance>/moderation/moderator-labels.jsonl")
def export_labels_command(out: str | None) -> None:
    """Write moderators' approve/reject decisions as labelled training rows."""
    rows = review.export_labels()
    target = out or str(_default_labels_path())
    _write_labels(rows, target)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["label"]] = counts.get(row["label"], 0) + 1
    summary = ", ".join(f"{label} {n}" for label, n in sorted(counts.items())) or "none"
    click.echo(f"Exported {len(rows)} moderator label(s) ({summary}) to {target}.",
               err=target == "-")


@moderation_cli.command("train")
@click.option("--out", default=None, help="Checkpoint path (default: MODERATION_MODEL).")
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False),
              help="Training JSONL (repeatable; default: the repository's own data).")
@click.option("--with-moderator-labels/--without-moderator-labels", default=True,
              show_default=True,
              help="Export the moderators' decisions first and train on them too.")
@click.option("--mode", type=click.Choice(["finetune", "frozen"]), default=None)
@click.option("--epochs", type=int, default=None)
@click.option("--if-stale", is_flag=True, help="Only train when the checkpoint is missing or "
              "its training data changed.")
def train_command(out: str | None, data: tuple[str, ...], with_moderator_labels: bool,
                  mode: str | None, epochs: int | None, if_stale: bool) -> None:
    """Build the community model (delegates to moderation.training)."""
    out_path = Path(out or current_app.config["MODERATION_MODEL"])
    paths = [Path(p) for p in data] or [review.default_training_data()]
    if with_moderator_labels:
        rows = review.export_labels()
        if rows:
            labels_path = _default_labels_path()
            _write_labels(rows, str(labels_path))
            paths.append(labels_path)
            click.echo(f"Including {len(rows)} moderator label(s) from {labels_path}.")
    options = {}
    if mode:
        options["mode"] = mode
    if epochs:
        options["epochs"] = epochs
    result = review.build_community_model(out_path, paths, if_stale=if_stale,
                                          progress=click.echo, **options)
    click.echo(f"Community model: {result}")
    click.echo("Restart the app to load it, then run `flask --app wsgi moderation rescore`.")


@moderation_cli.command("status")
@click.option("--load/--no-load", default=True, show_default=True,
              help="Load the models now to report whether they work.")
def status_command(load: bool) -> None:
    """What screening has loaded, and the state of the queue."""
    pipeline = screening.current_pipeline()
    if load and pipeline is not None and hasattr(pipeline, "warm"):
        try:
            pipeline.warm()
        except Exception as exc:  # reported below; status must always answer
            click.echo(f"warning: loading failed: {exc}", err=True)
    health = review.screening_health()
    report = {
        "screening": current_app.config.get("MODERATION_SCREENING", "pipeline"),
        "pipeline": screening.pipeline_status(),
        "available": health.available,
        "problem": health.message,
        "queue": review.lane_counts(),
        "held_because_unavailable": health.held_unavailable,
    }
    click.echo(json.dumps(report, indent=2, default=str))


@moderation_cli.command("rescore")
@click.option("--limit", type=int, default=None, help="At most this many held posts.")
@click.option("--unavailable-only", is_flag=True,
              help="Only posts held because screening could not run.")
def rescore_command(limit: int | None, unavailable_only: bool) -> None:
    """Screen held posts again; publish those that pass now."""
    result = review.rescore_held(limit, unavailable_only=unavailable_only)
    click.echo(f"Re-screened {result.screened} held post(s): {result.published} published, "
               f"{result.still_held} still held for a moderator.")
