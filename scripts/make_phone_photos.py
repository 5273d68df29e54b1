"""A folder of phone-sized photos for the gallery-at-once tests and benchmark.

    .venv/bin/python scripts/make_phone_photos.py COUNT FOLDER [--without-thumbnails] [--noisy]

Writes 24 distinct 4032×3024 JPEGs (12 MP, a phone camera's size; smooth colour fields
with grain and a few shapes, quality 90: about 3 MB each, as a phone writes), a third of them with the EXIF
orientation a phone held upright writes, each with the 160×120 EXIF thumbnail phone
cameras embed (unless --without-thumbnails: photos as editors and exports often write
them), then fills FOLDER with COUNT photos named
IMG_0001.jpg… as hard links to them, so that 10,000 photos take 24 photos' disk space. A
scan still reads and hashes every one of them. Deterministic: the same COUNT gives the
same files.

--noisy writes what a phone's small sensor gives in ordinary light instead: luminance and
chroma noise at the pixel level (sigma 14 and 6 levels), each photo at a quality between
85 and 92, 4:2:0 as phones write them, about 4.7 MB each. Entropy decoding, which DCT
scaling does not shorten, is then most of a decode's cost, as with real phone photos:
what `scripts/bench-indexing` measures on.
"""

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_world.photos import EXIF_ORIENTATION, exif_with_thumbnail  # noqa: E402

WIDTH, HEIGHT = 4032, 3024
DISTINCT = 24


def photo(seed: int, noisy: bool = False) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT:8, 0:WIDTH:8].astype(np.float32)
    channels = []
    for _ in range(3):
        a, b, c = rng.uniform(-1, 1, 3)
        field = np.sin(x / rng.uniform(200, 900) * a + y / rng.uniform(200, 900) * b + c * 6)
        channels.append(128 + 90 * field)
    small = np.stack(channels, axis=-1)
    image = Image.fromarray(small.clip(0, 255).astype(np.uint8)).resize((WIDTH, HEIGHT), Image.BILINEAR)
    grain = rng.normal(0, 14 if noisy else 6, (HEIGHT, WIDTH, 1)).astype(np.float32)
    if noisy:
        grain = grain + rng.normal(0, 6, (HEIGHT, WIDTH, 3)).astype(np.float32)
    pixels = (np.asarray(image, dtype=np.float32) + grain).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        left, top = rng.integers(0, WIDTH - 800), rng.integers(0, HEIGHT - 800)
        size = int(rng.integers(300, 800))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse((left, top, left + size, top + size), fill=colour)
    return image


def main() -> None:
    count, folder = int(sys.argv[1]), Path(sys.argv[2])
    thumbnails = "--without-thumbnails" not in sys.argv[3:]
    noisy = "--noisy" in sys.argv[3:]
    folder.mkdir(parents=True, exist_ok=True)
    originals = folder / ((".originals" if thumbnails else ".originals-without-thumbnails") + ("-noisy" if noisy else ""))
    originals.mkdir(exist_ok=True)
    for seed in range(DISTINCT):
        path = originals / f"original-{seed:02d}.jpg"
        if path.exists():
            continue
        orientation = 6 if seed % 3 == 0 else 1  # 6: turned 90° clockwise, a phone held upright
        stored = photo(seed, noisy)
        if thumbnails:
            exif = exif_with_thumbnail(stored, orientation)
        else:
            exif = Image.Exif()
            exif[EXIF_ORIENTATION] = orientation
        quality = 85 + seed % 8 if noisy else 90
        stored.save(path, quality=quality, subsampling="4:2:0", exif=exif)
    for number in range(1, count + 1):
        target = folder / f"IMG_{number:04d}.jpg"
        if not target.exists():
            os.link(originals / f"original-{number % DISTINCT:02d}.jpg", target)
    kind = "noisy phone-sized" if noisy else "phone-sized"
    print(f"{count} {kind} photos in {folder} ({DISTINCT} distinct, hard-linked)")


if __name__ == "__main__":
    main()
