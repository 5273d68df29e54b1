//! How the process's memory allocator is told to behave, for front ends to call first
//! thing in `main`, before any thread starts.
//!
//! glibc gives threads arenas of their own (up to 8 per core) and keeps what each arena
//! freed for that arena: the decoding workers' photo buffers and ONNX Runtime's model
//! loading, spread over several arenas, held 604 MB at the peak of a `motis index` run
//! with ViT-B/32 fp32 (64 noisy 12 MP JPEGs, optimised copies present) where one arena
//! held 513 MB, and a first run that makes the copies 795 MB against 558 MB, at the same
//! speed (5.30 s against 5.44 s). Other C libraries (Android's, Apple's) are left as
//! they are.

/// One allocator arena for the whole process, where the C library is glibc.
pub fn use_one_allocator_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter; it is called before the front
    // end starts its threads, and glibc takes its own lock for it anyway.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
