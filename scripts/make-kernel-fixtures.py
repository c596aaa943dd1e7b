#!/usr/bin/python3
"""Golden values from PyTorch for pneumo's kernel tests.

Run with Debian's torch (apt-get install -y python3-torch):
    /usr/bin/python3 scripts/make-kernel-fixtures.py
Writes test/fixtures/kernels.json: for each case its inputs, the upstream
gradient, PyTorch's outputs and the gradients of every input. Tensors are
stored as {"shape": [...], "f32": base64 little-endian float32} (labels as
"i32").
"""
import base64
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)


def enc(t):
    t = t.detach().contiguous()
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "i32": base64.b64encode(t.to(torch.int32).numpy().tobytes()).decode()}
    return {"shape": list(t.shape), "f32": base64.b64encode(t.to(torch.float32).numpy().tobytes()).decode()}


cases = []


def case(name, op, args, inputs, fn, grad_inputs):
    """inputs: dict name -> tensor; grad_inputs: names that get gradients."""
    leaves = {k: (v.clone().requires_grad_(k in grad_inputs)) for k, v in inputs.items()}
    out = fn(**leaves)
    upstream = torch.randn_like(out)
    out.backward(upstream)
    cases.append({
        "name": name,
        "op": op,
        "args": args,
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "upstream": enc(upstream),
        "output": enc(out),
        "grads": {k: enc(leaves[k].grad) for k in grad_inputs},
    })


# conv2d
for name, (n, ci, h, w, co, k, s, p, bias) in {
    "conv2d 3x3 pad 1 bias": (2, 3, 7, 6, 5, 3, 1, 1, True),
    "conv2d 5x5 stride 2 pad 2": (1, 2, 9, 8, 3, 5, 2, 2, False),
    "conv2d 16->8 3x3 pad 1 (8x8)": (2, 16, 8, 8, 8, 3, 1, 1, True),
    "conv2d 1x1 stride 2": (3, 4, 5, 5, 6, 1, 2, 0, True),
}.items():
    inputs = {"x": torch.randn(n, ci, h, w), "weight": torch.randn(co, ci, k, k) * 0.3}
    if bias:
        inputs["bias"] = torch.randn(co)
    case(name, "conv2d", {"stride": s, "padding": p}, inputs,
         lambda x, weight, bias=None, s=s, p=p: F.conv2d(x, weight, bias, stride=s, padding=p),
         list(inputs.keys()))

# maxpool with ties: small integers repeat inside windows
for name, (shape, k, s, p) in {
    "maxpool 2x2 ties": ((2, 3, 6, 8), 2, 2, 0),
    "maxpool 3x3 stride 2 pad 1 ties (overlapping)": ((1, 2, 7, 9), 3, 2, 1),
    "maxpool 3x3 stride 1 ties (overlapping)": ((2, 1, 6, 5), 3, 1, 0),
    "maxpool 2x2 odd size": ((1, 3, 7, 5), 2, 2, 0),
}.items():
    x = torch.randint(-2, 3, shape).float()
    case(name, "maxPool2d", {"kernel": k, "stride": s, "padding": p}, {"x": x},
         lambda x, k=k, s=s, p=p: F.max_pool2d(x, k, s, p), ["x"])

# linear
for name, (rows, fin, fout, bias) in {
    "linear 7->3 bias": (5, 7, 3, True),
    "linear 64->10 bias": (4, 64, 10, True),
    "linear 32->16 no bias": (3, 32, 16, False),
}.items():
    inputs = {"x": torch.randn(rows, fin), "weight": torch.randn(fout, fin) * 0.2}
    if bias:
        inputs["bias"] = torch.randn(fout)
    case(name, "linear", {}, inputs, lambda x, weight, bias=None: F.linear(x, weight, bias), list(inputs.keys()))

# cross-entropy
for name, (rows, cols, reduction, weighted, scale, shift) in {
    "cross entropy mean": (6, 4, "mean", False, 1.0, 0.0),
    "cross entropy weighted mean": (9, 3, "mean", True, 1.0, 0.0),
    "cross entropy sum": (5, 10, "sum", False, 1.0, 0.0),
    "cross entropy none weighted": (7, 5, "none", True, 1.0, 0.0),
    "cross entropy logits 100+-30": (8, 10, "mean", False, 30.0, 100.0),
}.items():
    inputs = {"logits": torch.randn(rows, cols) * scale + shift, "labels": torch.randint(0, cols, (rows,))}
    args = {"reduction": reduction}
    if weighted:
        inputs["weight"] = torch.rand(cols) + 0.5
    case(name, "crossEntropy", args, inputs,
         lambda logits, labels, weight=None, reduction=reduction: F.cross_entropy(logits, labels, weight=weight, reduction=reduction),
         ["logits"])

# Added later: after the cases above, so their random draws stay the same.

# average pooling (count_include_pad both ways) and adaptive average pooling
for name, (shape, k, s, p, include) in {
    "avgpool 3x3 stride 2 pad 1": ((2, 3, 7, 6), 3, 2, 1, True),
    "avgpool 3x3 stride 2 pad 1 excluding padding": ((1, 2, 7, 9), 3, 2, 1, False),
    "avgpool 2x2": ((2, 2, 6, 8), 2, 2, 0, True),
}.items():
    case(name, "avgPool2d", {"kernel": k, "stride": s, "padding": p, "countIncludePad": int(include)}, {"x": torch.randn(shape)},
         lambda x, k=k, s=s, p=p, include=include: F.avg_pool2d(x, k, s, p, count_include_pad=include), ["x"])
for name, (shape, size) in {
    "adaptive avgpool 7x10 -> 3x4 (uneven windows)": ((2, 3, 7, 10), (3, 4)),
    "adaptive avgpool 8x8 -> 2x2": ((1, 2, 8, 8), (2, 2)),
    "adaptive avgpool 5x7 -> 1x1": ((1, 1, 5, 7), (1, 1)),
}.items():
    case(name, "adaptiveAvgPool2d", {"outH": size[0], "outW": size[1]}, {"x": torch.randn(shape)},
         lambda x, size=size: F.adaptive_avg_pool2d(x, size), ["x"])

# exact GELU over its whole range
case("gelu", "gelu", {}, {"x": torch.randn(4, 9) * 3}, lambda x: F.gelu(x), ["x"])

# max pooling's indices (return_indices), ties included
for name, (shape, k, s, p) in {
    "maxpool indices 3x3 stride 2 pad 1 ties": ((2, 2, 7, 9), 3, 2, 1),
    "maxpool indices 2x2": ((1, 3, 6, 8), 2, 2, 0),
}.items():
    x = torch.randint(-2, 3, shape).float()
    y, idx = F.max_pool2d(x, k, s, p, return_indices=True)
    cases.append({"name": name, "op": "maxPool2dIndices", "args": {"kernel": k, "stride": s, "padding": p},
                  "inputs": {"x": enc(x)}, "upstream": enc(torch.zeros_like(y)), "output": enc(idx), "grads": {}})

out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "kernels.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")
