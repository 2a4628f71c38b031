//! Any text handed to the generator as a rendered (web text) page: the
//! rendered reader forced on it, and the full extraction of the same text
//! after neutralising the lines that would make the detector choose markdown,
//! so the whole rendered path (reader, recovery, interpreter) is exercised.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use ucwa_codegen::extract;
use ucwa_codegen::schema::PageFormat;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        let _ = extract::extract_page(Path::new("fuzz.txt"), bytes);
        return;
    };
    let _ = extract::rendered::blocks(text);
    let page = if extract::detect_format(text) == PageFormat::Markdown { without_markdown_markers(text) } else { text.to_string() };
    let _ = extract::extract_page(Path::new("fuzz.txt"), page.as_bytes());
});

/// A leading `.` keeps every word of a line whose start reads as markdown
/// (`# heading`, `|:--` or `|**` table rows) while hiding it from the detector.
fn without_markdown_markers(text: &str) -> String {
    let mut page = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let start = line.trim_start();
        if start.starts_with('#') || start.starts_with('|') {
            page.push('.');
        }
        page.push_str(line);
    }
    page
}
