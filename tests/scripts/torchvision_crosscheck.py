#!/usr/bin/python3
"""Checks ssa-train's torchvision files against torchvision's own VisionTransformer and
SwinTransformer (Debian's python3-torchvision: 0.14 on Debian 12, 0.21 on 13).

  torchvision_crosscheck.py images DIR           a 3-class ImageNet-style JPEG folder (train, val)
  torchvision_crosscheck.py write MODEL OUT.safetensors
        a torchvision-initialised MODEL (vit_b_16, swin_t, vit_tiny, swin_tiny) saved from its
        state_dict with the constructor arguments in OUT.json: a file ssa-train did not write
  torchvision_crosscheck.py compare WEIGHTS.safetensors PREDICTIONS.safetensors [--wrong-layout]
        builds the model WEIGHTS.json names (its builder, else the class with its kwargs), loads
        WEIGHTS with strict=True, runs it in float64 on the preprocessed inputs that
        `ssa-train predict` saved, and compares its log-softmax with ssa-train's (--wrong-layout:
        the self-test, a swapped layout that must fail)
  torchvision_crosscheck.py same A.safetensors B.safetensors
        the same tensor names, dtypes and values (a round trip through ssa-train)

compare and same exit 1 on a difference.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

# The tiny shapes of tests/scripts/torchvision_test.sh's configs.
TINY = {
    "vit_tiny": ("VisionTransformer", {"image_size": 32, "patch_size": 8, "num_layers": 2, "num_heads": 2,
                                       "hidden_dim": 32, "mlp_dim": 128, "num_classes": 3}),
    "swin_tiny": ("SwinTransformer", {"patch_size": [4, 4], "embed_dim": 32, "depths": [2, 2], "num_heads": [2, 4],
                                      "window_size": [4, 4], "mlp_ratio": 4.0, "num_classes": 3}),
}
PRESETS = {"vit_b_16": ("VisionTransformer", 224), "swin_t": ("SwinTransformer", 224)}
UNIT_ROUNDOFF_FP32 = 2.0 ** -24


def build(meta):
    import torchvision.models as tvm
    kwargs = meta["kwargs"]
    if meta.get("builder"):  # the preset's own function: its shape must be the file's
        return getattr(tvm, meta["builder"])(weights=None, num_classes=kwargs["num_classes"])
    return getattr(tvm, meta["class"])(**kwargs)


def tolerance(meta, reference):
    """ssa-train runs in float32, the reference in float64 on the same float32 weights and inputs.
    Each of the L blocks rounds dot products of up to K terms (K: the widest, the MLP's hidden
    width) to float32; the rounding errors of a sum are independent and unbiased, so its relative
    error grows as sqrt(K) * u (u = 2^-24; Higham and Mary's probabilistic bound), carried through
    the residual stream to the logits as L * sqrt(K) * u * max(1, |z|). The log-softmax at most
    doubles that. Measured here: 1e-7 to 7e-7, 20 to 100 times below the bound; a wrong layout
    (--wrong-layout) misses it by orders of magnitude."""
    kw = meta["kwargs"]
    if meta["class"] == "VisionTransformer":
        depth, width = kw["num_layers"], kw["mlp_dim"]
    else:
        depth, width = sum(kw["depths"]), int(kw["embed_dim"] * 2 ** (len(kw["depths"]) - 1) * kw["mlp_ratio"])
    scale = max(1.0, float(reference.abs().max()))
    return 2.0 * depth * math.sqrt(width) * UNIT_ROUNDOFF_FP32 * scale


def wrong_layout(meta, state):
    """The self-test: the layout mistakes converters make. ViT: q and k swapped in the first
    in_proj; Swin: the first patch merging's x1 and x2 neighbours swapped."""
    if meta["class"] == "VisionTransformer":
        w = state["encoder.layers.encoder_layer_0.self_attention.in_proj_weight"]
        third = w.shape[0] // 3
        w[:2 * third] = torch.cat((w[third:2 * third], w[:third])).clone()
        return
    w = state["features.2.reduction.weight"]
    quarter = w.shape[1] // 4
    w[:, quarter:3 * quarter] = torch.cat((w[:, 2 * quarter:3 * quarter], w[:, quarter:2 * quarter]), 1).clone()


def compare(weights_path, predictions_path, wrong=False):
    meta = json.load(open(os.path.splitext(weights_path)[0] + ".json"))
    model = build(meta)
    state = {k: v.to(torch.float64) if v.is_floating_point() else v
             for k, v in safetensors_io.read_safetensors(weights_path).items()}
    if wrong:
        wrong_layout(meta, state)
    model.load_state_dict(state, strict=True)  # every name, every shape, nothing left over
    model = model.double().eval()
    saved = safetensors_io.read_safetensors(predictions_path)
    with torch.no_grad():
        logits = model(saved["input"].to(torch.float64))
    reference = torch.log_softmax(logits, -1)
    ours = saved["prediction"].to(torch.float64)
    worst, bound = float((ours - reference).abs().max()), tolerance(meta, logits)
    agree = bool((ours.argmax(-1) == reference.argmax(-1)).all())
    print(f"{meta['class']} ({meta.get('builder') or 'kwargs'}): {ours.shape[0]} images, largest log-probability "
          f"difference {worst:.3g} (bound {bound:.3g}), same top class: {agree}")
    return worst <= bound and agree


def write(name, out):
    import torchvision.models as tvm
    torch.manual_seed(0)
    if name in PRESETS:
        cls, image_size = PRESETS[name]
        model = getattr(tvm, name)(weights=None, num_classes=3)
        kwargs = preset_kwargs(model, cls)
    else:
        (cls, kwargs), image_size = TINY[name], 32
        model = getattr(tvm, cls)(**kwargs)
    if cls == "VisionTransformer":  # torchvision zeroes the head: every logit would be 0
        torch.nn.init.normal_(model.heads.head.weight, std=0.02)
        torch.nn.init.normal_(model.heads.head.bias, std=0.02)
    meta = {"format": "torchvision", "class": cls, "builder": name if name in PRESETS else None,
            "kwargs": kwargs, "image_size": image_size}
    safetensors_io.write_safetensors(out, model.state_dict())
    json.dump(meta, open(os.path.splitext(out)[0] + ".json", "w"), indent=2)


def preset_kwargs(model, cls):
    """The constructor arguments a preset's builder used, read back from the built model."""
    if cls == "VisionTransformer":
        return {"image_size": model.image_size, "patch_size": model.patch_size,
                "num_layers": len(model.encoder.layers), "num_heads": model.encoder.layers[0].num_heads,
                "hidden_dim": model.hidden_dim, "mlp_dim": model.mlp_dim, "num_classes": model.num_classes}
    stages = [model.features[i] for i in range(1, len(model.features), 2)]
    return {"patch_size": list(model.features[0][0].kernel_size), "embed_dim": model.features[0][0].out_channels,
            "depths": [len(s) for s in stages], "num_heads": [s[0].attn.num_heads for s in stages],
            "window_size": list(stages[0][0].attn.window_size), "mlp_ratio": 4.0,
            "num_classes": model.head.out_features}


def same(a_path, b_path):
    a, b = safetensors_io.read_safetensors(a_path), safetensors_io.read_safetensors(b_path)
    problems = sorted(set(a) ^ set(b)) + [k for k in a if k in b and (a[k].dtype != b[k].dtype or not torch.equal(a[k], b[k]))]
    print(f"{len(a)} and {len(b)} tensors, {len(problems)} differing: {problems[:3]}")
    return not problems


def images(root):
    """3 classes of 64x64 JPEGs: a class colour under smooth random shading, 8 train and 4 val each."""
    from PIL import Image
    generator = torch.Generator().manual_seed(1)
    colours = [(200, 40, 40), (40, 200, 40), (40, 40, 200)]
    for split, count in (("train", 8), ("val", 4)):
        for c, colour in enumerate(colours):
            folder = os.path.join(root, split, f"class{c}")
            os.makedirs(folder, exist_ok=True)
            for i in range(count):
                shade = torch.nn.functional.interpolate(torch.rand(1, 3, 8, 8, generator=generator), size=64,
                                                        mode="bilinear", align_corners=False)[0]
                pixels = (torch.tensor(colour).view(3, 1, 1) * (0.5 + shade)).clamp(0, 255).to(torch.uint8)
                Image.fromarray(pixels.permute(1, 2, 0).numpy()).save(os.path.join(folder, f"{i}.JPEG"), quality=95)


def main():
    args = sys.argv[1:]
    if args[:1] == ["images"] and len(args) == 2:
        return images(args[1])
    if args[:1] == ["write"] and len(args) == 3:
        return write(args[1], args[2])
    if args[:1] == ["compare"] and len(args) in (3, 4) and args[3:] in ([], ["--wrong-layout"]):
        sys.exit(0 if compare(args[1], args[2], args[3:] == ["--wrong-layout"]) else 1)
    if args[:1] == ["same"] and len(args) == 3:
        sys.exit(0 if same(args[1], args[2]) else 1)
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
