"""Write a small demo-world gallery for the engine's search tests: 240 shapes-world photos
whose scenes are known (so that a test can tell which answers are right), most with the
EXIF date a phone writes, some with an offset from UTC, and queries judged against them.

    PYTHONPATH=scripts .venv/bin/python scripts/make_world_fixture.py

tests/fixtures/world/images/fixture-NNNNN.jpg
tests/fixtures/world/world.json
    {"photos": [{"file", "scene", "taken", "caption"}],
     "queries": [{"text", "kind", "fits": [file, ...]}]}
    taken: "2024-07-14T18:30:05+02:00", without the offset where the camera wrote none, or
    null (no EXIF date). Queries: short ones of each kind of one and two attributes
    (demo_world/evaluate.py), captions of scenes none of the photos has (kind "absent"),
    and the demo model's example searches (kind "example"); `fits` lists the photos whose scene has what the query states
    (demo_world/relevance.py), so that the Rust tests need no copy of that judgement.

The photos are rendered at twice the demo model's input on their long side, as its
training photos are. Deterministic: the same script and packages write the same files.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from pathlib import Path

from demo_world.captions import EXAMPLE_SEARCHES, caption_of, long_say
from demo_world.evaluate import SHORT_KINDS, attribute_count, short_queries
from demo_world.photos import render_split
from demo_world.relevance import Fitting
from demo_world.world import sample_scene

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "world"
MODEL_INPUT = json.loads((ROOT / "models" / "motis-demo" / "manifest.json").read_text())["image"]["size"]
SPLIT, COUNT, LONG_SIDE = "fixture", 240, 2 * max(MODEL_INPUT)
SHORT_PER_KIND, ABSENT = 8, 40


def judged_queries(scenes: list[dict]) -> list[dict]:
    fitting = Fitting(scenes)
    kinds = {kind for kind in SHORT_KINDS if attribute_count(kind) <= 2}
    made = [(" ".join(k), t, d) for k, t, d in short_queries(scenes, f"{SPLIT} queries", SHORT_PER_KIND) if k in kinds]
    rng = random.Random(f"{SPLIT} absent scenes")
    while sum(kind == "absent" for kind, _, _ in made) < ABSENT:
        text, description = caption_of(rng, sample_scene(rng), long_say(rng), both=True)
        if not fitting.matrix([description]).any():
            made.append(("absent", text, description))
    made += [("example", text, description) for text, description in EXAMPLE_SEARCHES]
    fits = fitting.matrix([d for _, _, d in made])
    return [{"text": t, "kind": k, "fits": row.nonzero()[0].tolist()} for (k, t, _), row in zip(made, fits)]


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        captions = json.loads(render_split(Path(work), SPLIT, COUNT, LONG_SIDE).read_text())["images"]
        shutil.rmtree(FIXTURE, ignore_errors=True)
        shutil.copytree(Path(work) / SPLIT / "images", FIXTURE / "images")
    photos = [
        {"file": e["filename"], "scene": e["scene"], "taken": e["taken"], "caption": e["sentences"][0]["raw"]}
        for e in captions
    ]
    queries = judged_queries([e["scene"] for e in captions])
    for query in queries:
        query["fits"] = [photos[i]["file"] for i in query["fits"]]
    (FIXTURE / "world.json").write_text(json.dumps({"photos": photos, "queries": queries}, separators=(",", ":")) + "\n")
    print(f"wrote {len(photos)} photos and {len(queries)} queries to {FIXTURE}")


if __name__ == "__main__":
    main()
