"""pneumo's resnet() in PyTorch: torchvision's BasicBlock and module names
(conv1, bn1, layer1.0.conv1, ..., fc), the small 3x3 stem. Used by the
ResNet fixture script and by bench:train's PyTorch baseline, so both run
the same network as @pneumo/nn's resnet().
"""
import torch
import torch.nn as nn


class BasicBlock(nn.Module):
    """torchvision's BasicBlock (ReLU in place, as torchvision has it)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        w = c["widths"]
        self.conv1 = nn.Conv2d(c["inChannels"], w[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w[0])
        self.relu = nn.ReLU(inplace=True)
        cin = w[0]
        for i, (width, blocks) in enumerate(zip(w, c["blocks"])):
            layers = [BasicBlock(cin if b == 0 else width, width, 2 if (b == 0 and i > 0) else 1) for b in range(blocks)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*layers))
            cin = width
        self.stages = len(w)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, c["classes"])

    def forward(self, x):
        h = self.relu(self.bn1(self.conv1(x)))
        for i in range(self.stages):
            h = getattr(self, f"layer{i + 1}")(h)
        return self.fc(torch.flatten(self.avgpool(h), 1))
