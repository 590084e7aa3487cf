"""Command-understanding tools: predict intents and slots for a labelled file; retrain the model."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

app = typer.Typer(help="Command understanding (the local brain's model).", no_args_is_help=True)


@app.command("predict")
def predict(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="commands.jsonl-format lines"),
            now: str = typer.Option("2026-11-23T08:00", help="The moment utterances are judged at"),
            tz: str = typer.Option("America/Chicago", help="The business's time zone")) -> None:
    """Write one {"intent", "slots"} prediction per input line to stdout, each utterance judged alone."""
    from ..voice.brain.understand import predict_lines

    moment = datetime.fromisoformat(now)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    with file.open(encoding="utf-8") as lines:
        for prediction in predict_lines(lines, moment):
            sys.stdout.write(json.dumps(prediction) + "\n")


@app.command("train")
def train(dev: Path = typer.Option(Path("bench/nlu_dev/dev_2026-12-06.jsonl"), dir_okay=False,
                                   help="Labelled lines the probabilities are calibrated on (skipped if absent)"),
          out: Path | None = typer.Option(None, help="Where to write the intent model (default: the package's)"),
          seed: int = typer.Option(13, help="The generator's seed (the same seed gives the same model)"),
          per_template: int = typer.Option(40, min=1, help="Sentences generated per template")) -> None:
    """Rebuild the intent model and the slot tagger from the intent registry (about a minute on two cores)."""
    from ..voice.brain.learn.model import MODEL_PATH
    from ..voice.brain.learn.train import TrainConfig, labelled
    from ..voice.brain.learn.train import train as run

    started = time.perf_counter()
    calibration = labelled([dev]) if dev.exists() else None
    models = run(TrainConfig(seed=seed, per_template=per_template), dev=calibration, out=out or MODEL_PATH)
    target = out or MODEL_PATH
    typer.echo(f"Trained in {time.perf_counter() - started:.0f} s: {target} ({target.stat().st_size / 1e6:.1f} MB), "
               f"registry {models.fingerprint}; calibrated on {dev if calibration else 'nothing (no dev set)'}.")
