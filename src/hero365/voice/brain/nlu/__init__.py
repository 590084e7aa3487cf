"""Value parsers for command understanding: normalised words, names, numbers, dates, times, statuses, replies.

Which intent an utterance is comes from the trained model (../learn, ../understand.py); these read its
values. Pure Python: deterministic, no data files, well under a millisecond per utterance.
"""

from .dates import parse_date
from .lexicon import Lexicon
from .normalize import Utterance, normalize
from .numbers import parse_number
from .replies import classify_reply, transfer_target
from .status import parse_status
from .times import parse_duration_minutes, parse_time

__all__ = [
    "Lexicon",
    "Utterance",
    "classify_reply",
    "normalize",
    "parse_date",
    "parse_duration_minutes",
    "parse_number",
    "parse_status",
    "parse_time",
    "transfer_target",
]
