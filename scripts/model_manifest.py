"""Model folders as the engine reads them (models/README.md): image settings in the
manifest's terms, checksums, the shared tokenizer, and int8 copies.

No torch here: what needs only scripts/requirements.txt (onnxruntime, numpy) is usable
and tested without the export packages. scripts/clip_export.py builds on it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKENIZER = ROOT / "models" / "tokenizers" / "clip-bpe" / "tokenizer.json"
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
# What the engine implements (crates/embed/src/manifest.rs); a model that needs anything
# else is refused here rather than written into a manifest motis would refuse.
RESIZE_MODES = ("shortest_side_centre_crop", "squash")
INTERPOLATIONS = ("bicubic",)
# PIL's resampling filter numbers, as image processors store them.
PIL_RESAMPLE = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}


class ExportError(Exception):
    pass


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_entry(*paths: Path) -> list[dict]:
    return [{"path": p.name, "sha256": sha256(p), "bytes": p.stat().st_size} for p in paths]


def write_manifest(folder: Path, manifest: dict) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def preprocessing(size, resize: str, interpolation: str, mean, std) -> dict:
    """The manifest's image settings (`size` is one side or [height, width]), refused
    when the engine cannot apply them."""
    height, width = (size, size) if isinstance(size, int) else size
    if resize not in RESIZE_MODES:
        raise ExportError(f"resize mode {resize!r} is not one motis implements ({', '.join(RESIZE_MODES)})")
    if interpolation not in INTERPOLATIONS:
        raise ExportError(f"interpolation {interpolation!r} is not one motis implements ({', '.join(INTERPOLATIONS)})")
    if len(mean) != 3 or len(std) != 3:
        raise ExportError(f"mean and std need three values (RGB): {mean}, {std}")
    return {
        "size": [int(height), int(width)], "resize": resize, "interpolation": interpolation,
        "mean": [float(m) for m in mean], "std": [float(s) for s in std],
    }


def hf_image_processor_config(folder: Path) -> dict:
    """preprocessor_config.json, or the image processor part of the processor_config.json
    that transformers 5 writes for a whole processor."""
    single = folder / "preprocessor_config.json"
    if single.is_file():
        return json.loads(single.read_text())
    return json.loads((folder / "processor_config.json").read_text())["image_processor"]


def hf_preprocessing(cfg: dict) -> dict:
    """The manifest's image settings from a CLIPImageProcessor configuration; keys it
    leaves out take CLIPImageProcessor's defaults."""
    if not cfg.get("do_convert_rgb", True) or not cfg.get("do_rescale", True) or not cfg.get("do_resize", True):
        raise ExportError("the image processor skips RGB conversion, rescaling or resizing; motis always does them")
    if abs(cfg.get("rescale_factor", 1 / 255) - 1 / 255) > 1e-9:
        raise ExportError(f"rescale_factor {cfg['rescale_factor']} is not 1/255")
    size = cfg.get("size", {"shortest_edge": 224})
    size = {"shortest_edge": size} if isinstance(size, int) else size
    if cfg.get("do_center_crop", True):
        crop = cfg.get("crop_size", {"height": 224, "width": 224})
        crop = {"height": crop, "width": crop} if isinstance(crop, int) else crop
        if size.get("shortest_edge") != min(crop["height"], crop["width"]):
            raise ExportError(f"the image processor resizes to {size} before cropping {crop}; motis resizes the shorter side to the crop")
        target, resize = (crop["height"], crop["width"]), "shortest_side_centre_crop"
    elif "height" in size:
        target, resize = (size["height"], size["width"]), "squash"
    else:
        raise ExportError(f"resizing to {size} without a centre crop gives photos of different sizes")
    normalize = cfg.get("do_normalize", True)
    resample = cfg.get("resample", 3)
    return preprocessing(
        target, resize, PIL_RESAMPLE.get(resample, f"PIL filter {resample}"),
        cfg.get("image_mean", CLIP_MEAN) if normalize else (0.0, 0.0, 0.0),
        cfg.get("image_std", CLIP_STD) if normalize else (1.0, 1.0, 1.0),
    )


def install_tokenizer(models_dir: Path) -> None:
    """Models find their tokenizer in models_dir/tokenizers/NAME beside them."""
    target = models_dir / "tokenizers" / "clip-bpe" / "tokenizer.json"
    if target.resolve() != TOKENIZER.resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TOKENIZER, target)


def write_int8(folder: Path) -> Path:
    """A copy of the model folder with int8 weights (dynamic quantisation: activations
    stay float and are quantised on the fly), as its own model `<id>-int8` beside it."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    manifest = json.loads((folder / "manifest.json").read_text())
    target = folder.parent / f"{manifest['id']}-int8"
    target.mkdir(parents=True, exist_ok=True)
    towers = [manifest["image"]["file"], manifest["text"]["file"]]
    for file in towers:
        quantize_dynamic(folder / file, target / file, weight_type=QuantType.QInt8)
    manifest.update(
        id=target.name,
        name=f"{manifest['name']}, int8 weights",
        files=files_entry(*(target / f for f in towers)),
        made_by={**manifest["made_by"], "quantised_from": manifest["id"], "quantisation": "onnxruntime quantize_dynamic, QInt8 weights"},
    )
    write_manifest(target, manifest)
    return target


def int8_drift(fp32: Path, int8: Path, photos: list[Path], texts: list[str]) -> dict:
    """Cosine between the int8 copy's embeddings and the fp32 model's, per tower, through
    the Python reference of the engine's pipeline; recorded in the int8 manifest."""
    from demo_world.onnx_model import OnnxModel

    a, b = OnnxModel(fp32), OnnxModel(int8)
    drift = {}
    for tower, (x, y) in {
        "image": (a.encode_images(photos, workers=1), b.encode_images(photos, workers=1)),
        "text": (a.encode_texts(texts), b.encode_texts(texts)),
    }.items():
        cosines = (x * y).sum(1)
        drift[tower] = {"items": len(cosines), "mean_cosine": round(float(cosines.mean()), 6), "worst_cosine": round(float(cosines.min()), 6)}
    manifest = json.loads((int8 / "manifest.json").read_text())
    manifest["made_by"]["cosine_to_fp32"] = drift
    write_manifest(int8, manifest)
    return drift
