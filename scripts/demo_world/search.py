"""Search a rendered demo gallery with the `motis` command and show each answer with a
caption of what the photo really shows, so that the answers can be checked by eye.

    python -m demo_world.search --motis target/release/motis --data-dir DIR \
        --photos build/demo-world/demo/images [--examples N] "red stars" "three circles on blue" ...

The gallery must be indexed in DIR first (`motis --data-dir DIR index PHOTOS`).
`--examples N` also searches for captions of N of its photos, marks each answer right or
wrong, and says where the captioned photo ranks. Each query lists the photos motis
shows (results stop where the scores fall away: the cut-off) and the first ones below
the cut, after a line that says so; when none stands out, the closest.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from .relevance import fits


def motis_search(motis: Path, data_dir: Path, query: str, k: int) -> list[dict]:
    """The best `k` photos for `query`, each marked `shown` when above the cut-off."""
    out = subprocess.run(
        [str(motis), "--data-dir", str(data_dir), "search", query, "-k", str(k), "--no-cutoff", "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--motis", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--shown", type=int, default=6, help="list at most this many of the photos motis shows")
    parser.add_argument("--below", type=int, default=2, help="and this many of those below the cut")
    parser.add_argument(
        "--examples", type=int, default=0, metavar="N",
        help="also search for captions of N photos of the gallery, and say where each photo ranks",
    )
    parser.add_argument("queries", nargs="*")
    args = parser.parse_args()
    captions = json.loads((args.photos.parent / "captions.json").read_text())["images"]
    truth = {e["filename"]: e for e in captions}
    names = sorted(truth)
    described = names[:: max(1, len(names) // max(1, args.examples))][: args.examples]
    queries = [(q, None) for q in args.queries] + [(truth[name]["sentences"][0]["raw"], name) for name in described]
    if not queries:
        parser.error("give queries, or --examples N")
    found = 0
    for query, wanted in queries:
        print(f'\n"{query}"' + (f"  (a caption of {wanted})" if wanted else ""))
        ranking = motis_search(args.motis, args.data_dir, query, len(names) if wanted else 60)
        shown = sum(hit["shown"] for hit in ranking)
        if shown == 0:
            print("  no good match: no photo stands out; the closest ones:")
        listed = ranking[: min(shown, args.shown) + args.below] if shown else ranking[: args.shown]
        for rank, hit in enumerate(listed):
            if rank == min(shown, args.shown) and shown > args.shown:
                print(f"  ... and {shown - args.shown} more shown")
            if rank == shown and shown > 0:
                print("  ---- the cut-off: motis shows the photos above, not these")
            name = Path(hit["path"]).name
            # What the photo really shows, and for a caption whether the photo fits it.
            verdict = ""
            if wanted:
                verdict = "  right" if fits(truth[name]["scene"], truth[wanted]["sentences"][0]["states"]) else "  wrong"
            shows = f"  shows: {truth[name]['sentences'][1]['raw']}" if name in truth else ""
            print(f"  {hit['score']:.3f}  {name}{verdict}{shows}")
        if wanted:
            rank = [Path(hit["path"]).name for hit in ranking].index(wanted) + 1
            found += rank == 1
            print(f"  -> {wanted} ranks {rank} of {len(ranking)}")
    if described:
        print(f"\n{found} of {len(described)} example captions found their own photo first")


if __name__ == "__main__":
    main()
