//! The release binary's code layout: the functions listed in `crates/sluice/text-order.txt`
//! (those that run at idle, then those that run under load only; `scripts/text_order.py`) come
//! first in `.text`, placed there by the linker (`crates/sluice/build.rs`), one by one. Spread
//! over 21 MB they kept ~11 MB of an idle worker's code resident, because the kernel maps code
//! 64 KiB around each page touched.

use std::collections::HashMap;

use connect_e2e::{BoxError, Worker, workspace_root};
use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

#[test]
fn the_release_binary_places_the_functions_of_text_order_first() -> Result<(), BoxError> {
    let bin = Worker::binary()?;
    let data = std::fs::read(&bin)?;
    let file = object::File::parse(&*data)?;
    // The build script orders release builds for x86_64 Linux only (lld, Rust's default linker
    // there, knows the option); a debug build keeps its line tables.
    if !cfg!(all(
        target_arch = "x86_64",
        target_os = "linux",
        target_env = "gnu"
    )) || file.section_by_name(".debug_line").is_some()
    {
        eprintln!(
            "skipped: {} is not a release build for x86_64 Linux",
            bin.display()
        );
        return Ok(());
    }
    let text = file
        .section_by_name(".text")
        .ok_or("the binary has no .text")?;
    let functions: HashMap<&str, (u64, u64)> = file
        .symbols()
        .filter(|s| s.kind() == SymbolKind::Text && s.size() > 0)
        .filter_map(|s| Some((s.name().ok()?, (s.address(), s.size()))))
        .collect();
    let list = std::fs::read_to_string(workspace_root().join("crates/sluice/text-order.txt"))?;
    let listed: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let placed: Vec<(u64, u64)> = listed
        .iter()
        .filter_map(|name| functions.get(name).copied())
        .collect();
    // Symbol names carry hashes that change with the code and its dependencies; the linker
    // skips names it does not find, so a stale list silently loses the gain.
    assert!(
        !placed.is_empty() && placed.len() * 5 >= listed.len() * 4,
        "only {} of the {} functions of text-order.txt are in {}: rerun scripts/text_order.py",
        placed.len(),
        listed.len(),
        bin.display()
    );
    // Placed first, they span little more than their own size. In the default layout they are
    // spread over all of `.text`, half of them past its first 11 MB. A C object built without
    // a section per function (`-ffunction-sections`, which `.cargo/config.toml` gives
    // librdkafka's build) moves whole with its first listed function: that was 1.26 times the
    // listed size, and a megabyte more code resident at idle.
    let size: u64 = placed.iter().map(|(_, s)| s).sum();
    let mut ends: Vec<u64> = placed
        .iter()
        .map(|(a, s)| a.saturating_sub(text.address()) + s)
        .collect();
    ends.sort_unstable();
    let p99 = ends[ends.len() * 99 / 100];
    assert!(
        p99 * 10 <= size * 11,
        "99 % of the listed functions end within {p99} bytes of .text's start, more than 1.1 \
         times their {size} bytes: the linker did not order them one by one ({} of .text)",
        text.size()
    );
    Ok(())
}
