//! iOS: apps may not load libraries they download or carry loose, so ONNX Runtime is
//! linked into the app statically (see crates/embed/Cargo.toml) and there is nothing to
//! find. Sessions run on CoreML where it supports a model's operators (the Neural Engine
//! or the GPU), on the CPU otherwise.

use ort::environment::EnvironmentBuilder;
use ort::ep;

use crate::EmbedError;

/// Nothing is loaded at run time, so nothing can fail to load.
pub type LoadError = std::convert::Infallible;

pub const FIX: &str = "ONNX Runtime is linked into the app: rebuild it with the onnxruntime \
    static library (see DEVELOPMENT.md, iOS)";

pub fn environment() -> Result<EnvironmentBuilder, EmbedError> {
    let coreml = ep::CoreML::default()
        .with_model_format(ep::coreml::ModelFormat::MLProgram)
        .with_compute_units(ep::coreml::ComputeUnits::All)
        .build();
    Ok(ort::init().with_execution_providers([coreml]))
}
