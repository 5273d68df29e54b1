"""What a caption describes: every photo whose scene has what it states, and no other."""

import random

from demo_world.captions import ATTRIBUTES, caption
from demo_world.relevance import fits
from demo_world.world import sample_scene, scene_to_json


def test_a_scene_fits_every_caption_written_of_it():
    rng = random.Random(3)
    for _ in range(300):
        scene = sample_scene(rng)
        says = set(rng.sample(ATTRIBUTES, rng.randint(0, len(ATTRIBUTES))))
        caption(rng, scene, says)
        assert fits(scene_to_json(scene), scene_to_json(scene), says)


def group(colour="red", shape="star", size="small", count=1, position="left", background="blue"):
    return {
        "background": background,
        "things": [{"shape": shape, "colour": colour, "size": size, "count": count}],
        "position": position,
        "relation": None,
    }


RED_STAR, BLUE_SQUARE = ("red", "star", "large"), ("blue", "square", "medium")


def pair(relation="left_of", first=RED_STAR, second=BLUE_SQUARE):
    return {
        "background": "white",
        "things": [{"shape": shape, "colour": colour, "size": size, "count": 1} for colour, shape, size in (first, second)],
        "position": None,
        "relation": relation,
    }


def test_what_a_caption_leaves_unsaid_may_be_anything_and_what_it_says_must_hold():
    said = group()
    assert fits(group(position="top"), said, {"colour", "count"})
    assert not fits(group(position="top"), said, {"colour", "position"})
    assert not fits(group(colour="green"), said, {"colour"})
    assert fits(group(colour="green"), said, set())
    # A singular noun is one thing; a plural, more than one.
    assert not fits(group(count=2), said, set())
    assert fits(group(count=3), group(count=2), set())
    assert not fits(group(count=3), group(count=2), {"count"})
    # A medium size is never said, so the words allow any.
    assert fits(group(size="large"), group(size="medium"), {"size"})
    assert not fits(group(size="large"), said, {"size"})


def test_a_pair_fits_its_relation_read_either_way_and_not_a_group():
    said = pair("left_of")
    assert fits(pair("right_of", first=BLUE_SQUARE, second=RED_STAR), said, ATTRIBUTES)
    assert not fits(pair("right_of"), said, ATTRIBUTES)
    assert fits(pair("right_of"), said, set(ATTRIBUTES) - {"relation"})
    assert not fits(group(), said, set())
