//! Start-up errors a newcomer hits, through the real binary: each exits
//! non-zero with one message that names the problem, and prints no key.

use std::path::Path;
use std::process::{Command, Output};

use crate::backend_test;
use crate::cli::{kassa, MASTER_HEX};

const OTHER_HEX: &str = "0a0b0c0d0e0f0a0b0c0d0e0f0a0b0c0d0e0f0a0b0c0d0e0f0a0b0c0d0e0f0a0b";

/// `kassa` on a database with the master key taken from its key file.
fn kassa_keyless(db_url: &str) -> Command {
    let mut c = kassa(db_url);
    c.env_remove("KASSA_MASTER_KEY").env_remove("KASSA_KEY_FILE");
    c
}

/// Asserts a failure and returns its stderr.
fn failed(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "expected a failure; stderr: {err}");
    err
}

fn succeeded(out: &Output) {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

backend_test!(a_master_key_other_than_the_databases_is_refused_at_start, |app| {
    // The test app made this database without a check value, as a database
    // from before the check: the first start records the key it was given.
    succeeded(&kassa(&app.db.url).arg("migrate").output().unwrap());
    let out = kassa(&app.db.url).env("KASSA_MASTER_KEY", OTHER_HEX).arg("migrate").output().unwrap();
    let err = failed(&out);
    assert!(err.contains("created with a different master key"), "{err}");
    assert!(err.contains("KASSA_MASTER_KEY") && err.contains("KASSA_KEY_FILE"), "{err}");
    let all = format!("{err}{}", String::from_utf8_lossy(&out.stdout));
    assert!(!all.contains(OTHER_HEX) && !all.contains(MASTER_HEX), "no key is printed: {all}");
    let out = kassa(&app.db.url).env("KASSA_MASTER_KEY", OTHER_HEX).args(["account", "create", "--name", "x"]).output();
    failed(&out.unwrap());
    // The original key still works, and so do the app's API keys.
    succeeded(&kassa(&app.db.url).arg("migrate").output().unwrap());
    assert_eq!(app.get("/v1/customers").await.status, 200);
});

#[test]
fn a_new_key_file_beside_an_existing_database_is_refused_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("k.db").display());
    let key_file = dir.path().join("k.db.key");
    succeeded(&kassa_keyless(&url).arg("migrate").output().unwrap());
    let original = std::fs::read(&key_file).unwrap();
    std::fs::remove_file(&key_file).unwrap();
    let err = failed(&kassa_keyless(&url).arg("migrate").output().unwrap());
    assert!(err.contains("different master key") && err.contains("k.db.key"), "{err}");
    assert!(!key_file.exists(), "the key made for the wrong start is removed again");
    std::fs::write(&key_file, original).unwrap();
    succeeded(&kassa_keyless(&url).arg("migrate").output().unwrap());
}

#[test]
fn a_database_url_of_another_kind_says_which_kinds_work() {
    for (url, given) in [("mysql://root:hunter2@127.0.0.1/kassa", "`mysql:`"), ("kassa.db", "no scheme")] {
        let err = failed(&kassa_keyless(url).arg("migrate").output().unwrap());
        assert!(err.contains("KASSA_DATABASE_URL") && err.contains(given), "{err}");
        assert!(err.contains("sqlite:") && err.contains("postgres://"), "{err}");
        assert!(!err.contains("hunter2"), "the password is not repeated: {err}");
        assert!(!err.contains("KASSA_MASTER_KEY"), "not a key problem: {err}");
    }
}

/// The database path is named, not the key file, and the OS error is
/// printed exactly once.
fn assert_names_the_database(err: &str, db: &Path, problem: &str, os_error: &str) {
    assert!(err.contains(&db.display().to_string()), "{err}");
    assert!(err.contains(problem), "{err}");
    assert!(!err.contains(".key"), "{err}");
    assert_eq!(err.matches(os_error).count(), 1, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn a_missing_directory_names_the_database_path() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing").join("kassa.db");
    let err = failed(&kassa_keyless(&format!("sqlite:{}", db.display())).arg("migrate").output().unwrap());
    assert_names_the_database(&err, &db, "does not exist", "(os error 2)");
}

#[test]
fn a_directory_that_cannot_hold_the_database_names_the_database_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "").unwrap();
    let db = file.join("kassa.db");
    let err = failed(&kassa_keyless(&format!("sqlite:{}", db.display())).arg("migrate").output().unwrap());
    assert_names_the_database(&err, &db, "is not a directory", "(os error 20)");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("read-only");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        // Root writes anyway: then there is nothing to refuse.
        let writable = std::fs::write(ro.join("probe"), "").is_ok();
        if !writable {
            let db = ro.join("kassa.db");
            let err = failed(&kassa_keyless(&format!("sqlite:{}", db.display())).arg("migrate").output().unwrap());
            assert_names_the_database(&err, &db, "is not writable", "(os error 13)");
        }
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

backend_test!(serve_on_an_address_in_use_creates_no_account_and_prints_no_key, |app| {
    let db = crate::helpers::test_db(app.backend).await.unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = kassa(&db.url).args(["serve", "--addr", &addr]).output().unwrap();
    let err = failed(&out);
    assert!(err.contains(&format!("cannot listen on {addr}")) && err.contains("os error"), "{err}");
    let all = format!("{}{err}", String::from_utf8_lossy(&out.stdout));
    assert!(!all.contains("sk_test_") && !all.contains("pk_test_"), "no key is printed: {all}");
    let store = kassa::store::open(&db.url).await.unwrap();
    assert_eq!(store.account_count().await.unwrap(), 0, "the first account waits for a server that listens");
});
