"""Job status words -> the contract's five statuses ("I'm done with it" -> completed)."""

from __future__ import annotations

import re

_STATUS_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "in_progress",
        re.compile(
            r"\bnot (?:yet )?(?:done|finished|complete|completed)\b|\bin progress\b"
            r"|\bunder ?way\b|\bongoing\b"
        ),
    ),
    (
        "scheduled",
        re.compile(
            r"\b(?:not|has not|have not|did not|had not) (?:been )?start(?:ed)?\b"
            r"|\b(?:back to |as |to |is )scheduled\b|\breopen(?:ed)?\b|\bun ?cancel\b"
        ),
    ),
    (
        "on_hold",
        re.compile(
            r"\bon hold\b|\bhold\b|\bpaus(?:e|ed|ing)\b|\bstalled\b|\bsuspend(?:ed)?\b"
            r"|\bwaiting (?:for|on) (?:the )?(?:parts?|materials?|approval|permit|customer)\b"
            r"|\bblocked\b|\bon pause\b"
        ),
    ),
    (
        "cancelled",
        re.compile(
            r"\bcancel(?:led|ling|lation)?\b|\bcall(?:ed)? (?:it )?off\b|\bscrap(?:ped)?\b"
            r"|\bno longer need(?:ed)?\b|\bdrop(?:ped)? (?:the|that|this|job)\b|\bvoid(?:ed)?\b"
        ),
    ),
    (
        "completed",
        re.compile(
            r"\b(?:complete|completed|done|finish|finished|finishing|wrap(?:ped)? up|wrapping up"
            r"|wrapped|clos(?:e|ed|ing) (?:it |out)|closed|knocked (?:it )?out|taken care of"
            r"|fixed|all set|good to go|signed off)\b"
        ),
    ),
    (
        "in_progress",
        re.compile(
            r"\bstart(?:s|ing|ed)?\b|\bbegin(?:ning)?\b|\bbegan\b|\bworking on\b|\bon site\b"
            r"|\bon the job\b|\barrived\b|\bkick(?:ing|ed)? off\b|\bgetting started\b"
            r"|\bactive\b|\bin process\b"
        ),
    ),
]


def parse_status(text: str) -> str | None:
    """Status named in text: scheduled, in_progress, on_hold, completed or cancelled; else None."""
    from .normalize import normalize

    norm = normalize(text).text
    for status, pattern in _STATUS_PATTERNS:
        if pattern.search(norm):
            return status
    return None
