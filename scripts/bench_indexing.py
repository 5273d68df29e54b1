"""Indexing speed and memory on noisy phone photos, motis against Python pipelines, in one sitting.

    .venv/bin/python scripts/bench_indexing.py [--photos N] [--models-dir DIR] MODEL [MODEL ...]

For each model (a folder in --models-dir, default build/models: e.g. vit-b-32-random and
vit-b-32-random-int8 from `scripts/export_model.py ViT-B-32 --pretrained none --id
vit-b-32-random --out build/models --int8`), on the same N noisy 12 MP JPEGs
(`scripts/make_phone_photos.py N build/bench/noisy-photos --noisy`, default 512), one after
the other:

- rclip-style Python: PIL opens and converts each photo at full size, open_clip's own
  preprocessing, ONNX Runtime on batches of 16 (what rclip does);
- the same with PIL's draft(), which has libjpeg-turbo decode at a reduced scale;
- motis: `motis bench DIR --json`, the whole run (scan, previews, encoding) from files to
  a saved index;
- the peak resident memory of a fresh `motis index` process on the photos and of a fresh
  `motis search` process on that index.

ONNX Runtime gets 2 intra-op threads everywhere (the machine's 2 cores). Prints a table
with each rate and motis's ratio to each Python pipeline, and with --json one object.

With --index-memory-at N,N,... it measures instead whether indexing memory stays flat as
the library grows: for each model and each N, the peak resident memory of a fresh
`motis index` process on a fresh data folder over N of the noisy photos (the same ones
hard-linked again as other photos past the first --photos).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 16
THREADS = 2


def python_pipeline(model: Path, photos: list[Path], draft: bool) -> float:
    """Photos per second of the rclip-style pipeline (with draft(): DCT-scaled decode)."""
    import numpy as np
    import onnxruntime
    import open_clip
    import torch
    from PIL import Image

    manifest = json.loads((model / "manifest.json").read_text())
    image = manifest["image"]
    size = image["size"][0]
    preprocess = open_clip.image_transform(size, is_train=False, mean=image["mean"], std=image["std"])
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(model / image["file"]), options, providers=["CPUExecutionProvider"])

    def load(path: Path) -> "torch.Tensor":
        with Image.open(path) as img:
            if draft:
                img.draft("RGB", (size, size))
            return preprocess(img.convert("RGB"))

    # One batch first: ONNX Runtime's first run allocates.
    session.run(None, {image["input"]: torch.stack([load(p) for p in photos[:BATCH]]).numpy()})
    started = time.perf_counter()
    for at in range(0, len(photos), BATCH):
        batch = torch.stack([load(p) for p in photos[at : at + BATCH]]).numpy().astype(np.float32)
        session.run(None, {image["input"]: batch})
    return len(photos) / (time.perf_counter() - started)


# Forked from this process (torch and ONNX Runtime loaded), a child would report this
# process's resident size as its own peak: a lean interpreter starts it instead.
PEAK_RSS = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss * 1024 if os.waitstatus_to_exitcode(status) == 0 else -1)
"""


def peak_rss_of(command: list[str]) -> int:
    """Run `command` in a fresh process; its peak resident memory in bytes."""
    ran = subprocess.run(["/usr/bin/env", "python3", "-S", "-c", PEAK_RSS, *command], check=True, capture_output=True, text=True)
    peak = int(ran.stdout.strip().splitlines()[-1])
    if peak < 0:
        raise SystemExit(f"{' '.join(command)} failed: {ran.stderr}")
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+")
    parser.add_argument("--photos", type=int, default=512)
    parser.add_argument("--models-dir", type=Path, default=ROOT / "build/models")
    parser.add_argument("--motis", type=Path, default=ROOT / "target/release/motis")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--index-memory-at", type=lambda text: [int(n) for n in text.split(",")], default=[])
    args = parser.parse_args()

    folder = ROOT / "build/bench/noisy-photos"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts/make_phone_photos.py"), str(args.photos), str(folder), "--noisy"], check=True
    )
    photos = sorted(folder.glob("IMG_*.jpg"))[: args.photos]
    megabytes = sum(p.stat().st_size for p in photos) / len(photos) / 1e6
    if args.index_memory_at:
        index_memory(args, photos, megabytes)
        return
    rows = []
    for model in args.models:
        print(f"{model}: rclip-style Python", file=sys.stderr)
        rclip = python_pipeline(args.models_dir / model, photos, draft=False)
        print(f"{model}: Python with draft()", file=sys.stderr)
        draft = python_pipeline(args.models_dir / model, photos, draft=True)
        print(f"{model}: motis bench", file=sys.stderr)
        motis_args = [str(args.motis), "--models-dir", str(args.models_dir), "--model", model, "--threads", str(THREADS)]
        bench = subprocess.run(
            [*motis_args, "bench", str(folder), "--json", "--vectors", "10000", "--queries", "20"],
            check=True,
            capture_output=True,
            text=True,
        )
        report = json.loads(bench.stdout.strip().splitlines()[-1])
        with tempfile.TemporaryDirectory() as data:
            index_rss = peak_rss_of([*motis_args, "--data-dir", data, "index", str(folder)])
            search_rss = peak_rss_of([*motis_args, "--data-dir", data, "search", "a dog running on a beach"])
        whole = report["whole_run_photos_per_second"]
        rows.append(
            {
                "model": model,
                "photos": len(photos),
                "megabytes_per_photo": megabytes,
                "python_rclip_photos_per_second": rclip,
                "python_draft_photos_per_second": draft,
                "motis_whole_run_photos_per_second": whole,
                "motis_encoding_phase_photos_per_second": report["encoding_photos_per_second"],
                "model_only_photos_per_second": report["model_only_photos_per_second"],
                "motis_to_rclip": whole / rclip,
                "motis_to_draft": whole / draft,
                "index_peak_rss_bytes": index_rss,
                "search_peak_rss_bytes": search_rss,
            }
        )
    if args.json:
        print(json.dumps({"rows": rows}))
        return
    print(f"{len(photos)} noisy 12 MP JPEGs, {megabytes:.1f} MB each on average; photos/s, one sitting")
    print("| model | Python rclip-style | Python + draft() | motis whole run | motis ÷ rclip-style | motis ÷ draft | peak RSS: fresh index / fresh search |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['python_rclip_photos_per_second']:.1f} | {r['python_draft_photos_per_second']:.1f} | "
            f"{r['motis_whole_run_photos_per_second']:.1f} | {r['motis_to_rclip']:.2f}× | {r['motis_to_draft']:.2f}× | "
            f"{r['index_peak_rss_bytes'] / 1e6:.0f} MB / {r['search_peak_rss_bytes'] / 1e6:.0f} MB |"
        )


def index_memory(args: argparse.Namespace, photos: list[Path], megabytes: float) -> None:
    """Peak RSS of fresh `motis index` processes over growing libraries."""
    rows = []
    for model in args.models:
        motis_args = [str(args.motis), "--models-dir", str(args.models_dir), "--model", model, "--threads", str(THREADS)]
        for count in args.index_memory_at:
            with tempfile.TemporaryDirectory() as scratch:
                library, data = Path(scratch, "photos"), Path(scratch, "data")
                library.mkdir()
                for i in range(count):
                    (library / f"IMG_{i:06d}.jpg").hardlink_to(photos[i % len(photos)])
                print(f"{model}: motis index, {count} photos", file=sys.stderr)
                started = time.perf_counter()
                peak = peak_rss_of([*motis_args, "--data-dir", str(data), "index", str(library)])
                rows.append(
                    {
                        "model": model,
                        "photos": count,
                        "index_peak_rss_bytes": peak,
                        "seconds": time.perf_counter() - started,
                    }
                )
    if args.json:
        print(json.dumps({"megabytes_per_photo": megabytes, "rows": rows}))
        return
    print(f"fresh motis index over noisy 12 MP JPEGs ({megabytes:.1f} MB each on average)")
    print("| model | photos | peak RSS | photos/s |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['photos']:,} | {r['index_peak_rss_bytes'] / 1e6:.0f} MB | {r['photos'] / r['seconds']:.1f} |")


if __name__ == "__main__":
    main()
