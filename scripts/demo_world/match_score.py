"""Choose a model's match score (its manifest's `match_score`: the cosine similarity from
which a photo matches a query of words) on a rendered split whose every answer is known.

    python -m demo_world.match_score --model models/motis-demo --data build/demo-world/calibration [--write]

For each candidate score it applies motis's whole cut-off (crates/engine/src/cutoff.rs,
whose constants it reads from that file, so the two cannot drift apart) to the best 60
of the queries scripts/eval_cutoff.py asks (captions of scenes the split has, short
queries, captions of scenes it does not have), and keeps the score that comes nearest
the cut-off's goals (README: "When results stop"); of those that meet them all, the one
that meets them with the widest margin, so that it carries to photos it was not chosen
on. `--write` puts it in the model's manifest. Measure the result on another split with
scripts/eval_cutoff.py, through the `motis` command.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import numpy as np

from .onnx_model import OnnxModel

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import eval_cutoff  # noqa: E402

CUTOFF_RS = ROOT / "crates" / "engine" / "src" / "cutoff.rs"


def cutoff_constants() -> dict[str, float]:
    text = CUTOFF_RS.read_text()
    found = dict(re.findall(r"const (\w+): (?:f32|f64|usize) = ([0-9.]+);", text))
    return {name: float(found[name]) for name in ("BULK", "FLOOR", "SPREAD", "GAP", "MATCH_SPREAD", "DEPTH")}


def shown(scores: np.ndarray, mean: float, deviation: float, searched: int, match_score: float | None, c: dict) -> int:
    """cutoff::shown, for one query's best scores."""
    standing = (scores - mean) / deviation
    chance = math.sqrt(2 * math.log(max(searched, 1)))
    relative = 0
    gaps = np.nonzero((standing[:-1] - standing[1:] >= c["GAP"]) & (standing[:-1] >= chance))[0]
    if len(gaps):
        relative = int(gaps[0]) + 1
    elif standing[0] >= chance + c["FLOOR"]:
        bar = max(chance + c["FLOOR"], standing[0] - c["SPREAD"])
        relative = int(np.argmin(np.append(standing >= bar, False)))
    calibrated = 0
    if match_score is not None:
        keep = (scores >= match_score) & (standing >= standing[0] - c["MATCH_SPREAD"])
        calibrated = int(np.argmin(np.append(keep, False)))
    return max(relative, calibrated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="a rendered split (captions.json, images/)")
    parser.add_argument("--write", action="store_true", help="put the chosen score in the model's manifest")
    args = parser.parse_args()
    constants = cutoff_constants()
    model = OnnxModel(args.model)
    entries = json.loads((args.data / "captions.json").read_text())["images"]
    images = model.encode_images([args.data / "images" / e["filename"] for e in entries])
    queries = eval_cutoff.make_queries([e["scene"] for e in entries], f"match score on {args.data.name}", 150, 6)
    scores = model.encode_texts([q["text"] for q in queries]) @ images.T
    depth = int(constants["DEPTH"])
    order = np.argsort(-scores, axis=1)[:, :depth]
    best = np.take_along_axis(scores, order, 1)
    bulk = np.sort(scores, axis=1)[:, : int(scores.shape[1] * constants["BULK"])]
    mean, deviation = bulk.mean(1), bulk.std(1)

    def measured(match_score):
        counts = [shown(best[i], mean[i], deviation[i], len(entries), match_score, constants) for i in range(len(queries))]
        return eval_cutoff.measure(queries, [order[i, :n].tolist() for i, n in enumerate(counts)])

    candidates = [None] + [round(0.05 + 0.01 * step, 2) for step in range(86)]
    results = [(eval_cutoff.shortfall(r), -eval_cutoff.margin(r), m) for m in candidates for r in [measured(m)]]
    shortfall, _, chosen = min(results, key=lambda r: r[:2])
    for name, m in (("no match score", None), (f"match score {chosen}", chosen)):
        r = measured(m)
        print(
            f"{name}: captions it has, right shown {r[eval_cutoff.PRESENT]['something_right_shown']:.2f};"
            f" short, something right {r[eval_cutoff.SHORT]['something_right_shown']:.2f},"
            f" precision {r[eval_cutoff.SHORT]['precision']:.2f};"
            f" absent, no good match {r[eval_cutoff.ABSENT]['nothing_shown']:.2f}"
        )
    print(f"chosen: {chosen} (short of the goals by {shortfall:.3f})")
    if args.write and chosen is not None:
        path = args.model / "manifest.json"
        manifest = json.loads(path.read_text())
        manifest["match_score"] = chosen
        path.write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
