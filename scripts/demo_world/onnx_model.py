"""A model folder (manifest + ONNX files) run with onnxruntime: the Python reference of
what the engine does with any CLIP-family model."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort

from .preprocess import load_upright, model_input
from .tokenize import ClipTokenizer

MODELS = Path(__file__).resolve().parents[2] / "models"


class ModelError(Exception):
    pass


def _preprocess(job):
    path, image_config = job
    return model_input(load_upright(path), image_config)


class OnnxModel:
    def __init__(self, folder: Path, threads: int = 2):
        self.folder = Path(folder)
        self.manifest = json.loads((self.folder / "manifest.json").read_text())
        self.verify()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        image, text = self.manifest["image"], self.manifest["text"]
        self.image = ort.InferenceSession(str(self.folder / image["file"]), options, providers=["CPUExecutionProvider"])
        self.text = ort.InferenceSession(str(self.folder / text["file"]), options, providers=["CPUExecutionProvider"])
        self.tokenizer = ClipTokenizer(MODELS / "tokenizers" / text["tokenizer"] / "tokenizer.json", text["context_length"])

    def verify(self) -> None:
        for entry in self.manifest["files"]:
            path = self.folder / entry["path"]
            if not path.is_file():
                raise ModelError(f"{path}: missing")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != entry["sha256"]:
                raise ModelError(f"{path}: sha256 is {digest}, manifest says {entry['sha256']}")

    def encode_pixels(self, pixels: np.ndarray, batch: int = 64) -> np.ndarray:
        image = self.manifest["image"]
        out = [self.image.run([image["output"]], {image["input"]: pixels[i : i + batch]})[0] for i in range(0, len(pixels), batch)]
        return _normalised(np.concatenate(out))

    def encode_images(self, paths, workers: int = os.cpu_count() or 1) -> np.ndarray:
        """L2-normalised embeddings of photo files, preprocessed as the manifest says."""
        jobs = [(str(p), self.manifest["image"]) for p in paths]
        if workers > 1 and len(jobs) > 16:
            with multiprocessing.Pool(workers) as pool:
                pixels = np.stack(pool.map(_preprocess, jobs, chunksize=16))
        else:
            pixels = np.stack([_preprocess(job) for job in jobs])
        return self.encode_pixels(pixels)

    def encode_texts(self, texts, batch: int = 256) -> np.ndarray:
        """L2-normalised embeddings of queries, each batch cut to its longest sequence
        when the manifest says the tower allows it."""
        text = self.manifest["text"]
        out = []
        for i in range(0, len(texts), batch):
            pad_to = None if text["dynamic_length"] else text["context_length"]
            ids = self.tokenizer.ids(texts[i : i + batch], pad_to=pad_to)
            out.append(self.text.run([text["output"]], {text["input"]: ids})[0])
        return _normalised(np.concatenate(out))


def _normalised(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)
