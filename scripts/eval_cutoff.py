"""How well motis's cut-off stops results: the precision and recall of what `motis search`
shows on the demo world, against showing a fixed number of results and against the best
flat score threshold (chosen afterwards, on these very queries: an oracle no front end
has).

    .venv/bin/python scripts/eval_cutoff.py [--motis target/release/motis] [--split demo] [--queries 600]

The gallery is a rendered split of the shapes world (`demo`: the 1,000-photo demo gallery
scripts/demo renders; another split name is rendered at 320 pixels on the long side),
indexed with the demo model into build/cutoff-data/SPLIT. Half the queries are captions of
gallery photos (their scene exists), half captions of new scenes (which the gallery
almost never has); each states every attribute or leaves one or two out, as people's
queries do. A photo is a right answer when its scene has every attribute the caption
states (demo_world/relevance.py). Each query is one `motis search --no-cutoff --json -k
60` (60: the app's results setting), whose rows say which photos the cut-off shows.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from demo_world.captions import ATTRIBUTES, caption  # noqa: E402
from demo_world.photos import render_split  # noqa: E402
from demo_world.relevance import fits  # noqa: E402
from demo_world.world import Scene, Style, Thing, sample_scene, scene_to_json  # noqa: E402

K = 60


def scene_of(json_scene: dict) -> Scene:
    return Scene(
        background=json_scene["background"],
        things=tuple(Thing(**t) for t in json_scene["things"]),
        position=json_scene["position"],
        relation=json_scene["relation"],
        style=Style(seed=0),
    )


def make_queries(scenes: list[dict], count: int, seed: str) -> list[dict]:
    """Captions, with the photos each one describes."""
    rng = random.Random(seed)
    queries = []
    for i in range(count):
        existing = i % 2 == 0
        scene = scene_of(rng.choice(scenes)) if existing else sample_scene(rng)
        says = set(ATTRIBUTES) if rng.random() < 0.5 else set(ATTRIBUTES) - set(rng.sample(ATTRIBUTES, rng.choice((1, 2))))
        described = scene_to_json(scene)
        queries.append(
            {
                "text": caption(rng, scene, says),
                "existing": existing,
                "relevant": {j for j, s in enumerate(scenes) if fits(s, described, says)},
            }
        )
    return queries


def search(motis: Path, data: Path, text: str) -> list[dict]:
    out = subprocess.run(
        [str(motis), "--data-dir", str(data), "search", text, "-k", str(K), "--no-cutoff", "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def measure(queries: list[dict], shown_by_query: list[list[int]]) -> dict:
    """Micro-averaged precision and recall of what is shown, and how often nothing is
    shown for a query nothing fits ("no good match") and something right for one that
    something fits."""
    right = shown = relevant = 0
    silent_when_absent = absent = found_when_present = present = 0
    for query, chosen in zip(queries, shown_by_query, strict=True):
        hits = len(set(chosen) & query["relevant"])
        right += hits
        shown += len(chosen)
        relevant += len(query["relevant"])
        if query["relevant"]:
            present += 1
            found_when_present += hits > 0
        else:
            absent += 1
            silent_when_absent += not chosen
    precision = right / shown if shown else 1.0
    recall = right / relevant if relevant else 1.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "found_when_present": found_when_present / present,
        "no_match_when_absent": silent_when_absent / absent,
        "shown_per_query": shown / len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--motis", type=Path, default=ROOT / "target" / "release" / "motis")
    parser.add_argument("--split", default="demo")
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    gallery = ROOT / "build" / "demo-world" / args.split
    if not (gallery / "captions.json").is_file():
        render_split(gallery.parent, args.split, 1000, None if args.split == "demo" else 320)
    data = ROOT / "build" / "cutoff-data" / args.split
    subprocess.run([str(args.motis), "--data-dir", str(data), "index", str(gallery / "images")], check=True, capture_output=True)
    entries = json.loads((gallery / "captions.json").read_text())["images"]
    index_of = {e["filename"]: i for i, e in enumerate(entries)}
    queries = make_queries([e["scene"] for e in entries], args.queries, f"cut-off queries on {args.split}")

    rankings = []
    for n, query in enumerate(queries, 1):
        rows = search(args.motis, data, query["text"])
        rankings.append([(index_of[Path(r["path"]).name], r["score"], r["shown"]) for r in rows])
        if n % 100 == 0:
            print(f"{n} of {len(queries)} queries", file=sys.stderr)

    results = {"motis cut-off": measure(queries, [[i for i, _, shown in r if shown] for r in rankings])}
    for k in (10, 20, K):
        results[f"the best {k}"] = measure(queries, [[i for i, _, _ in r[:k]] for r in rankings])
    scores = [score for r in rankings for _, score, _ in r]
    low, high = min(scores), max(scores)
    thresholds = [low + (high - low) * step / 400 for step in range(401)]
    best = max(
        thresholds,
        key=lambda t: measure(queries, [[i for i, score, _ in r if score >= t] for r in rankings])["f1"],
    )
    results[f"best flat threshold ({best:.3f}, chosen on these queries)"] = measure(
        queries, [[i for i, score, _ in r if score >= best] for r in rankings]
    )

    present = sum(1 for q in queries if q["relevant"])
    print(
        f"\n{len(queries)} captions on the {args.split} gallery ({len(entries)} photos): {present} describe photos it has"
        f" ({sum(len(q['relevant']) for q in queries) / max(1, present):.1f} each on average), {len(queries) - present} none\n"
    )
    print("| results shown | precision | recall | F1 | right answer shown, when there is one | nothing shown, when there is none | photos shown per query |")
    print("|---|---|---|---|---|---|---|")
    for name, m in results.items():
        print(
            f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['found_when_present']:.2f}"
            f" | {m['no_match_when_absent']:.2f} | {m['shown_per_query']:.1f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
