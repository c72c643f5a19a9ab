"""The PyTorch modules of paratransfer's real-data architectures (docs/real-data.md, "Networks in and out").

`paratransfer real ... --save DIR` writes upstream.safetensors, transfer-init.safetensors, transfer.safetensors and
scratch.safetensors; each is the state dict of one of these modules (float32, PyTorch names and shapes), so

    net = build("vgg", classes=5, width=8)
    net.load_state_dict(load_safetensors("DIR/transfer.safetensors"))

gives the network paratransfer trained, and `paratransfer real ... --upstream FILE` starts from a file written by
`save_safetensors(FILE, net.state_dict())` (or by the `safetensors` package: the format is the same). Inputs are
[N, C, H, W] images with pixels in [0, 1] (MNIST, Fashion-MNIST: C = 1, 28 x 28); the output is one logit per class.

The safetensors helpers below need only NumPy and PyTorch.
"""

import json
import struct

import numpy as np
import torch
from torch import nn

__all__ = ["VGG", "ResNet", "Reference", "TwoLayer", "build", "load_safetensors", "save_safetensors"]


class VGG(nn.Module):
    """Two 3x3 convolutions (padding 1) per stage, ReLU, 2x2 max-pool after each stage; widths w and 2w; linear head."""

    def __init__(self, classes, width=8, channels=1, size=28):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(channels, w, 3, padding=1), nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(),
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        side = size // 2 // 2
        self.classifier = nn.Linear(2 * w * side * side, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class Block(nn.Module):
    """conv-ReLU-conv plus a shortcut (identity, or a 1x1 projection with stride where the shape changes), ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride=stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        branch = self.conv2(torch.relu(self.conv1(x)))
        return torch.relu(branch + (x if self.shortcut is None else self.shortcut(x)))


class ResNet(nn.Module):
    """A 3x3 stem (w), residual blocks of w, 2w (stride 2) and 4w (stride 2), no normalisation; global average pool, linear head."""

    def __init__(self, classes, width=8, channels=1):
        super().__init__()
        w = width
        self.stem = nn.Conv2d(channels, w, 3, padding=1)
        self.layer1 = Block(w, w, 1)
        self.layer2 = Block(w, 2 * w, 2)
        self.layer3 = Block(2 * w, 4 * w, 2)
        self.fc = nn.Linear(4 * w, classes)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean(dim=(2, 3)))


class Reference(nn.Module):
    """The benchmark network: conv 16@3x3, ReLU, max-pool, conv 32@3x3, ReLU, max-pool, linear (no padding)."""

    def __init__(self, classes, channels=1, size=28):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        )
        side = ((size - 2) // 2 - 2) // 2
        self.classifier = nn.Linear(32 * side * side, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class TwoLayer(nn.Module):
    """The theory's two-layer ReLU CNN on image patches: m filters per class over non-overlapping patch x patch
    patches, F_j(x) = (1/m) sum_r sum_q relu(<w_{j,r}, x_q>); the second layer is fixed (not in the state dict)."""

    def __init__(self, classes, m=10, patch=7, channels=1):
        super().__init__()
        self.classes, self.m = classes, m
        self.conv = nn.Conv2d(channels, classes * m, patch, stride=patch, bias=False)

    def forward(self, x):
        features = torch.relu(self.conv(x)).sum(dim=(2, 3))
        return features.view(-1, self.classes, self.m).mean(dim=2)


def build(arch, classes, width=8, m=10, patch=7, channels=1, size=28):
    """The module of a paratransfer config's `arch`, `width`, `m` and `patch`, for `classes` classes."""
    if arch == "vgg":
        return VGG(classes, width, channels, size)
    if arch == "resnet":
        return ResNet(classes, width, channels)
    if arch == "reference":
        return Reference(classes, channels, size)
    if arch == "twolayer":
        return TwoLayer(classes, m, patch, channels)
    raise ValueError(f"unknown arch {arch!r} (reference, vgg, resnet or twolayer)")


_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "I8": np.int8, "U8": np.uint8}


def load_safetensors(path):
    """The tensors of a safetensors file, by name (torch tensors); the metadata is in `load_safetensors.metadata`."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    load_safetensors.metadata = header.pop("__metadata__", {})
    out = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        array = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=np.dtype(_DTYPES[t["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(array.reshape(t["shape"]).copy())
    return out


def save_safetensors(path, tensors, metadata=None):
    """Write tensors (a state dict) as a safetensors file: float32 stays float32, float64 float64."""
    names = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8"}
    header, blobs, pos = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        array = t.detach().cpu().contiguous().numpy()
        blob = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(array.shape), "data_offsets": [pos, pos + len(blob)]}
        blobs.append(blob)
        pos += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
