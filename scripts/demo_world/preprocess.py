"""Reference image preprocessing: how a photo file becomes a model input tensor.

This is what the manifest's image settings mean; the engine reproduces it in Rust.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps


def load_upright(path) -> Image.Image:
    """Decode a photo, apply its EXIF orientation and convert it to RGB."""
    with Image.open(path) as img:
        return ImageOps.exif_transpose(img).convert("RGB")


def model_input(img: Image.Image, image_config: dict) -> np.ndarray:
    """A float32 CHW tensor for one upright RGB image, as the manifest's `image` says."""
    height, width = image_config["size"]
    mode = image_config["resize"]
    if mode == "squash":
        img = img.resize((width, height), Image.BICUBIC)
    elif mode == "shortest_side_centre_crop":
        # As open_clip's torchvision Resize(shortest side) and CenterCrop round.
        short = min(width, height)
        if img.width <= img.height:
            resized = (short, int(short * img.height / img.width))
        else:
            resized = (int(short * img.width / img.height), short)
        img = img.resize(resized, Image.BICUBIC)
        left = int(round((resized[0] - width) / 2.0))
        top = int(round((resized[1] - height) / 2.0))
        img = img.crop((left, top, left + width, top + height))
    else:
        raise ValueError(f"unknown resize mode {mode!r}")
    pixels = np.asarray(img, dtype=np.float32) / 255.0
    mean = np.asarray(image_config["mean"], dtype=np.float32)
    std = np.asarray(image_config["std"], dtype=np.float32)
    return ((pixels - mean) / std).transpose(2, 0, 1).copy()
