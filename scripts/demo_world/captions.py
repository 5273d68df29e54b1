"""Describe a scene in words the way a person would type a query.

A caption is made in two steps. `describe` chooses what to state about a scene: any subset
of its attributes, from a whole caption ("two small red stars on the left on a blue
background") down to what people type ("stars", "red stars", "on blue", "three circles",
"a star above a square"). `phrase` says that description in one of many word orders and
forms, with or without articles and prefixes. A description is what the words mean, as
data (`relevance.fits` tells which scenes it is true of); what it states is always true of
the scene it was drawn from.

A description is a dict:
    {"background": colour or None,
     "things": [{"shape", "colour", "size", "count", "position"}, ...],  # 0, 1 or 2; None: unsaid
     "relation": None, or for two things where things[0] is relative to things[1]}
Counts are stated by number words only ("one", "a single", "two", "3"): "a star" and
"stars" say nothing about how many. A size is stated as small or large; medium is never
said. A thing without a shape is named by its colour ("red", "something red", "a red
shape"). In a two-shape scene each shape has a side ("on the left") from the relation.
"""

from __future__ import annotations

import random
import re

from .world import OPPOSITE, Scene

ATTRIBUTES = ("shape", "colour", "size", "count", "position", "relation", "background")
# What a thing can state, and in which order a description's things list them.
THING_ATTRIBUTES = ("shape", "colour", "size", "count", "position")

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
COUNT_WORDS = {1: ("one", "a single"), 2: ("two", "two", "a pair of", "2"), 3: ("three", "three", "3")}
PLURALS = {"cross": "crosses"}
# A thing named by its colour alone: "red", "something red", "a red shape".
GENERIC_NOUNS = ("shape", "thing", "object")

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
# The side each of two related shapes is on: "A on the left and B on the right" says A left_of B.
SIDES = {
    "left_of": ("left", "right"),
    "right_of": ("right", "left"),
    "above": ("top", "bottom"),
    "below": ("bottom", "top"),
}
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
BACKGROUND_ALONE = (
    "a {} background",
    "{} background",
    "on {}",
    "on a {} background",
    "against {}",
    "against a {} background",
    "a plain {} background",
    "{} backdrop",
)


def thing(shape=None, colour=None, size=None, count=None, position=None) -> dict:
    """A described thing; what is not given is unsaid."""
    return {"shape": shape, "colour": colour, "size": size, "count": count, "position": position}


def description_of(*things, background=None, relation=None) -> dict:
    return {"background": background, "things": list(things), "relation": relation}


# Searches that work with the demo model, offered on an empty search box (its manifest's
# `examples`): one of each kind people type, with what each means.
EXAMPLE_SEARCHES = (
    ("red stars", description_of(thing("star", "red"))),
    ("three circles", description_of(thing("circle", count=3))),
    ("a heart above a square", description_of(thing("heart"), thing("square"), relation="above")),
    ("on a blue background", description_of(background="blue")),
    ("small yellow triangles", description_of(thing("triangle", "yellow", "small"))),
    ("green crosses on the left", description_of(thing("cross", "green", position="left"))),
)


def scene_things(scene: Scene):
    """Each group of identical shapes in a scene as a thing with every attribute,
    a shape of a pair having the side its relation puts it on."""
    if scene.is_pair:
        sides = SIDES[scene.relation]
        return [
            {"shape": t.shape, "colour": t.colour, "size": t.size, "count": 1, "position": side}
            for t, side in zip(scene.things, sides)
        ]
    t = scene.things[0]
    return [{"shape": t.shape, "colour": t.colour, "size": t.size, "count": t.count, "position": scene.position}]


def describe(rng: random.Random, scene: Scene, say=ATTRIBUTES, both=None) -> dict:
    """What a caption stating the attributes in `say` says of `scene`.

    Without "shape" and "colour" no thing is described (a background alone). A thing
    without a shape keeps its colour but no count ("two red things" would not say which
    groups). In a pair scene the relation describes both shapes; without it, `both`
    (random when None) says whether both are named or one. A count of one is stated half
    the time ("one star"; else "a star", which states none).
    """
    say = set(say)
    names_a_thing = "shape" in say or "colour" in say
    description = {"background": scene.background if "background" in say else None, "things": [], "relation": None}
    if not names_a_thing:
        if description["background"] is None:
            say.add("shape")
        else:
            return description
    things = scene_things(scene)
    if scene.is_pair:
        if "relation" in say:
            say.add("shape")
            description["relation"] = scene.relation
            chosen = [0, 1]
        elif both if both is not None else rng.random() < 0.5:
            chosen = [0, 1]
        else:
            chosen = [rng.randrange(2)]
        # Named together, the shapes' sides are their relation (stated or not).
        stated = say - {"count", "relation"} - ({"position"} if len(chosen) == 2 else set())
    else:
        chosen = [0]
        stated = say - {"relation"}
        if "shape" not in say or (things[0]["count"] == 1 and rng.random() < 0.5):
            stated.discard("count")
    for i in chosen:
        thing = {key: things[i][key] if key in stated else None for key in THING_ATTRIBUTES}
        if thing["size"] == "medium":
            thing["size"] = None
        description["things"].append(thing)
    return description


def stated(description: dict) -> list:
    """The attributes a description states, sorted: what kind of query it is."""
    out = {"background"} if description["background"] else set()
    if description["relation"]:
        out.add("relation")
    for thing in description["things"]:
        out |= {key for key in THING_ATTRIBUTES if thing[key] is not None}
    return sorted(out)


def _colour_word(rng: random.Random, colour: str) -> str:
    return rng.choice(COLOUR_WORDS.get(colour, (colour,)))


def noun_phrase(rng: random.Random, thing: dict, actual_count: int, alone: bool) -> str:
    """A thing in words. Unless a count is stated, singular or plural follows the count
    the photo has, but for one thing named alone three times in four (it may be its colour
    word alone then, "red"): "stars" finds a single star too."""
    size = rng.choice(SIZE_WORDS[thing["size"]]) if thing["size"] else None
    colour = _colour_word(rng, thing["colour"]) if thing["colour"] else None
    count = thing["count"]
    plural = count > 1 if count else (actual_count > 1) != (alone and rng.random() < 0.25)
    if thing["shape"] is None:
        if alone and not size and rng.random() < 0.5:
            return colour if rng.random() < 0.6 else f"something {colour}"
        noun = rng.choice(GENERIC_NOUNS)
    else:
        noun = thing["shape"]
    if plural:
        noun = PLURALS.get(noun, noun + "s")
    words = [w for w in (size, colour, noun) if w]
    if count:
        words.insert(0, rng.choice(COUNT_WORDS[count]))
    elif not plural and rng.random() < 0.75:
        words.insert(0, "a")
    return " ".join(words)


def _background(rng: random.Random, colour: str, leading: bool) -> str:
    return rng.choice(BACKGROUND_LEADING if leading else BACKGROUND_TRAILING).format(_colour_word(rng, colour))


def _join(*parts: str) -> str:
    text = " ".join(p for p in parts if p)
    return text.replace(" ,", ",")


def phrase(rng: random.Random, description: dict, actual_counts=None) -> str:
    """A description in words: one of many orders and forms of the same meaning.
    `actual_counts` (per described thing) steer singular and plural where no count is said."""
    things = description["things"]
    counts = actual_counts or [1] * len(things)
    background = description["background"]
    if not things:
        text = rng.choice(BACKGROUND_ALONE).format(_colour_word(rng, background))
    elif len(things) == 1:
        text = _one_thing(rng, things[0], counts[0], background)
    else:
        text = _two_things(rng, things, counts, description["relation"], background)
    prefix_allowed = not text.startswith(("on ", "against ", "in ", "at ", "near ", "to ", "up ", "down "))
    if prefix_allowed and rng.random() < 0.3:
        text = rng.choice(PREFIXES) + text
    # "a orange heart", "a image of": English wants "an" before a vowel.
    text = re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", text)
    if rng.random() < 0.25:
        text = text[0].upper() + text[1:] + "."
    return text


def _one_thing(rng: random.Random, thing: dict, actual_count: int, background) -> str:
    np_ = noun_phrase(rng, thing, actual_count, alone=True)
    pos = rng.choice(POSITION_PHRASES[thing["position"]]) if thing["position"] else ""
    if background is None:
        if pos and rng.random() < 0.3:
            return _join(pos + ",", np_)
        return _join(np_, pos)
    form = rng.randrange(4)
    if form == 0:
        return _join(np_, pos, _background(rng, background, False))
    if form == 1:
        return _join(np_, _background(rng, background, False), pos)
    if form == 2:
        return _join(_background(rng, background, True) + np_, pos)
    if pos:
        return _join(pos + ",", np_, _background(rng, background, False))
    return _join(np_, _background(rng, background, False))


def _two_things(rng: random.Random, things, counts, relation, background) -> str:
    first, second = things
    if rng.random() < 0.5:
        first, second = second, first
        counts = counts[::-1]
        relation = relation and OPPOSITE[relation]
    a = noun_phrase(rng, first, counts[0], alone=False)
    b = noun_phrase(rng, second, counts[1], alone=False)
    if relation is None:
        core = _join(a, rng.choice(("and", "and", "with")), b)
    elif rng.random() < 0.2:
        side_a, side_b = SIDE_BY_SIDE[relation]
        core = _join(a, side_a, "and", b, side_b)
    else:
        core = _join(a, rng.choice(RELATION_PHRASES[relation]), b)
    if background is None:
        return core
    if rng.random() < 0.3:
        return _background(rng, background, True) + core
    return _join(core, _background(rng, background, False))


def caption_of(rng: random.Random, scene: Scene, say=ATTRIBUTES, both=None):
    """(words, description) of `scene` stating the attributes in `say`."""
    description = describe(rng, scene, say, both)
    actual = [1, 1] if scene.is_pair else [scene.things[0].count]
    return phrase(rng, description, actual), description


def caption(rng: random.Random, scene: Scene, say=ATTRIBUTES) -> str:
    """One caption of `scene` stating the attributes in `say`."""
    return caption_of(rng, scene, say)[0]


def test_captions(rng: random.Random, scene: Scene, n: int = 5):
    """COCO-style captions of a test image, as (text, description): mostly full, some
    leaving one thing out."""
    out = []
    for _ in range(n):
        say = set(ATTRIBUTES)
        if rng.random() < 0.25:
            say.discard(rng.choice(("background", "size", "relation" if scene.is_pair else "position")))
        out.append(caption_of(rng, scene, say, both=True))
    return out


def short_say(rng: random.Random, scene: Scene, must_say=()) -> set:
    """What a query as people type it states: a shape, often with one or two more of the
    scene's attributes, sometimes a colour or a background alone."""
    optional = ["colour", "size", "count", "position", "background"] + (["relation"] if scene.is_pair else [])
    optional = [a for a in optional if a not in must_say]
    extra = rng.choices((0, 1, 2, 3), weights=(0.2, 0.4, 0.3, 0.1))[0]
    say = set(must_say) | set(rng.sample(optional, min(extra, len(optional))))
    if rng.random() < 0.88 or "relation" in say:
        say.add("shape")
    elif "colour" not in say and "background" not in say:
        say.add(rng.choice(("colour", "background")))
    return say


def long_say(rng: random.Random, must_say=()) -> set:
    """What a whole caption states: everything, or all but one or two attributes."""
    say = set(ATTRIBUTES)
    if rng.random() < 0.5:
        droppable = [a for a in ATTRIBUTES if a not in must_say and a != "shape"]
        for attribute in rng.sample(droppable, rng.choice((1, 1, 2))):
            say.discard(attribute)
    return say
