"""Lexical (BM25) search over short documents, with typo-tolerant query terms.

bm25s scores the whole corpus as one sparse-matrix product, so a filter is a weight mask
over documents rather than a second pass. Text is lower-cased, split into words (Latin)
or character bigrams (CJK, which has no spaces), stop words dropped and English words
stemmed. A query word the catalog has never seen ("wireles") is replaced by the closest
catalog word ("wireless") before scoring.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS
from rapidfuzz import fuzz, process

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
# A typo is corrected only to a word at least this similar (rapidfuzz ratio, 0-100) and
# only for words of 4+ letters: short words have too many near neighbours to guess.
_TYPO_MIN_SIMILARITY = 80
_TYPO_MIN_LENGTH = 4


class Tokenizer:
    """Words → index terms. The same instance must tokenize documents and queries."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")

    def words(self, text: str) -> list[str]:
        """Surface words (lower case, no stop words), before stemming."""
        words: list[str] = []
        for match in _WORD.finditer(text.lower()):
            word = match.group()
            if _CJK.match(word):
                # Character bigrams (plus the lone character of a one-character word) are
                # the usual index unit for Chinese without a segmenter.
                words.extend([word] if len(word) == 1 else [word[i : i + 2] for i in range(len(word) - 1)])
            elif word not in _STOPWORDS:
                words.append(word)
        return words

    def terms(self, words: Sequence[str]) -> list[str]:
        return [w if _CJK.match(w) else self._stemmer.stemWord(w) for w in words]

    def __call__(self, text: str) -> list[str]:
        return self.terms(self.words(text))


@dataclass(frozen=True)
class LexicalMatch:
    index: int  # position of the document in the corpus the index was built from
    score: float


class LexicalIndex:
    """BM25 over a fixed list of documents.

    Example:
        >>> index = LexicalIndex(["Trail running shoe", "Blue coffee mug"])
        >>> [m.index for m in index.search("runing shoes", k=1)]
        [0]
    """

    def __init__(self, documents: Sequence[str], tokenizer: Tokenizer | None = None) -> None:
        self._tokenizer = tokenizer or Tokenizer()
        self._size = len(documents)
        corpus = [self._tokenizer.words(doc) for doc in documents]
        self._terms = [frozenset(self._tokenizer.terms(words)) for words in corpus]
        self._vocabulary = sorted({w for words in corpus for w in words if not _CJK.match(w)})
        self._known = set(self._vocabulary)
        self._bm25 = bm25s.BM25()
        # bm25s refuses an empty corpus; an empty catalog simply finds nothing.
        if self._size:
            self._bm25.index([self._tokenizer.terms(words) or [""] for words in corpus], show_progress=False)

    def __len__(self) -> int:
        return self._size

    def correct(self, words: Sequence[str]) -> list[str]:
        """Replace words the corpus never uses with the closest word it does use."""
        fixed = []
        for word in words:
            if word in self._known or _CJK.match(word) or len(word) < _TYPO_MIN_LENGTH or word.isdigit():
                fixed.append(word)
                continue
            best = process.extractOne(word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=_TYPO_MIN_SIMILARITY)
            fixed.append(best[0] if best else word)
        return fixed

    def query_terms(self, query: str) -> list[str]:
        """The index terms of `query`, typos corrected."""
        return self._tokenizer.terms(self.correct(self._tokenizer.words(query)))

    def coverage(self, terms: set[str], index: int) -> float:
        """Share of `terms` (from `query_terms`) that document `index` contains (0 when there are none)."""
        return len(terms & self._terms[index]) / len(terms) if terms else 0.0

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[LexicalMatch]:
        """The top `k` documents with a positive score; `allowed` is a boolean mask over documents."""
        if not self._size:
            return []
        terms = self.query_terms(query)
        if not terms:
            return []
        scores = self._bm25.get_scores(terms)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [LexicalMatch(int(i), float(scores[i])) for i in top if scores[i] > 0]
