//! The layering rules of DESIGN-NOTES.md, checked on the source: the
//! domain is pure and deterministic, so it names no I/O crate, no outer
//! layer of kassa, no clock and no random source; the payment engine knows
//! nothing of HTTP; workers and pages call the engine, never the API.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `line` holds `token` as a path of its own: `rand::` but not
/// `Brand::`.
fn names(line: &str, token: &str) -> bool {
    line.match_indices(token).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Code lines of `file` (comments dropped) that name one of `forbidden`.
fn offences(file: &Path, forbidden: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .filter_map(|(n, l)| {
            let hit = forbidden.iter().find(|f| names(l, f))?;
            Some(format!("{}:{}: names `{hit}`: {}", file.display(), n + 1, l.trim()))
        })
        .collect()
}

const NOT_IN_THE_DOMAIN: &[&str] = &[
    // kassa's outer layers
    "crate::processor",
    "crate::store",
    "crate::api",
    "crate::web",
    "crate::worker",
    "crate::engine",
    "crate::webhooks",
    "crate::vault",
    "crate::ids",
    "crate::clock",
    "crate::config",
    "crate::server",
    "crate::telemetry",
    "crate::accounts",
    "AppState",
    // I/O and runtime crates
    "tokio::",
    "reqwest::",
    "sqlx::",
    "rusqlite::",
    "axum::",
    "hyper::",
    "tower::",
    "tracing::",
    // clocks, randomness and the outside world
    "rand::",
    "thread_rng",
    "SystemTime",
    "Instant::now",
    "std::fs",
    "std::env",
    "TcpStream",
    "ToSocketAddrs",
];

#[test]
fn the_domain_names_no_io_crate_no_outer_layer_no_clock_and_no_randomness() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 20, "src/domain was not found");
    let found: Vec<String> = files.iter().flat_map(|f| offences(f, NOT_IN_THE_DOMAIN)).collect();
    assert!(found.is_empty(), "the domain must stay pure:\n{}", found.join("\n"));
}

/// Offences against `forbidden` in every Rust file under `src/{dir}`.
fn offences_under(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(!files.is_empty(), "src/{dir} was not found");
    files.iter().flat_map(|f| offences(f, forbidden)).collect()
}

#[test]
fn the_engine_names_no_http_and_nothing_of_the_api() {
    let found = offences_under("engine", &["axum", "crate::api", "super::api", "StatusCode", "ApiError"]);
    assert!(found.is_empty(), "the engine must not know HTTP:\n{}", found.join("\n"));
}

#[test]
fn workers_and_pages_call_the_engine_not_the_api() {
    let found: Vec<String> =
        ["worker", "web"].iter().flat_map(|d| offences_under(d, &["crate::api", "super::api"])).collect();
    assert!(found.is_empty(), "workers and pages go through the engine:\n{}", found.join("\n"));
}

#[test]
fn every_write_goes_through_the_one_commit_function() {
    let found: Vec<String> = ["api", "engine", "web", "worker", "webhooks"]
        .iter()
        .flat_map(|d| offences_under(d, &["store.commit(", "store.commit_counted("]))
        .filter(|o| !o.contains("src/engine/commit.rs"))
        .collect();
    assert!(found.is_empty(), "commit through engine::commit::commit:\n{}", found.join("\n"));
}
