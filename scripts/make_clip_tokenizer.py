"""Write CLIP's BPE tokenizer as a `tokenizers` JSON file, from open_clip's own vocabulary.

    python scripts/make_clip_tokenizer.py [OUT]   (default models/tokenizers/clip-bpe/tokenizer.json)

Needs the open_clip_torch wheel installed (its vocabulary file is read directly; torch is
only needed for the parity check at the end, which is skipped without it). The file
covers the BPE and the pre-tokenizer split; the text clean-up open_clip does first
(ftfy, HTML unescape, whitespace, lower case), the start/end tokens and truncation to the
context are the caller's: see demo_world/tokenize.py and models/README.md.
"""

from __future__ import annotations

import gzip
import importlib.util
import sys
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "models" / "tokenizers" / "clip-bpe" / "tokenizer.json"
SPLIT_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


def byte_symbols():
    """CLIP's reversible byte -> printable unicode symbol table (GPT-2's)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def build(vocab_path: Path) -> Tokenizer:
    lines = gzip.open(vocab_path).read().decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1 : 49152 - 256 - 2 + 1]]
    symbols = byte_symbols()
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
    vocab += ["<start_of_text>", "<end_of_text>"]
    bpe = models.BPE(
        vocab={token: i for i, token in enumerate(vocab)},
        merges=merges,
        end_of_word_suffix="</w>",
    )
    tokenizer = Tokenizer(bpe)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    spec = importlib.util.find_spec("open_clip")
    if spec is None:
        sys.exit("open_clip_torch is not installed: pip install --no-deps open_clip_torch")
    vocab_path = Path(spec.submodule_search_locations[0]) / "bpe_simple_vocab_16e6.txt.gz"
    tokenizer = build(vocab_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(out))
    print(f"wrote {out} ({tokenizer.get_vocab_size()} tokens)")
    check_against_open_clip(out)


def check_against_open_clip(path: Path) -> None:
    try:
        import open_clip
    except ImportError:
        print("torch is not installed: skipped the parity check against open_clip.tokenize")
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    import random

    from demo_world.captions import caption
    from demo_world.tokenize import ClipTokenizer
    from demo_world.world import sample_scene

    rng = random.Random("tokenizer-check")
    texts = [caption(rng, sample_scene(rng)) for _ in range(3000)]
    texts += ["", "   ", "Hello, World!", "a dog's ball &amp; a cat", "naïve café", "x" * 400, "二つの赤い星"]
    ours = ClipTokenizer(path).ids(texts, pad_to=77)
    reference = open_clip.tokenize(texts).numpy()
    mismatched = [t for t, a, b in zip(texts, ours, reference) if list(a) != list(b)]
    if mismatched:
        sys.exit(f"{len(mismatched)} of {len(texts)} strings differ from open_clip.tokenize, e.g. {mismatched[:3]}")
    print(f"{len(texts)} strings tokenize exactly as open_clip.tokenize")


if __name__ == "__main__":
    main()
