"""Draw motis's app icon (a photo with a magnifying glass) as a 1024-pixel PNG; `npx
tauri icon` then writes every size the bundles need into src-tauri/icons.

    .venv/bin/python scripts/make_icon.py && npx tauri icon build/icon.png -o src-tauri/icons
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "build" / "icon.png"


def main() -> None:
    size = 1024
    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(icon)
    draw.rounded_rectangle((64, 160, 864, 800), radius=72, fill=(37, 99, 235, 255))
    draw.polygon([(140, 720), (360, 430), (520, 620), (620, 500), (800, 720)], fill=(191, 219, 254, 255))
    draw.ellipse((610, 250, 730, 370), fill=(253, 224, 71, 255))
    draw.ellipse((540, 500, 860, 820), outline=(15, 23, 42, 255), width=56)
    draw.ellipse((568, 528, 832, 792), fill=(255, 255, 255, 110))
    draw.line((820, 780, 960, 920), fill=(15, 23, 42, 255), width=90)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    icon.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
