"""The demo dual encoder: a small convolutional image tower and a small causal text
transformer pooled at the end-of-text token, as in CLIP.

The text tower takes CLIP's own token ids (49,408 of them) and remaps them inside the
graph, through a lookup table, to the few hundred the shapes world uses; every other id
becomes one unknown id. So the engine feeds it exactly what it feeds a real CLIP model.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

CLIP_VOCAB = 49408
UNKNOWN = 0  # local id for every CLIP id the world never uses


def _conv(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


IMAGE_WIDTHS = (16, 32, 64, 128)


class ImageTower(nn.Module):
    """Convolutions down to a small grid, then a head that reads both the grid's features
    averaged over the whole photo (what is there, wherever it is: a star is a star in any
    corner) and, squeezed to a few channels, each cell of the grid (where things are: the
    world's captions talk about positions, "on the left", "above")."""

    def __init__(self, size: int, dim: int, widths=IMAGE_WIDTHS, grid_channels=32, hidden=384):
        super().__init__()
        layers, cin = [], 3
        for w in widths:
            layers += [_conv(cin, w, 2), _conv(w, w, 1)]
            cin = w
        self.features = nn.Sequential(*layers)
        self.squeeze = nn.Sequential(nn.Conv2d(cin, grid_channels, 1), nn.ReLU(inplace=True))
        grid = size // 2 ** len(widths)
        self.head = nn.Sequential(
            nn.Linear(cin + grid_channels * grid * grid, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, dim)
        )

    def forward(self, pixels):
        features = self.features(pixels)
        everywhere = features.mean(dim=(2, 3))
        by_cell = self.squeeze(features).flatten(1)
        return self.head(torch.cat([everywhere, by_cell], dim=1))


class Block(nn.Module):
    """Pre-norm transformer block with causal self-attention, written out in plain
    ops so that it exports to ONNX the same way with any sequence length."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.scale = 1 / math.sqrt(width // heads)
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, mask):
        b, length, width = x.shape
        q, k, v = self.qkv(self.ln1(x)).reshape(b, length, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        attention = (q @ k.transpose(-1, -2)) * self.scale + mask
        y = (attention.softmax(-1) @ v).transpose(1, 2).reshape(b, length, width)
        x = x + self.out(y)
        return x + self.mlp(self.ln2(x))


class TextTower(nn.Module):
    def __init__(self, clip_to_local: torch.Tensor, dim: int, width=128, layers=3, heads=4, context=77):
        super().__init__()
        self.register_buffer("clip_to_local", clip_to_local.to(torch.int32))
        local_vocab = int(clip_to_local.max()) + 1
        self.token = nn.Embedding(local_vocab, width)
        self.position = nn.Parameter(torch.randn(context, width) * 0.01)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(width)
        self.project = nn.Linear(width, dim, bias=False)
        causal = torch.full((context, context), float("-inf")).triu(1)
        self.register_buffer("causal", causal)

    def forward(self, ids):
        length = ids.shape[1]
        x = self.token(self.clip_to_local[ids].long()) + self.position[:length]
        mask = self.causal[:length, :length]
        for block in self.blocks:
            x = block(x, mask)
        x = self.ln(x)
        # The end-of-text token has the largest id, so argmax finds it, as in CLIP.
        eot = ids.argmax(-1)
        return self.project(x[torch.arange(x.shape[0]), eot])


def _each_positive_against_the_negatives(logits, positive):
    """Per row: the mean over its positives of -log(e^p / (e^p + sum over negatives e^n)).

    CLIP's loss has one positive per row. Here a caption fits every photo that has what
    it states ("stars" fits a fifth of a batch), and each of those must score above
    every photo that does not: the other positives are left out of each one's
    denominator instead of competing with it."""
    negatives = torch.logsumexp(logits.masked_fill(positive, -1e4), dim=1, keepdim=True)
    per_pair = F.softplus(negatives - logits) * positive
    return (per_pair.sum(1) / positive.sum(1).clamp(min=1)).mean()


class DualEncoder(nn.Module):
    def __init__(self, clip_to_local: torch.Tensor, size: int, dim: int, widths=IMAGE_WIDTHS):
        super().__init__()
        self.image = ImageTower(size, dim, widths)
        self.text = TextTower(clip_to_local, dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def loss(self, pixels, ids, fits):
        """Contrastive loss over a batch where `fits[t, i]` says caption t is true of photo i
        (bool [texts, photos]); returns it with the logits [texts, photos] and the image
        embeddings."""
        embeds = self.image(pixels)
        image = F.normalize(embeds, dim=-1)
        text = F.normalize(self.text(ids), dim=-1)
        logits = self.logit_scale.clamp(max=math.log(100)).exp() * text @ image.t()
        by_text = _each_positive_against_the_negatives(logits, fits)
        by_image = _each_positive_against_the_negatives(logits.t(), fits.t())
        return (by_text + by_image) / 2, logits, embeds
