"""Write the tokenizer parity corpus and the HTML entity table the Rust tokenizer uses.

    PYTHONPATH=scripts .venv/bin/python scripts/make_tokenizer_corpus.py

tests/fixtures/tokenizer-corpus.json   strings with open_clip.tokenize's ids (trimmed at
                                       the end token) and whether ftfy changes the string
                                       beyond Unicode NFC
crates/embed/src/html_entities.json    Python's html.unescape tables (HTML5 named
                                       references, invalid numeric references), as data

Needs scripts/setup --train (torch and open_clip).
"""

from __future__ import annotations

import html
import html.entities
import json
import random
import unicodedata
from pathlib import Path

import ftfy
import open_clip

from demo_world.captions import caption
from demo_world.world import sample_scene

ROOT = Path(__file__).resolve().parent.parent

QUERIES = [
    "dog running on a beach", "sunset over the mountains", "my cat sleeping on the sofa", "birthday cake with candles",
    "a red car parked in the street", "kids playing football", "snow covered trees", "plate of spaghetti",
    "selfie at the eiffel tower", "screenshot of a receipt", "whiteboard with notes", "passport photo",
    "two people hiking", "a bride and groom", "fireworks at night", "a bowl of ramen", "baby's first steps",
    "Christmas tree", "New York skyline", "flowers in a vase", "old black-and-white photo", "the view from my window",
]
SPECIAL = [
    "", " ", "   \t\n  ", "\n", "a", "A", "!!!", "???", "...", "hello, world!", "it's a dog's life", "we'll see",
    "I'm here", "they've gone", "you'd think", "don't", "e-mail", "state-of-the-art", "C++ code", "#hashtag", "@user",
    "100%", "3.14159", "2024-05-17", "12:30pm", "$5.99", "1st 2nd 3rd", "0123456789", "1,000,000",
    "café", "naïve", "Ångström", "résumé", "façade", "Straße", "ÉCOLE", "ΟΔΟΣ", "İstanbul", "Ελληνικά",
    "日本語のテキスト", "中文字符", "한국어", "два красных кота", "עברית", "العربية", "ไทย",
    "😀", "🐶🏖️", "👨‍👩‍👧‍👦 family", "❤️❤️❤️", "🇫🇷 flag", "only emoji 😀😃😄😁",
    "&amp;", "&lt;b&gt;bold&lt;/b&gt;", "fish &amp; chips", "&#39;quoted&#39;", "&quot;hi&quot;", "&nbsp;space",
    "caf&eacute;", "&#x1F600;", "&#128512;", "&amp;amp;", "&copy 2024", "&notit;", "&#0;", "&#x80;", "AT&T",
    "5 &lt; 6", "&unknown;", "&", "&#", "&#x;", "a&b", "&ampx",
    "cafÃ©", "â€œquotedâ€\x9d", "Ã¼ber", "donâ€™t",
    "“curly quotes”", "it’s", "ﬁne ﬂowers", "ｆｕｌｌｗｉｄｔｈ", "line\r\nbreak", "tab\tseparated", "null\x00byte",
    "e\u0301", "\u00e9", "a\u200bb", "\x1c\x1d\x1e\x1f", "x\xa0y", "<b>html</b>", "https://example.com/path?q=1",
    "UPPER lower MiXeD", "  leading and trailing  ", "many     spaces     here",
]
# What ftfy.fix_text repairs before open_clip tokenizes: entities decoded until stable
# (not when the text has a "<"), terminal escapes, mojibake, C1 controls, ligatures,
# widths, curly quotes, control characters; per line.
REPAIRS = [
    "&amp;amp;amp;", "<b>&amp;amp;amp;</b>", "&EACUTE; &NTILDE;", "&Eacute;cole", "x &lt;b&gt; &amp;amp;amp;",
    "&eacute café", "&#128512", "&AMP;&amp;", "\x1b[31mred\x1b[0m text", "\x1b[1;32mgreen", "\x1b[ not an escape",
    "\x93smart\x94 quotes", "\x80 price", "\x81\x8d\x8f", "ＡＢＣ　１２３", "ﾊﾝｶｸ katakana", "ﬃ ﬄ ﬀ", "Ĳssel",
    "‚low‛ „quotes‟", "ʼokina", "zero\ufeffwidth", "\u206aformat", "soft\u00adhyphen", "ligature ﬅ",
    "Ã©tÃ© Ã  la plage", "The Â£5 ticket", "first line\nsecond: cafÃ©", "cafÃ© ☕", "Ã", "naïve and cafÃ©",
    "â€”dashâ€”", "ðŸ˜€ smile", "bell\x07 and del\x7f", "vertical\x0btab", "Ｈｅｌｌｏ，ｗｏｒｌｄ！",
]


def long_strings(rng: random.Random):
    words = "red blue green star heart photo beach dog cat sunset mountain".split()
    return [" ".join(rng.choice(words) for _ in range(n)) for n in (60, 76, 77, 78, 100, 300)] + ["x" * 500, "ab " * 200]


def main() -> None:
    rng = random.Random("tokenizer-corpus")
    texts = list(SPECIAL) + list(REPAIRS) + list(QUERIES)
    texts += [q.upper() for q in QUERIES] + [f"a photo of {q}" for q in QUERIES]
    texts += long_strings(rng)
    while len(texts) < 1200:
        texts.append(caption(rng, sample_scene(rng)))
    ids = open_clip.tokenize(texts).numpy()
    corpus = []
    for text, row in zip(texts, ids):
        end = int(row.argmax())
        corpus.append({
            "text": text,
            "ids": [int(i) for i in row[: end + 1]],
            "needs_ftfy": ftfy.fix_text(text) != unicodedata.normalize("NFC", text),
        })
    (ROOT / "tests" / "fixtures" / "tokenizer-corpus.json").write_text(json.dumps(corpus, ensure_ascii=False, indent=0) + "\n")
    entities = {
        "named": html.entities.html5,
        "invalid_charrefs": {str(k): v for k, v in html._invalid_charrefs.items()},
        "invalid_codepoints": sorted(html._invalid_codepoints),
    }
    (ROOT / "crates" / "embed" / "src" / "html_entities.json").write_text(json.dumps(entities, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(corpus)} strings, {sum(c['needs_ftfy'] for c in corpus)} of them changed by ftfy beyond NFC")


if __name__ == "__main__":
    main()
