//! Records the git commit for `GET /` (Kafka reports the first 16 hex digits of its commit),
//! packs the binary's relative relocations, and orders its code so what runs sits together.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().chars().take(16).collect::<String>())
        .filter(|s| s.len() == 16)
        .unwrap_or_else(|| "0000000000000000".to_owned());
    println!("cargo:rustc-env=SLUICE_COMMIT={commit}");
    println!("cargo:rerun-if-changed=../../.git/HEAD");

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
    // resident. text-order.txt (scripts/text_order.py) lists the functions that run under load,
    // hottest first, then the rest of those that run at idle; lld places them first. Names the
    // build no longer has are skipped, so a stale list only loses the gain. lld is Rust's
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
