#!/usr/bin/python3
"""Renders the text-image datasets the PaddleOCR ONNX models are evaluated on (docs/accuracy.md),
as IDX files the simulator reads like Fashion-MNIST's:

  textlines  48 x 192 x 3 single text lines as PaddleOCR's direction classifier sees them (cropped,
             resized to height 48, padded on the right); label 0 = upright, 1 = turned 180
             degrees (the classifier's two classes, '0' and '180'). train: 200, test: 600.
  textpages  96 x 192 x 3 patches with two or three lines of text, for the text detector (sizes
             multiples of 32, as it needs); no labels (all 0). train: 50, test: 100.

Words from a fixed list, DejaVu fonts (Debian fonts-dejavu-core), PIL (python3-pil); seeded, so
every run writes the same bytes. usage: render_text_data.py OUT_DIR
"""
import gzip
import os
import random
import struct
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTS = ["/usr/share/fonts/truetype/dejavu/" + f for f in (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf",
    "DejaVuSansCondensed.ttf", "DejaVuSerif-Bold.ttf")]
WORDS = """the of and to in is for on that with as by at from this be are or it an was not
have which you one all but can has more were their will there been other also new when who
data time system model energy power memory weight layer network input output signal value test
array cycle clock buffer vector matrix design circuit digital analog sensor image pixel text line
page number table figure total price order invoice date name address city street phone email
account balance payment receipt store market report summary result method paper section north
south east west river mountain garden window kitchen station airport hotel library museum office
""".split()


def write_idx(path, array, magic):
    with open(path + ".tmp", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(struct.pack(">I", magic))
        for d in array.shape:
            f.write(struct.pack(">I", d))
        f.write(array.astype(np.uint8).tobytes())
    os.replace(path + ".tmp", path)


def phrase(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.3:
        words.append(str(rng.randint(0, 99999)))
    text = " ".join(words)
    return text.capitalize() if rng.random() < 0.5 else text


def text_line(rng):
    font = ImageFont.truetype(rng.choice(FONTS), rng.randint(26, 40))
    text = phrase(rng)
    left, top, right, bottom = font.getbbox(text)
    pad = rng.randint(2, 8)
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    bg = rng.randint(190, 255)
    img = Image.new("RGB", (w, h), (bg, bg - rng.randint(0, 20), bg - rng.randint(0, 20)))
    ink = rng.randint(0, 80)
    ImageDraw.Draw(img).text((pad - left, pad - top), text, font=font, fill=(ink, ink, ink))
    return img


def line_sample(rng):
    img = text_line(rng)
    label = rng.randint(0, 1)
    if label:
        img = img.rotate(180)
    # PaddleOCR's classifier preprocessing: height 48, width by the aspect ratio up to 192,
    # right-padded (its zero after normalisation is pixel 127.5; 128 here).
    w = min(192, max(1, int(round(48 * img.width / img.height))))
    img = img.resize((w, 48), Image.BILINEAR)
    out = np.full((48, 192, 3), 128, np.uint8)
    out[:, :w] = np.asarray(img)
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 3, out.shape)
    return np.clip(out + noise, 0, 255).astype(np.uint8), label


def page_sample(rng):
    bg = rng.randint(200, 255)
    page = Image.new("RGB", (192, 96), (bg, bg, bg))
    y = rng.randint(2, 10)
    for _ in range(rng.randint(2, 3)):
        font = ImageFont.truetype(rng.choice(FONTS), rng.randint(14, 24))
        text = phrase(rng)
        left, top, right, bottom = font.getbbox(text)
        if y + bottom - top > 94:
            break
        ink = rng.randint(0, 80)
        ImageDraw.Draw(page).text((rng.randint(2, 30) - left, y - top), text, font=font,
                                  fill=(ink, ink, ink))
        y += bottom - top + rng.randint(6, 16)
    return np.asarray(page, np.uint8), 0


def main():
    out = sys.argv[1]
    for name, sample, counts in (("textlines", line_sample, (("train", 200), ("test", 600))),
                                 ("textpages", page_sample, (("train", 50), ("test", 100)))):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        for split, n in counts:
            rng = random.Random(f"{name}-{split}")
            images, labels = zip(*(sample(rng) for _ in range(n)))
            write_idx(os.path.join(d, f"{split}-images-idx4-ubyte.gz"), np.stack(images), 0x0804)
            write_idx(os.path.join(d, f"{split}-labels-idx1-ubyte.gz"), np.array(labels), 0x0801)


if __name__ == "__main__":
    main()
