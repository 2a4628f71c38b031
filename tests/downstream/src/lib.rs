//! The generated UCWA types, included from OUT_DIR.

include!(concat!(env!("OUT_DIR"), "/ucwa.rs"));
