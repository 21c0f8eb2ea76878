//! Confluent-compatible S3 sink: the plugin behind `io.confluent.connect.s3.S3SinkConnector`
//! (aliases `S3SinkConnector`, `S3Sink`).
//!
//! It takes the Confluent connector JSON unchanged and writes the objects Confluent's sink writes:
//! the same keys (`<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<start offset>.json`),
//! the same JSON lines (payload only, Jackson's number and escape rules, Java `HashMap` key order
//! for schemaless maps), the same rotation rules and the same consumer-offset behaviour, through
//! `object_store` against S3 or any S3-compatible store (MinIO, s3s-fs) with path-style URLs.
//!
//! # Layout
//! - [`config`]: the `ConfigDef` with Confluent's keys and defaults, and [`S3SinkConfig`].
//! - [`partitioner`]: Default, Field, TimeBased/Daily/Hourly partitioners and the key layout;
//!   [`timefmt`]: time zones and the Joda-Time `path.format` language.
//! - [`format`](mod@format): JsonFormat and ByteArrayFormat, value/`.keys`/`.headers` views.
//! - [`store`]: the object-store operations behind [`SinkStore`], the S3 client, the [`Clock`].
//! - `writer`: one Kafka partition's rotation state machine, streaming uploads and recovery.
//! - `metrics`: the sink's `GET /metrics` gauges (objects, bytes, open files, buffered bytes).
//! - [`S3SinkTask`], [`S3SinkConnector`].
//!
//! # Version
//! The descriptor reports `10.3.1`: the reference does not pin what Confluent reports (it is the
//! jar's version), and `10.3.1` is what the article's `GET /connector-plugins` lists, so tools
//! that check the plugin version see what they expect. Behaviour follows the reference's 10.x
//! description (JSON/ByteArray writers, keys, rotation and offsets are the same across 10.x), plus
//! 10.4's `behavior.on.null.values=write`.
//!
//! # Exactly-once, including scheduled rotation
//! Confluent's guarantee rests on deterministic file boundaries: after a crash, consumption
//! restarts at a committed file boundary and re-creates the same files. Wall-clock rotation
//! (`rotate.schedule.interval.ms`) breaks that, and so would Sluice's own early flush under the
//! memory cap. Sluice keeps exactly-once in every case by making boundaries *recoverable*
//! instead of requiring them to be deterministic:
//!
//! 1. **Commit only clean cuts.** `pre_commit` returns offset `X` only when every record below
//!    `X` is in a complete object and no complete object holds a record at or after `X`
//!    (Confluent's set-level rotation always gives such cuts; the check also covers replay).
//! 2. **Objects are immutable.** A new object is written with a conditional `PUT`
//!    (`If-None-Match: *`); a multipart object is checked with `HEAD` before
//!    `CompleteMultipartUpload` (object_store 0.14 cannot send the header there). A clash is a
//!    fatal error: Sluice never overwrites an object. The one exception is an existing object
//!    with exactly the bytes being written: a retried `PUT` whose first response was lost.
//! 3. **Recover boundaries from the bucket.** On `open`, the task lists the partition's objects
//!    whose start offset (it is in the key) is at or after the committed offset: exactly the
//!    objects a previous incarnation completed but did not commit. Each one's record count comes
//!    from its `x-amz-meta-sluice-records` metadata (single-`PUT` objects) or by counting its
//!    lines (multipart or Confluent-written objects; JSON never contains a raw newline).
//! 4. **Replay to the same boundaries.** When the replayed record that starts such an object
//!    arrives, the writer opens a *dictated* file: it counts records into it without writing
//!    anything (the object is already there, byte for byte what the same records produce) and
//!    closes it after exactly the recorded count, whatever rotation would otherwise do. Missing
//!    companion views (a `.keys` file lost in the crash) are written. Records past the recovered
//!    objects follow the normal rules.
//!
//! Every record therefore lands in exactly one object after any crash, restart or rebalance,
//! and replaying the same input produces the same keys and contents. Assumptions: the same
//! configuration and converter output on replay (as for Confluent), no other writer on the same
//! `topics.dir`/topic, and the committed offset only ever set by this connector (an offset reset
//! into the middle of an object cannot be detected). Limits: if retention deletes the first
//! record of an uncommitted object before the replay, that object cannot be matched (a warning
//! is logged and its remaining records are written again); if compaction removes records of an
//! uncommitted object, its replay never reaches the recorded count and commits of that
//! partition stall (visible as growing lag). Cost per `open`: one `LIST` (from the committed
//! offset on with the default partitioner, the whole topic prefix for Field/Time partitioners or
//! when nothing is committed) plus one `GET` per uncommitted object without record metadata.
//!
//! # Uploads
//! A rotated file is completed (its last part, or its single `PUT`) on a background tokio task,
//! at most two per partition, while the task fills the next file. Until it comes back complete,
//! its start offset holds the committable offset back (rule 1); `pre_commit` waits for it; a
//! failed completion returns to the queue with its retry state and surfaces as a retriable
//! error from the next `put` or `pre_commit`.
//!
//! # Memory
//! Bytes stream into S3 parts of `s3.part.size` as files fill (files being completed in the
//! background count until they are done); buffers grow with data (nothing
//! is pre-allocated per open file; a gzip file keeps its first 64 KiB uncompressed and only then
//! starts its deflate stream, whose ~330 KiB of state counts as buffered).
//! `sluice.max.buffered.bytes` caps what a task holds: over the cap, the biggest buffer goes out
//! as an early part when it is at least S3's 5 MiB minimum, otherwise its partition rotates
//! early. Neither fails the task, and both stay exactly-once
//! through recovery (above).
//!
//! # Failures
//! S3 errors (after the client's `s3.part.retries` retries with `s3.retry.backoff.ms` backoff)
//! surface as [`connect_api::ConnectError::Retriable`] from `put`/`pre_commit`. All task state
//! stays: a failed part is kept and re-sent, a failed completion is retried, redelivered records
//! are recognised by offset and skipped, so nothing is lost or doubled.
//!
//! # Differences from Confluent (deliberate or not yet done)
//! - Objects smaller than `s3.part.size` are one conditional `PUT` (Confluent always uses
//!   multipart): same bytes, but the ETag has the single-part form.
//! - AvroFormat/ParquetFormat, SSE, canned ACLs, proxies and object tagging are rejected at
//!   validation rather than silently ignored; `s3.credentials.provider.class` is accepted and
//!   the AWS environment/default chain is used when `aws.access.key.id` is blank.
//! - `schema.compatibility` BACKWARD/FORWARD/FULL rotate on version changes as Confluent does but
//!   do not project records to the older schema.
//! - Format and partitioner errors fail the task: the SPI has no errant-record reporter yet, so
//!   they cannot go to the DLQ the way Confluent reports them.
//! - Joda text fields (`MMM`, `EEEE`) are English whatever `locale` says.
//! - The bucket is not probed at start (`doesBucketExistV2`); a missing bucket surfaces on the
//!   first write.
//! - Early parts under memory pressure can make parts of unequal size (fine for S3 and MinIO;
//!   Cloudflare R2 requires equal parts).

pub mod config;
mod error;
pub mod format;
mod metrics;
pub mod partitioner;
pub mod store;
mod task;
pub mod timefmt;
mod writer;

use std::num::NonZeroU32;

use connect_api::{
    ConnectError, ConnectorContext, PluginDescriptor, PluginKind, Props, SinkConnector,
};

pub use config::S3SinkConfig;
pub use error::S3SinkError;
pub use store::{Clock, ManualClock, ObjectStoreBackend, SinkStore, SystemClock};
pub use task::S3SinkTask;

/// The connector: validates the configuration and hands every task the same properties.
#[derive(Debug)]
pub struct S3SinkConnector {
    props: Props,
}

impl SinkConnector for S3SinkConnector {
    type Config = S3SinkConfig;
    type Task = S3SinkTask;
    const DESCRIPTOR: PluginDescriptor = PluginDescriptor {
        class: "io.confluent.connect.s3.S3SinkConnector",
        extra_aliases: &[],
        kind: PluginKind::Sink,
        version: "10.3.1",
    };

    async fn start(_ctx: ConnectorContext, config: S3SinkConfig) -> Result<Self, ConnectError> {
        Ok(Self {
            props: config.props,
        })
    }

    fn task_configs(&self, max_tasks: NonZeroU32) -> Result<Vec<Props>, ConnectError> {
        Ok((0..max_tasks.get()).map(|_| self.props.clone()).collect())
    }
}
