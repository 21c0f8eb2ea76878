//! `FileStreamSourceConnector`: reads a file (or standard input) line by line.
//!
//! Each line becomes a `SourceRecord` with a STRING value schema, source partition
//! `{"filename": <file>}` and source offset `{"position": <byte offset after the line>}`. On start
//! the task resumes from the committed position; at end of file it waits a second and reads again,
//! so lines appended later are picked up (`tail -f`). A file that does not exist yet is waited for.

use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};
use connect_api::{
    ConnectError, ConnectorConfig, ConnectorContext, FieldErrors, OffsetStorageReader,
    ParsedConfig, PluginDescriptor, PluginKind, Props, Schema, SchemaAndValue, SchemaRef,
    SourceConnector, SourceOffset, SourcePartition, SourceRecord, SourceTask, SourceTaskContext,
    Value,
};
use serde_json::{Map, Value as Json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};

pub const FILE_CONFIG: &str = "file";
pub const TOPIC_CONFIG: &str = "topic";
pub const TASK_BATCH_SIZE_CONFIG: &str = "batch.size";
pub const DEFAULT_TASK_BATCH_SIZE: i32 = 2000;
/// Source partition key naming the file.
pub const FILENAME_FIELD: &str = "filename";
/// Source offset key holding the byte position after the last emitted line.
pub const POSITION_FIELD: &str = "position";

/// How long the task waits at end of input, or for a missing file, before reading again
/// (Kafka's `wait(1000)`).
const EOF_BACKOFF: Duration = Duration::from_secs(1);
/// Bytes asked of the reader at a time.
const READ_CHUNK: usize = 8 * 1024;

/// Kafka 3.9's `FileStreamSourceConnector.CONFIG_DEF`, texts verbatim.
static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(ConfigKey::new(
            FILE_CONFIG,
            ConfigType::String,
            Importance::High,
            "Source filename. If not specified, the standard input will be used",
        ))
        .define(
            ConfigKey::new(
                TOPIC_CONFIG,
                ConfigType::String,
                Importance::High,
                "The topic to publish data to",
            )
            .required()
            .validator(Validator::NonEmptyString),
        )
        .define(
            ConfigKey::new(
                TASK_BATCH_SIZE_CONFIG,
                ConfigType::Int,
                Importance::Low,
                "The maximum number of records the source task can read from the file each time it is polled",
            )
            .default(DEFAULT_TASK_BATCH_SIZE.to_string()),
        )
        .build()
});

static VALUE_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(Schema::string);

/// The configuration of the connector and of its single task (they share one definition).
#[derive(Debug, Clone)]
pub struct FileStreamSourceConfig {
    /// `None` (or empty in Kafka's reading) means standard input.
    pub file: Option<String>,
    pub topic: String,
    pub batch_size: usize,
    /// Every property the connector was given: Kafka hands its whole map to the task unchanged.
    originals: Props,
}

impl ConnectorConfig for FileStreamSourceConfig {
    fn config_def() -> &'static ConfigDef {
        &CONFIG_DEF
    }

    fn from_parsed(parsed: &ParsedConfig) -> Result<Self, FieldErrors> {
        let file = parsed
            .opt_string(FILE_CONFIG)
            .filter(|f| !f.is_empty())
            .map(str::to_owned);
        // Kafka has no validator on batch.size; with 0 or less its `size() >= batchSize` check
        // returns after every record, which is a batch of one.
        let batch_size = usize::try_from(parsed.int(TASK_BATCH_SIZE_CONFIG))
            .unwrap_or(1)
            .max(1);
        Ok(Self {
            file,
            topic: parsed.string(TOPIC_CONFIG).to_owned(),
            batch_size,
            originals: parsed.originals().clone(),
        })
    }
}

/// `org.apache.kafka.connect.file.FileStreamSourceConnector`.
#[derive(Debug)]
pub struct FileStreamSourceConnector {
    config: FileStreamSourceConfig,
}

impl SourceConnector for FileStreamSourceConnector {
    type Config = FileStreamSourceConfig;
    type Task = FileStreamSourceTask;
    const DESCRIPTOR: PluginDescriptor = PluginDescriptor {
        class: "org.apache.kafka.connect.file.FileStreamSourceConnector",
        extra_aliases: &[],
        kind: PluginKind::Source,
        version: crate::KAFKA_VERSION,
    };

    async fn start(ctx: ConnectorContext, config: Self::Config) -> Result<Self, ConnectError> {
        tracing::info!(
            connector = %ctx.name,
            "Starting file source connector reading from {}.",
            config.file.as_deref().unwrap_or("standard input")
        );
        Ok(Self { config })
    }

    /// One task whatever `tasks.max` says: only one reader of a stream makes sense.
    fn task_configs(&self, _max_tasks: NonZeroU32) -> Result<Vec<Props>, ConnectError> {
        Ok(vec![self.config.originals.clone()])
    }

    /// Kafka 3.6+ `FileStreamSourceConnector.alterOffsets`, with its messages.
    fn alter_offsets(
        config: &Props,
        offsets: &[(SourcePartition, Option<SourceOffset>)],
    ) -> Result<bool, ConnectError> {
        let config = FileStreamSourceConfig::parse(config).map_err(ConnectError::Config)?;
        if config.file.is_none() {
            return Err(ConnectError::fatal(format!(
                "Offsets cannot be modified if the '{FILE_CONFIG}' configuration is unspecified. \
                 This is because stdin is used for input and offsets are not tracked."
            )));
        }
        // Partitions of earlier configurations (other files) may be present too; each is checked
        // for shape only, and the task checks the position against the file when it starts.
        for (partition, offset) in offsets {
            // Tombstones are always allowed, so that garbage offsets can be cleaned up.
            let Some(offset) = offset else { continue };
            let Some(position) = offset.0.get(POSITION_FIELD) else {
                return Err(ConnectError::fatal(format!(
                    "Offset objects should either be null or contain the key '{POSITION_FIELD}'"
                )));
            };
            let Some(position) = position.as_i64() else {
                return Err(ConnectError::fatal(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset is expected to be a Long value"
                )));
            };
            if position < 0 {
                return Err(ConnectError::fatal(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset should be a non-negative value"
                )));
            }
            if !partition.0.contains_key(FILENAME_FIELD) {
                return Err(ConnectError::fatal(format!(
                    "Partition objects should contain the key '{FILENAME_FIELD}'"
                )));
            }
        }
        Ok(true)
    }
}

type Reader = Pin<Box<dyn AsyncRead + Send>>;

/// `org.apache.kafka.connect.file.FileStreamSourceTask`.
pub struct FileStreamSourceTask {
    ctx: SourceTaskContext,
    file: Option<String>,
    topic: String,
    batch_size: usize,
    reader: Option<Reader>,
    /// Bytes read but not yet part of a complete line.
    buffer: Vec<u8>,
    /// Byte position in the file of `buffer[0]`; `None` for stdin, whose position is not tracked.
    position: Option<i64>,
    /// Records extracted from `buffer` but not yet returned. Kept here rather than in the `poll`
    /// future so that cancelling `poll` (the runner selects it against shutdown) loses nothing.
    pending: Vec<SourceRecord>,
    /// Whether the "file not found" warning was logged, so that waiting for a file that never
    /// appears does not log once a second forever.
    warned_missing: bool,
    stopped: bool,
}

impl std::fmt::Debug for FileStreamSourceTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStreamSourceTask")
            .field("connector", &self.ctx.connector)
            .field("task", &self.ctx.task)
            .field("file", &self.file)
            .field("topic", &self.topic)
            .field("position", &self.position)
            .field("open", &self.reader.is_some())
            .finish_non_exhaustive()
    }
}

impl SourceTask for FileStreamSourceTask {
    type Config = FileStreamSourceConfig;
    // `commit_record` is not overridden: the runtime drops each record once it is sent.
    const READS_COMMITTED_RECORDS: bool = false;

    async fn start(ctx: SourceTaskContext, config: Self::Config) -> Result<Self, ConnectError> {
        let reader: Option<Reader> = match config.file {
            Some(_) => None,
            None => Some(Box::pin(tokio::io::stdin())),
        };
        Ok(Self {
            ctx,
            file: config.file,
            topic: config.topic,
            batch_size: config.batch_size,
            reader,
            buffer: Vec::new(),
            position: None,
            pending: Vec::new(),
            warned_missing: false,
            stopped: false,
        })
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        if self.stopped {
            return Err(ConnectError::Stopped);
        }
        if self.reader.is_none() && !self.open().await? {
            tokio::time::sleep(EOF_BACKOFF).await;
            return Ok(Vec::new());
        }
        // Lines left over from a read that filled a whole batch come first.
        self.extract_lines();
        if self.pending.len() >= self.batch_size {
            return Ok(self.take_batch());
        }
        let mut chunk = vec![0u8; READ_CHUNK];
        while let Some(reader) = self.reader.as_mut() {
            // `read` is cancel-safe: a cancelled read consumed nothing.
            let n = match reader.read(&mut chunk).await {
                Ok(n) => n,
                Err(e) => {
                    // Kafka treats a read failure as "stream killed" and returns nothing; the
                    // file is reopened from the last emitted position on the next poll.
                    tracing::warn!(file = self.log_name(), error = %e, "Error reading input.");
                    self.close();
                    break;
                }
            };
            if n == 0 {
                break;
            }
            self.buffer.extend_from_slice(&chunk[..n]);
            self.extract_lines();
            if self.pending.len() >= self.batch_size {
                return Ok(self.take_batch());
            }
        }
        if self.pending.is_empty() {
            // End of input for now: wait, then let the runner poll again (tail -f).
            tokio::time::sleep(EOF_BACKOFF).await;
        }
        Ok(self.take_batch())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        tracing::trace!(file = self.log_name(), "Stopping.");
        self.stopped = true;
        self.reader = None;
        Ok(())
    }
}

impl FileStreamSourceTask {
    /// Opens the file and seeks to the committed position. `Ok(false)` when the file does not
    /// exist yet.
    async fn open(&mut self) -> Result<bool, ConnectError> {
        let Some(filename) = self.file.clone() else {
            return Ok(true);
        };
        let mut file = match tokio::fs::File::open(&filename).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if self.warned_missing {
                    tracing::debug!(file = %filename, "Still waiting for the file to be created.");
                } else {
                    tracing::warn!(
                        file = %filename,
                        "Couldn't find file {filename} for FileStreamSourceTask, sleeping to wait for it to be created."
                    );
                    self.warned_missing = true;
                }
                return Ok(false);
            }
            Err(e) => {
                return Err(ConnectError::fatal_with(
                    format!("Error while trying to open file {filename}"),
                    e,
                ));
            }
        };
        let position = match self.position {
            // Reopening after a read error: continue after the last line already emitted.
            Some(p) => p,
            None => committed_position(self.ctx.offsets.clone(), &filename).await?,
        };
        if position > 0 {
            tracing::debug!(file = %filename, position, "Found previous offset, skipping to it.");
            // Non-negative, checked by `committed_position`.
            let to = u64::try_from(position).unwrap_or_default();
            file.seek(std::io::SeekFrom::Start(to)).await.map_err(|e| {
                ConnectError::fatal_with(
                    format!("Error while trying to seek to previous offset in file {filename}"),
                    e,
                )
            })?;
        }
        self.position = Some(position);
        self.buffer.clear();
        self.reader = Some(Box::pin(file));
        self.warned_missing = false;
        tracing::debug!(file = %filename, "Opened file for reading.");
        Ok(true)
    }

    /// Drops the reader; the next poll reopens the file at `position`, the end of the last line
    /// already extracted, so nothing is read twice.
    fn close(&mut self) {
        if self.file.is_some() {
            self.reader = None;
            self.buffer.clear();
        }
    }

    /// Moves every complete line of `buffer` into `pending`, up to a full batch.
    fn extract_lines(&mut self) {
        let mut start = 0;
        while self.pending.len() < self.batch_size {
            let rest = &self.buffer[start..];
            let Some(i) = rest.iter().position(|b| *b == b'\n' || *b == b'\r') else {
                break;
            };
            let end_len = if rest[i] == b'\r' {
                // A lone '\r' at the end may be the first half of "\r\n": wait for the next byte.
                match rest.get(i + 1) {
                    None => break,
                    Some(b'\n') => 2,
                    Some(_) => 1,
                }
            } else {
                1
            };
            let line = String::from_utf8_lossy(&rest[..i]).into_owned();
            let consumed = i + end_len;
            start += consumed;
            if let Some(p) = self.position.as_mut() {
                *p += i64::try_from(consumed).unwrap_or(i64::MAX);
            }
            self.pending.push(self.record(line));
        }
        self.buffer.drain(..start);
    }

    fn record(&self, line: String) -> SourceRecord {
        let mut offset = Map::new();
        offset.insert(
            POSITION_FIELD.to_owned(),
            self.position.map_or(Json::Null, Json::from),
        );
        let mut record = SourceRecord::new(
            partition_for(self.file.as_deref()),
            SourceOffset(offset),
            self.topic.clone(),
            SchemaAndValue::NULL,
            SchemaAndValue::new(Some(VALUE_SCHEMA.clone()), Value::String(line)),
        );
        record.timestamp = Some(now_millis());
        record
    }

    fn take_batch(&mut self) -> Vec<SourceRecord> {
        let n = self.pending.len().min(self.batch_size);
        self.pending.drain(..n).collect()
    }

    fn log_name(&self) -> &str {
        self.file.as_deref().unwrap_or("stdin")
    }
}

/// The committed `position` of this file's partition, 0 when there is none.
async fn committed_position(
    offsets: Arc<dyn OffsetStorageReader>,
    filename: &str,
) -> Result<i64, ConnectError> {
    let partition = partition_for(Some(filename));
    let committed = offsets.offsets(std::slice::from_ref(&partition)).await?;
    Ok(match committed.into_iter().find(|(p, _)| *p == partition) {
        Some((_, offset)) => match offset.0.get(POSITION_FIELD) {
            None | Some(Json::Null) => 0,
            Some(v) => v
                .as_i64()
                .filter(|p| *p >= 0)
                .ok_or_else(|| ConnectError::fatal("Offset position is the incorrect type"))?,
        },
        None => 0,
    })
}

/// `{"filename": <file>}`; Kafka writes a null filename for stdin.
fn partition_for(file: Option<&str>) -> SourcePartition {
    let mut map = Map::new();
    map.insert(
        FILENAME_FIELD.to_owned(),
        file.map_or(Json::Null, Json::from),
    );
    SourcePartition::new(map)
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
