//! The engine the desktop app and the CLI share: the photo catalog and, built on it, the
//! indexing pipeline and search.
//!
//! Not here: decoding pixels (motis-media), running models (motis-embed), the vector
//! index itself (motis-index), and anything that knows about Tauri or terminals.

pub mod catalog;

pub use catalog::{Catalog, CatalogError, PhotoId, ScanEntry, ScanReport};
