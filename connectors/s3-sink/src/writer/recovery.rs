//! Recovery on `open`: which objects a previous incarnation completed past the committed offset,
//! and how many records each holds, so that a replay closes them at the same records.

use std::collections::BTreeMap;
use std::io::Read as _;

use connect_api::TopicPartition;
use object_store::path::Path;

use super::Shared;
use crate::config::{Compression, FormatKind};
use crate::error::S3SinkError;
use crate::partitioner::{PartitionerKind, listing_prefix};
use crate::store::META_RECORDS;

/// An object (all its views) found at or after the committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Planned {
    /// Key without the view suffix.
    pub(crate) base: String,
    pub(crate) records: u64,
    /// Per view of [`Shared::views`]: whether that object exists.
    pub(crate) existing: Vec<bool>,
}

/// Lists the partition's objects whose start offset is at or after `committed` (all of them
/// when nothing was committed) and counts their records.
///
/// # Errors
/// Store failures (retriable).
pub(crate) async fn recover(
    sh: &Shared,
    tp: &TopicPartition,
    committed: Option<i64>,
) -> Result<BTreeMap<i64, Planned>, S3SinkError> {
    let cfg = &sh.cfg;
    let prefix = listing_prefix(cfg, &tp.topic, tp.partition);
    // object_store lists whole path segments; the prefix may end inside one (custom delimiters).
    let root = prefix.rfind('/').map(|i| verbatim(&prefix[..i]));
    let head = format!("{}{fd}{}{fd}", tp.topic, tp.partition, fd = cfg.file_delim);
    let mut found: BTreeMap<i64, (String, Vec<Option<Path>>)> = BTreeMap::new();
    // With the default partitioner every key of the partition shares one prefix and, zero
    // padded, sorts by start offset: S3 can skip the history before the committed offset.
    let width = cfg.zero_pad_width;
    let keys = match committed {
        // Strictly narrower than the pad: the bound starts with '0', so longer (unpadded) offsets
        // still sort after it.
        Some(c)
            if cfg.partitioner == PartitionerKind::Default
                && c >= 0
                && c.to_string().len() < width =>
        {
            let after = format!("{prefix}{head}{c:0width$}");
            sh.store
                .list_after(root.as_ref(), &verbatim(&after))
                .await?
        }
        _ => sh.store.list(root.as_ref()).await?,
    };
    for key in keys {
        let text = key.as_ref();
        let Some(rest) = text.strip_prefix(prefix.as_str()) else {
            continue;
        };
        let name = rest
            .rsplit(cfg.directory_delim.as_str())
            .next()
            .unwrap_or(rest);
        let Some(tail) = name.strip_prefix(head.as_str()) else {
            continue;
        };
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        let (number, suffix) = tail.split_at(digits);
        let Ok(start) = number.parse::<i64>() else {
            continue;
        };
        let Some(view) = sh.views.iter().position(|(_, _, s)| s == suffix) else {
            continue;
        };
        if committed.is_some_and(|c| start < c) {
            continue;
        }
        let base = text[..text.len() - suffix.len()].to_owned();
        let entry = found
            .entry(start)
            .or_insert_with(|| (base.clone(), vec![None; sh.views.len()]));
        if entry.0 != base {
            return Err(S3SinkError::Conflict(format!(
                "{} has two objects starting at offset {start}: {} and {base}",
                tp, entry.0
            )));
        }
        entry.1[view] = Some(key.clone());
    }

    let mut plan = BTreeMap::new();
    for (start, (base, keys)) in found {
        let Some((view, key)) = keys
            .iter()
            .enumerate()
            .find_map(|(i, k)| k.as_ref().map(|k| (i, k)))
        else {
            continue;
        };
        let records = count_records(sh, view, key).await?;
        tracing::info!(partition = %tp, start, records, key = %base, "found an object past the committed offset; replay will reproduce it");
        plan.insert(
            start,
            Planned {
                base,
                records,
                existing: keys.iter().map(Option::is_some).collect(),
            },
        );
    }
    Ok(plan)
}

async fn count_records(sh: &Shared, view: usize, key: &Path) -> Result<u64, S3SinkError> {
    let (bytes, metadata) = sh.store.read(key).await?;
    if let Some(n) = metadata.get(META_RECORDS).and_then(|v| v.parse().ok()) {
        return Ok(n);
    }
    let data = match sh.cfg.compression {
        Compression::None => bytes.to_vec(),
        Compression::Gzip => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes.as_ref())
                .read_to_end(&mut out)
                .map_err(|e| S3SinkError::Conflict(format!("{key} is not a gzip object: {e}")))?;
            out
        }
    };
    let separator: &[u8] = match sh.views.get(view) {
        Some((_, FormatKind::ByteArray, _)) => &sh.cfg.bytearray_separator,
        _ => b"\n",
    };
    Ok(count_occurrences(&data, separator))
}

/// Every record ends with the separator, so records = separators (JSON never contains a raw
/// newline; a ByteArray value containing the separator is ambiguous, as it is for readers).
fn count_occurrences(data: &[u8], sep: &[u8]) -> u64 {
    if sep.is_empty() {
        return 0;
    }
    let mut n = 0;
    let mut i = 0;
    while i + sep.len() <= data.len() {
        if &data[i..i + sep.len()] == sep {
            n += 1;
            i += sep.len();
        } else {
            i += 1;
        }
    }
    n
}

/// The key exactly as written (`Path::from` would percent-encode characters such as `%` that
/// `Path::parse`, used for object keys, keeps).
fn verbatim(key: &str) -> Path {
    Path::parse(key).unwrap_or_else(|_| Path::from(key))
}
