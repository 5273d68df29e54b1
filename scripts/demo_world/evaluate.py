"""Evaluate a model folder on a rendered test split, with onnxruntime, as the MoTIS
paper evaluates on COCO: Recall@1/5/10 text->image and image->text on the 5K split and
on the 1K protocol (mean over the five 1K folds), plus the held-out compositions and a
summary of what the wrong answers get wrong.

    python -m demo_world.evaluate --model models/motis-demo --data build/demo-world/test [--json OUT]
"""

from __future__ import annotations

import argparse
import collections
import json
import time
from pathlib import Path

import numpy as np

from .onnx_model import OnnxModel
from .world import HELD_OUT

KS = (1, 5, 10)
FOLD = 1000


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
            said = set(sentence["says"]) | {"shape"}
            found = differences(entries[i]["scene"], entries[answer]["scene"]) & said
            if not found:
                ambiguous += 1
            confusion.update(found)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = evaluate(OnnxModel(args.model), args.data)
    print(table(report))
    print(json.dumps({k: v for k, v in report.items() if k not in ("1K", "5K")}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
