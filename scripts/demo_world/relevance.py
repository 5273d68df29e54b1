"""Which photos of the shapes world a description fits: the truth a search's answers are
measured against (evaluate.py, scripts/eval_cutoff.py) and training's positives.

A description (captions.py) states some attributes; a scene fits it when it has every one
of them, read as the words read: what is unsaid may be anything, "a red star" fits any
photo with a red star in it (alone or beside a blue square), a stated count is the size of
the group, "a red star above a blue square" fits the photo where the blue square is below
the red star too, and a shape of a pair is on the side its relation puts it.

`fits` is the reference; `Fitting` computes the same for whole batches with numpy.
"""

from __future__ import annotations

import numpy as np

from .captions import SIDES, THING_ATTRIBUTES
from .world import COLOURS, OPPOSITE, POSITIONS, RELATIONS, SHAPES, SIZES


def _groups(scene: dict):
    """The scene's groups of identical shapes, each with all of THING_ATTRIBUTES."""
    things = scene["things"]
    if scene["relation"] is None:
        (t,) = things
        return [{**t, "position": scene["position"]}]
    return [{**t, "count": 1, "position": side} for t, side in zip(things, SIDES[scene["relation"]])]


def _thing_fits(group: dict, wanted: dict) -> bool:
    return all(wanted[key] is None or wanted[key] == group[key] for key in THING_ATTRIBUTES)


def fits(scene: dict, description: dict) -> bool:
    """Whether `scene` (as scene_to_json writes it) fits `description`."""
    if description["background"] and scene["background"] != description["background"]:
        return False
    wanted = description["things"]
    groups = _groups(scene)
    if len(wanted) < 2:
        return not wanted or any(_thing_fits(g, wanted[0]) for g in groups)
    if len(groups) != 2:
        return False
    relation = description["relation"]
    a, b = groups
    return (
        _thing_fits(a, wanted[0]) and _thing_fits(b, wanted[1]) and relation in (None, scene["relation"])
    ) or (_thing_fits(b, wanted[0]) and _thing_fits(a, wanted[1]) and relation in (None, OPPOSITE[scene["relation"]]))


_VALUES = {
    "shape": SHAPES,
    "colour": tuple(COLOURS),
    "size": SIZES,
    "count": (1, 2, 3),
    "position": POSITIONS,
}
# Each value of each attribute as a number, here and for training's attribute flags.
CODES = {key: {v: i for i, v in enumerate(values)} for key, values in _VALUES.items()}
CODES["relation"] = {r: i for i, r in enumerate(RELATIONS)}
_OPPOSITE = np.array([CODES["relation"][OPPOSITE[r]] for r in RELATIONS])
UNSAID = -1
ABSENT = -2  # the second group of a one-group scene


class Fitting:
    """`fits` for every (description, scene) of two lists at once: scenes are coded once,
    descriptions per batch."""

    def __init__(self, scenes: list[dict]):
        n = len(scenes)
        self.groups = np.full((n, 2, len(THING_ATTRIBUTES)), ABSENT, dtype=np.int8)
        self.background = np.empty(n, dtype=np.int8)
        self.relation = np.full(n, ABSENT, dtype=np.int8)
        for i, scene in enumerate(scenes):
            self.background[i] = CODES["colour"][scene["background"]]
            for g, group in enumerate(_groups(scene)):
                self.groups[i, g] = [CODES[key][group[key]] for key in THING_ATTRIBUTES]
            if scene["relation"] is not None:
                self.relation[i] = CODES["relation"][scene["relation"]]

    def matrix(self, descriptions: list[dict], scenes=None) -> np.ndarray:
        """bool [len(descriptions), scenes]: description t fits scene i (all scenes, or the
        indices `scenes`)."""
        chosen = slice(None) if scenes is None else np.asarray(scenes)
        groups, background, relation = self.groups[chosen], self.background[chosen], self.relation[chosen]
        t = len(descriptions)
        wanted = np.full((t, 2, len(THING_ATTRIBUTES)), UNSAID, dtype=np.int8)
        said_background = np.full(t, UNSAID, dtype=np.int8)
        said_relation = np.full(t, UNSAID, dtype=np.int8)
        things = np.zeros(t, dtype=np.int8)
        for d, description in enumerate(descriptions):
            if description["background"]:
                said_background[d] = CODES["colour"][description["background"]]
            if description["relation"]:
                said_relation[d] = CODES["relation"][description["relation"]]
            things[d] = len(description["things"])
            for k, thing in enumerate(description["things"]):
                wanted[d, k] = [UNSAID if thing[key] is None else CODES[key][thing[key]] for key in THING_ATTRIBUTES]
        # [t, k, i, g]: described thing k of t fits group g of scene i.
        w = wanted[:, :, None, None, :]
        g = groups[None, None, :, :, :]
        thing = ((w == UNSAID) | (w == g)).all(-1) & (g[..., 0] != ABSENT)
        one = thing[:, 0].any(-1)
        pair = relation[None, :] != ABSENT
        said = said_relation[:, None]
        forward = thing[:, 0, :, 0] & thing[:, 1, :, 1] & ((said == UNSAID) | (said == relation[None, :]))
        opposite = np.where(relation != ABSENT, _OPPOSITE[np.clip(relation, 0, None)], ABSENT)[None, :]
        backward = thing[:, 0, :, 1] & thing[:, 1, :, 0] & ((said == UNSAID) | (said == opposite))
        two = pair & (forward | backward)
        out = np.where(things[:, None] == 0, True, np.where(things[:, None] == 1, one, two))
        return out & ((said_background[:, None] == UNSAID) | (said_background[:, None] == background[None, :]))
