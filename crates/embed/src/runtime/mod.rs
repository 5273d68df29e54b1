//! The ONNX Runtime library, loaded once per process. How it is found differs by
//! platform, and each platform decides it in its own file: `desktop.rs` (a library file
//! loaded at run time), `android.rs` (the `libonnxruntime.so` the app packages) and
//! `ios.rs` (linked into the app). Each says, when the runtime is missing, how to fix it
//! there.

use std::path::PathBuf;
use std::sync::Mutex;

use ort::environment::Environment;

use crate::EmbedError;

#[cfg_attr(target_os = "android", path = "android.rs")]
#[cfg_attr(target_os = "ios", path = "ios.rs")]
#[cfg_attr(not(any(target_os = "android", target_os = "ios")), path = "desktop.rs")]
mod platform;

/// Why a runtime library that was found would not load (never, where it is linked in),
/// and what to do when the runtime is missing, on this platform.
pub use platform::{FIX, LoadError};

/// The loaded ONNX Runtime library; one per process, shared by all encoders.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) environment: Environment,
    /// Where encoders keep optimised copies of the towers they open, and the smallest
    /// tower worth one (see [`Runtime::with_optimized_copies`]); none: each opens its
    /// tower's own file.
    pub(crate) optimized: Option<(PathBuf, u64)>,
}

/// ONNX Runtime allows one environment per process: every `load` after the first
/// successful one returns that one.
static LOADED: Mutex<Option<Runtime>> = Mutex::new(None);

impl Runtime {
    /// Load ONNX Runtime where this platform keeps it (see the platform files).
    pub fn load() -> Result<Runtime, EmbedError> {
        let mut loaded = LOADED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(runtime) = loaded.as_ref() {
            return Ok(runtime.clone());
        }
        let environment = platform::environment()?
            .with_name("motis")
            .build()
            .map_err(|source| EmbedError::RuntimeStart { source })?;
        let runtime = Runtime {
            environment,
            optimized: None,
        };
        Ok(loaded.insert(runtime).clone())
    }

    /// This runtime, with encoders that keep ONNX Runtime's optimised copy of each tower
    /// of at least `min_bytes` in `folder` and load that (much faster for large towers,
    /// at the cost of the copy's disk space; a small one loads fast from its own file):
    /// see the `optimized` module.
    pub fn with_optimized_copies(mut self, folder: PathBuf, min_bytes: u64) -> Runtime {
        self.optimized = Some((folder, min_bytes));
        self
    }
}
