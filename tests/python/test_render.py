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


def test_photos_carry_the_date_their_captions_record_as_a_phone_writes_it(tmp_path):
    entries = json.loads(render_split(tmp_path, "dated", 40, long_side=64, workers=1).read_text())["images"]
    dated = [e for e in entries if e["taken"] is not None]
    assert 0 < len(dated) < len(entries), "most photos have a date, a few none"
    assert any(len(e["taken"]) > 19 for e in dated) and any(len(e["taken"]) == 19 for e in dated), (
        "some with an offset from UTC, some without"
    )
    for entry in entries:
        with Image.open(tmp_path / "dated" / "images" / entry["filename"]) as stored:
            camera = stored.getexif().get_ifd(0x8769)
        if entry["taken"] is None:
            assert 0x9003 not in camera
            continue
        local, offset = entry["taken"][:19], entry["taken"][19:]
        assert camera[0x9003] == local.replace("-", ":", 2).replace("T", " ")
        assert camera.get(0x9011) == (offset or None)
