"""Describe a scene in words the way a person would type a query.

Every attribute and relation has several phrasings, word order varies, and a caption
may leave attributes out (partial captions). What a caption says is always true of the
upright scene.
"""

from __future__ import annotations

import random
import re

from .world import OPPOSITE, Scene, Thing

ATTRIBUTES = ("background", "colour", "count", "position", "relation", "size")

PREFIXES = (
    "a photo of ",
    "an image of ",
    "a picture showing ",
    "a picture of ",
    "photo of ",
    "a photograph of ",
    "image of ",
)
COLOUR_WORDS = {"gray": ("gray", "grey")}
SIZE_WORDS = {"small": ("small", "little", "tiny"), "large": ("large", "big", "huge")}
COUNT_WORDS = {2: ("two", "two", "a pair of", "2"), 3: ("three", "three", "3")}
SINGLE_WORDS = ("a", "a", "a", "one", "a single")
PLURALS = {"cross": "crosses"}

POSITION_PHRASES = {
    "left": ("on the left", "at the left", "on the left side", "in the left part of the picture", "to the left"),
    "right": ("on the right", "at the right", "on the right side", "in the right part of the picture", "to the right"),
    "top": ("at the top", "near the top", "in the upper part", "at the top of the picture", "up top"),
    "bottom": ("at the bottom", "near the bottom", "in the lower part", "at the bottom of the picture", "down at the bottom"),
    "centre": ("in the centre", "in the center", "in the middle", "at the center", "centred", "centered"),
}
RELATION_PHRASES = {
    "left_of": ("to the left of", "left of", "on the left of"),
    "right_of": ("to the right of", "right of", "on the right of"),
    "above": ("above", "over", "placed above"),
    "below": ("below", "under", "beneath"),
}
# "A on the left and B on the right" describes A left_of B just as well.
SIDE_BY_SIDE = {
    "left_of": ("on the left", "on the right"),
    "right_of": ("on the right", "on the left"),
    "above": ("at the top", "at the bottom"),
    "below": ("at the bottom", "at the top"),
}
BACKGROUND_TRAILING = (
    "on a {} background",
    "against {}",
    "against a {} background",
    "on {}",
    ", {} background",
    "with a {} background",
)
BACKGROUND_LEADING = ("{} background with ", "on a {} background, ", "{} background, ", "against {}: ")


def noun_phrase(rng: random.Random, thing: Thing, say: set) -> str:
    words = []
    if thing.size != "medium" and "size" in say:
        words.append(rng.choice(SIZE_WORDS[thing.size]))
    if "colour" in say:
        words.append(rng.choice(COLOUR_WORDS.get(thing.colour, (thing.colour,))))
    plural = thing.count > 1
    words.append(PLURALS.get(thing.shape, thing.shape + "s") if plural else thing.shape)
    if plural:
        if "count" in say:
            words.insert(0, rng.choice(COUNT_WORDS[thing.count]))
    else:
        words.insert(0, rng.choice(SINGLE_WORDS))
    return " ".join(words)


def _background(rng: random.Random, colour: str, leading: bool) -> str:
    word = rng.choice(COLOUR_WORDS.get(colour, (colour,)))
    return rng.choice(BACKGROUND_LEADING if leading else BACKGROUND_TRAILING).format(word)


def _join(*parts: str) -> str:
    text = " ".join(p for p in parts if p)
    return text.replace(" ,", ",")


def caption(rng: random.Random, scene: Scene, say=ATTRIBUTES) -> str:
    """One caption of `scene` mentioning the attributes in `say` (shapes always)."""
    say = set(say)
    if scene.is_pair:
        text = _pair_caption(rng, scene, say)
    else:
        text = _group_caption(rng, scene, say)
    prefix_allowed = not text.startswith(("on ", "against ", "in ", "at ", "near ", "to "))
    if prefix_allowed and rng.random() < 0.3:
        text = rng.choice(PREFIXES) + text
    # "a orange heart", "a image of": English wants "an" before a vowel.
    text = re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", text)
    if rng.random() < 0.25:
        text = text[0].upper() + text[1:] + "."
    return text


def _group_caption(rng: random.Random, scene: Scene, say: set) -> str:
    np_ = noun_phrase(rng, scene.things[0], say)
    pos = rng.choice(POSITION_PHRASES[scene.position]) if "position" in say else ""
    if "background" not in say:
        if pos and rng.random() < 0.3:
            return _join(pos + ",", np_)
        return _join(np_, pos)
    form = rng.randrange(4)
    if form == 0:
        return _join(np_, pos, _background(rng, scene.background, False))
    if form == 1:
        return _join(np_, _background(rng, scene.background, False), pos)
    if form == 2:
        return _join(_background(rng, scene.background, True) + np_, pos)
    if pos:
        return _join(pos + ",", np_, _background(rng, scene.background, False))
    return _join(np_, _background(rng, scene.background, False))


def _pair_caption(rng: random.Random, scene: Scene, say: set) -> str:
    first, second = scene.things
    relation = scene.relation
    if rng.random() < 0.5:
        first, second, relation = second, first, OPPOSITE[relation]
    a = noun_phrase(rng, first, say)
    b = noun_phrase(rng, second, say)
    if "relation" not in say:
        core = _join(a, "and", b)
    elif rng.random() < 0.2:
        side_a, side_b = SIDE_BY_SIDE[relation]
        core = _join(a, side_a, "and", b, side_b)
    else:
        core = _join(a, rng.choice(RELATION_PHRASES[relation]), b)
    if "background" not in say:
        return core
    if rng.random() < 0.3:
        return _background(rng, scene.background, True) + core
    return _join(core, _background(rng, scene.background, False))


def test_captions(rng: random.Random, scene: Scene, n: int = 5):
    """COCO-style captions of a test image, as (text, attributes it states): mostly
    full, some leaving one thing out."""
    out = []
    for _ in range(n):
        say = set(ATTRIBUTES)
        if rng.random() < 0.25:
            say.discard(rng.choice(("background", "size", "relation" if scene.is_pair else "position")))
        out.append((caption(rng, scene, say), sorted(say)))
    return out


def training_caption(rng: random.Random, scene: Scene, must_say=()) -> str:
    """A caption for the training stream: half full, half partial, never dropping
    an attribute in `must_say` (the one that tells the scene from its twin)."""
    say = set(ATTRIBUTES)
    if rng.random() < 0.5:
        droppable = [a for a in ATTRIBUTES if a not in must_say]
        for attribute in rng.sample(droppable, rng.choice((1, 1, 2))):
            say.discard(attribute)
    return caption(rng, scene, say)
