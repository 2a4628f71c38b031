//! Random identifiers: the application's `endpointId`, operation ids and batch
//! boundaries, all UUID version 4 as UCWA's samples show them.

/// A random UUID (version 4), lower-case hyphenated.
///
/// Falls back to a time- and counter-derived value if the operating system
/// has no randomness to give, so that an id is always returned; UCWA only
/// needs these to be unique, not secret.
pub(crate) fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        bytes = fallback_bytes();
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn fallback_bytes() -> [u8; 16] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64)
        .unwrap_or_default();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&nanos.to_be_bytes());
    bytes[8..].copy_from_slice(&count.to_be_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::uuid_v4;

    #[test]
    fn ids_are_version_4_uuids_and_differ() {
        let first = uuid_v4();
        let second = uuid_v4();
        assert_ne!(first, second);
        assert_eq!(first.len(), 36);
        let groups: Vec<&str> = first.split('-').collect();
        assert_eq!(
            groups.iter().map(|group| group.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "{first}");
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{first}");
        assert!(first.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }
}
