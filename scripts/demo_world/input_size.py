"""Which image input size lets the demo model's image tower see the shapes: for each size,
a tower of the same widths (a stride-2 stage per halving, down to a grid of 5 to 8 cells
a side) is trained for a few minutes to name the shape of one-group scenes, and its accuracy on scenes it has not
seen is printed. Shape is what the model reads least well, and small shapes are what a
small input loses (a small star in a 16:9 photo squashed to 96 × 96 is 14 × 8 pixels).

    python -m demo_world.input_size [--sizes 96,128,160] [--steps 300]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from .model import ImageTower
from .stream import render_stream
from .world import SHAPES

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
# The tower for each size: grids of 6, 8 and 5 cells a side.
WIDTHS = {96: (16, 32, 64, 128), 128: (16, 32, 64, 128), 160: (16, 32, 64, 128, 160)}


def accuracy(size: int, steps: int, lr: float, seed: int) -> tuple[float, float]:
    """(held-out accuracy, seconds) of a tower trained to name shapes at `size`."""
    torch.manual_seed(seed)
    pixels, scenes, _ = render_stream(3000, size, seed="input size")
    groups = [i for i, s in enumerate(scenes) if not s.is_pair]
    pixels = torch.from_numpy(pixels[groups])
    labels = torch.tensor([SHAPES.index(scenes[i].things[0].shape) for i in groups])
    held_out = 600
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    tower = ImageTower(size, 128, WIDTHS[size]).to(memory_format=torch.channels_last)
    head = torch.nn.Linear(128, len(SHAPES))
    optimiser = torch.optim.AdamW(list(tower.parameters()) + list(head.parameters()), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    started = time.time()
    for _ in range(steps):
        batch = torch.randint(held_out, len(labels), (128,), generator=generator)
        x = ((pixels[batch].float() / 255 - mean) / std).contiguous(memory_format=torch.channels_last)
        loss = F.cross_entropy(head(tower(x)), labels[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    seconds = time.time() - started
    tower.eval()
    with torch.no_grad():
        predicted = head(tower((pixels[:held_out].float() / 255 - mean) / std)).argmax(1)
    return float((predicted == labels[:held_out]).float().mean()), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="96,128,160")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(f"| input | held-out shape accuracy after {args.steps} steps of 128 photos | training seconds |")
    print("|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        runs = [accuracy(size, args.steps, args.lr, seed) for seed in range(args.seeds)]
        print(f"| {size} × {size} | {np.mean([a for a, _ in runs]):.3f} | {np.mean([s for _, s in runs]):.0f} |", flush=True)


if __name__ == "__main__":
    main()
