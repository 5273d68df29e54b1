"""The renderer's scaled-down splits: the same scenes and captions as at phone sizes."""

import json

from PIL import Image

from demo_world.photos import render_split


def test_a_scaled_split_shows_the_same_photos_at_the_long_side_asked(tmp_path):
    full = json.loads(render_split(tmp_path / "full", "scaled", 4, workers=1).read_text())["images"]
    small = json.loads(render_split(tmp_path / "small", "scaled", 4, long_side=320, workers=1).read_text())["images"]
    for big, little in zip(full, small, strict=True):
        assert little["scene"] == big["scene"]
        assert little["sentences"] == big["sentences"]
        assert little["orientation"] == big["orientation"]
        assert max(little["width"], little["height"]) == 320
        # The aspect ratio is kept, to the rounding of a pixel.
        assert abs(little["width"] / little["height"] - big["width"] / big["height"]) < 0.01
        with Image.open(tmp_path / "small" / "scaled" / "images" / little["filename"]) as stored:
            assert max(stored.size) == 320
