"""Train the demo dual encoder on the shapes world with the CLIP contrastive loss.

    python -m demo_world.train --out build/demo-model [--pairs N] [--steps N]

Writes OUT/checkpoint.pt (weights and settings) and OUT/train-log.jsonl.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .captions import ATTRIBUTES, caption, caption_of, long_say, scene_things, short_say
from .model import CLIP_VOCAB, IMAGE_WIDTHS, UNKNOWN, DualEncoder
from .relevance import CODES, Fitting
from .stream import render_stream
from .tokenize import ClipTokenizer
from .world import COLOURS, OPPOSITE, POSITIONS, RELATIONS, SHAPES, SIZES, sample_scene, scene_to_json

ROOT = Path(__file__).resolve().parents[2]
TOKENIZER = ROOT / "models" / "tokenizers" / "clip-bpe" / "tokenizer.json"
MEAN = (0.48145466, 0.4578275, 0.40821073)  # CLIP's, so real and demo models share defaults
STD = (0.26862954, 0.26130258, 0.27577711)


def world_vocabulary(tokenizer: ClipTokenizer) -> torch.Tensor:
    """The CLIP -> local id table: every id that any caption of the world can produce."""
    rng = random.Random("vocabulary")
    texts = []
    for _ in range(60000):
        scene = sample_scene(rng)
        say = {a for a in ATTRIBUTES if rng.random() < 0.6}
        texts.append(caption(rng, scene, say))
    used = sorted({int(i) for row in tokenizer.ids(texts) for i in row if i != 0})
    table = torch.full((CLIP_VOCAB,), UNKNOWN, dtype=torch.int64)
    table[torch.tensor(used)] = torch.arange(1, len(used) + 1)
    return table


_SHAPE, _COLOUR, _SIZE, _POSITION, _RELATION = (CODES[k] for k in ("shape", "colour", "size", "position", "relation"))
_S, _C, _Z, _P, _R = len(SHAPES), len(COLOURS), len(SIZES), len(POSITIONS), len(RELATIONS)
# What a photo has, as one flag each: shapes, thing colours, colours of shapes, sizes,
# sides and counts of shapes, the background, and which shape is where of which.
_OFFSETS = np.cumsum([0, _S, _C, _C * _S, _S * _Z, _S * _P, _S * 3, _C, _S * _R * _S])
ATTRIBUTE_FLAGS = int(_OFFSETS[-1])


def attribute_flags(scene) -> np.ndarray:
    """The flags of everything `scene` has, for the image tower's auxiliary probe."""
    flags = np.zeros(ATTRIBUTE_FLAGS, dtype=np.float32)
    o = _OFFSETS
    for t in scene_things(scene):
        s, c = _SHAPE[t["shape"]], _COLOUR[t["colour"]]
        for offset, value in zip(
            o[:6], (s, c, c * _S + s, s * _Z + _SIZE[t["size"]], s * _P + _POSITION[t["position"]], s * 3 + t["count"] - 1)
        ):
            flags[offset + value] = 1
    flags[o[6] + _COLOUR[scene.background]] = 1
    if scene.is_pair:
        a, b = (_SHAPE[t.shape] for t in scene.things)
        flags[o[7] + (a * _R + _RELATION[scene.relation]) * _S + b] = 1
        flags[o[7] + (b * _R + _RELATION[OPPOSITE[scene.relation]]) * _S + a] = 1
    return flags


class AttributeProbe(torch.nn.Module):
    """Reads every flag of `attribute_flags` off the unit image embedding. Trained beside
    the contrastive loss and dropped at export: the scenes' own labels teach the image
    tower what a photo has far sooner than captions alone do."""

    def __init__(self, dim: int):
        super().__init__()
        self.linear = torch.nn.Linear(dim, ATTRIBUTE_FLAGS)

    def loss(self, image_embeds, flags):
        return F.binary_cross_entropy_with_logits(self.linear(F.normalize(image_embeds, dim=-1) * 8), flags)


class Batches:
    """Each photo of a batch gets two captions, drawn afresh every epoch: one as people
    type queries (a shape, often with one or two more attributes) and one whole or
    nearly whole. Both state the attribute that tells a photo from its twin, so the twin
    is a near miss for them. Which captions fit which photos is worked out from the
    scenes (relevance.py), not assumed from the pairing."""

    def __init__(self, pixels, scenes, attributes, tokenizer, table, batch_pairs, seed):
        self.pixels = torch.from_numpy(pixels)
        self.scenes, self.attributes = scenes, attributes
        self.fitting = Fitting([scene_to_json(s) for s in scenes])
        self.flags = torch.from_numpy(np.stack([attribute_flags(s) for s in scenes]))
        self.tokenizer, self.batch_pairs = tokenizer, batch_pairs
        self.rng = random.Random(seed)
        self.unknown_ids = [i for i in range(CLIP_VOCAB - 2) if table[i] == UNKNOWN]
        self.mean = torch.tensor(MEAN).view(1, 3, 1, 1)
        self.std = torch.tensor(STD).view(1, 3, 1, 1)

    def __iter__(self):
        while True:
            order = list(range(len(self.attributes)))
            self.rng.shuffle(order)
            for start in range(0, len(order) - self.batch_pairs + 1, self.batch_pairs):
                yield self._batch(order[start : start + self.batch_pairs])

    def _batch(self, pairs):
        index = [2 * p + k for p in pairs for k in (0, 1)]
        texts, descriptions = [], []
        for p in pairs:
            must = (self.attributes[p],) if self.attributes[p] else ()
            for k in (0, 1):
                scene = self.scenes[2 * p + k]
                for say in (short_say(self.rng, scene, must), long_say(self.rng, must)):
                    text, description = caption_of(self.rng, scene, say)
                    texts.append(text)
                    descriptions.append(description)
        ids = self._with_unknown_words(self.tokenizer.ids(texts))
        fits = torch.from_numpy(self.fitting.matrix(descriptions, index))
        pixels = (self.pixels[index].float() / 255 - self.mean) / self.std
        return pixels.contiguous(memory_format=torch.channels_last), torch.from_numpy(ids), fits, self.flags[index]

    def _with_unknown_words(self, ids: np.ndarray) -> np.ndarray:
        """Insert a word the world does not know into some captions, so that a query
        with extra words ("a nice photo of ...") still finds its scene."""
        rows = []
        for row in ids:
            tokens = [int(t) for t in row if t != 0]
            if self.rng.random() < 0.15 and len(tokens) < 76:
                tokens.insert(self.rng.randrange(1, len(tokens)), self.rng.choice(self.unknown_ids))
            rows.append(tokens)
        out = np.zeros((len(rows), max(map(len, rows))), dtype=np.int64)
        for i, tokens in enumerate(rows):
            out[i, : len(tokens)] = tokens
        return out


class Validation:
    """Quick signals while training, on photos rendered apart: text->image R@1 of one
    whole caption per photo, and precision@10 of short queries (hits among the best 10,
    out of at most the photos that fit)."""

    def __init__(self, pixels, scenes, tokenizer):
        rng = random.Random("validation captions")
        self.pixels, self.tokenizer = pixels, tokenizer
        self.whole = [caption(rng, s) for s in scenes]
        short = [caption_of(rng, s, short_say(rng, s)) for s in scenes[::2]]
        self.short = [text for text, _ in short]
        self.short_fits = torch.from_numpy(Fitting([scene_to_json(s) for s in scenes]).matrix([d for _, d in short]))

    def __call__(self, model) -> dict:
        model.eval()
        with torch.no_grad():
            mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
            image = F.normalize(model.image((torch.from_numpy(self.pixels).float() / 255 - mean) / std), dim=-1)
            text = lambda texts: F.normalize(model.text(torch.from_numpy(self.tokenizer.ids(texts))), dim=-1)  # noqa: E731
            whole = (text(self.whole) @ image.t()).argmax(1) == torch.arange(len(self.whole))
            best = (text(self.short) @ image.t()).topk(10, dim=1).indices
            hits = self.short_fits.gather(1, best).sum(1)
            precision = hits / self.short_fits.sum(1).clamp(max=10)
        model.train()
        return {"val_r1": round(whole.float().mean().item(), 3), "val_short_p10": round(precision.mean().item(), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--widths", type=lambda text: tuple(int(w) for w in text.split(",")), default=IMAGE_WIDTHS)
    parser.add_argument("--pairs", type=int, default=64000)
    parser.add_argument("--steps", type=int, default=2400)
    parser.add_argument("--batch-pairs", type=int, default=128)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="initial weights and the order of batches")
    parser.add_argument("--probe-weight", type=float, default=5.0, help="of the attribute probe's loss (0: none)")
    parser.add_argument("--init", type=Path, help="start from this checkpoint's weights (a new schedule: a warm restart)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    tokenizer = ClipTokenizer(TOKENIZER)
    log = (args.out / "train-log.jsonl").open("w")

    def report(**fields):
        print(json.dumps(fields), flush=True)
        log.write(json.dumps(fields) + "\n")
        log.flush()

    started = time.time()
    table = world_vocabulary(tokenizer)
    pixels, scenes, attributes = render_stream(args.pairs, args.size, seed="train")
    val_pixels, val_scenes, _ = render_stream(500, args.size, seed="validation")
    validation = Validation(val_pixels, val_scenes, tokenizer)
    report(stage="rendered", pairs=args.pairs, local_vocabulary=int(table.max()) + 1, seconds=round(time.time() - started, 1))

    model = DualEncoder(table, args.size, args.dim, args.widths).to(memory_format=torch.channels_last)
    probe = AttributeProbe(args.dim)
    if args.init:
        start = torch.load(args.init, weights_only=False)
        model.load_state_dict(start["state"])
        if "probe" in start:
            probe.load_state_dict(start["probe"])
    parameters = list(model.named_parameters()) + list(probe.named_parameters(prefix="probe"))
    decay = [p for n, p in parameters if p.ndim >= 2 and "position" not in n]
    no_decay = [p for n, p in parameters if p.ndim < 2 or "position" in n]
    optimiser = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    warmup = max(1, args.steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / args.steps)))
    )

    def save():
        # Also at every validation, so a stopped run leaves its latest weights behind.
        torch.save(
            {
                "state": model.state_dict(),
                "probe": probe.state_dict(),
                "size": args.size,
                "dim": args.dim,
                "widths": args.widths,
                "mean": MEAN,
                "std": STD,
                "args": {name: str(value) if isinstance(value, Path) else value for name, value in vars(args).items()},
                "step": step,
            },
            args.out / "checkpoint.pt",
        )

    batches = iter(Batches(pixels, scenes, attributes, tokenizer, table, args.batch_pairs, seed=f"batches {args.seed}"))
    train_started = time.time()
    for step in range(1, args.steps + 1):
        x, ids, fits, flags = next(batches)
        contrastive, logits, image_embeds = model.loss(x, ids, fits)
        probe_loss = probe.loss(image_embeds, flags)
        loss = contrastive + args.probe_weight * probe_loss
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 50 == 0 or step == args.steps:
            fields = dict(
                step=step,
                loss=round(contrastive.item(), 4),
                probe_loss=round(probe_loss.item(), 4),
                batch_acc=round(fits[torch.arange(len(logits)), logits.argmax(1)].float().mean().item(), 3),
                temperature=round(1 / model.logit_scale.exp().item(), 4),
                minutes=round((time.time() - train_started) / 60, 2),
            )
            if step % 400 == 0 or step == args.steps:
                fields |= validation(model)
                save()
            report(**fields)
    report(stage="trained", training_minutes=round((time.time() - train_started) / 60, 2), total_minutes=round((time.time() - started) / 60, 2))


if __name__ == "__main__":
    main()
