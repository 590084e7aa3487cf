"""PII redaction for logs and analytics text: phone numbers, e-mail addresses and card numbers.

Phone numbers are found by libphonenumber's matcher (so "(512) 555-0100", "+1 212 555 0102" and
"512.555.0101" are caught and a job number or a price is not); card numbers are 13-19 digit runs (spaces or
dashes allowed) that pass the Luhn check, so order and invoice numbers survive. Used by a logging filter the
CLI and the gateway install, and by analytics wherever it shows what someone said.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import phonenumbers

PHONE, EMAIL, CARD = "[phone]", "[email]", "[card]"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
_DIGITS = re.compile(r"\d")
#: A JWT (header.payload.signature, base64url): the gateway's tokens travel in ?token= links the access log keeps.
_JWT = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}")
TOKEN = "[token]"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _cards(text: str) -> str:
    def swap(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group())
        return CARD if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group()

    return _CARD.sub(swap, text)


def _phones(text: str, region: str) -> str:
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, region)]
    for start, end in reversed(spans):
        text = text[:start] + PHONE + text[end:]
    return text


def redact(text: str, region: str = "US") -> str:
    """The text with phone numbers, e-mail addresses and card numbers replaced by [phone], [email], [card]."""
    if not text:
        return text
    if "@" in text:
        text = _EMAIL.sub(EMAIL, text)
    if len(_DIGITS.findall(text)) >= 7:  # fewer digits hold neither a phone number nor a card
        text = _phones(_cards(text), region)
    return text


def _clean(text: str) -> str:
    text = redact(text)
    return _JWT.sub(TOKEN, text) if "eyJ" in text else text


class RedactPII(logging.Filter):
    """A logging filter: PII redacted from the message, its arguments and any exception text, and bearer
    tokens (JWTs, e.g. in a logged ?token= address) replaced by [token]. Lets every record through; only its
    text changes, and its shape stays (formatters such as uvicorn's access log unpack the arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) if isinstance(v, str) else v for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _clean(record.exc_text)
        return True


_FILTER = RedactPII()
_installed = False


def install_log_redaction() -> None:
    """Redact every log record of this process, whichever handler ends up writing it; idempotent.

    The filter runs as each record is made (a LogRecord factory), not on a logger or a handler: a logger's
    own filters never see records its children propagate to it, and handlers are often configured after
    start-up (uvicorn's logging config, the CLI's basicConfig)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _FILTER.filter(record)
        return record

    logging.setLogRecordFactory(make)
