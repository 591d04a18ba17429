#!/usr/bin/python3
"""Trains the residual Fashion-MNIST CNN shipped in workloads/fmnist_resnet/ and exports it for
conlocnn-sim: network.json, batch norm folded into per-layer float32 .npy weights (PyTorch
layouts), the folded network's own float top-1 on the 10k test images, SHA256SUMS of the weight
files, model.onnx (the same folded network) and the first test images.

Six convolutions with batch norm, two residual additions, global pooling, one fully-connected
layer: about 5.9 M MACs per image. Trained with SGD (momentum 0.9, weight decay 5e-4, one-cycle
learning rate, 2-pixel random crops and horizontal flips) on the 60k training images only; the
test images are never used to choose anything.

Needs Debian's python3-torch and dataset-fashion-mnist (not installed by scripts/install-deps.sh:
only needed to regenerate the committed files).

usage: /usr/bin/python3 scripts/train_fmnist_resnet.py [OUT_DIR] [EPOCHS]
       (defaults workloads/fmnist_resnet, 15)
"""
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_fmnist_cnn import MEAN, STD, load  # noqa: E402  (one reader of the dataset)


def conv_bn(cin, cout, k):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout))


class Net(nn.Module):
    # (name, in, out, kernel) of every conv+bn, in order.
    CONVS = [("conv1", 1, 16, 3), ("conv2", 16, 32, 3), ("conv3", 32, 32, 3),
             ("conv4", 32, 64, 3), ("conv5", 64, 64, 3), ("conv6", 64, 128, 1)]

    def __init__(self):
        super().__init__()
        for name, cin, cout, k in self.CONVS:
            setattr(self, name, conv_bn(cin, cout, k))
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # 14x14
        a = F.relu(self.conv2(x))
        x = F.relu(self.conv3(a) + a)
        x = F.max_pool2d(x, 2)  # 7x7
        b = F.relu(self.conv4(x))
        x = F.relu(self.conv5(b) + b)
        x = F.relu(self.conv6(x))
        return self.fc(x.mean(dim=(2, 3)))


def fold(seq):
    """Conv + BatchNorm (eval statistics) as one conv's weight and bias."""
    conv, bn = seq[0], seq[1]
    g = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    w = conv.weight.detach() * g.reshape(-1, 1, 1, 1)
    b = bn.bias.detach() - bn.running_mean * g
    return w.numpy().astype(np.float32), b.numpy().astype(np.float32)


class Folded(nn.Module):
    """The exported network: every conv carries its folded batch norm as weight and bias."""

    def __init__(self, net):
        super().__init__()
        for name, cin, cout, k in Net.CONVS:
            c = nn.Conv2d(cin, cout, k, padding=k // 2)
            w, b = fold(getattr(net, name))
            c.weight.data = torch.from_numpy(w)
            c.bias.data = torch.from_numpy(b)
            setattr(self, name, c)
        self.fc = net.fc

    forward = Net.forward


def augment(x):
    """2-pixel random crops (zero padding in normalised units) and horizontal flips."""
    n = x.shape[0]
    pad = F.pad(x, (2, 2, 2, 2), value=-MEAN / STD)
    dy, dx = torch.randint(0, 5, (2,))
    x = pad[:, :, dy:dy + 28, dx:dx + 28]
    flip = torch.rand(n) < 0.5
    x = x.clone()
    x[flip] = x[flip].flip(3)
    return x


def top1(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return float((pred.numpy() == y).mean())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "workloads/fmnist_resnet"
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    torch.manual_seed(1)
    torch.set_num_threads(os.cpu_count() or 1)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    xtr_t, ytr_t, xte_t = torch.from_numpy(xtr), torch.from_numpy(ytr), torch.from_numpy(xte)
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    steps = epochs * ((len(xtr_t) + 127) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps)
    for epoch in range(epochs):
        t0 = time.time()
        net.train()
        perm = torch.randperm(len(xtr_t))
        for i in range(0, len(perm), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = F.cross_entropy(net(augment(xtr_t[idx])), ytr_t[idx])
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}, {time.time() - t0:.0f} s", flush=True)
    acc_bn = top1(net, xte_t, yte)
    folded = Folded(net)
    acc = top1(folded, xte_t, yte)
    print(f"test top-1: {acc_bn:.4f} with batch norm, {acc:.4f} folded", flush=True)

    os.makedirs(f"{out}/weights", exist_ok=True)
    sums = []
    for name in [c[0] for c in Net.CONVS] + ["fc"]:
        m = getattr(folded, name)
        for part in ["weight", "bias"]:
            fname = f"weights/{name}.{part}.npy"
            np.save(f"{out}/{fname}", getattr(m, part).detach().numpy().astype(np.float32))
            with open(f"{out}/{fname}", "rb") as f:
                sums.append(f"{hashlib.sha256(f.read()).hexdigest()}  {fname}\n")
    with open(f"{out}/SHA256SUMS", "w") as f:
        f.writelines(sums)
    n = 100
    np.save(f"{out}/test_images.npy", np.ascontiguousarray(xte[:n].transpose(0, 2, 3, 1)))  # NHWC
    np.save(f"{out}/test_labels.npy", yte[:n].astype(np.float32))
    torch.onnx.export(folded, torch.zeros(1, 1, 28, 28), f"{out}/model.onnx", opset_version=13,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})

    def conv(name, cout, k, act="relu"):
        d = {"name": name, "type": "conv", "out_channels": cout, "kernel": k, "pad": k // 2}
        if act != "none":
            d["act"] = act
        return d

    doc = {
        "name": "fmnist_resnet",
        "description": f"Residual CNN trained on Fashion-MNIST by scripts/train_fmnist_resnet.py "
                       f"({epochs} epochs); batch norm folded into the conv weights and biases; "
                       f"weights in PyTorch layouts, inputs normalised with mean {MEAN} and std "
                       f"{STD}",
        "input": [28, 28, 1],
        "weights": "weights",
        "images": "test_images.npy",
        "labels": "test_labels.npy",
        "dataset": {"name": "fashion-mnist", "mean": MEAN, "std": STD, "float_top1": acc},
        "layers": [
            conv("conv1", 16, 3),
            {"name": "pool1", "type": "maxpool", "kernel": 2, "stride": 2},
            conv("conv2", 32, 3),
            conv("conv3", 32, 3, "none"),
            {"name": "add3", "type": "add", "inputs": ["conv3", "conv2"], "act": "relu"},
            {"name": "pool2", "type": "maxpool", "kernel": 2, "stride": 2},
            conv("conv4", 64, 3),
            conv("conv5", 64, 3, "none"),
            {"name": "add5", "type": "add", "inputs": ["conv5", "conv4"], "act": "relu"},
            conv("conv6", 128, 1),
            {"name": "gap", "type": "gap"},
            {"name": "fc", "type": "fc", "out_channels": 10},
        ],
    }
    with open(f"{out}/network.json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
