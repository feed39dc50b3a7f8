//! ezcluster: eZ Publish's cluster file handler as a native PHP extension.
//!
//! `store` is the storage core (no PHP types; `cargo test` alone builds and
//! tests it). `ext` is the thin ext-php-rs glue, built with `--features php`.

pub mod store;

#[cfg(feature = "php")]
mod ext;
