//! Records the git commit for `GET /` (Kafka reports the first 16 hex digits of its commit),
//! packs the binary's relative relocations, and orders its code so what runs sits together.

use std::process::Command;

fn main() {
    let commit = git(&["rev-parse", "HEAD"])
        .map(|s| s.chars().take(16).collect::<String>())
        .filter(|s| s.len() == 16)
        .unwrap_or_else(|| "0000000000000000".to_owned());
    println!("cargo:rustc-env=SLUICE_COMMIT={commit}");
    // HEAD names the branch and changes only when another is checked out; a commit moves the
    // branch's ref (a loose file, or `packed-refs` once git packs it). Watching HEAD alone
    // kept the first build's commit in every later build of a working copy.
    for path in git_paths() {
        println!("cargo:rerun-if-changed={path}");
    }

    // A position-independent executable carries one 24-byte RELA entry per pointer in its
    // read-only data (~80k here, 2 MB); the loader reads them all at start, so they are 2 MB of
    // resident memory in every worker. RELR (glibc 2.36, binutils 2.38) packs them into a bitmap
    // of a few KB. Only the final link changes; the binary stays position-independent.
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.ends_with("-linux-gnu") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }

    // The kernel maps code 64 KiB at a time around each page touched (fault-around), so the few
    // thousand functions an idle worker runs, spread over 21 MB of `.text`, kept ~11 MB of it
    // resident. text-order.txt (scripts/text_order.py) lists the functions that run at idle,
    // then those that run under load only; lld places them first, one by one (C code too:
    // `.cargo/config.toml` gives librdkafka's build a section per function). Names the build no
    // longer has are skipped, so a stale list only loses the gain. lld is Rust's
    // default linker on x86_64 Linux only (since 1.90); GNU ld does not know the option, hence
    // the target check and `SLUICE_TEXT_ORDER=off`.
    let order = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("text-order.txt");
    println!("cargo:rerun-if-changed={}", order.display());
    println!("cargo:rerun-if-env-changed=SLUICE_TEXT_ORDER");
    let wanted = std::env::var("SLUICE_TEXT_ORDER").as_deref() != Ok("off");
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    if wanted && release && target == "x86_64-unknown-linux-gnu" && order.exists() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// The files whose change means another commit is checked out: HEAD, the ref it names and
/// `packed-refs`, as git resolves their paths (worktrees keep them apart), those that exist
/// (Cargo reruns a build script on every build while a watched file is missing). None without
/// git: a source tarball has no commit to follow.
fn git_paths() -> Vec<String> {
    let mut names = vec!["HEAD".to_owned()];
    // A detached HEAD holds the commit itself; on a branch it names the ref that moves.
    names.extend(
        git(&["rev-parse", "--symbolic-full-name", "HEAD"]).filter(|b| b.starts_with("refs/")),
    );
    names.push("packed-refs".to_owned());
    names
        .iter()
        .filter_map(|name| git(&["rev-parse", "--git-path", name]))
        .filter(|p| std::path::Path::new(p).exists())
        .collect()
}

/// What `git <args>` prints, trimmed; `None` without git, outside a repository, or on failure.
fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}
