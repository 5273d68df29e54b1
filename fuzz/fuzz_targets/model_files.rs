//! A model folder's `manifest.json` as a download or an import brings it: opened as motis
//! opens an installed model (its towers' files are not there, which must be an error, not
//! a crash).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("manifest.json"), bytes).unwrap();
    if let Ok(model) = motis_embed::Model::open(folder.path()) {
        let _ = model.verify();
    }
});
