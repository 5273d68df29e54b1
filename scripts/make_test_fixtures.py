"""Write the image fixtures and the Python reference outputs the Rust tests compare with.

    PYTHONPATH=scripts .venv/bin/python scripts/make_test_fixtures.py [--model-outputs]

tests/fixtures/images/   small photos of the shapes world in every format, colour mode
                         and EXIF orientation the engine must read
tests/fixtures/reference/<name>.<mode>.png
                         the photo preprocessed by the reference (Pillow, bicubic) to the
                         demo model's input size, before normalisation: 8-bit, so PNG
                         holds it exactly
tests/fixtures/bad/       files named like photos that are not decodable ones: empty,
                         truncated, text, and a PNG whose header claims 100,000 ×
                         100,000 pixels (a decompression bomb)
tests/fixtures/exif-thumbnail/
                         a photo held upright (EXIF orientation 6) carrying the EXIF
                         thumbnail a phone camera embeds, and the same photo without one
tests/fixtures/heif/      a photo as HEIC (photo.heic), as AVIF (photo.avif), and as HEIC
                         stored sideways with the rotation in its irot box as phones
                         write it (rotated.heic, from a JPEG held upright by EXIF
                         orientation 6: heif-enc turns that into irot and keeps the EXIF),
                         beside the pixels they were encoded from (upright.png). Written
                         by Debian's heif-enc (libheif-examples, libheif-plugin-x265,
                         libheif-plugin-aomenc); x265 and aom need not repeat their bytes
tests/fixtures/reference.json
                         per photo: upright size, and the demo model's embedding (squash)
                         computed with onnxruntime from the reference tensor

Deterministic, but for the HEIF files: the same script and packages write the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from demo_world.draw import render
from demo_world.onnx_model import MODELS, OnnxModel
from demo_world.photos import EXIF_ORIENTATION, STORE_FOR_ORIENTATION, exif_with_thumbnail
from demo_world.preprocess import load_upright, model_input
from demo_world.world import sample_scene

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
MODES = {"squash": "squash", "crop": "shortest_side_centre_crop"}


def _scene_image(name: str, width: int, height: int) -> Image.Image:
    return render(sample_scene(random.Random(f"fixture:{name}")), width, height)


def _with_orientation(img: Image.Image, path: Path, orientation: int) -> None:
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    img.transpose(STORE_FOR_ORIENTATION[orientation]).save(path, "JPEG", quality=90, exif=exif.tobytes())


def write_images(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for orientation in range(2, 9):
        _with_orientation(_scene_image(f"o{orientation}", 160, 120), folder / f"orientation-{orientation}.jpg", orientation)
    _scene_image("landscape", 200, 150).save(folder / "landscape.jpg", quality=85)
    # A phone-sized photo, for the reduced (DCT-scaled) JPEG decoding path.
    _scene_image("large", 2592, 1944).save(folder / "large.jpg", quality=80)
    _scene_image("portrait", 120, 200).save(folder / "portrait.jpg", quality=75)
    _scene_image("wide", 400, 100).save(folder / "panorama.jpg", quality=90)
    _scene_image("tiny", 7, 5).save(folder / "tiny.png")
    _scene_image("one", 1, 1).save(folder / "one-pixel.png")
    _scene_image("png", 150, 150).save(folder / "rgb.png")
    rgba = _scene_image("rgba", 140, 100).convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(rgba.size))
    rgba.save(folder / "rgba.png")
    _scene_image("gray", 130, 90).convert("L").save(folder / "gray.png")
    _scene_image("gray-alpha", 90, 130).convert("LA").save(folder / "gray-alpha.png")
    _scene_image("palette", 120, 120).convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(folder / "palette.png")
    sixteen = (np.asarray(_scene_image("16bit", 100, 80), dtype=np.uint16) * 257).astype(">u2")
    _write_png16(folder / "rgb16.png", sixteen)
    _scene_image("webp", 160, 100).save(folder / "photo.webp", lossless=True)
    frames = [_scene_image(f"gif{k}", 100, 100) for k in range(2)]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    _scene_image("bmp", 90, 60).save(folder / "photo.bmp")
    _scene_image("tiff", 110, 70).save(folder / "photo.tiff")
    _scene_image("cmyk", 120, 90).convert("CMYK").save(folder / "cmyk.jpg", quality=92)


def write_exif_thumbnail_photos(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stored = _scene_image("thumbnail", 640, 480).transpose(STORE_FOR_ORIENTATION[6])
    stored.save(folder / "with-thumbnail.jpg", quality=90, exif=exif_with_thumbnail(stored, 6))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    stored.save(folder / "without-thumbnail.jpg", quality=90, exif=exif.tobytes())

def write_heif_photos(folder: Path) -> None:
    import shutil
    import subprocess
    import tempfile

    if shutil.which("heif-enc") is None:
        raise SystemExit("heif-enc not found: apt-get install -t bookworm-backports libheif-examples "
                         "libheif-plugin-x265 libheif-plugin-aomenc")
    folder.mkdir(parents=True, exist_ok=True)
    # Shapes over red growing to the right and green growing downwards: any turn or
    # mirror changes most pixels a lot.
    scene = np.asarray(_scene_image("heif", 160, 120)).astype(np.float32)
    ys, xs = np.mgrid[0:120, 0:160]
    ramps = np.stack([xs / 159 * 255, ys / 119 * 255, np.full_like(xs, 128.0)], axis=-1)
    upright = Image.fromarray((0.5 * scene + 0.5 * ramps).round().astype(np.uint8), "RGB")
    upright.save(folder / "upright.png")
    with tempfile.TemporaryDirectory() as scratch:
        sideways = Path(scratch) / "sideways.jpg"
        _with_orientation(upright, sideways, 6)
        for source, out, flags in [("upright.png", "photo.heic", []), (sideways, "rotated.heic", []),
                                   ("upright.png", "photo.avif", ["-A"])]:
            subprocess.run(["heif-enc", "-q", "90", *flags, "-o", str(folder / out), str(folder / source)], check=True,
                           capture_output=True)


def write_bad_inputs(folder: Path) -> None:
    import struct
    import zlib

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.jpg").write_bytes(b"")
    whole = folder.parent / "images" / "landscape.jpg"
    data = whole.read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (folder / "not-a-photo.jpg").write_text("These are my holiday notes, not a photo.\n")

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    (folder / "bomb.png").write_bytes(bomb)


def _write_png16(path: Path, pixels: np.ndarray) -> None:
    """A 16-bit RGB PNG (Pillow writes 16-bit PNGs only for single-channel modes)."""
    import struct
    import zlib

    height, width, _ = pixels.shape
    raw = b"".join(b"\0" + pixels[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model-outputs",
        action="store_true",
        help="only what depends on the demo model (reference/ and reference.json): after retraining it",
    )
    args = parser.parse_args()
    images = FIXTURES / "images"
    reference = FIXTURES / "reference"
    if not args.model_outputs:
        write_images(images)
        write_bad_inputs(FIXTURES / "bad")
        write_exif_thumbnail_photos(FIXTURES / "exif-thumbnail")
        write_heif_photos(FIXTURES / "heif")
    shutil.rmtree(reference, ignore_errors=True)
    reference.mkdir(parents=True)
    model = OnnxModel(MODELS / "motis-demo")
    config = model.manifest["image"]
    raw = {**config, "mean": (0, 0, 0), "std": (1 / 255,) * 3}
    out = {}
    for path in sorted(images.iterdir()):
        upright = load_upright(path)
        entry = {"width": upright.width, "height": upright.height}
        for short, mode in MODES.items():
            pixels = model_input(upright, {**raw, "resize": mode}).round().astype(np.uint8)
            Image.fromarray(pixels.transpose(1, 2, 0), "RGB").save(reference / f"{path.name}.{short}.png")
        tensor = model_input(upright, config)
        entry["demo_embedding"] = [round(float(x), 7) for x in model.encode_pixels(tensor[None])[0]]
        out[path.name] = entry
    (FIXTURES / "reference.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {len(out)} fixtures to {FIXTURES}")


if __name__ == "__main__":
    main()
