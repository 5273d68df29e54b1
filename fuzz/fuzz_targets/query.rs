//! The search box's text through the engine's query parser: terms, weights, `photo:`,
//! paths, filters, quotes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        for paths_allowed in [true, false] {
            if let Ok(query) = motis_engine::Query::parse(text, paths_allowed) {
                let _ = query.is_gallery();
            }
        }
    }
});
