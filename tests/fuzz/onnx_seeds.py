#!/usr/bin/python3
"""Writes small ONNX models covering the importer's mappings, as fuzzing seeds (scripts/fuzz.sh).
usage: onnx_seeds.py DIR"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def t(name, *shape):
    return numpy_helper.from_array(np.linspace(-1, 1, int(np.prod(shape))).astype(np.float32).reshape(shape), name)


def save(path, nodes, inits, dims=(1, 3, 8, 8), out="y", opset=13):
    g = helper.make_graph(nodes, "seed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(dims))],
                          [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    with open(path, "wb") as f:
        f.write(m.SerializeToString())


d = sys.argv[1]
N = helper.make_node
save(f"{d}/conv_bn_relu.onnx", [
    N("Conv", ["x", "w"], ["c"], pads=[1, 0, 1, 2], strides=[2, 1]),
    N("BatchNormalization", ["c", "g", "b", "m", "v"], ["n"]),
    N("Clip", ["n", "lo", "hi"], ["r"]),
    N("GlobalAveragePool", ["r"], ["p"]), N("Flatten", ["p"], ["f"]),
    N("Gemm", ["f", "wf", "bf"], ["y"], transB=1)],
    [t("w", 4, 3, 3, 3), t("g", 4), t("b", 4), t("m", 4), numpy_helper.from_array(np.ones(4, np.float32), "v"),
     numpy_helper.from_array(np.float32(0), "lo"), numpy_helper.from_array(np.float32(6), "hi"),
     t("wf", 2, 4), t("bf", 2)])
save(f"{d}/hardswish_se.onnx", [
    N("Conv", ["x", "w"], ["c"], group=3, auto_pad="SAME_UPPER"),
    N("Add", ["c", "three"], ["a"]), N("Clip", ["a", "lo", "hi"], ["k"]),
    N("Mul", ["c", "k"], ["m"]), N("Div", ["m", "six"], ["h"]),
    N("GlobalAveragePool", ["h"], ["p"]), N("HardSigmoid", ["p"], ["s"], alpha=0.2, beta=0.5),
    N("Mul", ["h", "s"], ["y"])],
    [t("w", 3, 1, 3, 3), numpy_helper.from_array(np.float32(3), "three"),
     numpy_helper.from_array(np.float32(0), "lo"), numpy_helper.from_array(np.float32(6), "hi"),
     numpy_helper.from_array(np.float32(6), "six")])
save(f"{d}/fpn.onnx", [
    N("Conv", ["x", "w"], ["c"], strides=[2, 2]),
    N("ConvTranspose", ["c", "wt"], ["u"], strides=[2, 2], kernel_shape=[2, 2]),
    N("Resize", ["c", "", "sc"], ["r"], mode="nearest"),
    N("Concat", ["u", "r"], ["y"], axis=1)],
    [t("w", 4, 3, 2, 2), t("wt", 4, 2, 2, 2), numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "sc")])
save(f"{d}/dynamic_shape_ops.onnx", [
    N("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]), N("Relu", ["t"], ["r"]),
    N("Shape", ["r"], ["s"]), N("Gather", ["s", "zero"], ["n"]),
    N("Unsqueeze", ["n", "ax"], ["nu"]), N("Concat", ["nu", "m1"], ["shape"], axis=0),
    N("Reshape", ["r", "shape"], ["f"]), N("MatMul", ["f", "wm"], ["y"])],
    [numpy_helper.from_array(np.array(0, np.int64), "zero"), numpy_helper.from_array(np.array([0], np.int64), "ax"),
     numpy_helper.from_array(np.array([-1], np.int64), "m1"), t("wm", 192, 3)], dims=(0, 8, 8, 3))
