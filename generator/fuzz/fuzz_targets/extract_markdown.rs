//! Any bytes handed to the generator as a `.md` page: the full extraction
//! (format detection, reader, recovery, interpreter) and the markdown reader
//! forced on the same text, whatever the detector would have chosen.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use ucwa_codegen::extract;

fuzz_target!(|bytes: &[u8]| {
    let _ = extract::extract_page(Path::new("fuzz.md"), bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = extract::markdown::blocks(text);
    }
});
