"""CLIP token ids through the `tokenizers` JSON file, with open_clip's clean-up around it.

The same steps the engine takes in Rust: clean the text as open_clip does, BPE it, add the
start and end tokens, truncate to the context keeping the end token, pad with zeros.
"""

from __future__ import annotations

import html

import ftfy
import numpy as np
from tokenizers import Tokenizer

START, END = 49406, 49407


def clean(text: str) -> str:
    text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    return " ".join(text.split()).lower()


class ClipTokenizer:
    def __init__(self, path, context_length: int = 77):
        self.tokenizer = Tokenizer.from_file(str(path))
        self.context_length = context_length

    def ids(self, texts, pad_to=None) -> np.ndarray:
        """int64 [len(texts), L]; L is the longest sequence, or `pad_to`."""
        rows = []
        for encoding in self.tokenizer.encode_batch([clean(t) for t in texts], add_special_tokens=False):
            row = [START] + encoding.ids + [END]
            if len(row) > self.context_length:
                row = row[: self.context_length]
                row[-1] = END
            rows.append(row)
        width = pad_to or max(len(r) for r in rows)
        out = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            out[i, : len(row)] = row
        return out
