"""Fixtures for the calling tests (helpers in calls_helpers.py)."""

from __future__ import annotations

from calls_helpers import customers, trunk  # noqa: F401  (fixtures)
