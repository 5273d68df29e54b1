"""Write a small gallery of shapes-world photos with one full caption each, for the
engine's end-to-end tests (index the folder, search each caption, expect its photo
first).

    PYTHONPATH=scripts .venv/bin/python scripts/make_gallery_fixture.py

tests/fixtures/gallery/scene-NN.jpg   phone-style JPEGs, 480×360 or 360×480
tests/fixtures/gallery/captions.json  {file name: caption stating every attribute}

Deterministic: the same script and packages write the same bytes.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from demo_world.captions import ATTRIBUTES, caption
from demo_world.draw import render
from demo_world.world import sample_scene

ROOT = Path(__file__).resolve().parent.parent
GALLERY = ROOT / "tests" / "fixtures" / "gallery"
SCENES = 10


def main() -> None:
    GALLERY.mkdir(parents=True, exist_ok=True)
    rng = random.Random("gallery fixture")
    captions = {}
    for i in range(SCENES):
        scene = sample_scene(rng)
        size = (480, 360) if i % 3 else (360, 480)
        name = f"scene-{i:02}.jpg"
        render(scene, *size).save(GALLERY / name, quality=85)
        captions[name] = caption(rng, scene, ATTRIBUTES)
    (GALLERY / "captions.json").write_text(json.dumps(captions, indent=1) + "\n")
    print(f"wrote {SCENES} photos to {GALLERY}")


if __name__ == "__main__":
    main()
