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

// motis-index's numkong links its build-time CPU probes, each a C `main`, into every
// program; the linker would take one of them for the `main` libFuzzer's archive provides
// and the target would exit at once. This is libFuzzer's `main`, defined here so that the
// linker never looks for one in an archive.
unsafe extern "C" {
    fn LLVMFuzzerRunDriver(
        argc: *mut i32,
        argv: *mut *mut *mut std::ffi::c_char,
        callback: unsafe extern "C" fn(*const u8, usize) -> i32,
    ) -> i32;
    fn LLVMFuzzerTestOneInput(data: *const u8, size: usize) -> i32;
}

#[unsafe(no_mangle)]
pub extern "C" fn main(mut argc: i32, mut argv: *mut *mut std::ffi::c_char) -> i32 {
    // SAFETY: the arguments are the process's own, as libFuzzer's `main` would pass them.
    unsafe { LLVMFuzzerRunDriver(&mut argc, &mut argv, LLVMFuzzerTestOneInput) }
}
