"""Token ids of the phrases rules look for, many at once.

A phrase is matched as the token-id sequence spaCy's tokenizer gives its text, so ``"don't"`` is
the two tokens ``do`` ``n't``, as in the data. A word list of 100,000 words is tokenized in one
pass: a word made only of ASCII letters or only of digits that is no tokenizer special case
(``cannot``, ``gonna``, ...) is one token, whose ids are the hashes of its text (what spaCy would
give, without running its affix rules); every other phrase goes through one ``tokenizer.pipe``
call. Ids are kept in a process-wide cache, so the chunks of one run tokenize each phrase once.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy.attrs import IS_SPACE, LOWER, ORTH
from spacy.strings import get_string_id

_CACHE_LIMIT = 500_000  # phrases (~250 bytes each); cleared when a call finds it fuller
# (text, case sensitive) -> the id of a one-token phrase, or the ids of any other
_cache: dict[tuple[str, bool], int | np.ndarray] = {}


@dataclass(frozen=True)
class PhraseIds:
    """Token ids of some phrases: those of one token as one array, the others one by one."""

    single: np.ndarray  # uint64[p1]
    longer: list[np.ndarray]  # uint64[k] each, k != 1 (an empty phrase is k = 0)

    def __len__(self) -> int:
        return len(self.single) + len(self.longer)

    @functools.cached_property
    def firsts(self) -> np.ndarray:
        """uint64: the first token id of each phrase (empty phrases have none)."""
        if not self.longer:
            return self.single
        heads = [int(ids[0]) for ids in self.longer if len(ids)]
        return np.concatenate([self.single, np.array(heads, dtype=np.uint64)])

    def only(self) -> np.ndarray:
        """The ids of the one phrase there is."""
        return self.single if len(self.single) else self.longer[0]


def _simple_ids(text: str, case_sensitive: bool, special: Any) -> int | np.ndarray | None:
    """The ids of a phrase of plain words separated by spaces, or None if it needs spaCy."""
    if " " not in text:  # the common case: one word
        if text.isascii() and (text.isalpha() or text.isdigit()) and text not in special:
            return get_string_id(text if case_sensitive else text.lower())
        return None
    ids = []
    for part in text.split(" "):
        if not part:
            continue
        if not (part.isascii() and (part.isalpha() or part.isdigit())) or part in special:
            return None
        ids.append(get_string_id(part if case_sensitive else part.lower()))
    return ids[0] if len(ids) == 1 else np.array(ids, dtype=np.uint64)


def phrase_token_ids(texts: Sequence[str], case_sensitive: bool, tokenizer: Any) -> PhraseIds:
    """uint64 token ids (exact form if ``case_sensitive``, else lowercase) of each phrase text,
    whitespace tokens left out; one entry per text (the one-token phrases and the others each in
    the order of ``texts``)."""
    if len(_cache) > _CACHE_LIMIT:
        _cache.clear()
    special = tokenizer.rules or {}
    single: list[int] = []
    longer: list[np.ndarray] = []
    hard: list[str] = []
    for text in texts:
        key = (text, case_sensitive)
        ids = _cache.get(key)
        if ids is None:
            ids = _simple_ids(text, case_sensitive, special)
            if ids is None:
                hard.append(text)
                continue
            _cache[key] = ids
        if isinstance(ids, int):
            single.append(ids)
        else:
            longer.append(ids)
    attr = ORTH if case_sensitive else LOWER
    distinct = list(dict.fromkeys(hard))
    docs = tokenizer.pipe(distinct, batch_size=4096) if len(distinct) > 1 else map(tokenizer,
                                                                                  distinct)
    for text, doc in zip(distinct, docs, strict=True):
        arr = doc.to_array([attr, IS_SPACE]).view(np.uint64).reshape(-1, 2)
        found = np.ascontiguousarray(arr[arr[:, 1] == 0, 0])
        _cache[(text, case_sensitive)] = int(found[0]) if len(found) == 1 else found
    for text in hard:  # in order, repeats kept
        ids = _cache[(text, case_sensitive)]
        if isinstance(ids, int):
            single.append(ids)
        else:
            longer.append(ids)
    return PhraseIds(np.fromiter(single, dtype=np.uint64, count=len(single)), longer)
