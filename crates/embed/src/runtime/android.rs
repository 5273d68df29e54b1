//! Android: the app packages `libonnxruntime.so` from Microsoft's `onnxruntime-android`
//! package (its `jni/arm64-v8a` and `jni/x86_64` folders end up in the APK's `lib/<abi>/`),
//! and it is loaded at run time by name: the dynamic linker looks in the app's own
//! native-library folder, where Android installs it.

use std::path::PathBuf;

use ort::environment::EnvironmentBuilder;

use crate::EmbedError;

pub type LoadError = ort::LoadDynamicError;

pub const FIX: &str = "the app must package libonnxruntime.so 1.31 for this ABI: add \
    com.microsoft.onnxruntime:onnxruntime-android:1.31.0 to the app's Gradle dependencies, or copy \
    the library into src/main/jniLibs/<abi>/ (see DEVELOPMENT.md, Android)";

const LIBRARY: &str = "libonnxruntime.so";

/// `ORT_DYLIB_PATH` when set (for a developer's own build), else the packaged library.
pub fn environment() -> Result<EnvironmentBuilder, EmbedError> {
    let path = std::env::var_os("ORT_DYLIB_PATH").map_or_else(|| PathBuf::from(LIBRARY), PathBuf::from);
    ort::init_from(&path).map_err(|source| EmbedError::RuntimeLoad { path, source })
}
