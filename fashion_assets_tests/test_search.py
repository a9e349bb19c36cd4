"""The search core without a database: query understanding, BM25 and rank fusion."""

import pytest

from fashion_assets.db.vectors import FILTER_COLUMNS
from fashion_assets.search.hybrid import convex
from fashion_assets.search.lexical import LexicalIndex, item_document, terms
from fashion_assets.search.understand import as_filters, understand


def understood(query: str) -> dict[str, tuple[str, ...]]:
    return {u.field: u.values for u in understand(query)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("black winter coat", {"category": ("01outer_01coat",), "season": ("winter",),
                               "color": ("Black",)}),
        ("블랙 겨울 코트", {"category": ("01outer_01coat",), "season": ("winter",),
                        "color": ("Black",)}),
        ("겨울 블랙 코트를 찾아요", {"category": ("01outer_01coat",), "season": ("winter",),
                             "color": ("Black",)}),
        ("남성 네이비 셔츠", {"category": ("02top_04shirt",), "gender": ("male", "both"),
                         "age_group": ("adult",), "color": ("Blue",)}),
        ("navy shirt for men", {"category": ("02top_04shirt",), "gender": ("male", "both"),
                                "age_group": ("adult",), "color": ("Blue",)}),
        ("Women's Shirt Dress", {"category": ("03-1onepiece(dress)",),
                                 "gender": ("female", "both"), "age_group": ("adult",)}),
        ("kids red t-shirts", {"category": ("02top_02t-shirt",), "age_group": ("kids",),
                               "color": ("Red",)}),
        ("FW 패딩", {"category": ("01outer_03jumper",), "season": ("winter",)}),
        ("멜란지그레이 니트", {"category": ("02top_03sweater",), "color": ("Gray",)}),
        ("아우터", {"category_specification": ("outer",)}),
        ("black and white blouse", {"category": ("02top_01blouse",),
                                    "color": ("Black", "White")}),
        ("leather bag", {}),
        ("something nice", {}),
    ],
)  # fmt: skip
def test_vocabulary_words_in_a_query_become_filters(query, expected):
    assert understood(query) == expected


def test_understood_words_are_returned_and_fields_can_be_ignored():
    found = understand("블랙 겨울 코트")
    assert {u.field: u.words for u in found} == {"category": "코트", "season": "겨울",
                                                 "color": "블랙"}  # fmt: skip
    assert as_filters(found, ignore={"color"}) == {"category": ["01outer_01coat"],
                                                   "season": ["winter"]}  # fmt: skip


def _row(i, title, category="01outer_01coat", color="Black", season="winter", gender="female",
         fibers=()):  # fmt: skip
    spec = {"01": "outer", "02": "top"}[category[:2]]
    return {"item_id": f"i{i}", "title": title, "category": category,
            "category_specification": spec, "gender": gender, "age_group": "adult",
            "season": season, "color": color, "fibers": list(fibers)}  # fmt: skip


ROWS = [
    _row(0, "[하루공방] 여성 울 롱코트 블랙", fibers=["Wool"]),
    _row(1, "[데일리룩] 여성 핸드메이드 코트 멜란지그레이", color="Gray"),
    _row(2, "Heavy wool coats", color="Gray", gender="male", fibers=["Wool"]),
    _row(3, "린넨 셔츠", category="02top_04shirt", color="White", season="summer"),
    _row(
        4,
        "Oxford shirt",
        category="02top_04shirt",
        color="Blue",
        season="spring&fall",
        gender="male",
    ),
]


def test_documents_carry_titles_and_labels_in_both_languages():
    document = item_document(ROWS[0])
    for word in (
        "롱코트",
        "코트",
        "coat",
        "블랙",
        "black",
        "겨울",
        "winter",
        "여성",
        "women",
        "울",
        "Wool",
    ):
        assert word in document
    assert "그레이" in terms("멜란지그레이") or "레이" in terms("멜란지그레이")
    assert terms("Coats") == ["coat"]


def test_bm25_ranks_matching_items_and_honours_filters():
    index = LexicalIndex(ROWS, FILTER_COLUMNS)
    ids = [h.item_id for h in index.search("wool coat", 10)]
    assert set(ids[:2]) == {"i0", "i2"} and "i3" not in ids
    assert index.search("그레이", 10)[0].item_id == "i1"  # inside a compound
    men = index.search("coat", 10, {"gender": ["male"]})
    assert [h.item_id for h in men] == ["i2"]
    assert index.search("coat", 10, {"color": ["Purple"]}) == []
    assert index.search("zzz unknown", 10) == []
    scores = [h.score for h in index.search("셔츠 shirt", 10)]
    assert scores == sorted(scores, reverse=True) and len(scores) == 2
    with pytest.raises(ValueError, match="cannot filter"):
        index.search("coat", 3, {"brand": ["x"]})
    assert LexicalIndex([], FILTER_COLUMNS).search("coat", 5) == []


def test_convex_fusion_weighs_normalised_scores():
    vector = [("a", -0.1), ("b", -0.2), ("c", -0.9)]  # higher is better: negated distances
    lexical = [("c", 12.0), ("x", 3.0), ("b", 2.0)]
    assert convex(vector, lexical, 0.0)[:3] == ["a", "b", "c"]
    assert convex(vector, lexical, 1.0)[:2] == ["c", "x"]
    # an exact title match BM25 is sure of beats items both lists find middling
    assert convex(vector, lexical, 0.8)[0] == "c"
    assert convex(vector, lexical, 0.4)[0] == "a" and convex(vector, [], 0.4) == ["a", "b", "c"]
