//! CLIP token ids equal open_clip.tokenize's on a corpus of 1,200 strings (queries,
//! punctuation, digits, accents, CJK, emoji, HTML entities, mojibake, curly quotes,
//! ligatures, fullwidth forms, control characters, long and empty strings),
//! written with their reference ids by scripts/make_tokenizer_corpus.py.

use std::path::Path;

use motis_embed::ClipTokenizer;

#[test]
fn ids_equal_open_clip_on_the_corpus() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tokenizer = ClipTokenizer::from_file(&repo.join("models/tokenizers/clip-bpe/tokenizer.json"), 77).unwrap();
    let corpus: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(repo.join("tests/fixtures/tokenizer-corpus.json")).unwrap())
            .unwrap();
    assert!(corpus.len() >= 1000);
    let (mut checked, mut repaired, mut wrong) = (0, 0, Vec::new());
    for entry in &corpus {
        let text = entry["text"].as_str().unwrap();
        repaired += usize::from(entry["needs_ftfy"].as_bool().unwrap());
        let expected: Vec<i64> = entry["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect();
        checked += 1;
        let ours = tokenizer.ids(text).unwrap();
        if ours != expected {
            wrong.push((text.to_owned(), ours, expected));
        }
    }
    println!(
        "{checked} strings compared ({repaired} of them need ftfy's repairs), {} differ",
        wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "{} of {checked} differ from open_clip, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(3)]
    );
}
