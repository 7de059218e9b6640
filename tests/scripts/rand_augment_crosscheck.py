#!/usr/bin/python3
"""Cross-checks the C++ RandAugment ops (lib/data/rand_augment.cpp) against PIL, applying each op
as timm's auto_augment.py does (its level-to-argument rules for the "increasing" op set, fill
colour (124, 116, 104), PIL resampling filters), on a photo-like test image.

Usage: rand_augment_crosscheck.py DUMP_BIN. Exits 77 (skipped) without python3-pil / python3-numpy.
Every op at levels 0, 3, 7.5 and 10, both signs, bilinear and bicubic filters: lookup-table ops and
enhancements must be identical; geometric ops, whose sample positions PIL computes in its own
float order, may differ by 1 grey level on at most 0.1% of the values.
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from PIL import Image, ImageEnhance, ImageOps
except ImportError:
    print("skipped: needs python3-pil and python3-numpy")
    sys.exit(77)

FILL = (124, 116, 104)
FILTERS = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
GEOMETRIC = {"Rotate", "ShearX", "ShearY", "TranslateXRel", "TranslateYRel"}


def test_image(h, w):
    """Smooth colour gradients, a bright disc and noise: every op has something to change."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    rng = np.random.default_rng(3)
    r = 40 + 150 * x / w + rng.normal(0, 12, (h, w))
    g = 30 + 120 * y / h + 60 * np.sin(x / 5.0) + rng.normal(0, 12, (h, w))
    b = 90 + 50 * np.cos((x + y) / 9.0) + rng.normal(0, 12, (h, w))
    disc = (x - w * 0.6) ** 2 + (y - h * 0.4) ** 2 < (min(h, w) * 0.2) ** 2
    rgb = np.stack([r, g, b], -1)
    rgb[disc] = [235, 225, 40]
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def apply(img, name, level, negate, resample):
    """timm auto_augment.py: level (0..10) to argument, then the PIL call."""
    f = level / 10.0
    sign = -1.0 if negate else 1.0
    enhance = 1.0 + sign * f * 0.9
    affine = lambda m: img.transform(img.size, Image.AFFINE, m, resample=resample, fillcolor=FILL)
    if name == "AutoContrast":
        return ImageOps.autocontrast(img)
    if name == "Equalize":
        return ImageOps.equalize(img)
    if name == "Invert":
        return ImageOps.invert(img)
    if name == "Rotate":
        return img.rotate(sign * f * 30.0, resample=resample, fillcolor=FILL)
    if name == "PosterizeIncreasing":
        bits = 4 - int(f * 4)
        return img if bits >= 8 else ImageOps.posterize(img, bits)
    if name == "SolarizeIncreasing":
        return ImageOps.solarize(img, 256 - int(f * 256))
    if name == "SolarizeAdd":
        add = int(f * 110)
        lut = [min(255, i + add) if i < 128 else i for i in range(256)]
        return img.point(lut * 3)
    if name == "ColorIncreasing":
        return ImageEnhance.Color(img).enhance(enhance)
    if name == "ContrastIncreasing":
        return ImageEnhance.Contrast(img).enhance(enhance)
    if name == "BrightnessIncreasing":
        return ImageEnhance.Brightness(img).enhance(enhance)
    if name == "SharpnessIncreasing":
        return ImageEnhance.Sharpness(img).enhance(enhance)
    if name == "ShearX":
        return affine((1, sign * f * 0.3, 0, 0, 1, 0))
    if name == "ShearY":
        return affine((1, 0, 0, sign * f * 0.3, 1, 0))
    if name == "TranslateXRel":
        return affine((1, 0, sign * f * 0.45 * img.size[0], 0, 1, 0))
    if name == "TranslateYRel":
        return affine((1, 0, 0, 0, 1, sign * f * 0.45 * img.size[1]))
    raise ValueError(name)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    h, w = 41, 57
    img = test_image(h, w)
    failures, checked = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "in.rgb"), "wb") as f:
            f.write(img.tobytes())
        subprocess.run([sys.argv[1], os.path.join(tmp, "in.rgb"), str(h), str(w), tmp], check=True)
        for file in sorted(os.listdir(tmp)):
            if file == "in.rgb":
                continue
            name, level, sign, filt = file[: -len(".rgb")].split("_")
            ours = np.fromfile(os.path.join(tmp, file), np.uint8).reshape(h, w, 3).astype(np.int64)
            pil = np.asarray(apply(img, name, float(level), sign == "neg", FILTERS[filt])).astype(np.int64)
            diff = np.abs(ours - pil)
            share, worst = (diff > 0).mean(), diff.max()
            ok = (worst <= 1 and share <= 0.001) if name in GEOMETRIC else worst == 0
            checked += 1
            line = f"{file}: {share:.3%} of values differ, by at most {worst}"
            if not ok:
                failures.append(line)
            elif share > 0:
                print(line)
    for line in failures:
        print("MISMATCH " + line)
    print(f"{checked} op outputs checked against PIL {Image.__version__}, {len(failures)} mismatches")
    sys.exit(1 if failures or checked == 0 else 0)


if __name__ == "__main__":
    main()
