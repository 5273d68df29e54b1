//! The engine's integration tests: one binary, one module per part.

mod catalog;
mod damage;
mod disk;
mod fake_library;
mod library;
mod pipeline;
mod quarantine;
mod scan;
mod search;
