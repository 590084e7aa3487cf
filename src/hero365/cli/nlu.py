"""Command-understanding tools: predict intents and slots for a labelled file."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

app = typer.Typer(help="Command understanding (the local brain's parser).", no_args_is_help=True)


@app.command("predict")
def predict(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="commands.jsonl-format lines"),
            now: str = typer.Option("2026-11-23T08:00", help="The moment utterances are judged at"),
            tz: str = typer.Option("America/Chicago", help="The business's time zone")) -> None:
    """Write one {"intent", "slots"} prediction per input line to stdout, each utterance judged alone."""
    from ..voice.brain.nlu import predict_lines

    moment = datetime.fromisoformat(now)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    with file.open(encoding="utf-8") as lines:
        for prediction in predict_lines(lines, moment):
            sys.stdout.write(json.dumps(prediction) + "\n")
