"""`python -m hero365.voice.brain.nlu predict FILE --now 2026-11-23T08:00 [--tz America/Chicago]`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from .parser import predict_lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hero365.voice.brain.nlu")
    sub = ap.add_subparsers(dest="command", required=True)
    pred = sub.add_parser("predict", help="print one JSON prediction per line of a commands.jsonl file")
    pred.add_argument("file", help="commands.jsonl-format file, or - for stdin")
    pred.add_argument("--now", required=True, help="ISO local time, e.g. 2026-11-23T08:00")
    pred.add_argument("--tz", default="America/Chicago", help="the business's IANA time zone")
    args = ap.parse_args(argv)
    now = datetime.fromisoformat(args.now)
    if now.tzinfo is None:
        now = now.replace(tzinfo=ZoneInfo(args.tz))
    with sys.stdin if args.file == "-" else open(args.file, encoding="utf-8") as f:
        for prediction in predict_lines(f, now):
            print(json.dumps(prediction))
    return 0


if __name__ == "__main__":
    sys.exit(main())
