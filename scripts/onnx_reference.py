#!/usr/bin/python3
"""Runs an ONNX model in float64 with NumPy, independently of the simulator's importer, and
compares its output with the simulator's float output.

    onnx_reference.py MODEL.onnx INPUT.npy OURS.npy [--before-softmax] [--tol 1e-4]

INPUT is the model input in the model's own layout (NCHW or NHWC, batch 1). OURS is the
simulator's FloatNetwork output (HWC, flattened). With --before-softmax the comparison uses the
input of a final Softmax (the simulator does not run it). Exit 0 when the largest difference,
relative to the largest magnitude of the reference output, is at most --tol; 1 otherwise.
Uses Debian's python3-onnx only to read the protobuf; every op is computed here.
"""
import argparse
import math
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv2d(x, w, b, strides, pads, group, dil=(1, 1)):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - ((kh - 1) * dil[0] + 1)) // strides[0] + 1
    ow = (x.shape[3] - ((kw - 1) * dil[1] + 1)) // strides[1] + 1
    out = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xs = x[:, g * cg:(g + 1) * cg]
        ws = w[g * mg:(g + 1) * mg]
        for r in range(kh):
            for s in range(kw):
                y0, x0 = r * dil[0], s * dil[1]
                patch = xs[:, :, y0:y0 + strides[0] * oh:strides[0], x0:x0 + strides[1] * ow:strides[1]]
                out[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, ws[:, :, r, s])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def pads_of(a, x_hw, k, strides):
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        p = []
        for i in range(2):
            out = -(-x_hw[i] // strides[i])
            total = max(0, (out - 1) * strides[i] + k[i] - x_hw[i])
            p.append(total // 2 if auto == "SAME_UPPER" else total - total // 2)
            p.append(total - p[-1])
        return [p[0], p[2], p[1], p[3]]
    return list(a.get("pads", [0, 0, 0, 0]))


def pool(x, a, kind):
    k = a["kernel_shape"]
    st = a.get("strides", [1, 1])
    p = pads_of(a, x.shape[2:], k, st)
    n, c, h, w = x.shape
    oh = (h + p[0] + p[2] - k[0]) // st[0] + 1
    ow = (w + p[1] + p[3] - k[1]) // st[1] + 1
    if a.get("ceil_mode", 0):
        oh = -(-(h + p[0] + p[2] - k[0]) // st[0]) + 1
        ow = -(-(w + p[1] + p[3] - k[1]) // st[1]) + 1
    out = np.zeros((n, c, oh, ow))
    include = a.get("count_include_pad", 0)
    for y in range(oh):
        for xx in range(ow):
            y0, x0 = y * st[0] - p[0], xx * st[1] - p[1]
            ys, xs = max(0, y0), max(0, x0)
            ye, xe = min(h, y0 + k[0]), min(w, x0 + k[1])
            win = x[:, :, ys:ye, xs:xe]
            if kind == "max":
                out[:, :, y, xx] = win.max(axis=(2, 3))
            else:
                cnt = k[0] * k[1] if include else win.shape[2] * win.shape[3]
                out[:, :, y, xx] = win.sum(axis=(2, 3)) / cnt
    return out


def as_2d(a):
    """A 1-D op's window attributes as the 2-D op's over a one-row image."""
    b = dict(a)
    for k in ("kernel_shape", "strides", "dilations"):
        if k in a:
            b[k] = [1] + list(a[k])
    if "pads" in a:
        b["pads"] = [0, a["pads"][0], 0, a["pads"][1]]
    return b


def run(model, x):
    g = model.graph
    v = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    inputs = [i.name for i in g.input if i.name not in v]
    v[inputs[0]] = x.astype(np.float64)
    softmax_in = None
    for node in g.node:
        a = attrs(node)
        i = [v[n] if n else None for n in node.input]
        op = node.op_type
        one_d = op in ("Conv", "MaxPool", "AveragePool") and i[0].ndim == 3
        if one_d:  # a 1-D op: the 2-D one over a one-row image
            a = as_2d(a)
            i = [i[0][:, :, None, :]] + [t[:, :, None, :] if op == "Conv" and k == 1 else t
                                         for k, t in enumerate(i[1:], 1)]
        if op == "Constant":
            y = numpy_helper.to_array(a["value"]).astype(np.float64)
        elif op == "Conv":
            st = a.get("strides", [1, 1])
            dil = a.get("dilations", [1, 1])
            span = [(k - 1) * d + 1 for k, d in zip(i[1].shape[2:], dil)]
            y = conv2d(i[0], i[1], i[2] if len(i) > 2 else None, st,
                       pads_of(a, i[0].shape[2:], span, st), a.get("group", 1), dil)
        elif op == "ConvTranspose":
            xx, w = i[0], i[1]
            st = a.get("strides", [1, 1])
            cin, cout, kh, kw = w.shape
            n, _, h, wd = xx.shape
            y = np.zeros((n, cout, (h - 1) * st[0] + kh, (wd - 1) * st[1] + kw))
            for r in range(kh):
                for s in range(kw):
                    y[:, :, r:r + st[0] * h:st[0], s:s + st[1] * wd:st[1]] += np.einsum(
                        "nchw,cm->nmhw", xx, w[:, :, r, s])
            p = a.get("pads", [0, 0, 0, 0])
            y = y[:, :, p[0]:y.shape[2] - p[2], p[1]:y.shape[3] - p[3]]
            if len(i) > 2 and i[2] is not None:
                y += i[2].reshape(1, -1, 1, 1)
        elif op == "BatchNormalization":
            s = i[1] / np.sqrt(i[4] + a.get("epsilon", 1e-5))
            per_c = (1, -1) + (1,) * (i[0].ndim - 2)  # channel axis 1, any rank
            y = (i[0] - i[3].reshape(per_c)) * s.reshape(per_c) + i[2].reshape(per_c)
        elif op == "Relu":
            y = np.maximum(i[0], 0)
        elif op == "Clip":
            lo = a.get("min", -np.inf) if len(i) < 2 or i[1] is None else i[1]
            hi = a.get("max", np.inf) if len(i) < 3 or i[2] is None else i[2]
            y = np.clip(i[0], lo, hi)
        elif op in ("Add", "Sub", "Mul", "Div"):
            f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
            y = f(i[0], i[1])
        elif op == "Max":
            y = np.maximum(i[0], i[1])
        elif op == "HardSigmoid":
            y = np.clip(a.get("alpha", 0.2) * i[0] + a.get("beta", 0.5), 0, 1)
        elif op == "HardSwish":
            y = i[0] * np.clip(i[0] / 6 + 0.5, 0, 1)
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-i[0]))
        elif op == "LeakyRelu":
            y = np.where(i[0] >= 0, i[0], a.get("alpha", 0.01) * i[0])
        elif op == "Erf":  # NumPy has no erf; the standard library's, element by element
            y = np.vectorize(math.erf, otypes=[i[0].dtype])(i[0])
        elif op == "GlobalAveragePool":
            y = i[0].mean(axis=tuple(range(2, i[0].ndim)), keepdims=True)
        elif op == "GlobalMaxPool":
            y = i[0].max(axis=tuple(range(2, i[0].ndim)), keepdims=True)
        elif op == "Pad":
            p = [int(d) for d in (i[1] if len(i) > 1 and i[1] is not None else a["pads"])]
            r = len(p) // 2
            value = float(i[2].reshape(-1)[0]) if len(i) > 2 and i[2] is not None else a.get("value", 0.0)
            y = np.pad(i[0], [(p[k], p[k + r]) for k in range(r)], mode="constant", constant_values=value)
        elif op == "ReduceMean":
            axes = a["axes"] if "axes" in a else i[1].astype(int)
            y = i[0].mean(axis=tuple(int(k) for k in axes), keepdims=bool(a.get("keepdims", 1)))
        elif op == "Pow":
            y = np.power(i[0], i[1])
        elif op == "Sqrt":
            y = np.sqrt(i[0])
        elif op == "LayerNormalization":  # over the axes from `axis` on, as ONNX defines it
            ax = a.get("axis", -1) % i[0].ndim
            axes = tuple(range(ax, i[0].ndim))
            d = i[0] - i[0].mean(axis=axes, keepdims=True)
            y = d / np.sqrt((d * d).mean(axis=axes, keepdims=True) + a.get("epsilon", 1e-5)) * i[1]
            if len(i) > 2 and i[2] is not None:
                y = y + i[2]
        elif op == "MaxPool":
            y = pool(i[0], a, "max")
        elif op == "AveragePool":
            y = pool(i[0], a, "avg")
        elif op in ("Reshape",):
            shape = [int(d) if d != 0 else i[0].shape[k] for k, d in enumerate(i[1])]
            y = i[0].reshape(shape)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
        elif op == "Shape":
            y = np.array(i[0].shape, dtype=np.float64)
        elif op in ("Cast", "Identity", "Dropout"):
            y = i[0]
        elif op == "Slice":
            # Bounds as exported may be INT64_MAX ("to the end"), which a float copy rounds up
            # past int64: clip before converting.
            starts = a["starts"] if "starts" in a else np.clip(i[1], -2**62, 2**62).astype(int)
            ends = a["ends"] if "ends" in a else np.clip(i[2], -2**62, 2**62).astype(int)
            axes = a.get("axes", list(range(len(starts)))) if len(i) < 4 or i[3] is None else i[3].astype(int)
            sl = [slice(None)] * i[0].ndim
            for s0, e0, ax in zip(starts, ends, axes):
                sl[ax] = slice(int(s0), int(min(e0, 2**62)))
            y = i[0][tuple(sl)]
        elif op == "Concat":
            y = np.concatenate(i, axis=a["axis"])
        elif op == "Gather":
            y = np.take(i[0], i[1].astype(int), axis=a.get("axis", 0))
        elif op == "Squeeze":
            axes = a.get("axes") if len(i) < 2 else i[1].astype(int)
            y = np.squeeze(i[0], axis=tuple(axes) if axes is not None else None)
        elif op == "Unsqueeze":
            axes = a.get("axes") if len(i) < 2 else i[1].astype(int)
            y = i[0]
            for ax in sorted(axes):
                y = np.expand_dims(y, ax)
        elif op == "Transpose":
            y = np.transpose(i[0], a.get("perm"))
        elif op == "MatMul":
            y = i[0] @ i[1]
        elif op == "Gemm":
            A = i[0].T if a.get("transA", 0) else i[0]
            B = i[1].T if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(i) > 2 and i[2] is not None:
                y = y + a.get("beta", 1.0) * i[2]
        elif op == "Resize":
            scales = i[2] if len(i) > 2 and i[2] is not None and i[2].size else None
            if scales is None:
                scales = np.array(i[3], dtype=float) / np.array(i[0].shape)
            y = i[0]
            mode = a.get("mode", b"nearest")
            mode = mode.decode() if isinstance(mode, bytes) else mode
            ctm = a.get("coordinate_transformation_mode", b"half_pixel")
            ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
            for ax in (2, 3):
                if mode == "nearest":
                    y = np.repeat(y, int(round(scales[ax])), axis=ax)
                    continue
                n_in = y.shape[ax]
                n_out = int(np.floor(n_in * scales[ax] + 1e-9))
                o = np.arange(n_out, dtype=float)
                if ctm == "align_corners":
                    src = o * (n_in - 1) / max(n_out - 1, 1)
                else:  # half_pixel, with the output size's own scale
                    src = (o + 0.5) * n_in / n_out - 0.5
                src = np.clip(src, 0, n_in - 1)
                i0 = np.floor(src).astype(int)
                i1 = np.minimum(i0 + 1, n_in - 1)
                w = (src - i0).reshape([-1 if d == ax else 1 for d in range(y.ndim)])
                y = np.take(y, i0, axis=ax) * (1 - w) + np.take(y, i1, axis=ax) * w
        elif op == "Split":
            axis = a.get("axis", 0)
            sizes = a.get("split") if len(i) < 2 or i[1] is None else i[1].astype(int)
            if sizes is None:
                sizes = [i[0].shape[axis] // len(node.output)] * len(node.output)
            parts = np.split(i[0], np.cumsum(sizes)[:-1], axis=axis)
            for name, part in zip(node.output[1:], parts[1:]):
                v[name] = part
            y = parts[0]
        elif op == "Softmax":
            softmax_in = i[0]
            e = np.exp(i[0] - i[0].max(axis=a.get("axis", -1), keepdims=True))
            y = e / e.sum(axis=a.get("axis", -1), keepdims=True)
        else:
            sys.exit(f"onnx_reference: op {op} not implemented")
        v[node.output[0]] = y[:, :, 0, :] if one_d else y
    return v[g.output[0].name], softmax_in


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("ours")
    ap.add_argument("--before-softmax", action="store_true")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    model = onnx.load(args.model)
    out, pre = run(model, np.load(args.input))
    ref = pre if args.before_softmax else out
    if ref is None:
        sys.exit("onnx_reference: no Softmax in the model")
    if ref.ndim == 4:  # NCHW -> HWC, the simulator's order
        ref = ref[0].transpose(1, 2, 0)
    ref = ref.reshape(-1)
    ours = np.load(args.ours).reshape(-1)
    if ours.shape != ref.shape:
        sys.exit(f"onnx_reference: output sizes differ: ours {ours.shape}, reference {ref.shape}")
    err = np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-30)
    print(f"onnx_reference: {ref.size} outputs, max |ours - reference| / max |reference| = {err:.3g}")
    return 0 if err <= args.tol else 1


if __name__ == "__main__":
    sys.exit(main())
