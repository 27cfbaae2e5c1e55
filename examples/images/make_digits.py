"""Write a folder of small digit images (0 and 1) from scikit-learn's bundled ``load_digits``.

This is the starting point of a user with a folder of images and no detector:
``python examples/images/make_digits.py /tmp/digits`` writes ``/tmp/digits/ZERO/*.png`` and
``/tmp/digits/ONE/*.png`` (one folder per class, so the gold label is the folder name), 8 x 8
grey images scaled up 4 times. Then ``explicate regions`` extracts region objects and
``examples/images/digits.lf`` labels them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

CLASSES = {0: "ZERO", 1: "ONE"}


def main(out: Path) -> None:
    digits = load_digits()
    count = 0
    for k, (pixels, target) in enumerate(zip(digits.images, digits.target, strict=True)):
        if int(target) not in CLASSES:
            continue
        folder = out / CLASSES[int(target)]
        folder.mkdir(parents=True, exist_ok=True)
        grey = (np.asarray(pixels) * (255 / 16)).astype(np.uint8)
        Image.fromarray(grey).resize((32, 32), Image.Resampling.NEAREST).save(folder / f"{k}.png")
        count += 1
    print(f"wrote {count} images under {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "digits"))
