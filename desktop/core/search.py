"""Search the matter catalogue as the clerk types: code, Chinese name, pinyin initials, full pinyin, keywords."""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable

from desktop.core.types import Matter

__all__ = ["MatterIndex", "pinyin_forms"]

_SEP = "\x00"  # never part of a query (stripped) nor of an indexed string
_HIGH = "\U0010ffff"
_MAX_VARIANTS = 12  # other-reading forms kept per name, besides the context reading
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_QUERY_PINYIN_JUNK = re.compile(r"[\s'’·\-]+")


def _alnum(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


def pinyin_forms(text: str) -> tuple[list[str], list[str]]:
    """(full-pinyin forms, initials forms) of `text`, lower-case ASCII letters and digits only.

    The first form of each list is pypinyin's context reading (phrase-aware: 银行 → yinhang). Further
    forms swap in one other reading of a heteronym at a time (行 xing/hang), capped, so a clerk who
    types the "other" reading still finds the matter. Non-Chinese runs are kept whole in both forms.
    One pypinyin call per text: it is the expensive part of building the index.
    """
    readings = _pinyin()(text, style=_pinyin_style().NORMAL, heteronym=True, errors="default")
    literal = [len(r) == 1 and r[0] in text for r in readings]  # runs that were not Chinese
    options = [list(dict.fromkeys(_alnum(a) for a in r)) or [""] for r in readings]
    base = [o[0] for o in options]

    def initial(seg: str, pos: int) -> str:
        return seg if literal[pos] else seg[:1]

    base_initials = [initial(seg, pos) for pos, seg in enumerate(base)]
    full = ["".join(base)]
    initials = ["".join(base_initials)]
    for pos, alternatives in enumerate(options):
        for alt in alternatives[1:]:
            if len(full) > _MAX_VARIANTS:
                break
            if not alt:
                continue
            f = "".join(base[:pos] + [alt] + base[pos + 1 :])
            i = "".join(base_initials[:pos] + [initial(alt, pos)] + base_initials[pos + 1 :])
            if f not in full:
                full.append(f)
            if i not in initials:
                initials.append(i)
    return [f for f in full if f], [i for i in initials if i]


_PYPINYIN = None


def _pinyin():
    """pypinyin, imported on first use: its dictionaries cost ~50 MB of resident memory, so a window
    only loads them when a catalogue arrives, not when it starts (the forms are stored with the catalogue)."""
    global _PYPINYIN
    if _PYPINYIN is None:
        import pypinyin

        # Readings pypinyin gets wrong for names a Shanghai clerk types every day.
        pypinyin.load_phrases_dict({"长宁": [["cháng"], ["níng"]], "长宁区": [["cháng"], ["níng"], ["qū"]]})
        _PYPINYIN = pypinyin
    return _PYPINYIN.pinyin


def _pinyin_style():
    _pinyin()
    return _PYPINYIN.Style


def catalogue_forms(matters: Iterable[Matter]) -> dict[str, tuple[list[str], list[str]]]:
    """Pinyin forms of every name and keyword of a catalogue, to store with it (see MatterIndex)."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for m in matters:
        for text in (m.name, *(k.strip().lower() for k in m.keywords if k.strip())):
            if text not in out:
                out[text] = pinyin_forms(text)
    return out


class _PrefixTable:
    """Sorted keys with the matter each came from: all matters with a key starting with q."""

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        ordered = sorted(set(pairs))
        self.keys = [k for k, _ in ordered]
        self.owners = [i for _, i in ordered]

    def hits(self, q: str) -> list[int]:
        lo = bisect_left(self.keys, q)
        hi = bisect_left(self.keys, q + _HIGH, lo)
        return self.owners[lo:hi]


class _SubstringTable:
    """Per-matter text joined into one string, so a substring search runs in C."""

    def __init__(self, per_matter: list[str]) -> None:
        self.per_matter = per_matter
        self.starts: list[int] = []
        pos = 1
        for s in per_matter:
            self.starts.append(pos)
            pos += len(s) + 1
        self.text = _SEP + _SEP.join(per_matter)

    def hits(self, q: str, cap: int) -> set[int] | None:
        """Matters whose text contains q, or None once more than `cap` are found (dense query)."""
        found: set[int] = set()
        text, starts = self.text, self.starts
        last = len(starts) - 1
        pos = text.find(q)
        while pos != -1:
            owner = bisect_right(starts, pos) - 1
            found.add(owner)
            if len(found) > cap:
                return None
            # skip to the next matter: one hit per matter is enough
            pos = text.find(q, starts[owner + 1]) if owner < last else -1
        return found

    def contains(self, i: int, q: str) -> bool:
        return q in self.per_matter[i]


class MatterIndex:
    """An in-memory index over the catalogue, built once (pinyin included) and queried per keystroke.

    Ranking tiers: exact code > code prefix > name prefix > name substring > pinyin-initials prefix >
    full-pinyin prefix > initials/pinyin substring > keyword hit; within a tier, shorter name first,
    then code. Case-insensitive. Not thread-safe to mutate (it never is mutated after build).
    """

    def __init__(self, matters: Iterable[Matter],
                 forms: dict[str, tuple[list[str], list[str]]] | None = None) -> None:
        """`forms`: precomputed pinyin forms (catalogue_forms); texts missing from it are computed."""
        self._matters: tuple[Matter, ...] = tuple(matters)
        n = len(self._matters)
        by_code = sorted(range(n), key=lambda i: self._matters[i].code)
        self._by_code = [self._matters[i] for i in by_code]
        self._tie_order = sorted(range(n), key=lambda i: (len(self._matters[i].name), self._matters[i].code))
        self._tie_rank = [0] * n
        for rank, i in enumerate(self._tie_order):
            self._tie_rank[i] = rank
        self._dense = max(64, n // 16)

        codes = [m.code.lower() for m in self._matters]
        names = [m.name.lower() for m in self._matters]
        self._exact_code: dict[str, int] = {}
        for i in by_code:
            self._exact_code.setdefault(codes[i], i)

        full_pairs: list[tuple[str, int]] = []
        initial_pairs: list[tuple[str, int]] = []
        pinyin_text: list[str] = []
        keyword_text: list[str] = []
        cache: dict[str, tuple[list[str], list[str]]] = dict(forms or {})

        def forms(text: str) -> tuple[list[str], list[str]]:
            if text not in cache:
                cache[text] = pinyin_forms(text)
            return cache[text]

        for i, m in enumerate(self._matters):
            full, initials = forms(m.name)
            full_pairs.extend((f, i) for f in full)
            initial_pairs.extend((s, i) for s in initials)
            # Substring search covers the context reading; other readings are found by prefix.
            pinyin_text.append(_SEP.join(initials[:1] + full[:1]))
            kw_parts: list[str] = []
            for kw in m.keywords:
                kw_l = kw.strip().lower()
                if not kw_l:
                    continue
                kw_full, kw_initials = forms(kw_l)
                kw_parts.append(kw_l)
                kw_parts.extend(kw_full[:1] + kw_initials[:1])
            keyword_text.append(_SEP.join(kw_parts))

        self._code_prefix = _PrefixTable((c, i) for i, c in enumerate(codes))
        self._name_prefix = _PrefixTable((s, i) for i, s in enumerate(names))
        self._initials_prefix = _PrefixTable(initial_pairs)
        self._full_prefix = _PrefixTable(full_pairs)
        self._name_sub = _SubstringTable(names)
        self._pinyin_sub = _SubstringTable(pinyin_text)
        self._keyword_sub = _SubstringTable(keyword_text)

    def __len__(self) -> int:
        return len(self._matters)

    @property
    def matters(self) -> tuple[Matter, ...]:
        return self._matters

    def get(self, code: str) -> Matter | None:
        """The matter with exactly this code (case-insensitive), or None."""
        i = self._exact_code.get(code.strip().lower())
        return None if i is None else self._matters[i]

    def search(self, query: str, limit: int = 20) -> list[Matter]:
        """Matters for what the clerk has typed so far, best first; empty query: first by code."""
        if limit <= 0:
            return []
        q = query.replace(_SEP, "").strip().lower()
        if not q:
            return self._by_code[:limit]
        q_py = _QUERY_PINYIN_JUNK.sub("", q)
        pinyin_ok = bool(q_py) and q_py.isascii()

        picked: list[int] = []
        seen: set[int] = set()

        def take(candidates: Iterable[int] | None, predicate: Callable[[int], bool] | None = None) -> bool:
            """Add this tier's hits in tie order; True when the result list is full."""
            need = limit - len(picked)
            if candidates is not None:
                fresh = set(candidates) - seen
                if not fresh:
                    return False
                if len(fresh) <= self._dense:
                    ordered = sorted(fresh, key=self._tie_rank.__getitem__)[:need]
                else:
                    ordered = list(itertools.islice((i for i in self._tie_order if i in fresh), need))
                seen.update(fresh)
            else:  # dense substring: walk in tie order and stop as soon as the list is full
                assert predicate is not None
                ordered = list(
                    itertools.islice((i for i in self._tie_order if i not in seen and predicate(i)), need)
                )
                seen.update(ordered)
            picked.extend(ordered)
            return len(picked) >= limit

        def take_substring(table: _SubstringTable, text: str) -> bool:
            found = table.hits(text, self._dense)
            if found is None:
                return take(None, lambda i: table.contains(i, text))
            return take(found)

        exact = self._exact_code.get(q)
        tiers: list[Callable[[], bool]] = [
            lambda: take([] if exact is None else [exact]),
            lambda: take(self._code_prefix.hits(q)),
            lambda: take(self._name_prefix.hits(q)),
            lambda: take_substring(self._name_sub, q),
        ]
        if pinyin_ok:
            tiers += [
                lambda: take(self._initials_prefix.hits(q_py)),
                lambda: take(self._full_prefix.hits(q_py)),
                lambda: take_substring(self._pinyin_sub, q_py),
            ]
        tiers.append(lambda: take_substring(self._keyword_sub, q))
        if pinyin_ok and q_py != q:
            tiers.append(lambda: take_substring(self._keyword_sub, q_py))
        for tier in tiers:
            if tier():
                break
        return [self._matters[i] for i in picked]
