"""Product images for the demo shop: a garment silhouette per category in the item's colour,
with a simple pattern (stripes, dots, check, multi-colour), drawn with Pillow."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

SIZE = 224
Point = tuple[float, float]

# Silhouettes on a 0..1 grid: the body polygon, and whether the garment has sleeves drawn.
_BODY: dict[str, list[Point]] = {
    "coat": [(0.32, 0.12), (0.68, 0.12), (0.72, 0.92), (0.28, 0.92)],
    "jacket": [(0.3, 0.14), (0.7, 0.14), (0.72, 0.66), (0.28, 0.66)],
    "jumper": [(0.26, 0.14), (0.74, 0.14), (0.78, 0.66), (0.22, 0.66)],
    "top": [(0.32, 0.16), (0.68, 0.16), (0.68, 0.66), (0.32, 0.66)],
    "dress": [(0.36, 0.12), (0.64, 0.12), (0.6, 0.42), (0.78, 0.92), (0.22, 0.92), (0.4, 0.42)],
    "jumpsuit": [
        (0.34, 0.12),
        (0.66, 0.12),
        (0.68, 0.5),
        (0.7, 0.92),
        (0.54, 0.92),
        (0.5, 0.6),
        (0.46, 0.92),
        (0.3, 0.92),
        (0.32, 0.5),
    ],
    "pants": [
        (0.3, 0.12),
        (0.7, 0.12),
        (0.74, 0.92),
        (0.54, 0.92),
        (0.5, 0.36),
        (0.46, 0.92),
        (0.26, 0.92),
    ],
    "skirt": [(0.34, 0.2), (0.66, 0.2), (0.8, 0.8), (0.2, 0.8)],
}
_SHAPE = {
    "01outer_01coat": "coat",
    "01outer_02jacket": "jacket",
    "01outer_03jumper": "jumper",
    "01outer_04cardigan": "jacket",
    "02top_01blouse": "top",
    "02top_02t-shirt": "top",
    "02top_03sweater": "top",
    "02top_04shirt": "top",
    "02top_05vest": "top",
    "03-1onepiece(dress)": "dress",
    "03-2onepiece(jumpsuite)": "jumpsuit",
    "04bottom_01pants": "pants",
    "04bottom_02skirt": "skirt",
}


def _sleeves(shape: str, sleeve: str) -> list[list[Point]]:
    if sleeve == "sleeveless" or shape in ("pants", "skirt"):
        return []
    top = 0.12 if shape in ("coat", "dress", "jumpsuit") else 0.14
    end = 0.36 if sleeve == "short sleeves" else 0.66
    left = [(0.32, top), (0.2, end - 0.02), (0.12, end), (0.26, top + 0.1)]
    right = [(1 - x, y) for x, y in left]
    return [left, right]


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = (max(0, min(255, int(c * factor))) for c in rgb)
    return r, g, b


def _hangtag(draw: ImageDraw.ImageDraw, seed: int) -> None:
    """A hang tag in the corner whose printed code is the product's own (24 bits of `seed`), so
    no two products of a shop share a photo, as in a real shop."""
    x0, y0, cell = SIZE - 30, 6, 6
    draw.rectangle((x0 - 2, y0 - 2, x0 + 4 * cell + 1, y0 + 6 * cell + 1), fill=(250, 250, 250),
                   outline=(150, 150, 150))  # fmt: skip
    for bit in range(24):
        if (seed >> bit) & 1:
            x, y = x0 + (bit % 4) * cell, y0 + (bit // 4) * cell
            draw.rectangle((x, y, x + cell - 2, y + cell - 2), fill=(40, 40, 40))


def draw_garment(
    category: str | None,
    rgb: tuple[int, int, int],
    pattern: str,
    sleeve: str = "long sleeves",
    seed: int = 0,
) -> bytes:
    """A JPEG of the garment; an accessory (category None) is drawn as a simple bag shape."""
    rng = random.Random(seed)
    img = Image.new("RGB", (SIZE, SIZE), (244, 244, 240))
    draw = ImageDraw.Draw(img)

    def px(points: list[Point]) -> list[Point]:
        return [(x * SIZE, y * SIZE) for x, y in points]

    shape = _SHAPE.get(category or "", "")
    parts = (
        [_BODY[shape], *_sleeves(shape, sleeve)]
        if shape
        else [[(0.3, 0.35), (0.7, 0.35), (0.76, 0.85), (0.24, 0.85)]]
    )
    mask = Image.new("L", (SIZE, SIZE), 0)
    mask_draw = ImageDraw.Draw(mask)
    for part in parts:
        mask_draw.polygon(px(part), fill=255)
    fill = Image.new("RGB", (SIZE, SIZE), rgb)
    fdraw = ImageDraw.Draw(fill)
    accent = _shade(rgb, 0.55) if sum(rgb) > 200 else _shade((255, 255, 255), 0.85)
    step = rng.choice((12, 16, 20))
    if pattern == "stripe":
        for y in range(0, SIZE, step):
            fdraw.rectangle((0, y, SIZE, y + step // 3), fill=accent)
    elif pattern == "dots":
        for y in range(step // 2, SIZE, step):
            for x in range(step // 2, SIZE, step):
                fdraw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=accent)
    elif pattern == "check":
        for v in range(0, SIZE, step * 2):
            fdraw.rectangle((v, 0, v + step // 2, SIZE), fill=accent)
            fdraw.rectangle((0, v, SIZE, v + step // 2), fill=accent)
    elif pattern == "multi":
        palette = [(200, 60, 60), (60, 120, 200), (240, 200, 60), (60, 160, 90)]
        for i, y in enumerate(range(0, SIZE, step)):
            fdraw.rectangle((0, y, SIZE, y + step), fill=palette[i % len(palette)])
    img.paste(fill, (0, 0), mask)
    for part in parts:
        draw.polygon(px(part), outline=_shade(rgb, 0.6) if sum(rgb) > 120 else (90, 90, 90))
    _hangtag(draw, seed)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()
