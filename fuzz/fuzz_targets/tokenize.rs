//! Any text through the CLIP tokenizer motis ships (a query is typed by anyone), and any
//! bytes as a model's `tokenizer.json` (a downloaded or imported model brings its own).
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use motis_embed::ClipTokenizer;

fn shipped() -> &'static ClipTokenizer {
    static TOKENIZER: OnceLock<ClipTokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/tokenizers/clip-bpe/tokenizer.json");
        ClipTokenizer::from_file(&path, 77).expect("the shipped tokenizer")
    })
}

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = shipped().ids(text);
    }
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("tokenizer.json");
    std::fs::write(&path, bytes).unwrap();
    if let Ok(tokenizer) = ClipTokenizer::from_file(&path, 77) {
        let _ = tokenizer.ids("a photo of a dog on a beach");
    }
});
