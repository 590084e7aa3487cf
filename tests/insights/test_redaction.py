"""PII is redacted from logs and from analytics text: phone numbers (as libphonenumber finds them), e-mail
addresses and Luhn-valid card numbers; job numbers, prices, dates and times are left alone."""

from __future__ import annotations

import io
import logging

import pytest

from hero365.insights.redact import RedactPII, install_log_redaction, luhn_ok, redact


@pytest.mark.parametrize(("text", "expected"), [
    ("call me at (512) 555-0100 please", "call me at [phone] please"),
    ("+1 212 555 0102 or 512.555.0101", "[phone] or [phone]"),
    ("my number is 5125550100", "my number is [phone]"),
    ("write to Mary.Smith+bills@smith-plumbing.co.uk today", "write to [email] today"),
    ("card 4111 1111 1111 1111 exp 12/28", "card [card] exp 12/28"),
    ("4111-1111-1111-1111", "[card]"),
    ("amex 3782 822463 10005", "amex [card]"),
])
def test_pii_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "mark job 42 done at 10:30",
    "invoice 20261123 for $1,250.00",
    "order 4111111111111112 is not a card (Luhn fails)",
    "move it to 2026-11-26 at 9",
    "",
])
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert redact(text) == text


def test_luhn() -> None:
    assert luhn_ok("4111111111111111") and luhn_ok("378282246310005")
    assert not luhn_ok("4111111111111112")


def _logger() -> tuple[logging.Logger, io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"hero365.test.redaction.{id(buffer)}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, buffer


def test_the_filter_redacts_a_record_with_arguments_and_its_exception() -> None:
    logger, buffer = _logger()
    logger.handlers[0].addFilter(RedactPII())
    logger.info("caller %s said %r", "+1 512 555 0100", "mail me at bob@johnson.test")
    try:
        raise ValueError("card 4111 1111 1111 1111 declined")
    except ValueError:
        logger.exception("payment for %s failed", "bob@johnson.test")
    out = buffer.getvalue()
    assert "caller [phone] said 'mail me at [email]'" in out
    assert "payment for [email] failed" in out and "card [card] declined" in out
    assert "555" not in out and "johnson.test" not in out and "4111" not in out


def test_a_bearer_token_in_a_logged_address_is_hidden() -> None:
    logger, buffer = _logger()
    logger.handlers[0].addFilter(RedactPII())
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    logger.info('127.0.0.1 - "GET /dashboard?token=%s HTTP/1.1" 200', jwt)
    assert buffer.getvalue() == 'INFO 127.0.0.1 - "GET /dashboard?token=[token] HTTP/1.1" 200\n'


def test_uvicorn_s_access_log_keeps_working_with_the_token_hidden() -> None:
    from uvicorn.logging import AccessFormatter

    logger, buffer = _logger()
    logger.handlers[0].setFormatter(AccessFormatter('%(client_addr)s "%(request_line)s" %(status_code)s',
                                                    use_colors=False))
    logger.handlers[0].addFilter(RedactPII())
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/voice?token={jwt}", "1.1", 200)
    assert buffer.getvalue() == '127.0.0.1:5000 "GET /voice?token=[token] HTTP/1.1" 200 OK\n'


def test_installed_redaction_covers_handlers_made_afterwards() -> None:
    install_log_redaction()
    install_log_redaction()  # idempotent
    logger, buffer = _logger()  # a handler configured after installation, with no filter of its own
    logger.warning("calling %s", "(512) 555-0100")
    assert buffer.getvalue() == "WARNING calling [phone]\n"


async def test_tool_arguments_reach_the_audit_log_redacted(world) -> None:
    """The audit log is plaintext and append-only: tool arguments go in without phone numbers or e-mails."""
    import json as _json

    import sqlalchemy as sa

    from hero365.gateway.audit import AuditLog
    from hero365.gateway.sessions import AuditingRecorder
    from hero365.gateway.tables import audit_log

    class Recorded:  # the conversation store's side of the wrapper (what it is handed, kept whole)
        def __init__(self) -> None:
            self.calls: list[str] = []

        def tool(self, name: str, arguments: str, output: object, error: str | None, seconds: float) -> None:
            self.calls.append(arguments)

    audit = AuditLog(world.store.engine, world.store.clock)
    inner = Recorded()
    wrapped = AuditingRecorder(inner, audit, world.owner, "s1", "text")
    arguments = '{"name": "Ann Lee", "phone": "512-555-0177", "email": "ann@lee.test"}'
    wrapped.tool("create_contact", arguments, '{"say": "ok"}', None, 0.01)
    await audit.close()
    async with world.store.engine.connect() as conn:
        detail = (await conn.execute(sa.select(audit_log.c.detail).where(
            audit_log.c.action == "create_contact"))).scalar_one()
    logged = _json.loads(detail)["arguments"]
    assert logged == '{"name": "Ann Lee", "phone": "[phone]", "email": "[email]"}'
    assert inner.calls == [arguments]
