"""Which photos of the shapes world a caption describes: the truth a search's answers are
measured against (scripts/eval_cutoff.py).

A caption states some attributes of a scene (`says`, as captions.py writes them); a photo
fits it when its scene has every one of them, read as the words read: a colour, size or
count left unsaid may be anything, a singular noun means one, a plural more than one, and
"a red star above a blue square" fits the photo where the blue square is below the red
star too.
"""

from __future__ import annotations

from .world import OPPOSITE


def _thing_fits(thing: dict, wanted: dict, says: set) -> bool:
    if thing["shape"] != wanted["shape"]:
        return False
    if "colour" in says and thing["colour"] != wanted["colour"]:
        return False
    # A medium thing's size is never said: the words allow any size.
    return "size" not in says or wanted["size"] == "medium" or thing["size"] == wanted["size"]


def fits(scene: dict, described: dict, says) -> bool:
    """Whether `scene` fits a caption of `described` stating the attributes `says`
    (scenes as scene_to_json writes them)."""
    says = set(says)
    if "background" in says and scene["background"] != described["background"]:
        return False
    if len(scene["things"]) != len(described["things"]):
        return False
    if len(described["things"]) == 1:
        thing, wanted = scene["things"][0], described["things"][0]
        if not _thing_fits(thing, wanted, says):
            return False
        if wanted["count"] == 1:
            if thing["count"] != 1:
                return False
        elif thing["count"] == 1 or ("count" in says and thing["count"] != wanted["count"]):
            return False
        return "position" not in says or scene["position"] == described["position"]
    first, second = described["things"]

    def in_order(a: dict, b: dict, relation: str) -> bool:
        return (
            _thing_fits(a, first, says)
            and _thing_fits(b, second, says)
            and ("relation" not in says or relation == described["relation"])
        )

    a, b = scene["things"]
    return in_order(a, b, scene["relation"]) or in_order(b, a, OPPOSITE[scene["relation"]])
