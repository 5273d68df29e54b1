use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::OnceLock;

use tokenizers::Tokenizer;
use unicode_normalization::UnicodeNormalization;

use crate::EmbedError;

pub const START_OF_TEXT: i64 = 49406;
pub const END_OF_TEXT: i64 = 49407;

/// CLIP's BPE from a `tokenizers` JSON file, with the clean-up and framing that
/// `open_clip.tokenize` puts around it (models/README.md, "Token ids").
pub struct ClipTokenizer {
    inner: Tokenizer,
    context_length: usize,
}

impl ClipTokenizer {
    pub fn from_file(path: &Path, context_length: usize) -> Result<ClipTokenizer, EmbedError> {
        let inner = Tokenizer::from_file(path).map_err(|source| EmbedError::Tokenizer {
            path: path.to_owned(),
            source,
        })?;
        Ok(ClipTokenizer { inner, context_length })
    }

    /// Start token, the BPE ids of the cleaned text, end token; cut to the context
    /// length with the end token kept last.
    pub fn ids(&self, text: &str) -> Result<Vec<i64>, EmbedError> {
        let cleaned = clean(text);
        let encoding = self
            .inner
            .encode(cleaned.as_str(), false)
            .map_err(|source| EmbedError::Tokenize {
                text: text.to_owned(),
                source,
            })?;
        let mut ids = Vec::with_capacity(encoding.len() + 2);
        ids.push(START_OF_TEXT);
        ids.extend(encoding.get_ids().iter().map(|&id| i64::from(id)));
        ids.truncate(self.context_length - 1);
        ids.push(END_OF_TEXT);
        Ok(ids)
    }

    /// Whether the vocabulary has CLIP's start and end tokens where this tokenizer puts
    /// them (spelled as Hugging Face's files or as open_clip's): a file from another
    /// tokenizer family (XLM-R, SentencePiece) does not.
    pub fn has_clip_special_tokens(&self) -> bool {
        let token = |id: i64| u32::try_from(id).ok().and_then(|id| self.inner.id_to_token(id));
        matches!(
            token(START_OF_TEXT).as_deref(),
            Some("<|startoftext|>" | "<start_of_text>")
        ) && matches!(token(END_OF_TEXT).as_deref(), Some("<|endoftext|>" | "<end_of_text>"))
    }

    pub fn context_length(&self) -> usize {
        self.context_length
    }
}

/// open_clip's clean-up before BPE: ftfy's `fix_text` (see [`repair`]), HTML entities
/// decoded twice as `html.unescape` does, whitespace collapsed as Python's `str.split()`
/// does, lower case.
fn clean(text: &str) -> String {
    let repaired = repair(text);
    let unescaped = html_unescape(&html_unescape(&repaired));
    unescaped
        .split(is_python_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The repairs ftfy's `fix_text` (6.x, default settings) makes that change CLIP's token
/// ids, reproduced from its documented behaviour: per line and until nothing changes,
/// HTML entities decoded (only when the text has no `<`), terminal colour codes removed,
/// mojibake (UTF-8 read as Windows-1252) decoded, C1 controls read as Windows-1252,
/// Latin ligatures split, fullwidth forms narrowed, curly quotes straightened, control
/// characters removed, NFC. Line-break repairs are left out: every line break is
/// whitespace to the clean-up after. Where ftfy weighs a "badness" score to decide that
/// a line is mojibake, a line counts as mojibake here when it holds a complete UTF-8
/// sequence mis-read as Windows-1252; the two agree on the whole parity corpus.
fn repair(text: &str) -> String {
    let unescape = !text.contains('<');
    text.split_inclusive('\n')
        .map(|line| {
            let mut line = line.to_owned();
            loop {
                let mut fixed = if unescape { ftfy_unescape(&line) } else { line.clone() };
                fixed = remove_terminal_escapes(&fixed);
                fixed = decode_mojibake(&fixed).unwrap_or(fixed);
                fixed = fixed
                    .chars()
                    .map(fix_c1_control)
                    .flat_map(split_ligature)
                    .map(narrow_width)
                    .map(uncurl_quote)
                    .filter(|&c| !is_removed_control(c))
                    .collect::<String>()
                    .nfc()
                    .collect();
                if fixed == line {
                    return line;
                }
                line = fixed;
            }
        })
        .collect()
}

/// ftfy's entity decoding: only references closed by `;`, and an upper-case name that
/// HTML does not define stands for its lower-case entity in upper case (`&EACUTE;` → É).
fn ftfy_unescape(text: &str) -> String {
    replace_references(text, |after| {
        let body = after.strip_prefix('#').unwrap_or(after);
        let name_length = body.bytes().take_while(u8::is_ascii_alphanumeric).count();
        if !(1..=24).contains(&name_length) || !body[name_length..].starts_with(';') {
            return None;
        }
        let length = after.len() - body.len() + name_length + 1;
        let reference_text = &after[..length];
        let value = if let Some(value) = entities().named.get(reference_text) {
            value.clone()
        } else if after.starts_with('#') {
            reference(reference_text)?.1
        } else {
            let name = &reference_text[..length - 1];
            if !name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
                return None;
            }
            entities()
                .named
                .get(&format!("{};", name.to_ascii_lowercase()))?
                .to_uppercase()
        };
        Some((length, value))
    })
}

/// ANSI terminal escapes (`ESC [ digits/semicolons letter`), as left in copied logs.
fn remove_terminal_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let parameters = after.bytes().take_while(|b| b.is_ascii_digit() || *b == b';').count();
        match after.as_bytes().get(parameters) {
            Some(b) if b.is_ascii_alphabetic() => rest = &after[parameters + 1..],
            _ => {
                out.push_str(&rest[at..at + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The characters Windows-1252 puts at bytes 0x80–0x9F (five bytes are undefined).
const WINDOWS_1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// The byte a character has in "sloppy" Windows-1252: Latin-1 for U+0000–U+00FF
/// (C1 controls included), Windows-1252's own characters for 0x80–0x9F.
fn sloppy_windows_1252_byte(c: char) -> Option<u8> {
    match u32::from(c) {
        code @ 0..=0xFF => Some(code as u8),
        _ => WINDOWS_1252_HIGH
            .iter()
            .position(|&w| w == Some(c))
            .map(|i| 0x80 + i as u8),
    }
}

/// UTF-8 mis-read as Windows-1252 ("cafÃ©", "donâ€™t") decoded back, wherever it
/// occurs in the line: a lead character (Â–ô) followed by the continuation characters
/// its UTF-8 byte needs, together valid UTF-8, becomes the one character it stood for.
/// Latin-1 text is left alone: its letters are not followed by continuation bytes.
fn decode_mojibake(line: &str) -> Option<String> {
    if line.is_ascii() {
        return None;
    }
    let decoded = decode_utf8_sequences(line)?;
    // A line with mojibake may also have lost its 0xA0 bytes to plain spaces ("Ã " for
    // "à"); put them back and decode again. Only then: "IRMÃ E" is Portuguese.
    Some(decode_utf8_sequences(&restore_byte_a0(line)).unwrap_or(decoded))
}

/// Spaces that stand for byte 0xA0 after a lead byte: "Ã " before a word is "à ";
/// elsewhere the space itself was the 0xA0.
fn restore_byte_a0(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        if !"ÂÃÅÎÐÙ".contains(c) || !rest.starts_with(' ') {
            out.push(c);
            continue;
        }
        let after = &rest[1..];
        let a_grave_word = c == 'Ã'
            && ![" ", "quele", "quela", "quilo", "s "]
                .iter()
                .any(|w| after.starts_with(w));
        out.push(c);
        out.push('\u{A0}');
        if !a_grave_word {
            rest = after;
        }
    }
    out
}

fn decode_utf8_sequences(line: &str) -> Option<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        let continuation = match u32::from(chars[i]) {
            0xC2..=0xDF => 1,
            0xE0..=0xEF => 2,
            0xF0..=0xF4 => 3,
            _ => 0,
        };
        let decoded = (continuation > 0 && i + continuation < chars.len())
            .then(|| {
                let bytes: Option<Vec<u8>> = chars[i..=i + continuation]
                    .iter()
                    .enumerate()
                    .map(|(k, &c)| sloppy_windows_1252_byte(c).filter(|b| k == 0 || (0x80..=0xBF).contains(b)))
                    .collect();
                String::from_utf8(bytes?).ok()
            })
            .flatten();
        match decoded {
            Some(text) => {
                out.push_str(&text);
                i += continuation + 1;
                changed = true;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    changed.then_some(out)
}

/// A C1 control character left in text is almost always a Windows-1252 byte decoded as
/// Latin-1.
fn fix_c1_control(c: char) -> char {
    match u32::from(c) {
        code @ 0x80..=0x9F => WINDOWS_1252_HIGH[(code - 0x80) as usize].unwrap_or(c),
        _ => c,
    }
}

fn split_ligature(c: char) -> impl Iterator<Item = char> {
    let replacement = match c {
        'Ĳ' => "IJ",
        'ĳ' => "ij",
        'ŉ' => "ʼn",
        'Ǆ' => "DŽ",
        'ǅ' => "Dž",
        'ǆ' => "dž",
        'Ǉ' => "LJ",
        'ǈ' => "Lj",
        'ǉ' => "lj",
        'Ǌ' => "NJ",
        'ǋ' => "Nj",
        'ǌ' => "nj",
        'Ǳ' => "DZ",
        'ǲ' => "Dz",
        'ǳ' => "dz",
        'ﬀ' => "ff",
        'ﬁ' => "fi",
        'ﬂ' => "fl",
        'ﬃ' => "ffi",
        'ﬄ' => "ffl",
        'ﬅ' => "ſt",
        'ﬆ' => "st",
        _ => "",
    };
    let keep = replacement.is_empty().then_some(c);
    replacement.chars().chain(keep)
}

/// Fullwidth and halfwidth forms (and the ideographic space) to their usual width.
fn narrow_width(c: char) -> char {
    if c == '\u{3000}' || ('\u{FF01}'..='\u{FFEE}').contains(&c) {
        let mut normal = std::iter::once(c).nfkc();
        if let (Some(single), None) = (normal.next(), normal.next()) {
            return single;
        }
    }
    c
}

fn uncurl_quote(c: char) -> char {
    match c {
        '\u{2BC}' | '\u{2018}'..='\u{201B}' => '\'',
        '\u{201C}'..='\u{201F}' => '"',
        _ => c,
    }
}

/// Control and format characters ftfy drops (tabs, line breaks and form feeds stay).
fn is_removed_control(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x08' | '\x0b' | '\x0e'..='\x1f' | '\x7f' | '\u{206A}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFC}'
    )
}

/// Python's `str.isspace`: Unicode White_Space plus the four ASCII information
/// separators, which Rust's `char::is_whitespace` does not count.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

struct Entities {
    named: HashMap<String, String>,
    invalid_charrefs: HashMap<u32, String>,
    invalid_codepoints: HashSet<u32>,
}

/// Python's `html.unescape` tables, generated by scripts/make_tokenizer_corpus.py.
fn entities() -> &'static Entities {
    static ENTITIES: OnceLock<Entities> = OnceLock::new();
    ENTITIES.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct Tables {
            named: HashMap<String, String>,
            invalid_charrefs: HashMap<u32, String>,
            invalid_codepoints: HashSet<u32>,
        }
        let tables: Tables = serde_json::from_str(include_str!("html_entities.json")).expect("valid entity tables");
        Entities {
            named: tables.named,
            invalid_charrefs: tables.invalid_charrefs,
            invalid_codepoints: tables.invalid_codepoints,
        }
    })
}

/// Python's `html.unescape`: numeric and named character references, including named
/// ones without their semicolon where HTML5 allows it.
fn html_unescape(text: &str) -> String {
    replace_references(text, reference)
}

/// Replace each `&` reference that `resolve` (given the text after the `&`) recognises,
/// returning the length it takes after the `&` and its replacement.
fn replace_references(text: &str, resolve: impl Fn(&str) -> Option<(usize, String)>) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match resolve(after) {
            Some((length, replacement)) => {
                out.push_str(&replacement);
                rest = &after[length..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The reference at the start of `s` (just after a `&`): its length and replacement.
fn reference(s: &str) -> Option<(usize, String)> {
    let tables = entities();
    if let Some(number) = s.strip_prefix('#') {
        let (digits, radix, skip) = match number.strip_prefix(['x', 'X']) {
            Some(hex) => (hex.chars().take_while(char::is_ascii_hexdigit).count(), 16, 2),
            None => (number.chars().take_while(char::is_ascii_digit).count(), 10, 1),
        };
        if digits == 0 {
            return None;
        }
        let text = &s[skip..skip + digits];
        let length = skip + digits + usize::from(s[skip + digits..].starts_with(';'));
        // Python parses numbers of any size; anything past U+10FFFF becomes U+FFFD.
        let value = u32::from_str_radix(text, radix).unwrap_or(u32::MAX);
        let replacement = if let Some(fixed) = tables.invalid_charrefs.get(&value) {
            fixed.clone()
        } else if (0xD800..=0xDFFF).contains(&value) || value > 0x10FFFF {
            "\u{FFFD}".to_owned()
        } else if tables.invalid_codepoints.contains(&value) {
            String::new()
        } else {
            char::from_u32(value)
                .map(String::from)
                .unwrap_or_else(|| "\u{FFFD}".to_owned())
        };
        return Some((length, replacement));
    }
    let name_length = s.chars().take_while(|c| !"\t\n\x0c <&#;".contains(*c)).take(32).count();
    let name_end = s.char_indices().nth(name_length).map_or(s.len(), |(i, _)| i);
    if name_end == 0 {
        return None;
    }
    let with_semicolon = s[name_end..].starts_with(';');
    let candidate = &s[..name_end + usize::from(with_semicolon)];
    if let Some(value) = tables.named.get(candidate) {
        return Some((candidate.len(), value.clone()));
    }
    // The longest prefix that names an entity, the rest kept as text (as Python does).
    let boundaries: Vec<usize> = candidate.char_indices().map(|(i, _)| i).skip(2).collect();
    for &end in boundaries.iter().rev() {
        if let Some(value) = tables.named.get(&candidate[..end]) {
            return Some((candidate.len(), format!("{value}{}", &candidate[end..])));
        }
    }
    None
}
