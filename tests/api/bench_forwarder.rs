//! `kassa bench …` runs the `kassa-bench` beside the `kassa` binary, with
//! the arguments as given, and says what to build when it is missing. A
//! stand-in script plays kassa-bench: the real one is run by CI's smoke.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder holding a `kassa` (a hard link to the test build, so that its
/// own path is the folder's) and, if given, a `kassa-bench` script.
fn folder(bench_script: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    // In the target dir: on the binary's file system, so it can be linked.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let kassa = dir.path().join("kassa");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_kassa"), &kassa).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_kassa"), &kassa).unwrap();
    }
    if let Some(script) = bench_script {
        let path = dir.path().join("kassa-bench");
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (dir, kassa)
}

fn run(kassa: &Path, args: &[&str], server_bin: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(kassa);
    cmd.args(args).env_remove("KASSA_BENCH_SERVER_BIN");
    if let Some(bin) = server_bin {
        cmd.env("KASSA_BENCH_SERVER_BIN", bin);
    }
    // A process another test forks while the script is being written holds
    // it open for writing until it execs: exec then fails with ETXTBSY.
    for _ in 0..20 {
        let out = cmd.output().unwrap();
        if !String::from_utf8_lossy(&out.stderr).contains("Text file busy") {
            return out;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("kassa-bench stayed busy")
}

#[test]
fn bench_passes_every_argument_through_and_names_this_kassa_as_the_server() {
    let script =
        "#!/bin/sh\nfor a in \"$@\"; do echo \"arg:$a\"; done\necho \"server:$KASSA_BENCH_SERVER_BIN\"\nexit 3\n";
    let (_dir, kassa) = folder(Some(script));
    let out = run(&kassa, &["bench", "--smoke", "--scenarios", "create-session,pay", "--help", "two words"], None);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let expected = "arg:--smoke\narg:--scenarios\narg:create-session,pay\narg:--help\narg:two words\n";
    assert!(stdout.starts_with(expected), "{stdout}");
    assert_eq!(stdout.lines().last().unwrap(), format!("server:{}", kassa.display()));
    assert_eq!(out.status.code(), Some(3), "the bench's exit status is kassa bench's");
}

#[test]
fn bench_keeps_a_server_binary_the_caller_named() {
    let (_dir, kassa) = folder(Some("#!/bin/sh\necho \"server:$KASSA_BENCH_SERVER_BIN\"\n"));
    let out = run(&kassa, &["bench"], Some("/opt/other/kassa"));
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "server:/opt/other/kassa\n");
}

#[test]
fn bench_without_kassa_bench_says_what_to_build() {
    let (dir, kassa) = folder(None);
    let out = run(&kassa, &["bench", "--smoke"], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(&dir.path().join("kassa-bench").display().to_string()), "{stderr}");
    assert!(stderr.contains("cargo build --release"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
