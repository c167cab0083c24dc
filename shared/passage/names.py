"""Search keys for people's names, so one person is found under every spelling their name takes.

The same Azerbaijani name is written in Azerbaijani Latin (Məmmədov, Hüseynov), in Cyrillic
(Мамедов, Гусейнов), in Russian-style Latin (Mamedov, Guseynov) and in passport transliteration
(Mammadov, Huseynov). ``name_keys`` reduces each word of a name to a coarse phonetic key that
those spellings share: Cyrillic is transliterated, Azerbaijani letters folded, sounds that the
scripts render differently merged into one class (h/x/kh/g/ğ/q/k; c/ç/ch/j/zh; s/ş/sh; v/w/f;
a/e/ə; i/ı/y; o/ö; u/ü), a "y" before a vowel dropped (Aliyev/Алиев, Günay/Гюнай), repeated
classes collapsed, and the patronymic words (oğlu, qızı) left out. Keys are stored on each record
at write time and matched exactly through an index. Pure stdlib, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "o",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    # Azerbaijani Cyrillic (1939-1991) and Ukrainian/Belarusian letters met in passports
    "ә": "ə",
    "ғ": "ğ",
    "ҹ": "c",
    "һ": "h",
    "ө": "ö",
    "ү": "ü",
    "ҝ": "g",
    "ј": "y",
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ў": "u",
    "ґ": "g",
    "қ": "q",
    "ң": "n",
    "ұ": "u",
}
AZERBAIJANI = {
    "ə": "a",
    "ı": "i",
    "ğ": "gh",
    "ş": "sh",
    "ç": "ch",
    "ö": "o",
    "ü": "u",
    "x": "kh",
    "q": "k",
    "ä": "a",
    "ß": "ss",
}
# Longest first: each spelling of one sound becomes one class letter (upper case = a class).
SOUNDS = (
    ("shch", "S"),
    ("dzh", "J"),
    ("sch", "S"),
    ("tch", "J"),
    ("kh", "K"),
    ("gh", "K"),
    ("sh", "S"),
    ("ch", "J"),
    ("zh", "J"),
    ("dj", "J"),
    ("ts", "S"),
    ("h", "K"),
    ("g", "K"),
    ("k", "K"),
    ("c", "J"),
    ("j", "J"),
    ("s", "S"),
    ("v", "V"),
    ("w", "V"),
    ("f", "V"),
    ("ph", "V"),
    ("a", "A"),
    ("e", "A"),
    ("i", "I"),
    ("y", "I"),
    ("o", "O"),
    ("u", "U"),
)
PATRONYMIC = frozenset({"oglu", "ogly", "ogli", "oghlu", "kyzy", "kizi", "gizi", "khizi", "kyzi"})
_GLIDE = re.compile(r"y(?=[aeiou])")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SOUND = re.compile(
    "|".join(re.escape(spelling) for spelling, _ in sorted(SOUNDS, key=lambda s: -len(s[0])))
)
_CLASS = dict(SOUNDS)


def fold(word: str) -> str:
    """One word in plain lower-case Latin: Cyrillic transliterated, Azerbaijani and other accents
    folded."""
    lowered = unicodedata.normalize("NFC", word).lower()
    latin = "".join(CYRILLIC.get(ch, ch) for ch in lowered)
    plain = "".join(AZERBAIJANI.get(ch, ch) for ch in latin)
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFKD", plain) if not unicodedata.combining(ch)
    )
    return "".join(ch for ch in stripped if "a" <= ch <= "z")


def key(word: str) -> str:
    """The phonetic key of one word: its sound classes, repeats collapsed ("" for oğlu/qızı)."""
    folded = fold(word)
    if not folded or folded in PATRONYMIC:
        return ""
    classes = _SOUND.sub(lambda m: _CLASS[m.group(0)], _GLIDE.sub("", folded))
    collapsed = [ch for i, ch in enumerate(classes) if i == 0 or classes[i - 1] != ch]
    return "".join(collapsed).lower()


def words(name: str) -> list[str]:
    """The words of a name (letters, with inner apostrophes), in order."""
    return WORD.findall(name or "")


def name_keys(*names: str | None) -> list[str]:
    """The distinct keys of every word of the given names (e.g. given and family name), sorted."""
    return sorted({k for name in names if name for k in map(key, words(name)) if k})


def record_keys(*names: str | None) -> list[str]:
    """What a record stores: each word's key and each pair of them ("a+b", sorted), so that a search
    by
    two words looks up the records holding both in one index step instead of every holder of one."""
    words_ = name_keys(*names)
    return sorted({*words_, *(f"{a}+{b}" for i, a in enumerate(words_) for b in words_[i + 1 :])})


def lookup_key(keys: Iterable[str]) -> str:
    """The one stored key a search looks up: the pair of its two longest word keys, or its only
    key."""
    ranked = sorted(set(keys), key=lambda k: (-len(k), k))[:2]
    return "+".join(sorted(ranked))


def folded_words(*names: str | None) -> set[str]:
    """The names' words folded but not merged: an exact spelling match ranks above a sound-alike."""
    return {f for name in names if name for f in map(fold, words(name)) if f}


def score(query: Iterable[str], record_names: Iterable[str | None]) -> float:
    """Share of the query's words spelt (after folding) exactly as in the record: 0.5 to 1.0."""
    asked = folded_words(*query)
    if not asked:
        return 1.0
    held = folded_words(*record_names)
    return round(0.5 + 0.5 * len(asked & held) / len(asked), 3)


@dataclass(frozen=True)
class Paths:
    """Where one kind of record keeps what is searched (dotted paths into the stored document)."""

    record_type: str
    names: tuple[str, ...]  # name strings, or lists of name strings (other names)
    birth_date: str
    documents: str | None = None  # a list of {"number": ...} (or "reference") objects
    document_field: str = "number"


def document_key(number: str) -> str:
    """A document number as compared: upper case, letters and digits only (AB 123-4 = ab1234)."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


def _get(doc: Mapping[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def record_names(doc: Mapping[str, Any], paths: Paths) -> list[str]:
    """Every name string the record keeps at ``paths.names``."""
    found: list[str] = []
    for path in paths.names:
        value = _get(doc, path)
        found.extend(
            [value] if isinstance(value, str) else [v for v in value or () if isinstance(v, str)]
        )
    return found


def search_keys(doc: Mapping[str, Any], paths: Paths) -> dict[str, list[str]]:
    """The keys to store on the record (``$set`` them with the particulars they come from)."""
    documents = _get(doc, paths.documents) if paths.documents else None
    numbers = [d.get(paths.document_field) for d in documents or () if isinstance(d, Mapping)]
    return {
        "name_keys": record_keys(*record_names(doc, paths)),
        "document_keys": sorted(
            {document_key(n) for n in numbers if isinstance(n, str) and document_key(n)}
        ),
    }
