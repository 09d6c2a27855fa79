//! Secret references against real stores: the process environment and the kernel's
//! keyring (keyutils), which the `keyring` crate also reads on Linux desktops.

use secrecy::ExposeSecret;
use switchyard_core::secrets::SecretRef;

#[test]
fn a_keyring_reference_reads_the_os_keyring() {
    // The kernel keyring needs no desktop daemon, so it works under CI too.
    keyring::set_default_credential_builder(keyring::keyutils::default_credential_builder());
    let account = format!("it-{}", std::process::id());
    let entry = keyring::Entry::new("switchyard-test", &account).unwrap();
    entry.set_password("canary-keyring-7f3a").unwrap();

    let reference = SecretRef::parse(&format!("keyring:switchyard-test/{account}"))
        .unwrap()
        .unwrap();
    let secret = reference.resolve().unwrap();
    assert_eq!(secret.expose_secret(), "canary-keyring-7f3a");
    // What a log or an error would show is the reference, never the value.
    assert_eq!(
        reference.to_string(),
        format!("keyring:switchyard-test/{account}")
    );
    assert!(!format!("{secret:?}").contains("canary"));
    entry.delete_credential().unwrap();

    let err = reference.resolve().unwrap_err();
    assert!(err.contains("has no secret"), "{err}");
    assert!(!err.contains("canary"), "{err}");
}
