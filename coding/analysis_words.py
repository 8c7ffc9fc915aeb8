"""Keyword in context and Chinese word frequencies, on the jieba words stored with every sentence.

A sentence's words are stored joined by U+001F (``"".join(words) == sentence``), so each word's
offsets in the document follow from the lengths of the words before it. A search runs on whole words:
the query is cut into words with the project's segmenter and must match a run of whole words, so
包联 does not match inside the word 包联制. Offsets are code points into the stored document text.

Stop words: the Chinese list of the ``stopwordsiso`` package (stopwords-iso, 794 words), falling back
to spaCy's Chinese list when that package is missing; punctuation, symbols and numbers are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd

from coding import analysis_data as data
from coding.document_variables import check_grouping, values_by_document
from coding.errors import BaolianError
from coding.script import fold

WORD_SEP = "\x1f"
WORD_BY = {"none": "不分组 none", "kind": "文档类型 kind", "document": "文档 document",
           "speaker_role": "说话人角色 speaker role", "speaker": "说话人 speaker", "code": "编码 code"}
KWIC_COLUMNS = ["document_id", "document", "kind", "speaker", "speaker_role", "start", "end", "left", "keyword",
                "right"]
NUMBER = re.compile(r"^[\d０-９.,:：%％/／\-+第]*[\d０-９〇零一二三四五六七八九十百千万亿两]+[\d０-９.,%％年月日号个次件条名]*$")
ALL_VALUE = "全部 all"


@lru_cache(maxsize=1)
def chinese_stopwords() -> frozenset[str]:
    """The Chinese stop-word list (see the module docstring)."""
    try:
        import stopwordsiso

        words = set(stopwordsiso.stopwords("zh"))
    except ImportError:  # pragma: no cover - depends on the environment
        from spacy.lang.zh.stop_words import STOP_WORDS

        words = set(STOP_WORDS)
    return frozenset(words)


def is_content_word(word: str, stopwords: frozenset[str] | set[str], min_length: int = 1) -> bool:
    """False for stop words, punctuation, symbols, whitespace, numbers and words shorter than ``min_length``."""
    w = word.strip()
    if len(w) < max(min_length, 1) or w in stopwords or w.lower() in stopwords:
        return False
    if all(unicodedata.category(c)[0] in "PSZC" for c in w):
        return False
    return not NUMBER.match(w)


def sentence_words(project) -> pd.DataFrame:
    """One row per word of every sentence on a live document: document_id, segment_id, speaker,
    speaker_role, word, start, end (code points in the document). Whitespace words are left out."""
    sents = data.segments_frame(project, "sentence", words=True)
    lists = [(stored or "").split(WORD_SEP) for stored in sents["words"]]
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    flat = [w for words in lists for w in words]
    lengths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
    owner = np.repeat(np.arange(len(sents)), counts)  # the sentence of each word
    before = np.cumsum(lengths) - lengths  # characters of all the words before it
    first = np.cumsum(counts) - counts  # each sentence's first word
    start = sents["start"].to_numpy(np.int64)[owner] + before - np.repeat(before[first] if len(flat) else first, counts)
    keep = np.fromiter((not w.isspace() and w != "" for w in flat), dtype=bool, count=len(flat))
    words = pd.DataFrame({"document_id": sents["document_id"].to_numpy(np.int64)[owner][keep],
                          "segment_id": sents["segment_id"].to_numpy(np.int64)[owner][keep],
                          "start": start[keep], "end": (start + lengths)[keep]})
    words.insert(2, "word", pd.Series(np.array(flat, dtype=object)[keep], dtype=object))
    return words.merge(sents[["segment_id", "speaker", "speaker_role"]], on="segment_id", how="left")


def _context(text: str, start: int, end: int, width: int) -> tuple[str, str, str]:
    flat = str.maketrans({"\n": " ", "\r": " ", "\t": " "})
    return (text[max(0, start - width):start].translate(flat), text[start:end].translate(flat),
            text[end:end + width].translate(flat))


def kwic(project, word: str | None = None, *, code: str | None = None, width: int = 20,
         status: Iterable[str] = ("accepted",), coder: str | None = None, layer: str = "coding",
         limit: int | None = None, as_user: str | None = None,
         documents: Collection[int] | None = None) -> pd.DataFrame:
    """Keyword in context: every occurrence of ``word`` (a run of whole jieba words; ``@name``: any term of the
    codebook's concept lexicon ``name``, :func:`lexicon_terms`) or every coding of
    ``code`` and its sub-codes (the coded text is the keyword). ``width`` characters of context each side.
    Columns: document_id, document, kind, speaker, speaker_role, start, end, left, keyword, right
    (+ code for a code search). ``as_user`` while blinded finds only their own codings of ``code``."""
    if (word is None) == (code is None):
        raise BaolianError("give a word or a code to search for", field="kwic",
                           hint="e.g. 包联, or a code key such as M1")
    if width < 0:
        raise BaolianError("the context width must be 0 or more", field="width")
    docs = data.documents_frame(project).set_index("document_id")
    if word is not None:
        terms = lexicon_terms(project, word.strip())
        index = word_index(sentence_words(project)) if len(terms) > 1 else None
        hits = pd.concat([word_hits(project, term, index=index) for term in terms], ignore_index=True)
        if documents is not None:
            hits = hits[hits["document_id"].isin(set(documents))]
        columns = KWIC_COLUMNS
    else:
        hits = _code_hits(project, code, status=status, coder=coder, layer=layer, as_user=as_user,
                          documents=documents)
        columns = [*KWIC_COLUMNS, "code"]
    if hits.empty:
        return pd.DataFrame(columns=columns)
    hits = hits.sort_values(["document_id", "start", "end"]).reset_index(drop=True)
    if limit is not None:
        hits = hits.head(limit)
    texts = data.document_texts(project, hits["document_id"])
    parts = [_context(texts[d], a, b, width) for d, a, b in zip(hits["document_id"], hits["start"], hits["end"])]
    hits["left"], hits["keyword"], hits["right"] = [p[0] for p in parts], [p[1] for p in parts], [p[2] for p in parts]
    hits["document"] = hits["document_id"].map(docs["document"])
    hits["kind"] = hits["document_id"].map(docs["kind"])
    return hits[columns].astype({"start": int, "end": int})


def lexicon_terms(project, term: str) -> list[str]:
    """What ``term`` finds: itself, or for ``@name`` every term of the codebook's concept lexicon ``name``
    (``@领导``: 领导, 包联领导, 分管领导, 区长 …); an unknown lexicon is refused with some known ones named."""
    if not (term.startswith("@") and len(term) > 1):
        return [term]
    codebook = project.codebook()
    concepts = codebook.concepts if codebook is not None else {}
    concept = concepts.get(term[1:])
    if concept is None:
        known = "、".join(f"@{n}" for n in list(concepts)[:8]) or "none (the codebook has no concepts)"
        raise BaolianError(f"unknown concept {term}", field="query", hint=f"use a concept of the codebook, e.g. {known}")
    return list(dict.fromkeys(concept.terms))


class WordIndex(NamedTuple):
    """:func:`sentence_words` as plain arrays, with the row positions of each word: built once by a caller that
    looks up many terms (converting the table's text columns is the costly part)."""

    positions: dict[str, np.ndarray]
    word: np.ndarray
    segment: np.ndarray
    document: np.ndarray
    start: np.ndarray
    end: np.ndarray
    speaker: np.ndarray
    speaker_role: np.ndarray


def word_index(words: pd.DataFrame) -> WordIndex:
    """The :class:`WordIndex` of a :func:`sentence_words` table."""
    arrays = [words[c].to_numpy(dtype=object) if c in ("word", "speaker", "speaker_role")
              else words[c].to_numpy() for c in ("word", "segment_id", "document_id", "start", "end", "speaker",
                                                  "speaker_role")]
    return WordIndex(words.groupby("word", sort=False).indices if not words.empty else {}, *arrays)


def word_hits(project, query: str, words: pd.DataFrame | None = None, index: WordIndex | None = None) -> pd.DataFrame:
    """Where ``query`` (a run of whole jieba words) occurs: document_id, start, end, speaker, speaker_role.
    ``words``: :func:`sentence_words`, or ``index``: its :func:`word_index`, when the caller searches for several
    queries."""
    target = [w for w in project.tokens(query.strip())] if query.strip() else []
    if not target:
        raise BaolianError("the search word is empty", field="word", hint="type a word, e.g. 包联")
    if index is None:
        index = word_index(sentence_words(project) if words is None else words)
    first = index.positions.get(target[0], ())
    n = len(target)
    if n > 1:  # the following words too, in the same sentence
        ws, segs = index.word, index.segment
        first = [i for i in first if i + n <= len(ws) and segs[i + n - 1] == segs[i] and list(ws[i:i + n]) == target]
    first = np.sort(np.asarray(first, dtype=np.int64))
    last = first + n - 1
    return pd.DataFrame({"document_id": index.document[first], "start": index.start[first].astype(np.int64),
                         "end": index.end[last].astype(np.int64), "speaker": index.speaker[first],
                         "speaker_role": index.speaker_role[first]})


def folded_texts(project) -> dict[int, str]:
    """Document id -> the text of each live document in simplified characters (:func:`coding.script.fold`, same
    length), what plain-string search looks in."""
    texts = data.document_texts(project, data.documents_frame(project)["document_id"])
    return {doc: fold(text) for doc, text in texts.items()}


def text_hits(project, query: str, texts: dict[int, str] | None = None) -> pd.DataFrame:
    """Where ``query`` occurs as a plain string, inside words too (包联 in 包联领导, 包聯): document_id, start, end,
    on live documents, occurrences not overlapping. ``texts``: :func:`folded_texts`, when the caller searches for
    several."""
    if not query.strip():
        raise BaolianError("the search word is empty", field="word", hint="type a word, e.g. 包联")
    texts = folded_texts(project) if texts is None else texts
    pattern = re.compile(re.escape(fold(query.strip())))  # 包联 finds 包聯 too (coding.script)
    rows = [(doc, m.start(), m.end()) for doc, text in texts.items() for m in pattern.finditer(text)]
    return pd.DataFrame(rows, columns=["document_id", "start", "end"])


def _code_hits(project, code: str, **selection) -> pd.DataFrame:
    codes = data.codes_frame(project)
    wanted = data.expand_codes(codes, [code])
    rows = data.selected_codings(project, **selection)
    columns = ["document_id", "start", "end", "speaker", "speaker_role", "code"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = rows[rows["code_id"].isin(wanted)]
    rows = rows.assign(code=rows["code_id"].map(dict(zip(codes["code_id"], codes["code"]))))
    return rows.drop_duplicates(["document_id", "start", "end", "code"])[columns]


def word_frequencies(project, *, by: str = "none", top: int | None = 50, min_length: int = 2,
                     stopwords: Iterable[str] | None = None, extra_stopwords: Iterable[str] = (),
                     status: Iterable[str] = ("accepted",), coder: str | None = None,
                     layer: str = "coding", as_user: str | None = None,
                     documents: Collection[int] | None = None) -> pd.DataFrame:
    """Word counts per group (``by``: none, kind, document, speaker_role, speaker, or code = the words of
    the sentences carrying each code, selected by ``status``/``coder``/``layer``). Stop words
    (:func:`chinese_stopwords` unless ``stopwords`` is given, plus ``extra_stopwords``), punctuation,
    numbers and words shorter than ``min_length`` are left out. Columns: <by>, word, count, share (of the
    group's counted words), documents; the ``top`` words per group, most frequent first."""
    columns = [by, "word", "count", "share", "documents"]
    words = grouped_words(project, by=by, min_length=min_length, stopwords=stopwords, extra_stopwords=extra_stopwords,
                          status=status, coder=coder, layer=layer, as_user=as_user, documents=documents)
    if words.empty:
        return pd.DataFrame(columns=columns)
    out = words.groupby([by, "word"]).agg(count=("word", "size"), documents=("document_id", "nunique")).reset_index()
    out["share"] = out["count"] / out.groupby(by)["count"].transform("sum")
    out = out.sort_values([by, "count", "word"], ascending=[True, False, True])
    if top is not None:
        out = out.groupby(by, sort=False).head(top)
    return out[columns].reset_index(drop=True)


def grouped_words(project, *, by: str = "none", min_length: int = 2, stopwords: Iterable[str] | None = None,
                  extra_stopwords: Iterable[str] = (), status: Iterable[str] = ("accepted",), coder: str | None = None,
                  layer: str = "coding", as_user: str | None = None,
                  documents: Collection[int] | None = None) -> pd.DataFrame:
    """The content words counted by :func:`word_frequencies` (one row per occurrence: document_id, word, …) with
    the group each belongs to in a column named ``by`` (a word of a sentence with two codes is in both)."""
    check_grouping(project, by, WORD_BY, what="group words")
    stop = set(chinese_stopwords() if stopwords is None else stopwords) | set(extra_stopwords)
    words = sentence_words(project)
    if documents is not None:
        words = words[words["document_id"].isin(set(documents))]
    if words.empty:
        return words.assign(**{by: pd.Series(dtype=object)})
    keep = {w: is_content_word(w, stop, min_length) for w in words["word"].unique()}
    words = words[words["word"].map(keep)]
    if by == "code":
        return _words_by_code(project, words, status=status, coder=coder, layer=layer, as_user=as_user,
                              documents=documents)
    if by in ("kind", "document"):
        docs = data.documents_frame(project).set_index("document_id")
        return words.assign(**{by: words["document_id"].map(docs[by])})
    if by == "none":
        return words.assign(none=ALL_VALUE)
    if by not in words.columns:  # var:NAME, a document variable (— where a document has none)
        return words.assign(**{by: words["document_id"].map(values_by_document(data.documents_frame(project), by))})
    return words


def _words_by_code(project, words: pd.DataFrame, **selection) -> pd.DataFrame:
    from coding.analysis_tables import _units

    rows = data.selected_codings(project, **selection)
    if rows.empty:
        return words.iloc[0:0].assign(code=pd.Series(dtype=object))
    units = _units(rows, "sentence", project)
    key = dict(zip(*data.codes_frame(project)[["code_id", "code"]].T.values))
    units = units.assign(code=units["code_id"].map(key))
    words = words.assign(unit="s" + words["segment_id"].astype(str))
    return words.merge(units[["unit", "code"]], on="unit")


def word_counter(project, **options) -> Counter:
    """All counted words of the project as a Counter (``by="none"``, no top limit)."""
    table = word_frequencies(project, by="none", top=None, **options)
    return Counter(dict(zip(table["word"], table["count"])))
