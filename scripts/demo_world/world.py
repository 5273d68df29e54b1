"""The shapes world: its vocabulary, what a scene is, and how scenes are sampled.

A scene is described in upright, normalised coordinates; drawing it (draw.py) and
describing it in words (captions.py) both read only this description, so a caption
can always be checked against its picture.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Optional

SHAPES = ("circle", "square", "triangle", "star", "heart", "cross", "hexagon", "diamond")

COLOURS = {
    "red": (214, 32, 36),
    "orange": (246, 138, 24),
    "yellow": (246, 216, 36),
    "green": (44, 158, 58),
    "blue": (34, 82, 214),
    "purple": (128, 48, 168),
    "pink": (246, 132, 186),
    "brown": (118, 74, 36),
    "black": (22, 22, 22),
    "white": (244, 244, 244),
    "gray": (128, 128, 128),
}

SIZES = ("small", "medium", "large")
# Object diameter as a fraction of the photo's shorter side.
SIZE_FRACTION = {"small": 0.15, "medium": 0.23, "large": 0.31}

POSITIONS = ("left", "right", "top", "bottom", "centre")
POSITION_ANCHOR = {
    "left": (0.22, 0.5),
    "right": (0.78, 0.5),
    "top": (0.5, 0.22),
    "bottom": (0.5, 0.78),
    "centre": (0.5, 0.5),
}

# For two-object scenes: where the first object is relative to the second.
RELATIONS = ("left_of", "right_of", "above", "below")
OPPOSITE = {"left_of": "right_of", "right_of": "left_of", "above": "below", "below": "above"}

# Compositions that never appear in the training stream, though each word does.
HELD_OUT = (("purple", "hexagon"), ("orange", "heart"))

# Shapes whose thick outline still reads as the shape; the thin arms of a star or a
# cross would vanish when outlined.
OUTLINE_SHAPES = ("circle", "square", "triangle", "heart", "hexagon", "diamond")


@dataclasses.dataclass(frozen=True)
class Thing:
    """One coloured shape, repeated `count` times."""

    shape: str
    colour: str
    size: str
    count: int = 1


@dataclasses.dataclass(frozen=True)
class Style:
    """Variation a model must learn to ignore: it never changes a caption."""

    seed: int
    outline: tuple = ()  # per thing: drawn as a thick outline instead of filled


@dataclasses.dataclass(frozen=True)
class Scene:
    """Either one group of identical things at a position, or two things in a relation."""

    background: str
    things: tuple
    position: Optional[str] = None  # one-group scenes
    relation: Optional[str] = None  # two-thing scenes: things[0] <relation> things[1]
    style: Style = Style(seed=0)

    @property
    def is_pair(self) -> bool:
        return len(self.things) == 2

    def compositions(self):
        return {(t.colour, t.shape) for t in self.things}

    def has_held_out(self) -> bool:
        return bool(self.compositions() & set(HELD_OUT))


def _pick_thing(rng: random.Random, allow_held_out: bool, avoid=()) -> Thing:
    while True:
        shape = rng.choice(SHAPES)
        colour = rng.choice(tuple(COLOURS))
        if not allow_held_out and (colour, shape) in HELD_OUT:
            continue
        if any(colour == a.colour or shape == a.shape for a in avoid):
            continue
        return Thing(shape=shape, colour=colour, size=rng.choice(SIZES))


def _pick_background(rng: random.Random, things) -> str:
    used = {t.colour for t in things}
    return rng.choice([c for c in COLOURS if c not in used])


def _pick_style(rng: random.Random, things) -> Style:
    outline = tuple(
        t.shape in OUTLINE_SHAPES and t.size != "small" and rng.random() < 0.25 for t in things
    )
    return Style(seed=rng.getrandbits(32), outline=outline)


def sample_scene(rng: random.Random, allow_held_out: bool = True) -> Scene:
    if rng.random() < 0.55:
        thing = dataclasses.replace(
            _pick_thing(rng, allow_held_out), count=rng.choice((1, 1, 2, 3))
        )
        things = (thing,)
        return Scene(
            background=_pick_background(rng, things),
            things=things,
            position=rng.choice(POSITIONS),
            style=_pick_style(rng, things),
        )
    first = _pick_thing(rng, allow_held_out)
    second = _pick_thing(rng, allow_held_out, avoid=(first,))
    things = (first, second)
    return Scene(
        background=_pick_background(rng, things),
        things=things,
        relation=rng.choice(RELATIONS),
        style=_pick_style(rng, things),
    )


def perturb_scene(rng: random.Random, scene: Scene, allow_held_out: bool = True):
    """A twin of `scene` that differs in exactly one captioned attribute.

    Returns (twin, attribute). Training puts twins side by side in a batch so that the
    contrastive loss must tell, say, "a red star left of a blue square" from "a blue
    square left of a red star" instead of matching bags of words.
    """
    options = ["background", "colour", "shape", "size"]
    options += ["relation", "swap_colours", "swap_shapes"] if scene.is_pair else ["count", "position"]
    while True:
        attribute = rng.choice(options)
        twin = _perturbed(rng, scene, attribute)
        if twin is None or twin == scene:
            continue
        if not allow_held_out and twin.has_held_out():
            continue
        if twin.background in {t.colour for t in twin.things}:
            continue
        if twin.is_pair and (
            twin.things[0].colour == twin.things[1].colour
            or twin.things[0].shape == twin.things[1].shape
        ):
            continue
        kind = {"swap_colours": "colour", "swap_shapes": "shape"}.get(attribute, attribute)
        return dataclasses.replace(twin, style=_pick_style(rng, twin.things)), kind


def _perturbed(rng: random.Random, scene: Scene, attribute: str) -> Optional[Scene]:
    things = list(scene.things)
    i = rng.randrange(len(things))
    if attribute == "background":
        return dataclasses.replace(scene, background=_pick_background(rng, things))
    if attribute == "colour":
        things[i] = dataclasses.replace(things[i], colour=rng.choice(tuple(COLOURS)))
    elif attribute == "shape":
        things[i] = dataclasses.replace(things[i], shape=rng.choice(SHAPES))
    elif attribute == "size":
        things[i] = dataclasses.replace(things[i], size=rng.choice(SIZES))
    elif attribute == "count":
        things[i] = dataclasses.replace(things[i], count=rng.choice((1, 2, 3)))
    elif attribute == "position":
        return dataclasses.replace(scene, position=rng.choice(POSITIONS))
    elif attribute == "relation":
        return dataclasses.replace(scene, relation=OPPOSITE[scene.relation])
    elif attribute == "swap_colours":
        a, b = things
        things = [dataclasses.replace(a, colour=b.colour), dataclasses.replace(b, colour=a.colour)]
    elif attribute == "swap_shapes":
        a, b = things
        things = [dataclasses.replace(a, shape=b.shape), dataclasses.replace(b, shape=a.shape)]
    return dataclasses.replace(scene, things=tuple(things))


def scene_to_json(scene: Scene) -> dict:
    return {
        "background": scene.background,
        "things": [dataclasses.asdict(t) for t in scene.things],
        "position": scene.position,
        "relation": scene.relation,
    }
