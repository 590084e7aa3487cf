"""Conversation records encrypted at rest: what people said, tool arguments and recording references.

Keys are Fernet keys, newest first: CONVERSATION_KEYS when set, otherwise a key file generated once in the
data folder (like the gateway's JWT secret), so records written by one process are readable by the next.
Never a key per process. Every key decrypts (MultiFernet); the first encrypts. Rotation adds a key in front
and re-encrypts every stored value under it (`hero365 keys rotate`); retiring drops the older keys once no
row needs them (`hero365 keys retire`).

The columns are an `EncryptedText` type, so the ORM reads and writes plaintext and the database only ever
holds tokens. The type finds its keyring on the engine's dialect, where `attach(store)` put it: one keyring
per store, read from that store's settings.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ..config import Settings, data_dir

log = logging.getLogger(__name__)
#: Every Fernet token starts with these characters (version byte 0x80, base64): anything else is a value
#: written before encryption existed, read as it is and encrypted by the next rotation.
TOKEN_PREFIX = "gAAAAA"
UNREADABLE = "[unreadable: encrypted with a key that is no longer configured]"
_ATTR = "_hero365_conversation_keyring"


class KeysError(ValueError):
    """The configured keys are unusable (the message says which and why)."""


def key_file(settings: Settings) -> Path:
    return Path(settings.conversation_keys_file or data_dir() / "conversation_keys").expanduser()


def _read_file(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def write_key_file(path: Path, keys: list[str]) -> None:
    """Replace the key file atomically (mode 0600): a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".conversation_keys.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write("# Hero365 conversation keys, newest first. Keep a backup: without them the records are lost.\n")
            f.write("".join(k + "\n" for k in keys))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_keys(settings: Settings, create: bool = True) -> list[str]:
    """The configured keys, newest first; without any, a key generated once into the key file."""
    if settings.conversation_keys:
        return [k.strip() for k in settings.conversation_keys.split(",") if k.strip()]
    path = key_file(settings)
    if path.exists():
        keys = _read_file(path)
        if keys:
            return keys
    if not create:
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _read_file(path)
    with os.fdopen(fd, "w") as f:
        f.write(Fernet.generate_key().decode() + "\n")
    log.warning("No CONVERSATION_KEYS set: generated a conversation encryption key into %s (kept across restarts; "
                "back it up, or set CONVERSATION_KEYS).", path)
    return _read_file(path)


def fingerprint(key: str) -> str:
    """A short name for a key that reveals nothing of it."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


@dataclass
class Keyring:
    """The keys one store uses; a file-backed keyring re-reads its file when it changes (a rotation by
    `hero365 keys rotate` reaches running processes within seconds)."""

    keys: list[str]
    path: Path | None = None
    _fernet: MultiFernet = field(init=False, repr=False)
    _mtime: float = field(default=0.0, repr=False)
    _checked: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._build(self.keys)
        if self.path is not None and self.path.exists():
            self._mtime = self.path.stat().st_mtime

    def _build(self, keys: list[str]) -> None:
        if not keys:
            raise KeysError("No conversation keys are configured.")
        fernets = []
        for i, key in enumerate(keys, 1):
            try:
                fernets.append(Fernet(key.encode()))
            except (ValueError, TypeError):
                raise KeysError(f"Conversation key {i} is not a Fernet key (32 url-safe base64-encoded bytes; "
                                "make one with `hero365 keys new`).") from None
        self.keys, self._fernet = list(keys), MultiFernet(fernets)

    @classmethod
    def from_settings(cls, settings: Settings, create: bool = True) -> Keyring:
        keys = load_keys(settings, create)
        return cls(keys, None if settings.conversation_keys else key_file(settings))

    def refresh(self, every: float = 2.0) -> None:
        """Pick up a rotated key file (checked at most every `every` seconds)."""
        if self.path is None or time.monotonic() - self._checked < every:
            return
        self._checked = time.monotonic()
        try:
            mtime = self.path.stat().st_mtime
            if mtime != self._mtime:
                self._build(_read_file(self.path))
                self._mtime = mtime
        except (OSError, KeysError):
            log.exception("could not re-read the conversation key file %s; keeping the keys in use", self.path)

    def encrypt(self, text: str) -> str:
        self.refresh()
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, value: str) -> str:
        """Plaintext; a value from before encryption as it is; a token no key opens as a marker, not a crash."""
        if not value.startswith(TOKEN_PREFIX):
            return value
        self.refresh()
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            return UNREADABLE

    def rotate(self, value: str) -> str:
        """The value under the newest key (raises InvalidToken when no key opens it)."""
        if not value.startswith(TOKEN_PREFIX):
            return self._fernet.encrypt(value.encode()).decode()
        return self._fernet.rotate(value.encode()).decode()

    def primary_opens(self, value: str) -> bool:
        """The value is a token the newest key opens (not plaintext, not an older key's)."""
        if not value.startswith(TOKEN_PREFIX):
            return False
        try:
            Fernet(self.keys[0].encode()).decrypt(value.encode())
            return True
        except InvalidToken:
            return False


def attach(store: Any, ring: Keyring | None = None) -> Keyring:
    """The store's keyring (loaded once from its settings, kept on its engine's dialect); `ring` replaces it
    (after a rotation, this process uses the new keys at once)."""
    dialect = store.engine.dialect
    current: Keyring | None = getattr(dialect, _ATTR, None)
    if ring is None and current is not None:
        return current
    ring = ring or Keyring.from_settings(store.settings)
    setattr(dialect, _ATTR, ring)
    return ring


def keyring_of(dialect: sa.Dialect) -> Keyring:
    ring: Keyring | None = getattr(dialect, _ATTR, None)
    if ring is None:
        raise RuntimeError("The conversation store's keys are not loaded for this database: call "
                           "hero365.insights.crypto.attach(store) before reading or writing conversations.")
    return ring


class EncryptedText(sa.TypeDecorator[str]):
    """Text encrypted with the store's conversation keys (the database holds Fernet tokens only)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else keyring_of(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else keyring_of(dialect).decrypt(value)
