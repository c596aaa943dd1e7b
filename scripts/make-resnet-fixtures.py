#!/usr/bin/python3
"""Golden values from PyTorch for the ResNet of @pneumo/nn (`resnet()`).

    /usr/bin/python3 scripts/make-resnet-fixtures.py   (Debian: apt-get install -y python3-torch)

Writes test/fixtures/resnet.json. The network (scripts/torch_resnet.py) has
torchvision's module names and BasicBlock (torchvision itself is not needed);
the configuration is the one the test builds: 3x20x20 input, a 3x3 stem, stages of
widths 8 and 16 with 1 and 2 blocks (identity shortcuts, a 1x1 stride-2
projection), 3 classes. Weights and inputs come from a closed formula the
test computes the same way (see `formula` and `set_weights`).

Recorded, in train mode: logits, loss and every gradient of the first
forward; then two SGD-momentum steps (forward, backward, step each): every
parameter and the running statistics after them; then eval-mode logits.
"""
import base64
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_resnet import ResNet

torch.set_default_dtype(torch.float32)

CONFIG = {"inChannels": 3, "inputSize": 20, "classes": 3, "widths": [8, 16], "blocks": [1, 2], "stem": "small"}
BATCH = 5
LABELS = [0, 2, 1, 1, 2]
SGD = {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4}


def formula(n, seed, scale):
    """value[j] = scale * sin(0.7 * j + seed) * cos(0.013 * j), rounded to float32."""
    j = torch.arange(n, dtype=torch.float64)
    return (scale * torch.sin(0.7 * j + seed) * torch.cos(0.013 * j)).to(torch.float32)


def enc(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "i32": base64.b64encode(t.to(torch.int32).numpy().tobytes()).decode()}
    return {"shape": list(t.shape), "f32": base64.b64encode(t.to(torch.float32).numpy().tobytes()).decode()}


def set_weights(model):
    """i-th parameter: convolutions and fc formula(seed 0.1 i, 1/sqrt(fan_in)); batch-norm weight 1 + 0.3 formula, bias 0.1 formula."""
    with torch.no_grad():
        state = model.state_dict()
        for i, (name, p) in enumerate(model.named_parameters()):
            if p.dim() > 1:
                p.copy_(formula(p.numel(), 0.1 * i, 1.0 / math.sqrt(p[0].numel())).reshape(p.shape))
            elif name.startswith("fc."):
                p.copy_(formula(p.numel(), 0.1 * i, 1.0 / math.sqrt(state["fc.weight"][0].numel())))
            elif name.endswith(".weight"):
                p.copy_(1 + 0.3 * formula(p.numel(), 0.1 * i, 1.0))
            else:
                p.copy_(0.1 * formula(p.numel(), 0.1 * i, 1.0))


model = ResNet(CONFIG)
set_weights(model)
model.train()
n = CONFIG["inputSize"]
x = formula(BATCH * 3 * n * n, 0.5, 1.0).reshape(BATCH, 3, n, n)
labels = torch.tensor(LABELS)
opt = torch.optim.SGD(model.parameters(), **SGD)

logits = model(x)
loss = F.cross_entropy(logits, labels)
loss.backward()
first = {
    "logits": enc(logits),
    "loss": float(loss),
    "grads": {name: enc(p.grad) for name, p in model.named_parameters()},
}
opt.step()
opt.zero_grad()
loss2 = F.cross_entropy(model(x), labels)
loss2.backward()
opt.step()
after = {name: enc(t) for name, t in model.state_dict().items()}
model.eval()
with torch.no_grad():
    eval_logits = model(x)

fixture = {
    "torch": torch.__version__,
    "config": CONFIG,
    "batch": BATCH,
    "labels": LABELS,
    "sgd": SGD,
    "param_count": sum(p.numel() for p in model.parameters()),
    "state_dict": [[k, list(v.shape)] for k, v in model.state_dict().items()],
    "first": first,
    "loss_second_step": float(loss2),
    "after_two_steps": after,
    "eval_logits": enc(eval_logits),
}
out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "resnet.json")
with open(out, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(f"wrote {os.path.normpath(out)} ({os.path.getsize(out)} bytes)")
