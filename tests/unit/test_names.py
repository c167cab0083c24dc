"""Name keys: the spellings one Azerbaijani name takes in four scripts share a key; other names do
not."""

from __future__ import annotations

import pytest

from passage.names import (
    Paths,
    document_key,
    fold,
    key,
    lookup_key,
    name_keys,
    record_keys,
    score,
    search_keys,
)

SAME_NAME = [
    ("Məmmədov", "Mammadov", "Mamedov", "Мамедов", "Мәммәдов", "MƏMMƏDOV"),
    ("Əliyev", "Aliyev", "Алиев", "Aliev"),
    ("Hüseynov", "Huseynov", "Guseynov", "Гусейнов"),
    ("Cəfərov", "Jafarov", "Джафаров", "Dzhafarov"),
    ("Xəlilov", "Khalilov", "Халилов"),
    ("Qasımov", "Gasimov", "Гасымов", "Kasimov"),
    ("Şükürov", "Shukurov", "Шукуров"),
    ("Çələbi", "Chelebi", "Челеби"),
    ("Rəşad", "Rashad", "Рашад"),
    ("Əhmədov", "Ahmadov", "Ахмедов"),
    ("Gözəl", "Gozal", "Гёзель"),
    ("Günay", "Gunay", "Гюнай"),
    ("Sevinc", "Sevinj", "Севиндж"),
    ("Yusif", "Юсиф"),
]
DIFFERENT = [
    ("Hasanov", "Гусейнов"),
    ("Məmmədov", "Mamedli"),
    ("Məmmədov", "Əliyev"),
    ("Hüseynov", "Həsənov"),
    ("Rəşad", "Rəsul"),
    ("Mamedov", "Mamedli"),
    ("Əliyev", "Əlizadə"),
]


@pytest.mark.parametrize("spellings", SAME_NAME, ids=lambda s: s[0])
def test_every_spelling_of_a_name_has_one_key(spellings: tuple[str, ...]) -> None:
    keys = {key(s) for s in spellings}
    assert len(keys) == 1 and "" not in keys, dict(
        zip(spellings, map(key, spellings), strict=False)
    )


@pytest.mark.parametrize("one,other", DIFFERENT)
def test_different_names_keep_different_keys(one: str, other: str) -> None:
    assert key(one) != key(other)


def test_fold_transliterates_and_strips_accents() -> None:
    assert fold("Мамедов") == "mamedov"
    assert fold("Məmmədov") == "mammadov"
    assert fold("İsmayılzadə") == "ismayilzada"
    assert fold("José") == "jose"


def test_name_keys_cover_every_word_once_and_ignore_punctuation() -> None:
    assert name_keys("Rəşad Məmmədov oğlu", "Mamedov") == sorted({key("Rəşad"), key("Məmmədov")})
    assert key("oğlu") == key("оглы") == key("qızı") == key("kyzy") == ""
    assert name_keys("", None, "$%^ 123") == []
    assert name_keys("O'Neil-Smith") == sorted({key("O'Neil"), key("Smith")})


def test_an_exact_spelling_scores_above_a_sound_alike() -> None:
    record = ["Rəşad", "Məmmədov"]
    assert score(["Məmmədov Rəşad"], record) == 1.0
    assert score(["Mamedov"], record) == 0.5
    assert score(["Mamedov Rashad"], record) == 0.75  # Rəşad folds to rashad: spelt as held


def test_search_keys_take_names_lists_and_document_numbers() -> None:
    paths = Paths(
        record_type="request",
        names=("p.given", "p.family", "p.other"),
        birth_date="p.birth",
        documents="p.documents",
    )
    doc = {
        "p": {
            "given": "Rəşad",
            "family": "Məmmədov",
            "other": ["Гусейнов", 7],
            "documents": [{"number": "C 0123-45"}, {"number": None}, "junk"],
        }
    }
    keys = search_keys(doc, paths)
    assert (
        set(name_keys("Rəşad Mamedov Huseynov"))
        <= set(keys["name_keys"])
        == set(record_keys("Rashad Гусейнов Мамедов"))
    )
    assert keys["document_keys"] == ["C012345"] == [document_key("c0123 45")]


def test_a_two_word_search_looks_up_the_pair_a_record_stores() -> None:
    stored = record_keys("Rəşad", "Məmmədov oğlu")
    assert stored == sorted(
        {key("Rəşad"), key("Məmmədov"), "+".join(sorted([key("Rəşad"), key("Məmmədov")]))}
    )
    assert lookup_key(name_keys("Мамедов Рашад")) in stored
    assert lookup_key(name_keys("Mamedov")) == key("Məmmədov") in stored
    assert lookup_key(name_keys("Mamedov Rasul")) not in stored
