"""Render scenes as phone photos on disk: JPEG, phone-like sizes, some stored rotated
with an EXIF Orientation tag, most with the date they were "taken" as phones write it
(EXIF DateTimeOriginal, often with OffsetTimeOriginal), captions beside them in the
Karpathy (COCO) JSON format."""

from __future__ import annotations

import json
import datetime
import multiprocessing
import os
import random
import struct
from io import BytesIO
from pathlib import Path

from PIL import Image

from .captions import stated, test_captions
from .draw import render
from .world import sample_scene, scene_to_json

LANDSCAPE_SIZES = (
    (640, 480), (800, 600), (1024, 768), (1280, 960), (1600, 1200), (2048, 1536),
    (2592, 1944), (3264, 2448), (4032, 3024), (1280, 720), (1920, 1080), (2560, 1440),
)
EXIF_ORIENTATION = 0x0112
EXIF_IFD = 0x8769
DATE_TIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
# When the photos were "taken": three years, so that a gallery spans many months.
TAKEN_FROM = datetime.datetime(2023, 1, 1)
TAKEN_SPAN_S = 3 * 365 * 86_400
# The offsets from UTC phones record; None: a camera that records none.
OFFSETS = ("+01:00", "+02:00", "-05:00", "+09:00", None)
# Photos without any date (saved from elsewhere): motis falls back on the file's time.
UNDATED_SHARE = 0.05
# How to store the upright pixels so that a viewer applying the tag shows them upright:
# the inverse of the transform the tag asks for.
STORE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


# The size of the thumbnail cameras embed in EXIF (IFD1), as the DCF standard sets it.
THUMBNAIL_SIZE = (160, 120)


def exif_with_thumbnail(stored: Image.Image, orientation: int = 1) -> bytes:
    """EXIF data as a phone camera writes it, for Pillow's `save(exif=...)`: IFD0 with the
    orientation, IFD1 with a JPEG thumbnail of the pixels as stored (cameras do not turn
    it upright either). Little-endian TIFF; offsets count from its header."""
    thumbnail = BytesIO()
    stored.resize(THUMBNAIL_SIZE if stored.width >= stored.height else THUMBNAIL_SIZE[::-1], Image.BILINEAR).save(
        thumbnail, "JPEG", quality=85
    )
    thumbnail = thumbnail.getvalue()
    entry = lambda tag, kind, value: struct.pack("<HHII", tag, kind, 1, value)  # noqa: E731
    ifd0 = 8
    ifd1 = ifd0 + 2 + 12 + 4
    start = ifd1 + 2 + 3 * 12 + 4
    tiff = b"II*\x00" + struct.pack("<I", ifd0)
    tiff += struct.pack("<H", 1) + entry(EXIF_ORIENTATION, 3, orientation) + struct.pack("<I", ifd1)
    tiff += struct.pack("<H", 3) + entry(0x0103, 3, 6) + entry(0x0201, 4, start) + entry(0x0202, 4, len(thumbnail))
    tiff += struct.pack("<I", 0) + thumbnail
    return b"Exif\x00\x00" + tiff


def photo_size(rng: random.Random):
    width, height = rng.choice(LANDSCAPE_SIZES)
    return (height, width) if rng.random() < 0.35 else (width, height)


def taken_at(split: str, index: int):
    """When photo `index` of `split` was taken, as (local time "YYYY:MM:DD HH:MM:SS",
    offset "+HH:MM" or None), or None for an undated photo. Drawn from a generator of its
    own, so that scenes, captions and pixels stay what they were before photos had dates."""
    rng = random.Random(f"{split}:{index}:taken")
    if rng.random() < UNDATED_SHARE:
        return None
    moment = TAKEN_FROM + datetime.timedelta(seconds=rng.randrange(TAKEN_SPAN_S))
    return moment.strftime("%Y:%m:%d %H:%M:%S"), rng.choice(OFFSETS)


def save_photo(img: Image.Image, path: Path, rng: random.Random, taken=None) -> int:
    """Write an upright image as a JPEG; about one in ten is stored rotated or mirrored
    with the EXIF tag that undoes it, and `taken` (see `taken_at`) goes into its EXIF
    data. Returns the orientation tag (1 = none)."""
    quality = rng.randint(70, 95)
    orientation = rng.choice((3, 6, 8, 6, 8, 2, 4, 5, 7)) if rng.random() < 0.1 else 1
    exif = Image.Exif()
    if orientation != 1:
        exif[EXIF_ORIENTATION] = orientation
        img = img.transpose(STORE_FOR_ORIENTATION[orientation])
    if taken is not None:
        local, offset = taken
        camera = exif.get_ifd(EXIF_IFD)
        camera[DATE_TIME_ORIGINAL] = local
        if offset is not None:
            camera[OFFSET_TIME_ORIGINAL] = offset
    if len(exif) == 0 and taken is None:
        img.save(path, "JPEG", quality=quality)
    else:
        img.save(path, "JPEG", quality=quality, exif=exif.tobytes())
    return orientation


def _render_one(job):
    split, index, folder, long_side = job
    rng = random.Random(f"{split}:{index}")
    scene = sample_scene(rng)
    width, height = photo_size(rng)
    if long_side:
        scale = long_side / max(width, height)
        width, height = round(width * scale), round(height * scale)
    name = f"{split}-{index:05d}.jpg"
    taken = taken_at(split, index)
    orientation = save_photo(render(scene, width, height), Path(folder) / name, rng, taken)
    return {
        "filename": name,
        "filepath": "images",
        "split": "test",
        "imgid": index,
        "sentences": [
            {"raw": text, "says": stated(description), "states": description}
            for text, description in test_captions(rng, scene)
        ],
        "width": width,
        "height": height,
        "orientation": orientation,
        # "2024-07-14T18:30:05+02:00", without the offset where the camera wrote none;
        # null for a photo without a date.
        "taken": taken and taken[0].replace(":", "-", 2).replace(" ", "T") + (taken[1] or ""),
        "scene": scene_to_json(scene),
    }


def render_split(
    out: Path, split: str, count: int, long_side: int | None = None, workers: int = os.cpu_count() or 1
) -> Path:
    """Render `count` photos of `split` into out/split/images with out/split/captions.json,
    at phone sizes or, with `long_side`, scaled down to it (the same scenes and captions).

    Each photo depends only on (split, index), so a split is the same whatever the
    number of workers, and different splits share no photo."""
    images = out / split / "images"
    images.mkdir(parents=True, exist_ok=True)
    jobs = [(split, i, str(images), long_side) for i in range(count)]
    with multiprocessing.Pool(workers) as pool:
        entries = pool.map(_render_one, jobs, chunksize=8)
    dataset = {"dataset": f"motis-shapes-{split}", "images": entries}
    path = out / split / "captions.json"
    path.write_text(json.dumps(dataset, indent=1))
    return path
