"""Search a folder of photos by text with a model folder, in Python with onnxruntime.

    python -m demo_world.search --photos build/demo-world/demo/images "two red stars" ...

A reference of the engine's search path for checking a model end to end; the `motis`
CLI is the product. When the folder comes from the renderer, each answer is printed with
another caption of what it really shows, so the answers can be checked by eye, and
`--examples N` searches for captions of N of its photos and says where each one ranks.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .onnx_model import MODELS, OnnxModel

EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODELS / "motis-demo")
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument(
        "--examples", type=int, default=0, metavar="N",
        help="also search for captions of N photos of a rendered gallery, and say where each photo ranks",
    )
    parser.add_argument("queries", nargs="*")
    args = parser.parse_args()
    model = OnnxModel(args.model)
    paths = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in EXTENSIONS)
    truth = {}
    captions = args.photos.parent / "captions.json"
    if captions.is_file():
        truth = {e["filename"]: e["sentences"] for e in json.loads(captions.read_text())["images"]}
    # A caption of every (len/N)-th photo that is in the gallery: a query whose answer is known.
    described = [p.name for p in paths if p.name in truth][:: max(1, len(paths) // max(1, args.examples))][: args.examples]
    queries = [(q, None) for q in args.queries] + [(truth[name][0]["raw"], name) for name in described]
    if not queries:
        parser.error("give queries, or --examples N with a rendered gallery")
    images = model.encode_images(paths)
    print(f"{len(paths)} photos in {args.photos}, model {model.manifest['id']}")
    found = 0
    for (query, wanted), text in zip(queries, model.encode_texts([q for q, _ in queries])):
        print(f'\n"{query}"' + (f"  (a caption of {wanted})" if wanted else ""))
        scores = images @ text
        ranking = scores.argsort()[::-1]
        for i in ranking[: args.k]:
            shows = f"  shows: {truth[paths[i].name][1]['raw']}" if paths[i].name in truth else ""
            print(f"  {scores[i]:.3f}  {paths[i].name}{shows}")
        if wanted:
            rank = [paths[i].name for i in ranking].index(wanted) + 1
            found += rank == 1
            print(f"  -> {wanted} ranks {rank} of {len(paths)}")
    if described:
        print(f"\n{found} of {len(described)} example captions found their own photo first")


if __name__ == "__main__":
    main()
