#!/usr/bin/python3
"""Trains the small Fashion-MNIST CNN shipped in workloads/fmnist_cnn/ and exports it for
conlocnn-sim: network.json, per-layer float32 .npy weights (PyTorch layouts) and a slice of the
test set. Uses Debian's python3-torch and dataset-fashion-mnist (not installed by
scripts/install-deps.sh: only needed to regenerate the committed files).

usage: /usr/bin/python3 scripts/train_fmnist_cnn.py [OUT_DIR]   (default workloads/fmnist_cnn)
"""
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530  # of the Fashion-MNIST training pixels in [0, 1]


def load(kind):
    with gzip.open(f"{DATA}/{kind}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(f"{DATA}/{kind}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return (x.astype(np.float32) / 255.0 - MEAN) / STD, y.astype(np.int64)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv4 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x) + x)
        x = x.mean(dim=(2, 3))
        return self.fc(x)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "workloads/fmnist_cnn"
    torch.manual_seed(1)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr)
    for epoch in range(4):
        perm = torch.randperm(len(xtr_t))
        for i in range(0, len(perm), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = F.cross_entropy(net(xtr_t[idx]), ytr_t[idx])
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = (net(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean()
        print(f"epoch {epoch}: test accuracy {acc:.4f}", flush=True)

    os.makedirs(f"{out}/weights", exist_ok=True)
    for name in ["conv1", "conv2", "conv3", "conv4", "fc"]:
        m = getattr(net, name)
        np.save(f"{out}/weights/{name}.weight.npy", m.weight.detach().numpy().astype(np.float32))
        np.save(f"{out}/weights/{name}.bias.npy", m.bias.detach().numpy().astype(np.float32))
    n = 200
    np.save(f"{out}/test_images.npy", np.ascontiguousarray(xte[:n].transpose(0, 2, 3, 1)))  # NHWC
    np.save(f"{out}/test_labels.npy", yte[:n].astype(np.float32))
    doc = {
        "name": "fmnist_cnn",
        "description": f"Small CNN trained on Fashion-MNIST by scripts/train_fmnist_cnn.py "
                       f"(float test accuracy {acc:.4f} on the 10k test images); weights in "
                       f"PyTorch layouts, inputs normalised with mean {MEAN} and std {STD}",
        "input": [28, 28, 1],
        "weights": "weights",
        "images": "test_images.npy",
        "labels": "test_labels.npy",
        "dataset": {"name": "fashion-mnist", "mean": MEAN, "std": STD, "float_top1": float(acc)},
        "layers": [
            {"name": "conv1", "type": "conv", "out_channels": 16, "kernel": 3, "pad": 1, "act": "relu"},
            {"name": "pool1", "type": "maxpool", "kernel": 2, "stride": 2},
            {"name": "conv2", "type": "conv", "out_channels": 32, "kernel": 3, "pad": 1, "act": "relu"},
            {"name": "pool2", "type": "maxpool", "kernel": 2, "stride": 2},
            {"name": "conv3", "type": "conv", "out_channels": 64, "kernel": 3, "pad": 1, "act": "relu"},
            {"name": "conv4", "type": "conv", "out_channels": 64, "kernel": 3, "pad": 1},
            {"name": "add4", "type": "add", "inputs": ["conv4", "conv3"], "act": "relu"},
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
