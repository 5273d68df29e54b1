"""Write tests/fixtures/immich-tiny: a tiny model folder laid out as Immich publishes its
CLIP exports (config.json, visual/model.onnx + preprocess_cfg.json, textual/model.onnx +
tokenizer_config.json), for the `motis models import` tests.

The towers are small on purpose and use what Immich's exports use and motis's own do not:
inputs named `image` and `text`, int32 token ids padded to 77, one text per call.
- image: the per-channel mean of the normalised pixels times a 3 x 8 matrix, so a photo
  of one solid colour has an embedding the test can compute by hand;
- text: the mean over the 77 positions of rows (id mod 97) of a 97 x 8 table.
expected.json holds the text embeddings onnxruntime gives for open_clip's tokens of a
few captions. The tokenizer.json is not committed here (3.6 MB): the tests copy
models/tokenizers/clip-bpe/tokenizer.json beside the model, as Immich ships one.

    .venv/bin/python scripts/make_import_fixture.py      (needs scripts/setup --train)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import open_clip
from onnx import TensorProto, helper, numpy_helper

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "immich-tiny"
DIM, SIZE, CONTEXT, VOCAB = 8, 32, 77, 97
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
CAPTIONS = ["a photo of a dog", "two red stars on a blue background", "reset"]


def save(graph, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="motis fixture")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, path)


def main() -> None:
    rng = np.random.default_rng(0)
    colour_matrix = rng.standard_normal((3, DIM)).astype(np.float32)
    table = rng.standard_normal((VOCAB, DIM)).astype(np.float32)

    image = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["image"], ["channels"], axes=[2, 3], keepdims=0),
            helper.make_node("MatMul", ["channels", "colour_matrix"], ["embedding"]),
        ],
        "visual",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIM])],
        [numpy_helper.from_array(colour_matrix, "colour_matrix")],
    )
    save(image, OUT / "visual" / "model.onnx")

    text = helper.make_graph(
        [
            helper.make_node("Mod", ["text", "vocab"], ["rows"]),
            helper.make_node("Gather", ["table", "rows"], ["vectors"], axis=0),
            helper.make_node("ReduceMean", ["vectors"], ["embedding"], axes=[1], keepdims=0),
        ],
        "textual",
        [helper.make_tensor_value_info("text", TensorProto.INT32, [1, CONTEXT])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, DIM])],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(np.array(VOCAB, np.int32), "vocab")],
    )
    save(text, OUT / "textual" / "model.onnx")

    config = {"embed_dim": DIM, "vision_cfg": {"image_size": SIZE}, "text_cfg": {"context_length": CONTEXT}}
    (OUT / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    preprocess = {"size": [SIZE, SIZE], "mode": "RGB", "mean": MEAN, "std": STD, "interpolation": "bicubic",
                  "resize_mode": "shortest", "fill_color": 0}
    (OUT / "visual" / "preprocess_cfg.json").write_text(json.dumps(preprocess, indent=1) + "\n")
    (OUT / "textual" / "tokenizer_config.json").write_text(json.dumps({"pad_token": "<|endoftext|>"}, indent=1) + "\n")

    session = onnxruntime.InferenceSession(OUT / "textual" / "model.onnx")
    expected = {}
    for caption in CAPTIONS:
        ids = open_clip.tokenize([caption]).numpy().astype(np.int32)
        vector = session.run(None, {"text": ids})[0][0]
        expected[caption] = (vector / np.linalg.norm(vector)).tolist()
    (OUT / "expected.json").write_text(json.dumps({"colour_matrix": colour_matrix.tolist(), "text": expected}, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
