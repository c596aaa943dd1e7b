#!/usr/bin/python3
"""Golden values from PyTorch for @pneumo/nn's tests.

    /usr/bin/python3 scripts/make-nn-fixtures.py   (Debian: apt-get install -y python3-torch)

Writes test/fixtures/nn.json. The blog CNN's weights and inputs come from a
closed formula (see `formula`), which the tests compute the same way, so no
megabytes of weights are stored: only outputs, gradient summaries (sums,
norms, values at sampled indices) and parameters after optimizer steps.
"""
import base64
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)


def formula(n, seed, scale):
    """value[j] = scale * sin(0.7 * j + seed) * cos(0.013 * j), rounded to float32."""
    j = torch.arange(n, dtype=torch.float64)
    return (scale * torch.sin(0.7 * j + seed) * torch.cos(0.013 * j)).to(torch.float32)


def enc(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "i32": base64.b64encode(t.to(torch.int32).numpy().tobytes()).decode()}
    return {"shape": list(t.shape), "f32": base64.b64encode(t.to(torch.float32).numpy().tobytes()).decode()}


def sample_idx(n, k=64):
    return sorted({(i * 7919 + 13) % n for i in range(k)})


def blog_cnn():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(64, 128, 3, stride=1, padding=1), nn.ReLU(),
        nn.Conv2d(128, 128, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(128, 256, 3, stride=1, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(4096, 1024), nn.ReLU(), nn.Linear(1024, 512), nn.ReLU(), nn.Linear(512, 10),
    )


def set_formula_weights(model):
    with torch.no_grad():
        for i, (name, p) in enumerate(model.named_parameters()):
            fan_in = p[0].numel() if p.dim() > 1 else model.state_dict()[name.replace("bias", "weight")][0].numel()
            p.copy_(formula(p.numel(), 0.1 * i, 1.0 / math.sqrt(fan_in)).reshape(p.shape))


def summarize(model):
    out = {}
    for name, p in model.named_parameters():
        flat = p.grad.flatten()
        idx = sample_idx(flat.numel())
        out[name] = {"sum": float(flat.double().sum()), "norm": float(flat.double().norm()), "idx": idx, "values": [float(flat[i]) for i in idx]}
    return out


def params_at(model):
    return {name: [float(p.flatten()[i]) for i in sample_idx(p.numel())] for name, p in model.named_parameters()}


B = 4
x = formula(B * 3 * 32 * 32, 0.5, 1.0).reshape(B, 3, 32, 32)
labels = torch.tensor([1, 0, 2, 9])

model = blog_cnn()
set_formula_weights(model)
init_params = params_at(model)
logits = model(x)
loss = F.cross_entropy(logits, labels)
loss.backward()
cnn = {
    "batch": B,
    "labels": labels.tolist(),
    "logits": enc(logits),
    "loss": float(loss),
    "param_count": sum(p.numel() for p in model.parameters()),
    "state_dict_keys": list(model.state_dict().keys()),
    "grads": summarize(model),
    "params_init": init_params,
}
sgd = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
sgd.step()
cnn["params_after_sgd"] = params_at(model)

model = blog_cnn()
set_formula_weights(model)
adam = torch.optim.Adam(model.parameters(), lr=1e-3)
for _ in range(3):
    adam.zero_grad()
    F.cross_entropy(model(x), labels).backward()
    adam.step()
cnn["params_after_adam3"] = params_at(model)

# Optimizer trajectories on a small parameter with a fixed gradient sequence.
def trajectory(make, steps=5):
    p = torch.nn.Parameter(formula(13, 1.0, 1.0))
    opt = make([p])
    out = []
    for s in range(steps):
        p.grad = formula(13, 2.0 + s, 0.5)
        opt.step()
        out.append(p.detach().clone().tolist())
    return out

optimizers = {
    "sgd": trajectory(lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd_momentum_wd": trajectory(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)),
    "sgd_dampening": trajectory(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.8, dampening=0.3)),
    "sgd_nesterov": trajectory(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
    "adam": trajectory(lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.05)),
    "adamw": trajectory(lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.05)),
}

def lr_sequence(make, steps=12, metrics=None):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make(opt)
    out = [opt.param_groups[0]["lr"]]
    for s in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[s])
        out.append(opt.param_groups[0]["lr"])
    return out

def momentum_sequence(make, steps=12):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = make([p])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=13)
    key = "momentum" if "momentum" in opt.param_groups[0] else "betas"
    read = lambda: opt.param_groups[0][key] if key == "momentum" else opt.param_groups[0][key][0]
    out = [[opt.param_groups[0]["lr"], read()]]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append([opt.param_groups[0]["lr"], read()])
    return out

onecycle_momentum = {
    "sgd": momentum_sequence(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    "adam": momentum_sequence(lambda ps: torch.optim.Adam(ps, lr=0.1)),
}

schedulers = {
    "step": lr_sequence(lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
    "multistep": lr_sequence(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [2, 5, 9], 0.3)),
    "cosine": lr_sequence(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 10, 0.001)),
    "onecycle": lr_sequence(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=13, cycle_momentum=False)),
    "onecycle_linear_3phase": lr_sequence(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=13, anneal_strategy="linear", three_phase=True, cycle_momentum=False)),
    "plateau": lr_sequence(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1, factor=0.5, cooldown=1),
                           metrics=[1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.95, 0.99, 0.5, 0.6, 0.7, 0.8]),
}

# Layers and losses, forward and backward.
def layer_case(fn, inputs, grad_names):
    leaves = {k: v.clone().requires_grad_(k in grad_names) for k, v in inputs.items()}
    out = fn(**leaves)
    up = formula(out.numel(), 3.3, 1.0).reshape(out.shape)
    out.backward(up)
    return {"inputs": {k: enc(v) for k, v in inputs.items()}, "upstream": enc(up), "output": enc(out), "grads": {k: enc(leaves[k].grad) for k in grad_names}}

bn = nn.BatchNorm2d(5, momentum=0.2)
with torch.no_grad():
    bn.weight.copy_(formula(5, 0.2, 1.0) + 1)
    bn.bias.copy_(formula(5, 0.4, 0.5))
bx = formula(3 * 5 * 4 * 6, 0.9, 2.0).reshape(3, 5, 4, 6) + 0.5
bn_train = layer_case(lambda x: bn(x), {"x": bx}, ["x"])
bn_train["running_mean"] = bn.running_mean.tolist()
bn_train["running_var"] = bn.running_var.tolist()
bn.eval()
bn_eval = layer_case(lambda x: bn(x), {"x": bx * 0.5}, ["x"])

lg = formula(6 * 4, 1.3, 2.0).reshape(6, 4)
lab = torch.tensor([0, 3, 1, 1, 2, 0])
w = torch.tensor([0.5, 2.0, 1.0, 1.5])
losses = {
    "ce_smoothing": layer_case(lambda logits: F.cross_entropy(logits, lab, label_smoothing=0.1), {"logits": lg}, ["logits"]),
    "ce_smoothing_weighted": layer_case(lambda logits: F.cross_entropy(logits, lab, weight=w, label_smoothing=0.2), {"logits": lg}, ["logits"]),
    "nll": layer_case(lambda lp: F.nll_loss(lp, lab), {"lp": F.log_softmax(lg, 1)}, ["lp"]),
    "mse": layer_case(lambda a, b: F.mse_loss(a, b), {"a": lg, "b": lg.flip(0)}, ["a"]),
    "bce_logits": layer_case(lambda a, t: F.binary_cross_entropy_with_logits(a, t), {"a": lg * 3, "t": (lg > 0).float()}, ["a"]),
}
losses["ce_smoothing"]["labels"] = lab.tolist()
losses["ce_smoothing_weighted"]["labels"] = lab.tolist()
losses["ce_smoothing_weighted"]["weight"] = w.tolist()
losses["nll"]["labels"] = lab.tolist()

out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "nn.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cnn": cnn, "optimizers": optimizers, "schedulers": schedulers, "onecycle_momentum": onecycle_momentum,
               "batchnorm_train": bn_train, "batchnorm_eval": bn_eval, "losses": losses}, f, separators=(",", ":"))
print(f"wrote {os.path.normpath(out)} ({os.path.getsize(out)} bytes)")
