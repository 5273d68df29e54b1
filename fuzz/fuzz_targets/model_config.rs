//! A downloaded or imported model's `config.json` and `visual/preprocess_cfg.json` (the
//! input is the two, split at the first NUL byte) installed as motis installs a Hub
//! download: beside working towers (tests/fixtures/immich-tiny) and CLIP's tokenizer, so
//! that whatever the configuration asks for is obeyed or refused, never a crash.
#![no_main]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use motis_embed::{Provenance, Runtime, install_staged};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::load().expect("ONNX Runtime (scripts/setup installs it)"))
}

fuzz_target!(|bytes: &[u8]| {
    let (config, preprocess) = match bytes.iter().position(|&b| b == 0) {
        Some(at) => (&bytes[..at], &bytes[at + 1..]),
        None => (bytes, &b""[..]),
    };
    let models = tempfile::tempdir().unwrap();
    let staging = models.path().join(".fuzzed.downloading");
    let fixture = repo().join("tests/fixtures/immich-tiny");
    for tower in ["visual", "textual"] {
        std::fs::create_dir_all(staging.join(tower)).unwrap();
        std::fs::copy(
            fixture.join(tower).join("model.onnx"),
            staging.join(tower).join("model.onnx"),
        )
        .unwrap();
    }
    std::fs::copy(
        repo().join("models/tokenizers/clip-bpe/tokenizer.json"),
        staging.join("textual/tokenizer.json"),
    )
    .unwrap();
    std::fs::write(staging.join("config.json"), config).unwrap();
    std::fs::write(staging.join("visual/preprocess_cfg.json"), preprocess).unwrap();
    let provenance = Provenance {
        name: "fuzzed".into(),
        description: String::new(),
        licence: String::new(),
        source: None,
    };
    let _ = install_staged(
        runtime(),
        &staging,
        models.path(),
        "fuzzed",
        provenance,
        &BTreeMap::new(),
    );
});
