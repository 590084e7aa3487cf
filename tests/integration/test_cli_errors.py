"""A command run before the database is ready says what to do, with exit code 1, never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hero365.cli import app
from hero365.config import get_settings


@pytest.fixture
def database(monkeypatch):  # type: ignore[no-untyped-def]
    def use(url: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_chat_on_a_database_without_tables_says_to_upgrade_it(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    database(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    out = CliRunner().invoke(app, ["chat", "--say", "what's next"])
    said = " ".join(out.output.split())
    assert out.exit_code == 1 and "no tables yet" in said and "hero365 db upgrade" in said, out.output
    assert "Traceback" not in out.output


def test_jobs_on_an_unreachable_database_names_the_setting(database) -> None:  # type: ignore[no-untyped-def]
    database("postgresql+asyncpg://postgres@127.0.0.1:9/nothing")  # port 9 (discard): nothing listens
    out = CliRunner().invoke(app, ["jobs", "--date", "today"])
    said = " ".join(out.output.split())
    assert out.exit_code == 1 and "could not be used" in said and "DATABASE_URL" in said, out.output
    assert "Traceback" not in out.output
