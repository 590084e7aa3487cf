"""Phone call recordings: the caller and the agent as LiveKit records them, encrypted at rest.

`CallRecording` wraps an AgentSession's audio I/O with LiveKit's `RecorderIO` (stereo ogg/opus: the caller
left, the agent right, the agent's audio placed where it was actually played, so a barge-in sounds like
it happened). When the call ends the file is encrypted with the conversation keys into RECORDINGS_DIR, the
plaintext removed, and the conversation row gets the reference (itself encrypted).

The encrypted file is a header then length-prefixed Fernet tokens of up to CHUNK bytes each: any size
streams in constant memory, and a rotation re-encrypts token by token (new file, then rename: a crash
leaves the old file or the new one, both readable while the old key is configured).
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ..config import Settings, data_dir
from ..insights.crypto import Keyring

log = logging.getLogger(__name__)
MAGIC = b"H365REC1\n"
CHUNK = 1 << 20
SUFFIX = ".ogg.enc"
#: The plaintext a call in progress is recorded into (beside its encrypted file; removed when the call ends).
PARTIAL = ".*.recording.ogg"


class RecordingError(ValueError):
    """A recording that cannot be read (missing, not ours, or no configured key opens it)."""


def recordings_dir(settings: Settings) -> Path:
    return Path(settings.recordings_dir or data_dir() / "recordings").expanduser()


def path_of(settings: Settings, ref: str) -> Path:
    """The file a stored reference names (references are relative to RECORDINGS_DIR; never outside it)."""
    root = recordings_dir(settings).resolve()
    path = (root / ref).resolve()
    if root not in path.parents:
        raise RecordingError("That recording reference points outside the recordings folder.")
    return path


def _fernet(ring: Keyring) -> MultiFernet:
    ring.refresh()
    return MultiFernet([Fernet(k.encode()) for k in ring.keys])


def _tokens(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise RecordingError(f"{path.name} is not an encrypted Hero365 recording.")
        while head := f.read(4):
            (size,) = struct.unpack(">I", head)
            token = f.read(size)
            if len(token) != size:
                raise RecordingError(f"{path.name} is truncated.")
            yield token


def _write_atomic(dest: Path, chunks: Iterator[bytes]) -> None:
    """Header and tokens into a temporary file beside `dest`, fsynced, then renamed over it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(MAGIC)
            for token in chunks:
                f.write(struct.pack(">I", len(token)) + token)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def encrypt_file(plain: Path, dest: Path, ring: Keyring) -> None:
    f = _fernet(ring)

    def chunks() -> Iterator[bytes]:
        with plain.open("rb") as src:
            while block := src.read(CHUNK):
                yield f.encrypt(block)

    _write_atomic(dest, chunks())


def decrypt_chunks(path: Path, ring: Keyring) -> Iterator[bytes]:
    """The plaintext audio, chunk by chunk (raises RecordingError when no configured key opens it)."""
    f = _fernet(ring)
    for token in _tokens(path):
        try:
            yield f.decrypt(token)
        except InvalidToken:
            raise RecordingError("No configured conversation key opens this recording.") from None


def reencrypt_file(path: Path, ring: Keyring, only_old: bool = False) -> bool:
    """The file under the ring's newest key (False: left as it was, already under it with `only_old`)."""
    f = _fernet(ring)
    newest = Fernet(ring.keys[0].encode())
    if only_old:
        try:
            for token in _tokens(path):
                newest.decrypt(token)
            return False
        except InvalidToken:
            pass
    try:
        _write_atomic(path, (f.rotate(t) for t in list(_tokens(path))))
    except InvalidToken:
        raise RecordingError(f"No configured conversation key opens {path.name}.") from None
    return True


@dataclass
class FileRotation:
    files: int = 0
    unreadable: int = 0


def reencrypt_all(settings: Settings, ring: Keyring, only_old: bool = False, batch: int = 500) -> FileRotation:
    """Every recording file under the newest key, one file at a time (each one crash-safe on its own)."""
    report = FileRotation()
    root = recordings_dir(settings)
    if not root.exists():
        return report
    files = sorted(root.rglob(f"*{SUFFIX}"))
    for i in range(0, len(files), batch):
        for path in files[i:i + batch]:
            try:
                report.files += reencrypt_file(path, ring, only_old)
            except RecordingError:
                report.unreadable += 1
    return report


class CallRecording:
    """One call's recorder: `attach` before `session.start`, `finish` after `session.aclose`."""

    def __init__(self, settings: Settings, business_id: int, session_id: str) -> None:
        self.settings = settings
        self.ref = f"{business_id}/{session_id}{SUFFIX}"
        self.dest = path_of(settings, self.ref)
        self.plain = self.dest.with_name(f".{session_id}.recording.ogg")
        self._io: Any = None

    async def attach(self, session: Any) -> bool:
        """Wrap the session's audio in LiveKit's RecorderIO and start writing the plaintext ogg (False: the
        session has no audio to record)."""
        from livekit.agents.voice.recorder_io import RecorderIO

        if session.input.audio is None or session.output.audio is None:
            return False
        heard, played = session.input.audio, session.output.audio
        try:
            rec = RecorderIO(agent_session=session)
            session.input.audio = rec.record_input(heard)
            session.output.audio = rec.record_output(played)
            self.dest.parent.mkdir(parents=True, exist_ok=True)
            await rec.start(output_path=self.plain)
        except Exception:  # a recorder that cannot start must not cost the call: it goes ahead unrecorded
            log.exception("call %s: recording could not start; the call is not recorded", self.ref)
            session.input.audio, session.output.audio = heard, played
            return False
        self._io = rec
        return True

    async def finish(self, store: Any, recorder: Any = None) -> str | None:
        """Close the encoder, encrypt the file at rest, remove the plaintext and give the recorder the
        reference. Never raises: a call's end is not the place to fail (the error is logged)."""
        import asyncio

        from ..insights.crypto import attach

        if self._io is None:
            return None
        try:
            await self._io.aclose()
            if not self.plain.exists() or self.plain.stat().st_size == 0:
                log.warning("call %s: no audio was recorded", self.ref)
                return None
            await asyncio.to_thread(encrypt_file, self.plain, self.dest, attach(store))
            if recorder is not None:
                recorder.recording(self.ref)
            return self.ref
        except Exception:
            log.exception("call recording %s could not be stored", self.ref)
            return None
        finally:
            self.plain.unlink(missing_ok=True)
