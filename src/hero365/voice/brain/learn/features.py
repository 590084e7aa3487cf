"""What the model sees of a sentence: the normalised words, word pairs and character n-grams.

One function serves training (scikit-learn calls it as the vectoriser's analyser) and the agent (the shipped
model computes the same features without scikit-learn), so the two can never drift apart.
"""

from __future__ import annotations

import re
from itertools import pairwise

from ..nlu.normalize import normalize

_DIGITS = re.compile(r"\d+")


def words(text: str) -> list[str]:
    """Normalised tokens with every number as '0' (job 42 and job 1008 are the same to the classifier)."""
    return [_DIGITS.sub("0", t) for t in normalize(text).tokens]


def analyse(text: str) -> list[str]:
    """Word unigrams and bigrams (with sentence edges) and character 3-5-grams inside words."""
    toks = words(text)
    feats = [f"w:{t}" for t in toks]
    edged = ["<s>", *toks, "</s>"]
    feats += [f"b:{a} {b}" for a, b in pairwise(edged)]
    for t in toks:
        padded = f" {t} "
        for n in (3, 4, 5):
            feats += [f"c:{padded[i:i + n]}" for i in range(max(1, len(padded) - n + 1))]
    return feats
