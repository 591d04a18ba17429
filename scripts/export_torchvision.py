#!/usr/bin/python3
"""Exports torchvision 0.14's CNNs to ONNX with seeded random weights (issue #25's test corpus).

Every classification CNN of the model zoo (and the segmentation models FCN, DeepLabV3, LR-ASPP),
each initialised from torch.manual_seed(seed) so that an export is reproducible, traced on one
image of the model's input size (or --size N: <out>/<name>_N.onnx, a small input for functional
checks), written as <out>/<name>.onnx at the given opset. Beside each, <out>/<name>.json records what PyTorch itself says of the model, for the tests to
compare the import with: its multiply-accumulates (counted by forward hooks on every Conv2d and
Linear: output elements x input channels per group x kernel taps), its parameters, the input
shape. A model that is already exported (same name, opset and seed, recorded in the .json) is
skipped.

usage: /usr/bin/python3 scripts/export_torchvision.py [--out DIR] [--opset 13] [--seed 0]
                                                      [--size N] [--list] [model ...]
Needs Debian's python3-torchvision (scripts/install-deps.sh installs it).
"""
import argparse
import json
import os
import sys

# The classification CNNs of torchvision 0.14 (vision transformers, Swin and MaxViT are not CNNs
# and are left out), then the segmentation models. Input sizes: 224 x 224 unless listed.
CLASSIFICATION = [
    "alexnet",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
    "wide_resnet50_2", "wide_resnet101_2",
    "densenet121", "densenet161", "densenet169", "densenet201",
    "squeezenet1_0", "squeezenet1_1",
    "googlenet", "inception_v3",
    "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
    "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
    "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
    "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
    "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
    "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf",
    "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf",
    "regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf",
    "regnet_x_16gf", "regnet_x_32gf",
    "convnext_tiny", "convnext_small", "convnext_base", "convnext_large",
]
SEGMENTATION = [
    "fcn_resnet50", "fcn_resnet101",
    "deeplabv3_resnet50", "deeplabv3_resnet101", "deeplabv3_mobilenet_v3_large",
    "lraspp_mobilenet_v3_large",
]
INPUT_SIZE = {"inception_v3": 299}
# GoogLeNet and Inception-v3 build their auxiliary classifiers unless told not to; in eval mode
# they are unused, but their construction draws random numbers, so the setting is fixed here.
KWARGS = {"googlenet": {"aux_logits": False, "init_weights": True},
          "inception_v3": {"aux_logits": False, "init_weights": True}}


def build(name):
    import torchvision
    kwargs = dict(KWARGS.get(name, {}))
    if name in SEGMENTATION:
        model = getattr(torchvision.models.segmentation, name)(
            weights=None, weights_backbone=None, aux_loss=False, **kwargs)
        return OutOnly(model)
    return getattr(torchvision.models, name)(weights=None, **kwargs)


def OutOnly(model):
    """A segmentation model returns a dict; its 'out' entry is the network's output."""
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x)["out"]

    return Wrapped(model)


def count_macs(model, x):
    """Multiply-accumulates of one forward pass, from hooks on the Conv2d and Linear modules."""
    import torch
    macs = [0]

    def conv(m, _, y):
        macs[0] += y.numel() // y.shape[0] * (m.in_channels // m.groups) * \
            m.kernel_size[0] * m.kernel_size[1]

    def linear(m, _, y):
        macs[0] += y.numel() // y.shape[0] * m.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            hooks.append(m.register_forward_hook(conv))
        elif isinstance(m, torch.nn.Linear):
            hooks.append(m.register_forward_hook(linear))
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return macs[0]


def export(name, out, opset, seed, size=None):
    import torch
    stem = name if size is None else f"{name}_{size}"
    size = size or INPUT_SIZE.get(name, 224)
    path = os.path.join(out, f"{stem}.onnx")
    meta_path = os.path.join(out, f"{stem}.json")
    key = {"model": name, "opset": opset, "seed": seed, "torch": torch.__version__,
           "size": size}
    try:
        with open(meta_path) as f:
            if {k: v for k, v in json.load(f).items() if k in key} == key and \
                    os.path.exists(path):
                return path, False
    except (OSError, ValueError):
        pass
    torch.manual_seed(seed)
    model = build(name).eval()
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(seed))
    tmp = path + ".part"
    with torch.no_grad():
        torch.onnx.export(model, x, tmp, opset_version=opset, input_names=["input"],
                          output_names=["output"], do_constant_folding=True)
    meta = dict(key, input=[1, 3, size, size], macs=count_macs(model, x),
                params=sum(p.numel() for p in model.parameters()))
    os.replace(tmp, path)
    with open(meta_path + ".part", "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(meta_path + ".part", meta_path)
    return path, True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="third_party/models/torchvision")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, help="input height and width instead of the model's "
                    "own (224, Inception-v3 299); the file is then <name>_<size>.onnx")
    ap.add_argument("--list", action="store_true", help="print the model names and exit")
    ap.add_argument("models", nargs="*", help="names (default: all)")
    a = ap.parse_args()
    everything = CLASSIFICATION + SEGMENTATION
    if a.list:
        print("\n".join(everything))
        return 0
    unknown = [m for m in a.models if m not in everything]
    if unknown:
        print(f"export_torchvision: unknown model(s) {', '.join(unknown)}; "
              f"--list prints the {len(everything)} known", file=sys.stderr)
        return 2
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as e:
        print(f"export_torchvision: {e}; install Debian's python3-torchvision "
              "(scripts/install-deps.sh)", file=sys.stderr)
        return 77
    os.makedirs(a.out, exist_ok=True)
    failed = []
    for name in a.models or everything:
        try:
            path, fresh = export(name, a.out, a.opset, a.seed, a.size)
            print(f"{path}: {'exported' if fresh else 'up to date'}", flush=True)
        except Exception as e:  # one model's failure must not stop the others
            print(f"export_torchvision: {name}: {type(e).__name__}: {e}", file=sys.stderr)
            failed.append(name)
    if failed:
        print(f"export_torchvision: not exported: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
