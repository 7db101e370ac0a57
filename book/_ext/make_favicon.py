"""Draw the site's favicon (book/_static/favicon.png): a 32x32 grey "G" on black, like an MNIST
digit. Run once: ``python book/_ext/make_favicon.py``; the PNG is committed."""

import os

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def favicon(size=32):
    y, x = np.mgrid[0:size, 0:size] + 0.5
    cy = cx = size / 2
    r = np.hypot(x - cx, y - cy)
    angle = np.degrees(np.arctan2(-(y - cy), x - cx)) % 360
    ring = (np.abs(r - size * 0.34) < size * 0.09) & ~((angle < 40) | (angle > 350))
    bar = (np.abs(y - cy) < size * 0.07) & (x > cx) & (x < cx + size * 0.42)
    stem = (np.abs(x - (cx + size * 0.36)) < size * 0.08) & (y > cy) & (y < cy + size * 0.3)
    img = np.zeros((size, size), dtype=np.uint8)
    img[ring | bar | stem] = 235
    return Image.fromarray(img, mode="L")


if __name__ == "__main__":
    path = os.path.join(HERE, "..", "_static", "favicon.png")
    favicon().save(path)
    print("wrote", os.path.normpath(path))
