//! Sets `SWITCHYARD_VERSION` (the version and git commit) for `switchyard-cli --version`.

fn main() {
    switchyard_version::emit();
}
