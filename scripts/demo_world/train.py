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

from .captions import caption, training_caption
from .model import CLIP_VOCAB, UNKNOWN, DualEncoder
from .stream import render_stream
from .tokenize import ClipTokenizer
from .world import sample_scene

ROOT = Path(__file__).resolve().parents[2]
TOKENIZER = ROOT / "models" / "tokenizers" / "clip-bpe" / "tokenizer.json"
MEAN = (0.48145466, 0.4578275, 0.40821073)  # CLIP's, so real and demo models share defaults
STD = (0.26862954, 0.26130258, 0.27577711)


def world_vocabulary(tokenizer: ClipTokenizer) -> torch.Tensor:
    """The CLIP -> local id table: every id that any caption of the world can produce."""
    rng = random.Random("vocabulary")
    texts = []
    for _ in range(40000):
        scene = sample_scene(rng)
        say = {a for a in ("background", "colour", "count", "position", "relation", "size") if rng.random() < 0.8}
        texts.append(caption(rng, scene, say))
    used = sorted({int(i) for row in tokenizer.ids(texts) for i in row if i != 0})
    table = torch.full((CLIP_VOCAB,), UNKNOWN, dtype=torch.int64)
    table[torch.tensor(used)] = torch.arange(1, len(used) + 1)
    return table


class Batches:
    """Captions are drawn afresh every epoch, so each image is seen with many phrasings."""

    def __init__(self, pixels, scenes, attributes, tokenizer, table, batch_pairs, seed):
        self.pixels = torch.from_numpy(pixels)
        self.scenes, self.attributes = scenes, attributes
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
        texts = []
        for p in pairs:
            must = (self.attributes[p],) if self.attributes[p] else ()
            texts += [training_caption(self.rng, self.scenes[2 * p + k], must) for k in (0, 1)]
        ids = self._with_unknown_words(self.tokenizer.ids(texts))
        pixels = (self.pixels[index].float() / 255 - self.mean) / self.std
        return pixels.contiguous(memory_format=torch.channels_last), torch.from_numpy(ids)

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


def validation_recall(model, pixels, texts, tokenizer) -> float:
    """Text->image R@1 of one full caption per image: a quick signal while training."""
    model.eval()
    with torch.no_grad():
        x = (torch.from_numpy(pixels).float() / 255 - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
        image = torch.nn.functional.normalize(model.image(x), dim=-1)
        text = torch.nn.functional.normalize(model.text(torch.from_numpy(tokenizer.ids(texts))), dim=-1)
        hits = (text @ image.t()).argmax(1) == torch.arange(len(texts))
    model.train()
    return hits.float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--pairs", type=int, default=64000)
    parser.add_argument("--steps", type=int, default=2400)
    parser.add_argument("--batch-pairs", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
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
    val_texts = [caption(random.Random(f"val:{i}"), s) for i, s in enumerate(val_scenes)]
    report(stage="rendered", pairs=args.pairs, local_vocabulary=int(table.max()) + 1, seconds=round(time.time() - started, 1))

    model = DualEncoder(table, args.size, args.dim).to(memory_format=torch.channels_last)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "position" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 or "position" in n]
    optimiser = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    warmup = max(1, args.steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / args.steps)))
    )
    batches = iter(Batches(pixels, scenes, attributes, tokenizer, table, args.batch_pairs, seed="batches"))
    train_started = time.time()
    for step in range(1, args.steps + 1):
        x, ids = next(batches)
        loss, logits = model.loss(x, ids)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 50 == 0 or step == args.steps:
            fields = dict(
                step=step,
                loss=round(loss.item(), 4),
                batch_acc=round((logits.argmax(1) == torch.arange(len(logits))).float().mean().item(), 3),
                temperature=round(1 / model.logit_scale.exp().item(), 4),
                minutes=round((time.time() - train_started) / 60, 2),
            )
            if step % 400 == 0 or step == args.steps:
                fields["val_r1"] = round(validation_recall(model, val_pixels, val_texts, tokenizer), 3)
            report(**fields)
    torch.save(
        {"state": model.state_dict(), "size": args.size, "dim": args.dim, "mean": MEAN, "std": STD, "args": vars(args) | {"out": str(args.out)}},
        args.out / "checkpoint.pt",
    )
    report(stage="trained", training_minutes=round((time.time() - train_started) / 60, 2), total_minutes=round((time.time() - started) / 60, 2))


if __name__ == "__main__":
    main()
