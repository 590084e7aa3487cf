"""Offline command understanding: text -> contract intent + slots (see shared/nlu/INTENTS.md).

Pure Python rules: deterministic, no models, no data files, well under a millisecond per utterance.
"""

from .dates import parse_date
from .lexicon import Lexicon
from .normalize import Utterance, normalize
from .numbers import parse_number
from .parser import Parse, parse, predict_lines
from .replies import classify_reply, transfer_target
from .status import parse_status
from .times import parse_duration_minutes, parse_time

__all__ = [
    "Lexicon",
    "Parse",
    "Utterance",
    "classify_reply",
    "normalize",
    "parse",
    "parse_date",
    "parse_duration_minutes",
    "parse_number",
    "parse_status",
    "parse_time",
    "predict_lines",
    "transfer_target",
]
