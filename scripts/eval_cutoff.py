"""How well motis's cut-off stops results: what `motis search` shows on a rendered gallery
of the demo world, for three kinds of query, against showing a fixed number of results
and against the best flat score threshold (chosen afterwards, on these very queries: an
oracle no front end has).

    .venv/bin/python scripts/eval_cutoff.py [--motis target/release/motis] [--split demo] [--json OUT]

The gallery is a rendered split of the shapes world (`demo`: the 1,000-photo demo gallery
scripts/demo renders; another split name is rendered at 320 pixels on the long side),
indexed with the demo model into build/cutoff-data/SPLIT. The queries:
- captions whose scene the gallery has: a caption of a gallery photo, stating every
  attribute or all but one or two;
- short queries as people type them: for each kind of one, two or three attributes
  (demo_world/evaluate.py: "stars", "red stars", "three circles", "on blue", ...), stated
  of gallery photos;
- captions of scenes the gallery does not have: new scenes, kept when no gallery photo
  fits the caption.
A photo is a right answer when its scene has everything the query states
(demo_world/relevance.py). Each query is one `motis search --no-cutoff --json -k 60` (60:
the app's results setting), whose rows say which photos the cut-off shows.
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

from demo_world.captions import caption_of, long_say  # noqa: E402
from demo_world.evaluate import scene_of, short_queries  # noqa: E402
from demo_world.photos import render_split  # noqa: E402
from demo_world.relevance import Fitting  # noqa: E402
from demo_world.world import sample_scene  # noqa: E402

K = 60
PRESENT, SHORT, ABSENT = "captions of scenes it has", "short queries", "captions of scenes it does not have"


def make_queries(scenes: list[dict], seed: str, captions: int, short_per_kind: int) -> list[dict]:
    """The three kinds of query, each with the gallery photos it fits."""
    rng = random.Random(seed)
    fitting = Fitting(scenes)
    made = []
    for _ in range(captions):
        made.append((PRESENT, *caption_of(rng, scene_of(rng.choice(scenes)), long_say(rng), both=True)))
    absent = 0
    while absent < captions:
        text, description = caption_of(rng, sample_scene(rng), long_say(rng), both=True)
        if not fitting.matrix([description]).any():
            made.append((ABSENT, text, description))
            absent += 1
    made += [(SHORT, text, description) for _, text, description in short_queries(scenes, f"{seed} short", short_per_kind)]
    fits = fitting.matrix([description for _, _, description in made])
    return [{"kind": kind, "text": text, "relevant": set(row.nonzero()[0])} for (kind, text, _), row in zip(made, fits)]


def search(motis: Path, data: Path, text: str) -> list[dict]:
    out = subprocess.run(
        [str(motis), "--data-dir", str(data), "search", text, "-k", str(K), "--no-cutoff", "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def measure(queries: list[dict], shown_by_query: list[list[int]]) -> dict:
    """For each kind of query: the precision of what is shown (micro-averaged), how often
    something right is shown, and how often nothing is."""
    out = {}
    for kind in (PRESENT, SHORT, ABSENT):
        right = shown = found = silent = count = 0
        for query, chosen in zip(queries, shown_by_query, strict=True):
            if query["kind"] != kind:
                continue
            hits = len(set(chosen) & query["relevant"])
            right, shown, count = right + hits, shown + len(chosen), count + 1
            found += hits > 0
            silent += not chosen
        out[kind] = {
            "queries": count,
            "precision": right / shown if shown else 1.0,
            "something_right_shown": found / count,
            "nothing_shown": silent / count,
            "shown_per_query": shown / count,
        }
    return out


def shortfall(m: dict) -> float:
    """How far a result of `measure` is from the cut-off's goals, summed (0: all met): a
    right photo shown for 90 % of captions of scenes the gallery has, something right for
    85 % of short queries with a precision of 0.80, no good match for 70 % of captions of
    scenes it does not have."""
    return (
        max(0, 0.90 - m[PRESENT]["something_right_shown"])
        + max(0, 0.85 - m[SHORT]["something_right_shown"])
        + max(0, 0.80 - m[SHORT]["precision"])
        + max(0, 0.70 - m[ABSENT]["nothing_shown"])
    )


def margin(m: dict) -> float:
    """How far a result of `measure` clears the nearest of the cut-off's goals (negative:
    it misses one)."""
    return min(
        m[PRESENT]["something_right_shown"] - 0.90,
        m[SHORT]["something_right_shown"] - 0.85,
        m[SHORT]["precision"] - 0.80,
        m[ABSENT]["nothing_shown"] - 0.70,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--motis", type=Path, default=ROOT / "target" / "release" / "motis")
    parser.add_argument("--split", default="demo")
    parser.add_argument("--captions", type=int, default=300, help="captions of each kind")
    parser.add_argument("--short-per-kind", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    gallery = ROOT / "build" / "demo-world" / args.split
    if not (gallery / "captions.json").is_file():
        render_split(gallery.parent, args.split, 1000, None if args.split == "demo" else 320)
    data = ROOT / "build" / "cutoff-data" / args.split
    subprocess.run([str(args.motis), "--data-dir", str(data), "index", str(gallery / "images")], check=True, capture_output=True)
    entries = json.loads((gallery / "captions.json").read_text())["images"]
    index_of = {e["filename"]: i for i, e in enumerate(entries)}
    queries = make_queries([e["scene"] for e in entries], f"cut-off queries on {args.split}", args.captions, args.short_per_kind)

    rankings = []
    for n, query in enumerate(queries, 1):
        rows = search(args.motis, data, query["text"])
        rankings.append([(index_of[Path(r["path"]).name], r["score"], r["shown"]) for r in rows])
        if n % 100 == 0:
            print(f"{n} of {len(queries)} queries", file=sys.stderr)

    results = {"**motis's cut-off**": measure(queries, [[i for i, _, shown in r if shown] for r in rankings])}
    for k in (10, K):
        results[f"the best {k}"] = measure(queries, [[i for i, _, _ in r[:k]] for r in rankings])
    scores = [score for r in rankings for _, score, _ in r]
    low, high = min(scores), max(scores)

    def at(threshold):
        return measure(queries, [[i for i, score, _ in r if score >= threshold] for r in rankings])

    best = min((low + (high - low) * step / 400 for step in range(401)), key=lambda t: shortfall(at(t)))
    results[f"the best flat threshold ({best:.3f}, chosen on these queries)"] = at(best)

    counts = {kind: sum(q["kind"] == kind for q in queries) for kind in (PRESENT, SHORT, ABSENT)}
    fitting = sum(len(q["relevant"]) for q in queries if q["kind"] == SHORT) / counts[SHORT]
    print(
        f"\nThe {args.split} gallery ({len(entries)} photos): {counts[PRESENT]} captions of scenes it has,"
        f" {counts[SHORT]} short queries ({fitting:.0f} photos fit each on average),"
        f" {counts[ABSENT]} captions of scenes it does not have\n"
    )
    print(
        "| results shown | captions of scenes it has: a right photo shown | short queries: something right shown"
        " | short queries: precision of what is shown | captions of absent scenes: no good match | photos shown per query |"
    )
    print("|---|---|---|---|---|---|")
    for name, m in results.items():
        shown = sum(m[kind]["shown_per_query"] * counts[kind] for kind in counts) / len(queries)
        print(
            f"| {name} | {m[PRESENT]['something_right_shown']:.2f} | {m[SHORT]['something_right_shown']:.2f}"
            f" | {m[SHORT]['precision']:.2f} | {m[ABSENT]['nothing_shown']:.2f} | {shown:.1f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
