//! Writing output atomically.
