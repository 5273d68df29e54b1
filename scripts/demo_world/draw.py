"""Draw a scene as a photo: anti-aliased shapes, jitter, outlines, lighting, noise.

Drawing works at any size, from a 128-pixel training image to a 12-megapixel photo,
so the training stream and the JPEG test photos come from the same code.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from .world import COLOURS, POSITION_ANCHOR, SIZE_FRACTION, Scene


def _unit_polygon(shape: str):
    """Outline of a shape of diameter about 2, centred on the origin, y pointing down."""
    if shape == "circle":
        return [(math.cos(t), math.sin(t)) for t in np.linspace(0, 2 * math.pi, 72, endpoint=False)]
    if shape == "square":
        s = 0.86
        return [(-s, -s), (s, -s), (s, s), (-s, s)]
    if shape == "triangle":
        return [(math.cos(a), math.sin(a) + 0.12) for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
    if shape == "star":
        points = []
        for k in range(10):
            r = 1.0 if k % 2 == 0 else 0.42
            a = -math.pi / 2 + k * math.pi / 5
            points.append((r * math.cos(a), r * math.sin(a) + 0.08))
        return points
    if shape == "heart":
        points = []
        for t in np.linspace(0, 2 * math.pi, 80, endpoint=False):
            x = 16 * math.sin(t) ** 3
            y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
            points.append((x / 16.5, -y / 16.5 - 0.05))
        return points
    if shape == "cross":
        w, e = 0.32, 0.92
        return [(-w, -e), (w, -e), (w, -w), (e, -w), (e, w), (w, w), (w, e), (-w, e), (-w, w), (-e, w), (-e, -w), (-w, -w)]
    if shape == "hexagon":
        return [(math.cos(a), math.sin(a)) for a in (-math.pi / 2 + k * math.pi / 3 for k in range(6))]
    if shape == "diamond":
        return [(0.0, -1.0), (0.62, 0.0), (0.0, 1.0), (-0.62, 0.0)]
    raise ValueError(f"unknown shape {shape!r}")


def _place(points, cx, cy, radius, angle):
    c, s = math.cos(angle), math.sin(angle)
    return [(cx + radius * (x * c - y * s), cy + radius * (x * s + y * c)) for x, y in points]


def _draw_shape(img, shape, colour, cx, cy, diameter, angle, outline):
    """Paint one shape through an anti-aliased mask drawn supersampled in its own patch."""
    radius = diameter / 2
    x0, y0 = int(math.floor(cx - radius * 1.2)), int(math.floor(cy - radius * 1.2))
    x1, y1 = int(math.ceil(cx + radius * 1.2)), int(math.ceil(cy + radius * 1.2))
    side = max(x1 - x0, y1 - y0)
    ss = 4 if side < 300 else 2 if side < 1200 else 1
    mask = Image.new("L", ((x1 - x0) * ss, (y1 - y0) * ss), 0)
    draw = ImageDraw.Draw(mask)
    unit = _unit_polygon(shape)
    lx, ly = (cx - x0) * ss, (cy - y0) * ss
    draw.polygon(_place(unit, lx, ly, radius * ss, angle), fill=255)
    if outline:
        draw.polygon(_place(unit, lx, ly, radius * ss * (1 - outline), angle), fill=0)
    if ss > 1:
        mask = mask.resize((x1 - x0, y1 - y0), Image.BOX)
    img.paste(colour, (x0, y0), mask)


def _jittered(rng: random.Random, rgb):
    return tuple(max(0, min(255, v + rng.randint(-10, 10))) for v in rgb)


def _layout(scene: Scene, rng: random.Random, width: int, height: int):
    """Centre (x, y, diameter) of every shape to draw, in pixels, as (thing_index, ...)."""
    unit = min(width, height)
    out = []
    if scene.is_pair:
        near, far = (0.18, 0.32), (0.68, 0.82)
        along = [rng.uniform(*near), rng.uniform(*far)]
        across = [0.5 + rng.uniform(-0.13, 0.13), 0.5 + rng.uniform(-0.13, 0.13)]
        if scene.relation in ("right_of", "below"):
            along.reverse()
        horizontal = scene.relation in ("left_of", "right_of")
        for i, thing in enumerate(scene.things):
            d = SIZE_FRACTION[thing.size] * unit * rng.uniform(0.92, 1.08)
            fx, fy = (along[i], across[i]) if horizontal else (across[i], along[i])
            out.append((i, fx * width, fy * height, d))
    else:
        thing = scene.things[0]
        ax, ay = POSITION_ANCHOR[scene.position]
        ax += rng.uniform(-0.04, 0.04)
        ay += rng.uniform(-0.04, 0.04)
        d = SIZE_FRACTION[thing.size] * unit * rng.uniform(0.92, 1.08)
        n = thing.count
        if scene.position in ("left", "right"):
            vertical = True
        elif scene.position in ("top", "bottom"):
            vertical = False
        else:
            vertical = rng.random() < 0.5
        spacing = d * rng.uniform(1.12, 1.3)
        room = 0.92 * (height if vertical else width)
        needed = (n - 1) * spacing + d
        if needed > room:
            spacing *= room / needed
            d *= room / needed
        for k in range(n):
            offset = (k - (n - 1) / 2) * spacing
            x = ax * width + (0 if vertical else offset)
            y = ay * height + (offset if vertical else 0)
            x += rng.uniform(-0.03, 0.03) * d
            y += rng.uniform(-0.03, 0.03) * d
            out.append((0, x, y, d))
    # Keep every shape inside the frame, whatever the jitter did.
    fitted = []
    for i, x, y, d in out:
        r = d / 2 * 1.05
        fitted.append((i, min(max(x, r), width - r), min(max(y, r), height - r), d))
    return fitted


def render(scene: Scene, width: int, height: int) -> Image.Image:
    """The scene as an upright RGB image of the given size."""
    rng = random.Random(scene.style.seed)
    img = Image.new("RGB", (width, height), _jittered(rng, COLOURS[scene.background]))
    colours = [_jittered(rng, COLOURS[t.colour]) for t in scene.things]
    outlines = [rng.uniform(0.26, 0.36) if o else 0.0 for o in scene.style.outline] or [0.0] * len(scene.things)
    for i, x, y, d in _layout(scene, rng, width, height):
        angle = math.radians(rng.uniform(-12, 12))
        _draw_shape(img, scene.things[i].shape, colours[i], x, y, d, angle, outlines[i])
    img = _light(img, rng)
    return _add_noise(img, rng)


def _light(img: Image.Image, rng: random.Random) -> Image.Image:
    """A soft linear lighting gradient, darkening by at most 12 %."""
    strength = rng.uniform(0.0, 0.12)
    angle = rng.uniform(0, 2 * math.pi)
    g = 16
    xs, ys = np.meshgrid(np.linspace(-0.5, 0.5, g), np.linspace(-0.5, 0.5, g))
    ramp = (xs * math.cos(angle) + ys * math.sin(angle)) + 0.5
    factor = 255 * (1 - strength * np.clip(ramp, 0, 1))
    shade = Image.fromarray(factor.astype(np.uint8), "L").resize(img.size, Image.BILINEAR)
    return ImageChops.multiply(img, Image.merge("RGB", (shade, shade, shade)))


def _add_noise(img: Image.Image, rng: random.Random) -> Image.Image:
    amplitude = rng.randint(2, 6)
    noise_rng = np.random.default_rng(rng.getrandbits(32))
    w, h = img.size
    noise = noise_rng.integers(-amplitude, amplitude + 1, size=(h, w, 1), dtype=np.int16)
    pixels = np.asarray(img, dtype=np.int16) + noise
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
