"""Evaluate a model folder on a rendered test split, with onnxruntime, as the MoTIS
paper evaluates on COCO: Recall@1/5/10 text->image and image->text on the 5K split and
on the 1K protocol (mean over the five 1K folds), plus the held-out compositions and a
summary of what the wrong answers get wrong; and queries as people type them (a shape, a
colour and a shape, a count, a background, ...): for each kind, precision@10 and
R-precision over the whole split.

    python -m demo_world.evaluate --model models/motis-demo --data build/demo-world/test [--json OUT]
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import time
from pathlib import Path

import numpy as np

from .captions import describe, phrase, stated
from .onnx_model import OnnxModel
from .relevance import Fitting
from .world import HELD_OUT, Scene, Style, Thing

KS = (1, 5, 10)
FOLD = 1000

# Kinds of short query, by the attributes they state: one attribute (a shape alone counts
# as one; a colour or a background may stand without a shape), then any two, then three.
_MORE = ("colour", "count", "size", "position", "relation", "background")
_IMPOSSIBLE = ({"count", "relation"}, {"position", "relation"})  # counts and sides are of one-shape groups


def _possible(attributes) -> bool:
    return not any(pair <= set(attributes) for pair in _IMPOSSIBLE)


SHORT_KINDS = (
    [("shape",), ("background",), ("colour",)]
    + [tuple(sorted(("shape", a))) for a in _MORE]
    + [tuple(sorted(("shape", a, b))) for i, a in enumerate(_MORE) for b in _MORE[i + 1 :] if _possible((a, b))]
    + [("background", "colour"), ("colour", "position"), ("colour", "size")]
    + [
        tuple(sorted(("shape", a, b, c)))
        for i, a in enumerate(_MORE)
        for j, b in enumerate(_MORE[i + 1 :], i + 1)
        for c in _MORE[j + 1 :]
        if _possible((a, b, c))
    ]
)
QUERIES_PER_KIND = 100


def attribute_count(kind) -> int:
    """How many attributes a kind of query states: a shape alone is one."""
    return max(1, len([a for a in kind if a != "shape"]))


def scene_of(json_scene: dict) -> Scene:
    return Scene(
        background=json_scene["background"],
        things=tuple(Thing(**t) for t in json_scene["things"]),
        position=json_scene["position"],
        relation=json_scene["relation"],
        style=Style(seed=0),
    )


def short_queries(scenes: list[dict], seed: str, per_kind: int = QUERIES_PER_KIND):
    """(kind, text, description) for `per_kind` queries of every kind, each stating
    attributes of one of `scenes`, so that at least that photo fits it."""
    rng = random.Random(seed)
    out = []
    for kind in SHORT_KINDS:
        made = 0
        while made < per_kind:
            scene = scene_of(rng.choice(scenes))
            description = describe(rng, scene, kind, both=False)
            if tuple(stated(description)) != kind:
                continue  # a scene this kind cannot describe (a medium size, a pair's count, ...)
            counts = [1, 1] if scene.is_pair else [scene.things[0].count]
            out.append((kind, phrase(rng, description, counts), description))
            made += 1
    return out


def short_query_report(texts: np.ndarray, images: np.ndarray, kinds, fits: np.ndarray) -> dict:
    """Per kind: precision@10 (the fitting photos among the best 10, out of at most as
    many as fit), R-precision (of the R photos that fit, those among the best R) and R."""
    sims = texts @ images.T
    order = np.argsort(-sims, axis=1)
    relevant = fits.sum(1)
    hits10 = np.take_along_axis(fits, order[:, :10], 1).sum(1)
    precision = hits10 / np.minimum(relevant, 10)
    r_precision = np.array([fits[q, order[q, : relevant[q]]].sum() / relevant[q] for q in range(len(fits))])
    report = {}
    for kind in dict.fromkeys(kinds):
        chosen = np.array([k == kind for k in kinds])
        report[" ".join(kind)] = {
            "attributes": attribute_count(kind),
            "precision@10": float(precision[chosen].mean()),
            "R-precision": float(r_precision[chosen].mean()),
            "photos_that_fit": float(relevant[chosen].mean()),
        }
    return report


def recalls(texts: np.ndarray, images: np.ndarray, owner: np.ndarray):
    """Recall@K both ways, and the top text->image answer of every caption."""
    sims = texts @ images.T
    own = sims[np.arange(len(texts)), owner]
    text_rank = (sims > own[:, None]).sum(1)
    by_image = np.ascontiguousarray(sims.T)
    image_rank = np.full(len(images), np.iinfo(np.int64).max)
    for c, i in enumerate(owner):
        rank = int((by_image[i] > by_image[i, c]).sum())
        image_rank[i] = min(image_rank[i], rank)
    result = {f"t2i_R@{k}": float((text_rank < k).mean()) for k in KS}
    result |= {f"i2t_R@{k}": float((image_rank < k).mean()) for k in KS}
    return result, text_rank, sims.argmax(1)


def _canonical(scene):
    """A scene as comparable parts; pairs are put left-to-right / top-to-bottom."""
    things = [dict(t) for t in scene["things"]]
    if scene["relation"] is None:
        return "group", things, scene["position"]
    if scene["relation"] in ("right_of", "below"):
        things.reverse()
    return "pair", things, "horizontal" if scene["relation"] in ("left_of", "right_of") else "vertical"


def differences(wanted, got):
    """Which captioned attributes of `got` differ from the `wanted` scene."""
    kind_a, things_a, layout_a = _canonical(wanted)
    kind_b, things_b, layout_b = _canonical(got)
    out = {"background"} if wanted["background"] != got["background"] else set()
    if kind_a != kind_b:
        return out | {"count"}

    def thing_diffs(xs, ys):
        found = set()
        for x, y in zip(xs, ys):
            found |= {key for key in ("colour", "shape", "size", "count") if x[key] != y[key]}
        return found

    if kind_a == "group":
        return out | thing_diffs(things_a, things_b) | ({"position"} if layout_a != layout_b else set())
    if layout_a != layout_b:
        return out | {"relation"} | min(thing_diffs(things_a, things_b), thing_diffs(things_a, things_b[::-1]), key=len)
    same, swapped = thing_diffs(things_a, things_b), thing_diffs(things_a, things_b[::-1]) | {"relation"}
    return out | min(same, swapped, key=len)


def evaluate(model: OnnxModel, data: Path):
    dataset = json.loads((data / "captions.json").read_text())
    entries = [e for e in dataset["images"] if e["split"] == "test"]
    started = time.time()
    images = model.encode_images([data / e["filepath"] / e["filename"] for e in entries])
    image_seconds = time.time() - started
    captions = [(i, s) for i, e in enumerate(entries) for s in e["sentences"]]
    owner = np.array([i for i, _ in captions])
    started = time.time()
    texts = model.encode_texts([s["raw"] for _, s in captions])
    text_seconds = time.time() - started
    held_out = np.array([any((t["colour"], t["shape"]) in HELD_OUT for t in entries[i]["scene"]["things"]) for i in owner])

    report = {"images": len(entries), "captions": len(captions), "image_seconds": image_seconds, "text_seconds": text_seconds}
    report["5K"], rank_5k, _ = recalls(texts, images, owner)
    report["5K_held_out_t2i"] = {f"R@{k}": float((rank_5k[held_out] < k).mean()) for k in KS}
    folds, fold_ranks, confusion, wrong, ambiguous = [], [], collections.Counter(), 0, 0
    for start in range(0, len(entries) - FOLD + 1, FOLD):
        chosen = (owner >= start) & (owner < start + FOLD)
        result, rank, top = recalls(texts[chosen], images[start : start + FOLD], owner[chosen] - start)
        folds.append(result)
        fold_ranks.append(rank)
        for (i, sentence), answer in zip([captions[c] for c in np.flatnonzero(chosen)], top + start):
            if answer == i:
                continue
            wrong += 1
            said = set(sentence["says"])
            found = differences(entries[i]["scene"], entries[answer]["scene"]) & said
            if not found:
                ambiguous += 1
            confusion.update(found)
    queries = short_queries([e["scene"] for e in entries], seed=f"short queries of {dataset['dataset']}")
    fits = Fitting([e["scene"] for e in entries]).matrix([d for _, _, d in queries])
    query_texts = model.encode_texts([t for _, t, _ in queries])
    report["short_queries"] = short_query_report(query_texts, images, [k for k, _, _ in queries], fits)
    report["short_query_examples"] = {" ".join(k): t for k, t, _ in reversed(queries)}
    if folds:
        report["1K"] = {key: float(np.mean([f[key] for f in folds])) for key in folds[0]}
        ranks = np.concatenate(fold_ranks)
        fold_held_out = np.concatenate([held_out[(owner >= s) & (owner < s + FOLD)] for s in range(0, len(folds) * FOLD, FOLD)])
        report["1K_held_out_t2i"] = {f"R@{k}": float((ranks[fold_held_out] < k).mean()) for k in KS}
        report["held_out_captions"] = int(held_out.sum())
        report["1K_wrong_top1"] = {
            "queries": int(len(ranks)),
            "wrong": wrong,
            "also_fit_the_caption": ambiguous,
            "attribute_wrong": dict(confusion.most_common()),
        }
    return report


def table(report) -> str:
    rows = ["| split | t2i R@1 | t2i R@5 | t2i R@10 | i2t R@1 | i2t R@5 | i2t R@10 |", "|---|---|---|---|---|---|---|"]
    for split in ("1K", "5K"):
        if split in report:
            r = report[split]
            rows.append(f"| {split} | " + " | ".join(f"{r[f'{d}_R@{k}']:.3f}" for d in ("t2i", "i2t") for k in KS) + " |")
    for split in ("1K", "5K"):
        key = f"{split}_held_out_t2i"
        if key in report:
            r = report[key]
            rows.append(f"| {split}, held-out compositions only | " + " | ".join(f"{r[f'R@{k}']:.3f}" for k in KS) + " | | | |")
    return "\n".join(rows)


def short_table(report) -> str:
    rows = ["| query states | e.g. | precision@10 | R-precision | photos that fit (of the split) |", "|---|---|---|---|---|"]
    for kind, r in report["short_queries"].items():
        example = report["short_query_examples"][kind]
        rows.append(
            f"| {kind.replace(' ', ', ')} | {example} | {r['precision@10']:.3f} | {r['R-precision']:.3f} | {r['photos_that_fit']:.0f} |"
        )
    by_count = collections.defaultdict(list)
    for r in report["short_queries"].values():
        by_count[r["attributes"]].append(r["precision@10"])
    for count, values in sorted(by_count.items()):
        rows.append(f"| any {count} attribute{'s' if count > 1 else ''}: mean (worst kind) | | {np.mean(values):.3f} ({min(values):.3f}) | | |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = evaluate(OnnxModel(args.model), args.data)
    print(table(report))
    print()
    print(short_table(report))
    print(json.dumps({k: v for k, v in report.items() if k in ("1K_wrong_top1", "held_out_captions")}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
