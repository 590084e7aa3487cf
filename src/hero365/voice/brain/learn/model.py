"""The intent model: a linear classifier over `features.analyse`, one per speaker, run with NumPy alone.

Trained with scikit-learn (TF-IDF + logistic regression, see train.py) and exported to a small .npz: the
vocabulary, the IDF weights and the coefficients. Predicting is a dictionary lookup and one small matrix
product (well under a millisecond), and the probabilities are temperature-scaled so that a stated
confidence of 0.9 is right about nine times in ten on held-out data.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .features import analyse

MODEL_PATH = Path(__file__).parent / "intent_model.npz"


@dataclass(frozen=True)
class Scored:
    """An intent and the model's calibrated probability for it."""

    intent: str
    p: float


class IntentModel:
    """One speaker's classifier."""

    def __init__(self, vocab: dict[str, int], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 labels: list[str], temperature: float = 1.0) -> None:
        self.vocab, self.idf, self.coef, self.intercept = vocab, idf, coef, intercept
        self.labels, self.temperature = labels, temperature

    def logits(self, text: str) -> np.ndarray:
        counts = Counter(i for f in analyse(text) if (i := self.vocab.get(f)) is not None)
        if not counts:
            return self.intercept.astype(np.float64)
        idx = np.fromiter(counts.keys(), dtype=np.int64)
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64)  # sublinear tf
        w = tf * self.idf[idx]
        w /= np.linalg.norm(w) or 1.0
        return w @ self.coef[idx].astype(np.float64) + self.intercept

    def scores(self, text: str) -> list[Scored]:
        """Every intent with its probability, best first."""
        z = self.logits(text) / self.temperature
        z -= z.max()
        p = np.exp(z)
        p /= p.sum()
        order = np.argsort(-p)
        return [Scored(self.labels[i], float(p[i])) for i in order]


class Models:
    """The shipped models, by speaker, and the registry fingerprint they were trained from."""

    def __init__(self, by_speaker: dict[str, IntentModel], fingerprint: str) -> None:
        self.by_speaker = by_speaker
        self.fingerprint = fingerprint

    def __getitem__(self, speaker: str) -> IntentModel:
        return self.by_speaker[speaker]

    def save(self, path: Path = MODEL_PATH) -> None:
        arrays: dict[str, np.ndarray] = {}
        meta: dict[str, object] = {"fingerprint": self.fingerprint, "speakers": {}}
        for speaker, m in self.by_speaker.items():
            arrays[f"{speaker}.idf"] = m.idf.astype(np.float32)
            arrays[f"{speaker}.coef"] = m.coef.astype(np.float16)
            arrays[f"{speaker}.intercept"] = m.intercept.astype(np.float32)
            meta["speakers"][speaker] = {  # type: ignore[index]
                "vocab": sorted(m.vocab, key=m.vocab.__getitem__), "labels": m.labels, "temperature": m.temperature}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        np.savez_compressed(path, **arrays)

    @staticmethod
    def load(path: Path = MODEL_PATH) -> Models:
        with np.load(path) as z:
            meta = json.loads(bytes(z["meta"]).decode())
            out = {}
            for speaker, m in meta["speakers"].items():
                vocab = {f: i for i, f in enumerate(m["vocab"])}
                out[speaker] = IntentModel(vocab, z[f"{speaker}.idf"].astype(np.float64),
                                           z[f"{speaker}.coef"].astype(np.float32),
                                           z[f"{speaker}.intercept"].astype(np.float64), m["labels"], m["temperature"])
        return Models(out, meta["fingerprint"])


@cache
def shipped() -> Models | None:
    """The model shipped with the package, or None where it has not been trained (`hero365 nlu train`)."""
    return Models.load() if MODEL_PATH.exists() else None
