"""Render a split of the shapes world as phone photos with captions.

    python -m demo_world.render --out build/demo-world --split test --count 5000
    python -m demo_world.render --out build/demo-world --split demo --count 1000
    python -m demo_world.render --out build/demo-world --split bench --count 20000 --long-side 320

Photos go to OUT/SPLIT/images/, captions (Karpathy JSON, 5 per photo) to
OUT/SPLIT/captions.json. The same split and count always give the same files.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .photos import render_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", required=True, help="test, demo, or any name: the name seeds the split")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument(
        "--long-side", type=int, help="scale each photo down to this many pixels on its long side (default: phone sizes)"
    )
    args = parser.parse_args()
    started = time.time()
    path = render_split(args.out, args.split, args.count, args.long_side)
    print(f"rendered {args.count} photos and {path} in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
