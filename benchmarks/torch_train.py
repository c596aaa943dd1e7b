"""PyTorch throughput of the blog CNN or the app's ResNet, for bench:train's comparison.

Reads the configurations as JSON on argv[1] ([{"mode", "batch", "optimizer"}]),
the step count on argv[2] and the model spec on argv[3] (pneumo's ModelSpec:
{"architecture": "blog-cnn" | "resnet", "inputSize", "resnet": {...}}),
prints one JSON list of images per second, in the same order. Same network,
same batch sizes, the loss read every step (.item()), median of timed steps
after warm-up, like the pneumo side. Also names the BLAS library the process
loaded (Debian picks it with update-alternatives: libopenblas0-openmp for
OpenBLAS). On the CPU unless PNEUMO_TORCH_DEVICE names another device (cuda on
a machine with an NVIDIA GPU: the baseline for pneumo on that GPU).
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from torch_resnet import ResNet  # noqa: E402


def blog_cnn():
    def conv(i, o):
        return nn.Conv2d(i, o, 3, stride=1, padding=1)
    return nn.Sequential(
        conv(3, 32), nn.ReLU(), conv(32, 64), nn.ReLU(), nn.MaxPool2d(2, 2),
        conv(64, 128), nn.ReLU(), conv(128, 128), nn.ReLU(), nn.MaxPool2d(2, 2),
        conv(128, 256), nn.ReLU(), conv(256, 256), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(4096, 1024), nn.ReLU(), nn.Linear(1024, 512), nn.ReLU(), nn.Linear(512, 10))


def resnet(c):
    """pneumo's resnet() (scripts/torch_resnet.py), small stem only."""
    if c["stem"] != "small":
        raise ValueError("only the small stem is benchmarked")
    return ResNet(c)


def blas_library():
    """The BLAS libraries mapped into this process. Debian's libblas.so.3 from
    the blas/ directory is the reference BLAS (even when liblapack.so.3 pulls in
    OpenBLAS for LAPACK alone, matrix products go through it): named as such."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower()}
    names = set()
    for path in paths:
        directory, name = path.rsplit("/", 1) if "/" in path else ("", path)
        reference = name.startswith("libblas.so") and directory.endswith("/blas")
        names.add(f"{name} (reference BLAS)" if reference else name)
    return ", ".join(sorted(names)) or "none loaded"


DEVICE = torch.device(os.environ.get("PNEUMO_TORCH_DEVICE", "cpu"))


def images_per_second(cfg, steps, spec):
    torch.manual_seed(0)
    model = (resnet(spec["resnet"]) if spec["architecture"] == "resnet" else blog_cnn()).to(DEVICE)
    n = spec["inputSize"]
    x = torch.randn(cfg["batch"], 3, n, n, device=DEVICE)
    y = (torch.arange(cfg["batch"]) % 3).to(DEVICE)
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
    spec = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {"architecture": "blog-cnn", "inputSize": 32}
    rates = [images_per_second(c, steps, spec) for c in configs]
    device = torch.cuda.get_device_name(DEVICE) if DEVICE.type == "cuda" else "the CPU"
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library(), "device": device, "imgPerS": rates}))
