//! Tauri's code generation (the configuration, the embedded UI, the capabilities), and
//! `SWITCHYARD_VERSION` (the version and git commit) for `--version` and the window's help.

fn main() {
    switchyard_version::emit();
    tauri_build::build()
}
