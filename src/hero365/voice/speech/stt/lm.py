"""A small n-gram language model, written as ARPA for pocketsphinx.

Absolute discounting with back-off (the same shape as Kneser-Ney without the continuation counts): good
enough for a vocabulary of a few thousand words and a corpus of template sentences, built in well under a
second so it can be rebuilt whenever the business's names change.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

BOS, EOS = "<s>", "</s>"


def _log10(p: float) -> float:
    return math.log10(max(p, 1e-99))


def build_arpa(sentences: Iterable[str], order: int = 3, discount: float = 0.6) -> str:
    """ARPA text of an `order`-gram model over the sentences (lower-case, space-separated words)."""
    counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
    for sentence in sentences:
        words = [BOS, *sentence.split(), EOS]
        for n in range(1, order + 1):
            for i in range(len(words) - n + 1):
                gram = tuple(words[i : i + n])
                if n == 1 and gram == (BOS,):
                    continue
                counts[n][gram] += 1
    counts[1][(BOS,)] = 0
    vocab = sorted(w for (w,) in counts[1])
    total = sum(counts[1].values())
    probs: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    backoff: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    # unigrams: a little mass held back for an unseen word is pointless in a closed vocabulary
    for (w,) in ((w,) for w in vocab):
        probs[1][(w,)] = counts[1][(w,)] / total if w != BOS else 0.0
    for n in range(2, order + 1):
        by_context: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
        for gram, c in counts[n].items():
            by_context[gram[:-1]].append((gram[-1], c))
        for context, followers in by_context.items():
            context_total = sum(c for _, c in followers)
            for word, c in followers:
                probs[n][(*context, word)] = (c - discount) / context_total
            reserved = discount * len(followers) / context_total
            lower_seen = sum(_lower_prob(probs, (*context[1:], w)) for w, _ in followers)
            backoff[n - 1][context] = reserved / max(1e-12, 1.0 - lower_seen)
    lines = ["\\data\\"] + [f"ngram {n}={len(probs[n])}" for n in range(1, order + 1)] + [""]
    for n in range(1, order + 1):
        lines.append(f"\\{n}-grams:")
        for gram in sorted(probs[n]):
            p = probs[n][gram]
            lp = -99.0 if p <= 0 else _log10(p)
            bo = backoff[n].get(gram) if n < order else None
            lines.append(f"{lp:.4f}\t{' '.join(gram)}" + (f"\t{_log10(bo):.4f}" if bo is not None else ""))
        lines.append("")
    lines.append("\\end\\")
    return "\n".join(lines) + "\n"


def _lower_prob(probs: list[dict[tuple[str, ...], float]], gram: tuple[str, ...]) -> float:
    """The probability the lower-order model gives a gram (recursing through back-off where unseen)."""
    if len(gram) == 1:
        return probs[1].get(gram, 0.0)
    return probs[len(gram)].get(gram) or 0.0


def write_arpa(sentences: Iterable[str], path: Path, order: int = 3) -> Path:
    path.write_text(build_arpa(sentences, order), encoding="utf-8")
    return path
