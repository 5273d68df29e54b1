"""The training stream: scenes rendered straight at model-input size, in twin pairs.

Each pair is a scene and either a twin that differs in one captioned attribute (so a
batch holds hard negatives such as the same two shapes in the other order) or an
unrelated scene. Held-out compositions never appear here.
"""

from __future__ import annotations

import multiprocessing
import os
import random

import numpy as np

from .draw import render
from .photos import LANDSCAPE_SIZES
from .preprocess import model_input
from .world import perturb_scene, sample_scene

TWIN_SHARE = 0.5


def _small_photo_size(rng: random.Random, long_side: int):
    width, height = rng.choice(LANDSCAPE_SIZES)
    height = round(long_side * height / width)
    return (height, long_side) if rng.random() < 0.35 else (long_side, height)


def pair_scenes(rng: random.Random):
    """(scene, scene, the attribute that tells them apart or None if unrelated)."""
    first = sample_scene(rng, allow_held_out=False)
    if rng.random() < TWIN_SHARE:
        second, attribute = perturb_scene(rng, first, allow_held_out=False)
    else:
        second, attribute = sample_scene(rng, allow_held_out=False), None
    return first, second, attribute


def _render_pair(job):
    seed, index, size = job
    rng = random.Random(f"{seed}:{index}")
    first, second, attribute = pair_scenes(rng)
    # A uint8 image, squashed to the model's size exactly as the manifest tells the engine.
    config = {"size": (size, size), "resize": "squash", "mean": (0, 0, 0), "std": (1 / 255,) * 3}
    pixels = []
    for scene in (first, second):
        width, height = _small_photo_size(rng, long_side=2 * size)
        pixels.append(model_input(render(scene, width, height), config).round().astype(np.uint8))
    return np.stack(pixels), (first, second), attribute


def render_stream(pairs: int, size: int, seed: str, workers: int = os.cpu_count() or 1):
    """(pixels uint8 [2*pairs, 3, size, size], scenes, twin attribute per pair or None)."""
    pixels = np.empty((2 * pairs, 3, size, size), dtype=np.uint8)
    scenes, attributes = [], []
    jobs = [(seed, i, size) for i in range(pairs)]
    with multiprocessing.Pool(workers) as pool:
        for i, (pair_pixels, pair_scenes, attribute) in enumerate(pool.imap(_render_pair, jobs, chunksize=64)):
            pixels[2 * i : 2 * i + 2] = pair_pixels
            scenes.extend(pair_scenes)
            attributes.append(attribute)
    return pixels, scenes, attributes
