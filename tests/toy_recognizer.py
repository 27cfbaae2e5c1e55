"""A toy entity recognizer, registered the way a plugin would (``recognizers``): deterministic
and instant, so the entity primitives' conformance tests run without the `ner` extra.

Capitalized runs of letters are PERSON, all-caps words ORG, ``東京`` GPE, ``£5`` MONEY, digits
CARDINAL, and ``mail`` (part of the token ``e-mail``) PRODUCT: ranges that start or end inside a
token check the character-to-token rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from explicate.runtime.entities import Entity, recognizers

_PATTERNS = (
    ("PERSON", re.compile(r"\b[A-Z][a-z]+(?:[ ]+[A-Z][a-z]+)*\b")),
    ("ORG", re.compile(r"\b[A-Z]{2,}\b")),
    ("GPE", re.compile(r"東京")),
    ("MONEY", re.compile(r"£\d+")),
    ("CARDINAL", re.compile(r"(?<!£)\b\d+\b")),
    ("PRODUCT", re.compile(r"mail")),
)


def toy_entities(text: str) -> list[Entity]:
    found = [(m.start(), m.end(), label) for label, rx in _PATTERNS for m in rx.finditer(text)]
    return sorted(found)


@recognizers.register("toy")
class ToyRecognizer:
    def available(self) -> str | None:
        return None

    def recognize(self, texts: Sequence[str]) -> list[list[Entity]]:
        return [toy_entities(t) for t in texts]
