"""A large library end to end: what grows with the number of photos, and what does not.

    .venv/bin/python scripts/bench_library.py [--photos N,N,...] [--model ID] [--json]

For each N (default 1,000 and 100,000), on N small distinct JPEGs generated into
build/bench/library-N (320×240 colour fields with shapes, a few KB each: the count is what
is measured here, not decoding; scripts/bench_indexing.py measures phone-sized photos),
in 100 folders named by month from 2017-01 on, as a camera's imports are, each file dated
in its month; in a fresh data folder, with the demo model unless --model says otherwise:

- a fresh `motis index` over the folder: seconds, photos/s, peak resident memory;
- a rescan with nothing changed, then one after 1 % of the photos were rewritten;
- fresh `motis search`, `motis similar` and `motis status` processes: seconds and peak
  resident memory (starting, opening the catalog and index, answering);
- `motis bench --library`: opening the library, status, the app's gallery pages at the
  start, middle and end, the whole gallery as the app loads it, the first search and
  others, the list of folders, a gallery page and searches narrowed to one folder (`in:`)
  and to one year (`on:`), and "more like this", timed inside one process.

Prints a table with a column per N (and the ratio of the last to the first), or with
--json one object.
"""

import argparse
import datetime
import functools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_indexing import peak_rss_of  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIZE = (320, 240)
CHANGED = 0.01
BACKGROUNDS = 64
FOLDERS = 100


@functools.cache
def background(number: int) -> "Image.Image":
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(number)
    width, height = SIZE
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    a, b, c = rng.uniform(-1, 1, (3, 3))
    fields = [128 + 90 * np.sin(x / 90 * a[i] + y / 90 * b[i] + c[i] * 6) for i in range(3)]
    return Image.fromarray(np.stack(fields, axis=-1).clip(0, 255).astype(np.uint8))


def write_photo(path: Path, seed: int) -> None:
    """A colour field (one of BACKGROUNDS) with shapes of its own: distinct bytes, a
    distinct embedding, about a millisecond to write."""
    from PIL import ImageDraw

    rng = random.Random(seed)
    image = background(seed % BACKGROUNDS).copy()
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    for _ in range(3):
        left, top = rng.randrange(width - 60), rng.randrange(height - 60)
        size = rng.randrange(20, 120)
        draw.ellipse((left, top, left + size, top + size), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    image.save(path, quality=85)


def place(count: int, i: int) -> tuple[str, float]:
    """Photo i's folder (a month, from 2017-01 on) and its file time, spread evenly over
    that month (taken at noon UTC on days 1 to 28)."""
    folder = i * FOLDERS // count
    first = -(-folder * count // FOLDERS)  # the first photo of this folder
    in_folder = -(-(folder + 1) * count // FOLDERS) - first
    year, number = 2017 + folder // 12, folder % 12 + 1
    day = 1 + (i - first) * 28 // max(in_folder, 1)
    taken = datetime.datetime(year, number, day, 12, tzinfo=datetime.timezone.utc).timestamp()
    return f"{year}-{number:02d}", taken


def library(count: int) -> Path:
    """N distinct photos in folders of their months, written once and kept."""
    folder = ROOT / f"build/bench/library-{count}"
    done = folder / ".complete-by-month"
    if not done.exists():
        print(f"writing {count:,} photos to {folder}", file=sys.stderr)
        for i in range(count):
            name, taken = place(count, i)
            path = folder / name / f"IMG_{i:06d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_photo(path, i)
            os.utime(path, (taken, taken))
        done.touch()
    return folder


def timed_peak(command: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    peak = peak_rss_of(command)
    return time.perf_counter() - started, peak


def measure(args: argparse.Namespace, count: int) -> dict:
    folder = library(count)
    motis = [str(args.motis), "--model", args.model, "--threads", "2"]
    if args.models_dir:
        motis += ["--models-dir", str(args.models_dir)]
    with tempfile.TemporaryDirectory() as scratch:
        # The changed photos are rewritten in a copy of the library: the kept one stays
        # as generated for the next run.
        photos = Path(scratch, "photos")
        photos.mkdir()
        for path in folder.glob("*/IMG_*.jpg"):
            (photos / path.parent.name).mkdir(exist_ok=True)
            (photos / path.parent.name / path.name).hardlink_to(path)
        motis += ["--data-dir", str(Path(scratch, "data"))]
        row: dict = {"photos": count}
        print(f"{count:,}: motis index", file=sys.stderr)
        row["index_s"], row["index_peak_rss_bytes"] = timed_peak([*motis, "index", str(photos)])
        row["rescan_unchanged_s"], _ = timed_peak([*motis, "index"])
        changed = sorted(photos.glob("*/IMG_*.jpg"))[:: round(1 / CHANGED)]
        for i, path in enumerate(changed):
            path.unlink()  # the hard link only: the kept library is untouched
            write_photo(path, count + i)
        print(f"{count:,}: rescan with {len(changed):,} photos changed", file=sys.stderr)
        row["changed"] = len(changed)
        row["rescan_changed_s"], row["rescan_peak_rss_bytes"] = timed_peak([*motis, "index"])
        row["search_s"], row["search_peak_rss_bytes"] = timed_peak([*motis, "search", "a red circle", "-k", "60"])
        row["similar_s"], row["similar_peak_rss_bytes"] = timed_peak([*motis, "similar", "1", "-k", "60"])
        row["status_s"], row["status_peak_rss_bytes"] = timed_peak([*motis, "status"])
        bench = subprocess.run([*motis, "bench", "--library", "--json"], check=True, capture_output=True, text=True)
        row["in_process"] = json.loads(bench.stdout.strip().splitlines()[-1])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=lambda text: [int(n) for n in text.split(",")], default=[1000, 100_000])
    parser.add_argument("--model", default="motis-demo")
    parser.add_argument("--models-dir", type=Path)
    parser.add_argument("--motis", type=Path, default=ROOT / "target/release/motis")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("MOTIS_MODELS", str(ROOT / "models"))
    rows = [measure(args, count) for count in args.photos]
    if args.json:
        print(json.dumps({"model": args.model, "rows": rows}))
        return

    def ms(seconds: float) -> str:
        return f"{seconds * 1e3:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"

    def mb(n: int) -> str:
        return f"{n / 1e6:,.0f} MB"

    def latency(key: str):
        return lambda r: f"{r['in_process'][key]['p50_ms']:.2f} / {r['in_process'][key]['p95_ms']:.2f} ms"

    lines = [
        ("fresh `motis index`", lambda r: f"{ms(r['index_s'])}, {r['photos'] / r['index_s']:,.0f} photos/s, {mb(r['index_peak_rss_bytes'])}"),
        ("rescan, nothing changed", lambda r: ms(r["rescan_unchanged_s"])),
        ("rescan, 1 % changed", lambda r: f"{ms(r['rescan_changed_s'])} ({r['changed']:,} photos), {mb(r['rescan_peak_rss_bytes'])}"),
        ("fresh `motis search`", lambda r: f"{ms(r['search_s'])}, {mb(r['search_peak_rss_bytes'])}"),
        ("fresh `motis similar`", lambda r: f"{ms(r['similar_s'])}, {mb(r['similar_peak_rss_bytes'])}"),
        ("fresh `motis status`", lambda r: f"{ms(r['status_s'])}, {mb(r['status_peak_rss_bytes'])}"),
        ("open catalog and index", lambda r: f"{r['in_process']['open_ms']:.1f} ms"),
        ("status, p50 / p95", latency("status")),
        ("gallery page of 2,000: first", latency("gallery_first_page")),
        ("gallery page: middle", latency("gallery_middle_page")),
        ("gallery page: last", latency("gallery_last_page")),
        ("whole gallery, as the app loads it", lambda r: f"{r['in_process']['whole_gallery_ms']:,.1f} ms"),
        ("first search (draws the cut-off's sample)", lambda r: f"{r['in_process']['first_search_ms']:.1f} ms"),
        ("search (k = 60), p50 / p95", latency("search")),
        ("folders (the app's filter list)", latency("folders")),
        ("gallery page in one folder of 100 (`in:`)", latency("gallery_in_folder_first_page")),
        ("search in one folder of 100 (`in:`)", latency("search_in_folder")),
        ("search in one year (`on:`)", latency("search_in_year")),
        ("similar (k = 60), p50 / p95", latency("similar")),
    ]
    print(f"model {args.model}; small generated JPEGs; fresh processes unless p50 / p95 (in one process)")
    print("| | " + " | ".join(f"{r['photos']:,} photos" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for name, cell in lines:
        print(f"| {name} | " + " | ".join(cell(r) for r in rows) + " |")


if __name__ == "__main__":
    main()
