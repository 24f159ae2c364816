//! Pocket Studio application crate: the `pocket` CLI and the `pocket-studio` window.

pub mod camera;
pub mod cli;
pub mod gui;
pub mod tasks;

/// Keep freed tensor buffers in the process heap instead of returning them to the kernel after
/// every inference (glibc: large blocks are otherwise fresh `mmap`s, and every run pays page
/// faults and zeroing for its activations). A no-op elsewhere.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        // SAFETY: mallopt only changes allocator tuning parameters; called before threads start.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 256 << 20);
            mallopt(M_TRIM_THRESHOLD, 512 << 20);
        }
    }
}
