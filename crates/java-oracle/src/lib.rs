//! The real Kafka Connect and Debezium jars (unpacked by `../shared/oracle/kc.sh setup`) as an
//! oracle for crate-level differential tests: a test compiles a small Java program against the
//! jars, runs it on the same input as Sluice's code and compares the outputs. The service-backed
//! oracle (a whole JVM worker) is started by the end-to-end harness in `tests/harness` instead.
//!
//! Used only as a dev-dependency.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The oracle's jar directory, `$KC_HOME/cp` (by default `~/.cache/sluice-oracle/cp`), once it
/// holds a jar whose name starts with `marker` (e.g. `connect-runtime-`); otherwise why not.
///
/// # Errors
/// When the directory is missing or lacks that jar: the caller skips with the message.
pub fn jars(marker: &str) -> Result<PathBuf, String> {
    let home = match std::env::var_os("KC_HOME") {
        Some(h) => PathBuf::from(h),
        None => PathBuf::from(std::env::var_os("HOME").ok_or("HOME is not set")?)
            .join(".cache/sluice-oracle"),
    };
    let cp = home.join("cp");
    let found = std::fs::read_dir(&cp)
        .map_err(|e| format!("oracle jars not found in {}: {e}", cp.display()))?
        .flatten()
        .any(|f| f.file_name().to_string_lossy().starts_with(marker));
    if found {
        Ok(cp)
    } else {
        Err(format!("no {marker}* jar in {}", cp.display()))
    }
}

/// Java programs compiled against the jars: the directory of their classes (removed on drop).
///
/// # Errors
/// When `javac` cannot run (no JDK: the caller skips with the message).
///
/// # Panics
/// When the sources do not compile: the oracle is part of the test, so that is a failure, with
/// javac's output.
pub fn compile(jars: &Path, sources: &[PathBuf]) -> Result<tempfile::TempDir, String> {
    let classes = tempfile::tempdir().map_err(|e| e.to_string())?;
    let javac = Command::new("javac")
        .arg("-nowarn")
        .arg("-d")
        .arg(classes.path())
        .arg("-cp")
        .arg(format!("{}/*", jars.display()))
        .args(sources)
        .output()
        .map_err(|e| format!("javac not runnable: {e}"))?;
    assert!(
        javac.status.success(),
        "the oracle sources do not compile:\n{}",
        String::from_utf8_lossy(&javac.stderr)
    );
    Ok(classes)
}

/// The class path that runs compiled oracles with the jars.
pub fn classpath(classes: &Path, jars: &Path) -> String {
    format!("{}:{}/*", classes.display(), jars.display())
}
