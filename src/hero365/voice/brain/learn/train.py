"""`hero365 nlu train`: rebuild the intent model from the registry (and the labelled sentences in data/).

Deterministic: the same registry and seed give the same model. Takes about a minute on two cores.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..registry import INTENTS, labels
from .generate import Example, Names, examples
from .model import MODEL_PATH, IntentModel, Models
from .tagger import TAGGER_PATH, train_tagger

DATA = Path(__file__).parent / "data"
#: Real people's sentences written for earlier rounds (their first-run figures were reported then; since looked
#: at, they are training data now). Each counts this many times against one generated sentence.
LABELLED_WEIGHT = 3.0


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 13
    per_template: int = 40
    c: float = 8.0
    min_df: int = 2


def fingerprint() -> str:
    """A hash of everything the model is trained from: a changed registry needs `hero365 nlu train`."""
    h = hashlib.sha256()
    for source in ("generate.py", "pools.py", "features.py"):
        h.update((Path(__file__).parent / source).read_bytes())
    for intent in INTENTS:
        h.update(repr((intent.name, intent.speakers, intent.templates)).encode())
    for path in sorted(DATA.glob("*.jsonl")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def labelled(paths: Iterable[Path] | None = None) -> list[Example]:
    out = []
    for path in paths if paths is not None else sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(Example(row["text"], row["intent"], row.get("agent", "personal")))
    return out


def _contract_to_registry(intent: str, speaker: str) -> str | None:
    """A labelled line's contract intent as the registry's label for that speaker (None: not this speaker's)."""
    if intent in labels(speaker):
        return intent
    return None


def fit(speaker: str, data: list[Example], extra: list[Example], cfg: TrainConfig) -> IntentModel:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from .features import analyse

    rows = [(e.text, e.intent, 1.0) for e in data if e.speaker == speaker]
    rows += [(e.text, lab, LABELLED_WEIGHT) for e in extra if e.speaker == speaker
             and (lab := _contract_to_registry(e.intent, speaker)) is not None]
    texts, ys, weights = zip(*rows, strict=True)
    vec = TfidfVectorizer(analyzer=analyse, sublinear_tf=True, min_df=cfg.min_df, dtype=np.float32)
    x = vec.fit_transform(texts)
    clf = LogisticRegression(C=cfg.c, max_iter=3000)
    clf.fit(x, ys, sample_weight=np.asarray(weights))
    vocab = {f: int(i) for f, i in vec.vocabulary_.items()}
    return IntentModel(vocab, vec.idf_.astype(np.float64), clf.coef_.T.astype(np.float32),
                       clf.intercept_.astype(np.float64), [str(c) for c in clf.classes_])


def calibrate(model: IntentModel, dev: list[Example]) -> float:
    """The temperature that makes the model's probabilities honest on held-out sentences (least log loss)."""
    rows = [(model.logits(e.text), model.labels.index(e.intent)) for e in dev if e.intent in model.labels]
    if len(rows) < 20:
        return 1.0

    def nll(t: float) -> float:
        total = 0.0
        for z, y in rows:
            z = z / t
            total += float(np.log(np.exp(z - z.max()).sum()) + z.max() - z[y])
        return total

    grid = [0.3 + 0.05 * i for i in range(60)]
    return min(grid, key=nll)


def train(cfg: TrainConfig = TrainConfig(), *, dev: list[Example] | None = None, names: Names | None = None,
          out: Path | None = MODEL_PATH, tagger_out: Path | None = TAGGER_PATH) -> Models:
    """Generate, fit one model per speaker (calibrated on `dev` when given) and the slot tagger; save them."""
    data = list(examples(per_template=cfg.per_template, seed=cfg.seed, names=names))
    if tagger_out is not None:
        train_tagger(data, tagger_out)
    extra = labelled()
    models = {}
    for speaker in ("personal", "customer"):
        model = fit(speaker, data, extra, cfg)
        if dev:
            model.temperature = calibrate(model, [e for e in dev if e.speaker == speaker])
        models[speaker] = model
    result = Models(models, fingerprint())
    if out is not None:
        result.save(out)
    return result
