//! Arbitrary server responses through the generated crate's decoders: the
//! first byte picks the entry point, the second the rel, the rest is the body.
//! Whatever decodes is encoded again, since a server's values also flow back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ucwa_runtime::{DataUri, Link};

fuzz_target!(|bytes: &[u8]| {
    let [entry, rel, body @ ..] = bytes else { return };
    let body = String::from_utf8_lossy(body);
    let rels = ucwa::ResourceKind::MEMBERS;
    let rel = rels.get(usize::from(*rel) % rels.len().max(1)).copied().unwrap_or("unknown");
    match entry % 7 {
        0 => {
            let _ = ucwa::decode_json(rel, &body);
        }
        1 => {
            let _ = ucwa::decode_xml(rel, &body);
        }
        2 => {
            if let Ok(events) = ucwa::Events::from_json(&body) {
                let _ = serde_json::to_string(&events);
            }
        }
        3 => {
            if let Ok(events) = ucwa::Events::from_xml(&body) {
                let _ = serde_json::to_string(&events);
            }
        }
        4 => {
            let _ = ucwa::ErrorResponse::from_json(&body);
        }
        5 => {
            let _ = ucwa::ErrorResponse::from_xml(&body);
        }
        _ => {
            if let Some(Ok(data)) = Link::<ucwa_runtime::Untyped>::new(body.as_ref()).data() {
                let _ = data.text();
            }
            let _ = DataUri::parse_with_limit(&body, 1 << 16);
        }
    }
});
