//! The engine's integration tests: one binary, one module per part.

mod catalog;
mod pipeline;
mod scan;
