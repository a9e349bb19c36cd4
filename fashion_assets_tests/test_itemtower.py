"""The item tower core: tokens, the title tokenizer, views, collate, loss wiring, training,
evaluation, checkpoints and the gate."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pytorch_metric_learning.losses import NTXentLoss

from fashion_assets.crawl.demo_catalog import demo_item_rows
from fashion_assets.itemtower.checkpoint import (
    IncompatibleCheckpoint,
    _torch_bytes,
    load_tower,
    save_checkpoint,
)
from fashion_assets.itemtower.config import BASELINES, GATE_KEYS, LOSS_LABELS, QUICK, TowerConfig
from fashion_assets.itemtower.dataset import SimCSERecSysDataset, collate, plain_view
from fashion_assets.itemtower.evaluate import (
    EvalSet,
    aggregate,
    embedding_metrics,
    evaluate_baselines,
    evaluate_tower,
    metrics_table,
)
from fashion_assets.itemtower.gate import gate
from fashion_assets.itemtower.headroom import label_headroom
from fashion_assets.itemtower.model import serve
from fashion_assets.itemtower.registry import promote, serving_checkpoint
from fashion_assets.itemtower.title_tokenizer import (
    encode_titles,
    tokenizer_version,
    train_title_tokenizer,
)
from fashion_assets.itemtower.tokens import (
    ATTRIBUTE_IDS,
    MASK,
    MISSABLE,
    MISSABLE_IDS,
    PAD,
    UNK,
    item_tokens,
)
from fashion_assets.itemtower.train import (
    TowerLoss,
    contrastive_loss,
    loss_labels,
    pair_labels,
    split_rows,
    tokenize_rows,
    train,
)
from fashion_assets.storage import LocalObjectStore

ROWS = demo_item_rows(400)
TINY = dataclasses.replace(QUICK, dim=32, heads=2, proj_dim=16, epochs=3, batch_size=32)


@pytest.fixture(scope="module")
def trained():
    return train(ROWS, TINY)


def test_tokens_split_std_and_re_over_the_seed_vocabulary():
    row = {**ROWS[0], "specs": {"top.sleeve_length_type": "long sleeves"}}
    tokens = item_tokens(row, [5, 6])
    names = {i: t for t, i in ATTRIBUTE_IDS.items()}
    assert [names[t] for t in tokens.std] == [
        f"category={row['category']}", f"category_specification={row['category_specification']}",
        f"gender={row['gender']}", f"season={row['season']}", "top.sleeve_length_type=long sleeves",
    ]  # fmt: skip
    assert {names[t] for t in tokens.re} >= {f"color={row['color']}", f"isfleece={row['isfleece']}"}
    assert tokens.title == (5, 6)
    assert item_tokens({**row, "color": "Neon"}, []).re.count(UNK) == 1
    with pytest.raises(ValueError, match="no standard attributes"):
        item_tokens({"item_id": "x", "title": "t"}, [])


def test_title_tokenizer_is_deterministic_and_learns_the_catalogue_words():
    titles = [str(r["title"]) for r in ROWS]
    first, second = train_title_tokenizer(titles, 800), train_title_tokenizer(titles, 800)
    assert tokenizer_version(first) == tokenizer_version(second)
    assert tokenizer_version(train_title_tokenizer(titles[:100], 800)) != tokenizer_version(first)
    assert [first.token_to_id(t) for t in ("[PAD]", "[UNK]", "[MASK]")] == [PAD, UNK, MASK]
    assert "오버핏" in first.encode("오버핏 코트").tokens  # a frequent word stays whole
    assert all(len(ids) <= 4 for ids in encode_titles(first, titles, 4))


def test_two_views_hide_tokens_but_keep_the_category_and_are_reproducible():
    tokenizer = train_title_tokenizer([str(r["title"]) for r in ROWS], 800)
    items = tokenize_rows(ROWS[:50], tokenizer, TINY)
    data = SimCSERecSysDataset(items, attr_dropout=0.5, title_mask=0.5, seed=1)
    samples = [data[i] for i in range(len(items))]
    assert samples == [data[i] for i in range(len(items))]
    assert [index for _, _, index in samples] == list(range(len(items)))
    pairs = [(a, b) for a, b, _ in samples]
    assert any(a != b for a, b in pairs)
    for item, (a, b) in zip(items, pairs, strict=True):
        for view in (a, b):
            assert view[0][0] == item.std[0]  # category token is always there
            for group, original in zip(view, plain_view(item), strict=True):
                assert len(group) == len(original)
                assert all(t in (o, MASK) for t, o in zip(group, original, strict=True))
    data.epoch = 1
    assert [data[i] for i in range(len(items))] != samples


def test_label_dropout_hides_a_whole_label_as_a_page_that_lacks_it():
    tokenizer = train_title_tokenizer([str(r["title"]) for r in ROWS], 800)
    items = tokenize_rows(ROWS[:50], tokenizer, TINY)
    missable = frozenset().union(*MISSABLE_IDS.values())
    always = SimCSERecSysDataset(items, attr_dropout=0.0, title_mask=0.0, label_dropout=1.0)
    never = SimCSERecSysDataset(items, attr_dropout=0.0, title_mask=0.0, label_dropout=0.0)
    for index, item in enumerate(items):
        hidden, _, _ = always[index]
        assert not missable & {*hidden[0], *hidden[1]} and hidden[2] == item.title
        assert [t for t in (*item.std, *item.re) if t not in missable] == [
            t for t in (*hidden[0], *hidden[1]) if t != MASK
        ]  # the rest of the item is all there
        assert never[index][0] == plain_view(item)
    half = SimCSERecSysDataset(items, attr_dropout=0.0, title_mask=0.0, label_dropout=0.5)
    views = [v for i in range(len(items)) for v in half[i][:2]]
    gone = [any(t in ids for t in (*item.std, *item.re)) and not ids & {*v[0], *v[1]}
            for item, v in zip([i for i in items for _ in (0, 1)], views, strict=True)
            for ids in MISSABLE_IDS.values()]  # fmt: skip
    assert 0.3 < sum(gone) / len(gone) < 0.7  # each label on its own, about half the time


def test_collate_pads_and_masks_each_group_row_aligned():
    tokenizer = train_title_tokenizer([str(r["title"]) for r in ROWS], 800)
    items = tokenize_rows(ROWS[:4], tokenizer, TINY)
    first, second, index = collate(
        [((i.std, i.re, i.title), (i.std, (), i.title[:1]), n) for n, i in enumerate(items)]
    )
    assert index.tolist() == [0, 1, 2, 3]
    assert first.std_ids.shape == (4, max(len(i.std) for i in items))
    for row, item in enumerate(items):
        assert first.std_ids[row, : len(item.std)].tolist() == list(item.std)
        assert first.std_mask[row].sum() == len(item.std)
        assert first.title_mask[row].sum() == len(item.title)
    assert not second.re_mask.any() and (second.re_ids == PAD).all()
    assert second.title_mask.sum(1).tolist() == [1, 1, 1, 1]


def test_labels_pair_the_two_views_in_the_ntxent_loss():
    assert pair_labels(3).tolist() == [0, 1, 2, 0, 1, 2]
    torch.manual_seed(0)
    z1, z2 = torch.randn(6, 8), torch.randn(6, 8)
    loss_fn = NTXentLoss(temperature=0.1)
    # by hand: each of the 2N embeddings against its other view, over all 2N-1 others
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sims = z @ z.T / 0.1
    sims.fill_diagonal_(-math.inf)
    positives = torch.cat([torch.arange(6, 12), torch.arange(0, 6)])
    by_hand = F.cross_entropy(sims, positives)
    assert torch.isclose(contrastive_loss(loss_fn, z1, z2), by_hand, atol=1e-5)
    aligned = contrastive_loss(loss_fn, z1, z1 + 0.01 * z2)
    shuffled = contrastive_loss(loss_fn, z1, (z1 + 0.01 * z2)[torch.randperm(6)])
    assert aligned < shuffled


def test_the_loss_pulls_items_that_share_a_signature_or_a_label_together():
    tokenizer = train_title_tokenizer([str(r["title"]) for r in ROWS], 800)
    rows = ROWS[:40]
    items = tokenize_rows(rows, tokenizer, TINY)
    labels = loss_labels(rows, items)
    assert labels.shape == (40, 1 + len(LOSS_LABELS))
    for a, b in [(0, 1), (2, 7), (5, 30)]:
        same_kind = (items[a].std, sorted(items[a].re)) == (items[b].std, sorted(items[b].re))
        assert (labels[a, 0] == labels[b, 0]) == same_kind
        for column, label in enumerate(LOSS_LABELS, start=1):
            assert (labels[a, column] == labels[b, column]) == (rows[a][label] == rows[b][label])
    # two items of one colour and two of another: grouping by colour lowers the loss only when
    # the colour term is on
    torch.manual_seed(0)
    h = torch.randn(4, 8)
    grouped = torch.stack([h[0], h[0] + 0.01, h[2], h[2] + 0.01])
    colour = torch.tensor([[0, 0, 0, 0, 0], [1, 1, 1, 0, 1], [2, 2, 2, 1, 2], [3, 3, 3, 1, 3]])
    off = {"signature_weight": 0.0, "category_weight": 0.0}
    only_instance = TowerLoss(dataclasses.replace(TINY, **off, label_weights=(0, 0, 0, 0)))
    with_labels = TowerLoss(dataclasses.replace(TINY, **off, label_weights=(0, 0, 1, 0)))
    z = torch.randn(4, 4)
    h, grouped = F.pad(h, (0, TINY.dim - 8)), F.pad(grouped, (0, TINY.dim - 8))
    assert torch.isclose(only_instance(z, z, grouped, grouped, colour),
                         only_instance(z, z, h, h, colour))  # fmt: skip
    assert with_labels(z, z, grouped, grouped, colour) < with_labels(z, z, h, h, colour)


def test_training_is_seeded_and_lowers_the_loss(trained):
    again = train(ROWS, TINY)
    assert again.step_losses == trained.step_losses
    assert trained.epoch_losses[-1] < trained.epoch_losses[0]
    assert trained.samples_per_s > 0 and len(trained.epoch_seconds) == TINY.epochs
    assert train(ROWS, dataclasses.replace(TINY, seed=2)).step_losses != trained.step_losses


def test_quick_mode_and_the_held_out_split_are_stable():
    train_rows, held = split_rows(ROWS, dataclasses.replace(TINY, quick_items=100))
    assert len(train_rows) == 100 and held
    assert not {r["item_id"] for r in train_rows} & {r["item_id"] for r in held}
    assert split_rows(ROWS[::-1], dataclasses.replace(TINY, quick_items=100))[0] == train_rows


def test_metrics_reward_views_that_agree():
    rng = np.random.default_rng(0)
    rows = [{"category": c, "season": "winter"} for c in ["a", "b"] * 20]
    base = rng.normal(size=(40, 16)).astype(np.float32)
    base[::2, 0] += 10  # category a points one way, b another
    base[1::2, 1] += 10
    missing = {label: base for label in MISSABLE}
    same = embedding_metrics(base, base, base, base, base, rows, rows, missing=missing)
    noisy = embedding_metrics(base, rng.normal(size=(40, 16)), base, base, base, rows, rows,
                              missing=missing)  # fmt: skip
    assert same["recall@1"] == 1.0 and same["alignment"] < 1e-9
    assert noisy["recall@1"] < 0.5 < same["recall@1"] and noisy["alignment"] > same["alignment"]
    assert same["category_p@10"] > 0.9 and same["season_p@10"] == 1.0
    assert same["knn_probe_category"] > 0.9 and same["linear_probe_category"] > 0.9


def test_missing_label_precision_asks_whether_neighbours_survive_a_hidden_label():
    rng = np.random.default_rng(1)
    rows = [{"category": "a", "season": "winter", "gender": "male", "color": c}
            for c in ["Red", "Blue"] * 20]  # fmt: skip
    plain = rng.normal(size=(40, 16)).astype(np.float32)
    plain[::2, 0] += 10  # the colour points one way or the other
    plain[1::2, 1] += 10
    lost = rng.normal(size=(40, 16)).astype(np.float32)  # hiding the colour lost everything
    others = {"gender": plain, "season": plain}
    kept = embedding_metrics(plain, plain, plain, plain, plain, rows, rows,
                             missing={**others, "color": plain})  # fmt: skip
    blind = embedding_metrics(plain, plain, plain, plain, plain, rows, rows,
                              missing={**others, "color": lost})  # fmt: skip
    assert kept["color_missing_p@10"] == kept["color_p@10"] == 1.0
    assert blind["color_missing_p@10"] < 0.8 and blind["color_p@10"] == 1.0
    assert blind["score"] < kept["score"]  # the score counts what a missing label costs


def test_label_headroom_bounds_what_any_neighbours_could_reach():
    # the query shares colour with ten items and season with ten others, never both: ten
    # neighbours can split their precision between the labels but not raise both
    rows = [{"color": "Red", "season": "winter"}]
    rows += [{"color": "Red", "season": "summer"}] * 10 + [
        {"color": "Blue", "season": "winter"}
    ] * 10
    labels = ("color", "season")
    assert label_headroom(
        rows, 1, {"color_p@10": 0.5, "season_p@10": 0.5}, labels
    ) == pytest.approx(0)
    assert label_headroom(
        rows, 1, {"color_p@10": 0.3, "season_p@10": 0.3}, labels
    ) == pytest.approx(0.2)
    assert label_headroom(
        rows, 1, {"color_p@10": 0.9, "season_p@10": 0.3}, labels
    ) == pytest.approx(-0.1)
    # a third kind sharing both: all ten neighbours can then match both labels
    both = rows + [{"color": "Red", "season": "winter"}] * 10
    assert label_headroom(
        both, 1, {"color_p@10": 0.5, "season_p@10": 0.5}, labels
    ) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="queries"):
        label_headroom(rows, 0, {}, labels)


def test_evaluation_scores_h_z_and_the_tfidf_baseline(trained):
    train_rows, held = split_rows(ROWS, TINY)
    eval_set = EvalSet(held, train_rows)
    results = evaluate_tower(
        trained.body, trained.norm, trained.head, trained.tokenizer, TINY, eval_set
    )
    results.update(evaluate_baselines(trained.tokenizer, TINY, eval_set))
    assert set(results) == {"h", "z", *BASELINES}
    for metrics in results.values():
        assert 0 <= metrics["recall@1"] <= metrics["recall@10"] <= 1
        assert 0 < metrics["mrr"] <= 1 and metrics["score"] == aggregate(metrics)
        assert metrics["uniformity"] <= 0 and set(metrics) >= {"score", "linear_probe_category"}
        assert set(metrics) >= set(GATE_KEYS) | {"category_specification_p@10"}
    assert results["h"] != results["z"]
    # the attribute baseline sees only attributes, the title one only titles
    assert results["tfidf_attributes"] != results["tfidf_title"] != results["tfidf"]
    # a hidden attribute token changes nothing for the title baseline, which never reads it,
    # and costs the attribute baseline the colour it matched on
    for label in MISSABLE:
        title = results["tfidf_title"]
        assert title[f"{label}_missing_p@10"] == title[f"{label}_p@10"]
    attributes = results["tfidf_attributes"]
    assert attributes["color_missing_p@10"] < attributes["color_p@10"] / 2
    table = metrics_table(results)
    assert {"metric", "h", "tfidf_title"} <= set(table[0]) and len(table) >= len(GATE_KEYS)


def test_checkpoint_round_trip_reproduces_the_served_vectors(trained, tmp_path):
    store = LocalObjectStore(tmp_path)
    save_checkpoint(store, "itemtower/checkpoints/run1", trained, {"note": "test"})
    tower = load_tower(store, "itemtower/checkpoints/run1", with_head=True)
    items = tokenize_rows(ROWS, trained.tokenizer, TINY)
    from fashion_assets.itemtower.dataset import collate_views

    expected = serve(trained.body, trained.norm, collate_views([plain_view(i) for i in items]))
    assert np.array_equal(tower.encode(ROWS), expected.numpy())
    assert tower.version.startswith("itemtower:run1:")
    for name, tensor in trained.head.state_dict().items():
        assert torch.equal(tower.head.state_dict()[name], tensor)
    assert serving_checkpoint(store) is None
    promote(store, "itemtower/checkpoints/run1", {"by": "test"})
    assert serving_checkpoint(store)["checkpoint"] == "itemtower/checkpoints/run1"
    # a checkpoint of an older tower (no bag path) is refused with a clear error
    old = {k: v for k, v in trained.body.state_dict().items() if not k.startswith("bag.")}
    store.put("itemtower/checkpoints/old/pth1.pt", _torch_bytes(old))
    for name in ("pth2.pt", "config.json", "tokenizer.json"):
        store.put(
            f"itemtower/checkpoints/old/{name}", store.get(f"itemtower/checkpoints/run1/{name}")
        )
    with pytest.raises(IncompatibleCheckpoint, match="retrain"):
        load_tower(store, "itemtower/checkpoints/old")
    store.delete("itemtower/checkpoints/run1/pth2.pt")
    with pytest.raises(FileNotFoundError, match="incomplete"):
        load_tower(store, "itemtower/checkpoints/run1")


def _metrics(score: float, **labels: float) -> dict[str, float]:
    return {"score": score, **{key: labels.get(key.split("_p@")[0], 0.8) for key in GATE_KEYS}}


def _gate(challenger, champion=None, baselines=None, tolerance=0.01):
    return gate(challenger, champion, baselines or {}, metric="score", labels=GATE_KEYS,
                tolerance=tolerance, label_floor=0.05)  # fmt: skip


def test_gate_refuses_a_challenger_worse_than_the_champion_or_the_best_baseline():
    assert _gate(_metrics(0.5)).passed
    assert _gate(_metrics(0.795), _metrics(0.8)).passed
    worse = _gate(_metrics(0.7), _metrics(0.8))
    assert not worse.passed and "worse than champion" in worse.reason
    baselines = {"tfidf_title": _metrics(0.6), "tfidf": _metrics(0.75)}
    beaten = _gate(_metrics(0.7), None, baselines)
    assert not beaten.passed and beaten.baseline == "tfidf" and "baseline tfidf" in beaten.reason
    assert _gate(_metrics(0.8), _metrics(0.79), baselines).passed
    # a gain elsewhere cannot hide a collapse of colour
    collapsed = _gate(_metrics(0.9, color=0.5), _metrics(0.8), baselines)
    assert not collapsed.passed
    assert all("color_p@10" in f for f in collapsed.failures) and len(collapsed.failures) == 2
    with pytest.raises(ValueError, match="unknown gate metrics"):
        gate({"score": 0.5}, None, {}, metric="score", labels=("mrr",), tolerance=0,
             label_floor=0)  # fmt: skip
    assert TowerConfig.from_dict(TINY.to_dict()) == TINY
    with pytest.raises(ValueError, match="unknown item tower settings"):
        TowerConfig.from_dict({"depth": 3})
