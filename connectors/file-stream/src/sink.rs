//! `FileStreamSinkConnector`: appends each record's value, one per line, to a file (or stdout).
//!
//! Values are written as Java's `println(record.value())` writes them. Unlike Kafka's task, which
//! only flushes its stream, `pre_commit` also fsyncs the file before it hands the offsets back, so
//! the runtime commits only offsets whose lines survive a crash of the machine.

use std::num::NonZeroU32;
use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::{
    ConnectError, ConnectorConfig, ConnectorContext, FieldErrors, OffsetMap, ParsedConfig,
    PluginDescriptor, PluginKind, Props, SinkConnector, SinkRecord, SinkTask, SinkTaskContext,
    TopicPartition,
};
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::text::java_string;

pub const FILE_CONFIG: &str = "file";

/// Kafka 3.9's `FileStreamSinkConnector.CONFIG_DEF`, text verbatim.
static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(ConfigKey::new(
            FILE_CONFIG,
            ConfigType::String,
            Importance::High,
            "Destination filename. If not specified, the standard output will be used",
        ))
        .build()
});

/// The configuration of the connector and of its tasks.
#[derive(Debug, Clone)]
pub struct FileStreamSinkConfig {
    /// `None` (or empty in Kafka's reading) means standard output.
    pub file: Option<String>,
    /// Every property given: Kafka hands the whole map to each task unchanged.
    originals: Props,
}

impl ConnectorConfig for FileStreamSinkConfig {
    fn config_def() -> &'static ConfigDef {
        &CONFIG_DEF
    }

    fn from_parsed(parsed: &ParsedConfig) -> Result<Self, FieldErrors> {
        Ok(Self {
            file: parsed
                .opt_string(FILE_CONFIG)
                .filter(|f| !f.is_empty())
                .map(str::to_owned),
            originals: parsed.originals().clone(),
        })
    }
}

/// `org.apache.kafka.connect.file.FileStreamSinkConnector`.
#[derive(Debug)]
pub struct FileStreamSinkConnector {
    config: FileStreamSinkConfig,
}

impl SinkConnector for FileStreamSinkConnector {
    type Config = FileStreamSinkConfig;
    type Task = FileStreamSinkTask;
    const DESCRIPTOR: PluginDescriptor = PluginDescriptor {
        class: "org.apache.kafka.connect.file.FileStreamSinkConnector",
        extra_aliases: &[],
        kind: PluginKind::Sink,
        version: crate::KAFKA_VERSION,
    };

    async fn start(ctx: ConnectorContext, config: Self::Config) -> Result<Self, ConnectError> {
        tracing::info!(
            connector = %ctx.name,
            "Starting file sink connector writing to {}.",
            config.file.as_deref().unwrap_or("standard output")
        );
        Ok(Self { config })
    }

    /// `tasks.max` identical tasks, as Kafka does (they all append to the same file).
    fn task_configs(&self, max_tasks: NonZeroU32) -> Result<Vec<Props>, ConnectError> {
        Ok((0..max_tasks.get())
            .map(|_| self.config.originals.clone())
            .collect())
    }
}

enum Output {
    File {
        path: String,
        writer: BufWriter<tokio::fs::File>,
    },
    Stdout(tokio::io::Stdout),
}

/// `org.apache.kafka.connect.file.FileStreamSinkTask`.
pub struct FileStreamSinkTask {
    ctx: SinkTaskContext,
    output: Option<Output>,
}

impl std::fmt::Debug for FileStreamSinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let target = match &self.output {
            Some(Output::File { path, .. }) => path.as_str(),
            Some(Output::Stdout(_)) => "stdout",
            None => "closed",
        };
        f.debug_struct("FileStreamSinkTask")
            .field("connector", &self.ctx.connector)
            .field("task", &self.ctx.task)
            .field("output", &target)
            .finish()
    }
}

impl SinkTask for FileStreamSinkTask {
    type Config = FileStreamSinkConfig;

    async fn start(ctx: SinkTaskContext, config: Self::Config) -> Result<Self, ConnectError> {
        let output = match config.file {
            None => Output::Stdout(tokio::io::stdout()),
            Some(path) => {
                let file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .await
                    .map_err(|e| {
                        ConnectError::fatal_with(
                            format!("Couldn't find or create file '{path}' for FileStreamSinkTask"),
                            e,
                        )
                    })?;
                Output::File {
                    path,
                    writer: BufWriter::new(file),
                }
            }
        };
        Ok(Self {
            ctx,
            output: Some(output),
        })
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        // Nothing is synced here: durability is pre_commit's job, so that one fsync covers a
        // whole commit interval rather than every batch.
        let mut text = String::new();
        for record in records {
            text.push_str(&java_string(&record.value.value));
            text.push('\n');
        }
        // Kafka's task prints through a `PrintStream`, which hands every line to the file at
        // once: readers of the file see records as they arrive. Flush (not fsync) per batch.
        let result = match self.output.as_mut() {
            Some(Output::File { writer, .. }) => match writer.write_all(text.as_bytes()).await {
                Ok(()) => writer.flush().await,
                Err(e) => Err(e),
            },
            Some(Output::Stdout(out)) => match out.write_all(text.as_bytes()).await {
                Ok(()) => out.flush().await,
                Err(e) => Err(e),
            },
            None => return Err(ConnectError::Stopped),
        };
        result.map_err(|e| {
            ConnectError::retriable_with(format!("Failed to write to {}", self.name()), e)
        })
    }

    /// Flushes and fsyncs, then returns `current`: every offset consumed so far is durable.
    async fn pre_commit(&mut self, current: &OffsetMap) -> Result<OffsetMap, ConnectError> {
        tracing::trace!(output = self.name(), "Flushing output stream.");
        self.sync().await?;
        Ok(current.clone())
    }

    async fn close(&mut self, _partitions: &[TopicPartition]) -> Result<(), ConnectError> {
        // Whatever `put` took for revoked partitions is flushed now; their offsets are committed
        // by the runner's pre_commit before the revocation, not here.
        self.sync().await
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        let result = self.sync().await;
        self.output = None;
        result
    }
}

impl FileStreamSinkTask {
    async fn sync(&mut self) -> Result<(), ConnectError> {
        let name = self.name().to_owned();
        let failed = |e| ConnectError::retriable_with(format!("Failed to flush {name}"), e);
        match self.output.as_mut() {
            Some(Output::File { writer, .. }) => {
                writer.flush().await.map_err(failed)?;
                writer.get_ref().sync_data().await.map_err(failed)
            }
            Some(Output::Stdout(out)) => out.flush().await.map_err(failed),
            None => Ok(()),
        }
    }

    fn name(&self) -> &str {
        match &self.output {
            Some(Output::File { path, .. }) => path,
            _ => "stdout",
        }
    }
}

#[cfg(test)]
mod tests;
