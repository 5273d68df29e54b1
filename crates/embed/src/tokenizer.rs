use std::path::Path;

use tokenizers::Tokenizer;

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

    pub fn context_length(&self) -> usize {
        self.context_length
    }
}

/// open_clip's clean-up: whitespace runs collapsed, ends trimmed, lower case.
fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}
