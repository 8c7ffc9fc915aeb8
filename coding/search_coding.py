"""Search and code (检索编码): the passages where any of a few words occurs, found on whole jieba words (or, on
request, anywhere in the text), to read and to code in one step, as MAXQDA codes the results of a lexical search and NVivo those of a text search
query (spread to the sentence or paragraph). The coding itself is :func:`coding.decisions.code_spans`.

包联 finds the word 包联, not 包联领导 (search for that word too if it is meant). Offsets are code points into the
stored document text; documents in the trash are not searched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from coding import analysis_data as data
from coding.analysis_words import folded_texts, lexicon_terms, sentence_words, text_hits, word_hits, word_index
from coding.decisions import coded_spans, is_covered
from coding.errors import BaolianError

UNITS = {"sentence": "所在句 its sentence", "paragraph": "所在段 its paragraph", "hit": "检索词本身 the words found"}
MATCHES = {"any": "任一词 any word", "all": "所有词（同句/同段）all words"}
COLUMNS = ["document_id", "document", "start", "end", "hits", "terms", "text", "coded"]
_TERM_SEP = re.compile(r"[\s,，、;；|｜/]+")


def search_terms(query: str) -> list[str]:
    """The terms of a query: words or phrases separated by spaces, commas, 、, semicolons or |, each once."""
    return list(dict.fromkeys(t for t in _TERM_SEP.split(query or "") if t))


def find_passages(project, query: str, *, unit: str = "sentence", match: str = "any", code: str | None = None,
                  coder: str | None = None, documents: Iterable[int] | None = None,
                  inside_words: bool = False) -> pd.DataFrame:
    """Passages (the sentence, the paragraph, or the words themselves, as ``unit`` says) with any of the query's
    terms (``match="all"``: with every one of them, in the same sentence or paragraph; ``@name`` stands for any
    term of the codebook's concept ``name``, :func:`coding.analysis_words.lexicon_terms`: "every term" then means
    one of each lexicon), in document order:
    document_id, document, start, end, hits (how many times a term occurs in it), terms (which), text, coded
    (``coder`` has already coded it with ``code``: a coding of the code covers it). ``documents``: only these
    (e.g. a blinded coder's assigned documents). ``inside_words``: a term is found wherever its characters are,
    also inside a longer word (包联 in 包联领导), as the other programs search."""
    groups = {term: lexicon_terms(project, term) for term in search_terms(query)}  # what finds each term
    if not groups:
        raise BaolianError("the search is empty", field="query", hint="type one or more words, e.g. 上门 走访")
    if unit not in UNITS:
        raise BaolianError(f"unknown unit {unit!r}", field="unit", hint=f"use one of: {', '.join(UNITS)}")
    if match not in MATCHES:
        raise BaolianError(f"unknown match {match!r}", field="match", hint=f"use one of: {', '.join(MATCHES)}")
    if match == "all" and unit == "hit":
        raise BaolianError("every term at once needs a sentence or paragraph to look in", field="match",
                           hint="choose unit sentence or paragraph, or match any")
    if inside_words:
        texts = folded_texts(project)  # once for all the terms
        find = lambda term: text_hits(project, term, texts)  # noqa: E731
    else:
        index = word_index(sentence_words(project))  # once for all the terms
        find = lambda term: word_hits(project, term, index=index)  # noqa: E731
    hits = pd.concat([find(term).assign(term=term, group=group) for group, members in groups.items()
                      for term in members], ignore_index=True)
    if documents is not None:
        hits = hits[hits["document_id"].isin(set(documents))]
    if hits.empty:
        return pd.DataFrame(columns=COLUMNS)
    hits = hits.astype({"document_id": "int64", "start": "int64", "end": "int64"})
    if unit != "hit":
        segments = data.segments_frame(project, unit)[["document_id", "start", "end"]].astype("int64")
        hits = pd.merge_asof(hits.sort_values("start"), segments.rename(columns={"end": "unit_end"})
                             .assign(unit_start=segments["start"]).sort_values("start"),
                             on="start", by="document_id", direction="backward")
        hits = hits[hits["unit_end"] >= hits["end"]]  # words lie inside their sentence and paragraph
        hits = hits.assign(start=hits["unit_start"].astype("int64"), end=hits["unit_end"].astype("int64"))
    passages = (hits.groupby(["document_id", "start", "end"], sort=True)
                .agg(hits=("term", "size"), terms=("term", lambda t: "、".join(dict.fromkeys(t))),
                     found=("group", "nunique"))
                .reset_index())
    if match == "all":
        passages = passages[passages["found"] == len(groups)].reset_index(drop=True)
        if passages.empty:
            return pd.DataFrame(columns=COLUMNS)
    texts = data.document_texts(project, passages["document_id"])
    titles = data.documents_frame(project).set_index("document_id")["document"]
    passages["document"] = passages["document_id"].map(titles)
    passages["text"] = [texts[d][a:b] for d, a, b in zip(passages["document_id"], passages["start"], passages["end"])]
    covered = coded_spans(project, code, coder) if code and coder else {}
    passages["coded"] = [is_covered(covered, d, s, e)
                         for d, s, e in zip(passages["document_id"], passages["start"], passages["end"])]
    return passages[COLUMNS]

