"""PyTorch CPU throughput of the blog CNN, for bench:train's comparison.

Reads the configurations as JSON on argv[1] ([{"mode", "batch", "optimizer"}]),
prints one JSON list of images per second, in the same order. Same network,
same batch sizes, the loss read every step (.item()), median of timed steps
after warm-up, like the pneumo side.
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn


def blog_cnn():
    def conv(i, o):
        return nn.Conv2d(i, o, 3, stride=1, padding=1)
    return nn.Sequential(
        conv(3, 32), nn.ReLU(), conv(32, 64), nn.ReLU(), nn.MaxPool2d(2, 2),
        conv(64, 128), nn.ReLU(), conv(128, 128), nn.ReLU(), nn.MaxPool2d(2, 2),
        conv(128, 256), nn.ReLU(), conv(256, 256), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(4096, 1024), nn.ReLU(), nn.Linear(1024, 512), nn.ReLU(), nn.Linear(512, 10))


def images_per_second(cfg, steps):
    torch.manual_seed(0)
    model = blog_cnn()
    x = torch.randn(cfg["batch"], 3, 32, 32)
    y = torch.arange(cfg["batch"]) % 3
    if cfg["mode"] == "train":
        opt = (torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9) if cfg["optimizer"] == "sgd"
               else torch.optim.Adam(model.parameters(), lr=1e-4))
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(x).sum().item()
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    times.sort()
    return cfg["batch"] / times[len(times) // 2]


if __name__ == "__main__":
    # Every core, as pneumo's software adapters use (this build may default to one).
    torch.set_num_threads(os.cpu_count() or 1)
    configs = json.loads(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "imgPerS": [images_per_second(c, steps) for c in configs]}))
