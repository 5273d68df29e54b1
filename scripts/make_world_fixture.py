"""Write a small demo-world gallery for the engine's search tests: 240 shapes-world photos
whose scenes are known (so that a test can tell which answers are right), 128 pixels on
the long side, most with the EXIF date a phone writes, some with an offset from UTC.

    PYTHONPATH=scripts .venv/bin/python scripts/make_world_fixture.py

tests/fixtures/world/images/fixture-NNNNN.jpg
tests/fixtures/world/world.json   {"photos": [{"file", "scene", "taken", "caption"}]}
                                  taken: "2024-07-14T18:30:05+02:00", without the offset
                                  where the camera wrote none, or null (no EXIF date)

The split ("fixture") and count are chosen so that the demo model's ten best answers for
`stars` include a red star, which the query-term test subtracts. Deterministic: the same
script and packages write the same files.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from demo_world.photos import render_split

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "world"
SPLIT, COUNT, LONG_SIDE = "fixture", 240, 128


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        captions = json.loads(render_split(Path(work), SPLIT, COUNT, LONG_SIDE).read_text())["images"]
        shutil.rmtree(FIXTURE, ignore_errors=True)
        shutil.copytree(Path(work) / SPLIT / "images", FIXTURE / "images")
    photos = [
        {"file": e["filename"], "scene": e["scene"], "taken": e["taken"], "caption": e["sentences"][0]["raw"]}
        for e in captions
    ]
    (FIXTURE / "world.json").write_text(json.dumps({"photos": photos}, separators=(",", ":")) + "\n")
    print(f"wrote {len(photos)} photos to {FIXTURE}")


if __name__ == "__main__":
    main()
