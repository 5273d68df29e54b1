"""Export a trained demo model to ONNX and write its manifest.

    python -m demo_world.export --checkpoint build/demo-model/checkpoint.pt --out models/motis-demo

Both towers take a dynamic batch; the text tower also a dynamic sequence length (2..77),
which is exact because it is causal and pools at the end-of-text token. The export is
checked against the PyTorch model with onnxruntime before the manifest is written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from .captions import EXAMPLE_SEARCHES
from .model import DualEncoder
from .tokenize import END, START

IMAGE_INPUT, IMAGE_OUTPUT = "pixel_values", "image_embeds"
TEXT_INPUT, TEXT_OUTPUT = "input_ids", "text_embeds"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _commit() -> str:
    result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent)
    return result.stdout.strip() or "unknown"


def _export(module, example, path: Path, input_name, output_name, dynamic) -> None:
    torch.onnx.export(
        module,
        (example,),
        str(path),
        input_names=[input_name],
        output_names=[output_name],
        dynamic_axes={input_name: dynamic, output_name: {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )


def _check(model: DualEncoder, image_path: Path, text_path: Path, size: int) -> float:
    """Largest difference between PyTorch and onnxruntime outputs over varied inputs."""
    generator = torch.Generator().manual_seed(1)
    image = ort.InferenceSession(str(image_path), providers=["CPUExecutionProvider"])
    text = ort.InferenceSession(str(text_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    with torch.no_grad():
        for batch in (1, 5):
            x = torch.randn(batch, 3, size, size, generator=generator)
            got = image.run([IMAGE_OUTPUT], {IMAGE_INPUT: x.numpy()})[0]
            worst = max(worst, float(np.abs(got - model.image(x).numpy()).max()))
        vocabulary = torch.nonzero(model.text.clip_to_local).flatten()
        for batch, length in ((1, 2), (3, 9), (2, 40), (4, 77)):
            ids = vocabulary[torch.randint(len(vocabulary), (batch, length), generator=generator)]
            ids[:, 0], ids[:, -1] = START, END
            got = text.run([TEXT_OUTPUT], {TEXT_INPUT: ids.numpy()})[0]
            worst = max(worst, float(np.abs(got - model.text(ids).numpy()).max()))
            # Zero padding after the end token must not change the embedding.
            padded = torch.cat([ids, torch.zeros(batch, 77 - length, dtype=ids.dtype)], 1)[:, :77]
            got_padded = text.run([TEXT_OUTPUT], {TEXT_INPUT: padded.numpy()})[0]
            worst = max(worst, float(np.abs(got_padded - got).max()))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--id", default="motis-demo")
    args = parser.parse_args()
    saved = torch.load(args.checkpoint, weights_only=False)
    size, dim = saved["size"], saved["dim"]
    model = DualEncoder(saved["state"]["text.clip_to_local"], size, dim, saved["widths"])
    model.load_state_dict(saved["state"])
    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    image_path, text_path = args.out / "image.onnx", args.out / "text.onnx"
    _export(model.image, torch.zeros(2, 3, size, size), image_path, IMAGE_INPUT, IMAGE_OUTPUT, {0: "batch"})
    example_ids = torch.tensor([[START, 320, 736, 2368, END, 0], [START, 320, 1746, END, 0, 0]])
    _export(model.text, example_ids, text_path, TEXT_INPUT, TEXT_OUTPUT, {0: "batch", 1: "sequence"})
    worst = _check(model, image_path, text_path, size)
    if worst > 1e-3:
        raise SystemExit(f"onnxruntime differs from PyTorch by {worst:.2e}: export is wrong")
    manifest = {
        "format": 1,
        "id": args.id,
        "name": "motis demo: shapes-world dual encoder",
        "description": (
            "A small CLIP-style dual encoder trained by motis on its own rendered shapes world "
            "(8 shapes, 11 colours, sizes, counts, positions, relations). It understands only that world."
        ),
        "embedding_dim": dim,
        "normalized": False,
        "image": {
            "file": image_path.name,
            "input": IMAGE_INPUT,
            "output": IMAGE_OUTPUT,
            "size": [size, size],
            "resize": "squash",
            "interpolation": "bicubic",
            "mean": list(saved["mean"]),
            "std": list(saved["std"]),
        },
        "text": {
            "file": text_path.name,
            "input": TEXT_INPUT,
            "output": TEXT_OUTPUT,
            "tokenizer": "clip-bpe",
            "context_length": 77,
            "dynamic_length": True,
        },
        "files": [{"path": p.name, "sha256": sha256(p), "bytes": p.stat().st_size} for p in (image_path, text_path)],
        "licence": "MIT",
        "examples": [text for text, _ in EXAMPLE_SEARCHES],
        "made_by": {
            "command": "scripts/build-demo-model",
            "commit": _commit(),
            "training": saved["args"],
            "onnx_max_abs_difference_to_pytorch": worst,
        },
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(f["bytes"] for f in manifest["files"])
    print(f"exported {args.out} ({total / 1e6:.2f} MB, onnxruntime vs PyTorch max abs diff {worst:.1e})")


if __name__ == "__main__":
    main()
