"""What a description states, and which photos it fits: every photo whose scene has what
it states, and no other."""

import random

import numpy as np
import pytest

from demo_world.captions import (
    ATTRIBUTES,
    COUNT_WORDS,
    POSITION_PHRASES,
    RELATION_PHRASES,
    SIDE_BY_SIDE,
    SIZE_WORDS,
    caption_of,
    long_say,
    short_say,
    stated,
)
from demo_world.relevance import Fitting, fits
from demo_world.world import OPPOSITE, sample_scene, scene_to_json


def test_a_scene_fits_every_caption_written_of_it_and_the_words_state_what_the_description_says():
    rng = random.Random(3)
    for _ in range(2000):
        scene = sample_scene(rng)
        say = set(rng.sample(ATTRIBUTES, rng.randint(0, len(ATTRIBUTES))))
        text, description = caption_of(rng, scene, say)
        assert fits(scene_to_json(scene), description), (text, description)
        words = text.lower()
        for thing in description["things"]:
            if thing["shape"]:
                assert thing["shape"] in words, (text, description)
            if thing["colour"]:
                assert thing["colour"] in words or (thing["colour"] == "gray" and "grey" in words), (text, description)
            if thing["size"]:
                assert any(w in words for w in SIZE_WORDS[thing["size"]]), (text, description)
            if thing["count"]:
                assert any(w in words for w in COUNT_WORDS[thing["count"]]), (text, description)
            if thing["position"] and not description["relation"]:
                assert any(p in words for p in POSITION_PHRASES[thing["position"]]), (text, description)
        if description["relation"]:
            # Said either way round: "A above B" or "B below A".
            relations = (description["relation"], OPPOSITE[description["relation"]])
            phrases = [p for r in relations for p in RELATION_PHRASES[r] + SIDE_BY_SIDE[r]]
            assert any(p in words for p in phrases), (text, description)
        if description["background"]:
            assert "background" in words or "on " in words or "against" in words or "backdrop" in words, text
            background = description["background"]
            assert background in words or (background == "gray" and "grey" in words), (text, description)
        assert set(stated(description)) <= say | {"shape"}, (say, description)


def group(colour="red", shape="star", size="small", count=1, position="left", background="blue"):
    return {
        "background": background,
        "things": [{"shape": shape, "colour": colour, "size": size, "count": count}],
        "position": position,
        "relation": None,
    }


RED_STAR, BLUE_SQUARE = ("red", "star", "large"), ("blue", "square", "medium")


def pair(relation="left_of", first=RED_STAR, second=BLUE_SQUARE, background="white"):
    return {
        "background": background,
        "things": [{"shape": shape, "colour": colour, "size": size, "count": 1} for colour, shape, size in (first, second)],
        "position": None,
        "relation": relation,
    }


def thing(shape=None, colour=None, size=None, count=None, position=None):
    return {"shape": shape, "colour": colour, "size": size, "count": count, "position": position}


def said(*things, background=None, relation=None):
    return {"background": background, "things": list(things), "relation": relation}


def test_what_a_description_leaves_unsaid_may_be_anything_and_what_it_says_must_hold():
    assert fits(group(position="top", count=3), said(thing("star")))
    assert not fits(group(shape="heart"), said(thing("star")))
    assert fits(group(colour="green"), said(thing("star")))
    assert not fits(group(colour="green"), said(thing("star", "red")))
    # A count is stated by a number word: "a star" and "stars" state none.
    assert fits(group(count=2), said(thing("star", count=2)))
    assert not fits(group(count=3), said(thing("star", count=2)))
    assert not fits(group(count=2), said(thing("star", count=1)))
    assert fits(group(size="large"), said(thing("star", size="large")))
    assert not fits(group(size="medium"), said(thing("star", size="large")))
    assert not fits(group(position="top"), said(thing("star", position="left")))


def test_a_background_or_a_colour_can_stand_alone():
    assert fits(group(), said(background="blue"))
    assert not fits(group(background="green"), said(background="blue"))
    assert fits(group(shape="heart"), said(thing(colour="red")))
    assert fits(pair(), said(thing(colour="blue"))), "the square of a pair"
    assert not fits(pair(), said(thing(colour="green")))
    # A colour names a thing, not the background.
    assert not fits(group(colour="green", background="red"), said(thing(colour="red")))


def test_one_shape_of_a_pair_is_found_with_the_side_its_relation_puts_it_on():
    assert fits(pair("left_of"), said(thing("star", "red")))
    assert fits(pair("left_of"), said(thing("square", position="right")))
    assert not fits(pair("left_of"), said(thing("square", position="left")))
    assert fits(pair("above"), said(thing("star", position="top")))
    assert not fits(pair("left_of"), said(thing("star", count=2)))


def test_a_pair_fits_its_relation_read_either_way_and_not_a_group():
    star_left_of_square = said(thing("star", "red"), thing("square", "blue"), relation="left_of")
    assert fits(pair("right_of", first=BLUE_SQUARE, second=RED_STAR), star_left_of_square)
    assert not fits(pair("right_of"), star_left_of_square)
    assert fits(pair("right_of"), said(thing("star", "red"), thing("square", "blue")))
    assert not fits(pair(first=("blue", "star", "large"), second=("red", "square", "medium")), said(thing("star", "red"), thing("square", "blue")))
    assert not fits(group(), said(thing("star"), thing("square")))


@pytest.mark.parametrize("seed", range(3))
def test_the_batched_fitting_agrees_with_the_reference(seed):
    rng = random.Random(seed)
    scenes = [sample_scene(rng) for _ in range(400)]
    descriptions = []
    for scene in scenes:
        say = short_say(rng, scene) if rng.random() < 0.6 else long_say(rng)
        descriptions.append(caption_of(rng, scene, say)[1])
    scenes_json = [scene_to_json(s) for s in scenes]
    reference = np.array([[fits(s, d) for s in scenes_json] for d in descriptions])
    batched = Fitting(scenes_json).matrix(descriptions)
    assert (batched == reference).all()
    assert batched.diagonal().all()
    # Neither everything nor nothing: the comparison means something.
    assert 0.01 < reference.mean() < 0.5
    chosen = [5, 0, 399, 17]
    assert (Fitting(scenes_json).matrix(descriptions, chosen) == reference[:, chosen]).all()
