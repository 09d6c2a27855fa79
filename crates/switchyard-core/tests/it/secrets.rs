//! Secret references against the real platform stores. Storing a secret from a test is
//! not possible in every sandbox (this one's kernel keyring denies `add_key`), so the
//! keyring test asks the platform store for an entry that does not exist and checks
//! what an engineer would read: the reference and what to do, never a value.

use secrecy::ExposeSecret;
use switchyard_core::secrets::SecretRef;

#[test]
fn a_missing_keyring_entry_names_the_reference_only() {
    let account = format!("absent-{}", std::process::id());
    let reference = SecretRef::parse(&format!("keyring:switchyard-test/{account}"))
        .unwrap()
        .unwrap();
    let err = reference.resolve().unwrap_err();
    assert!(
        err.contains("switchyard-test") && err.contains(&account),
        "the error names the entry: {err}"
    );
    assert_eq!(
        reference.to_string(),
        format!("keyring:switchyard-test/{account}")
    );
}

#[test]
fn an_env_reference_reads_the_process_environment() {
    // PATH is always set; reading it proves the lookup, and a secret's Debug hides it.
    let reference = SecretRef::parse("env:PATH").unwrap().unwrap();
    let secret = reference.resolve().unwrap();
    assert_eq!(secret.expose_secret(), std::env::var("PATH").unwrap());
    assert!(!format!("{secret:?}").contains(&std::env::var("PATH").unwrap()));
}
