//! `S3SinkConnectorConfig`: Confluent's keys, defaults and validation, plus Sluice's own
//! `sluice.*` keys.

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig, Validator};
use connect_api::{ConnectorConfig, FieldErrors, Props};

use crate::partitioner::{PartitionerKind, TimeSpec};
use crate::timefmt::{JodaPattern, Zone};

pub const FORMAT_JSON: &str = "io.confluent.connect.s3.format.json.JsonFormat";
pub const FORMAT_BYTEARRAY: &str = "io.confluent.connect.s3.format.bytearray.ByteArrayFormat";
pub const FORMAT_AVRO: &str = "io.confluent.connect.s3.format.avro.AvroFormat";
pub const STORAGE_S3: &str = "io.confluent.connect.s3.storage.S3Storage";
const PARTITIONER_PKG: &str = "io.confluent.connect.storage.partitioner.";
const EXTRACTOR_PREFIX: &str = "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$";

/// Default of `sluice.max.buffered.bytes`: what one task may hold in part buffers before it
/// rotates files early. Confluent's equivalent is unbounded (`s3.part.size` per open file).
pub const DEFAULT_MAX_BUFFERED_BYTES: u64 = 256 * 1024 * 1024;
/// S3's minimum size of every part but the last.
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// `format.class` (and `keys.format.class` / `headers.format.class`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatKind {
    Json,
    ByteArray,
}

/// `s3.compression.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

/// `timestamp.extractor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampExtractor {
    Wallclock,
    Record,
    /// `RecordField` with `timestamp.field` (dotted names reach into nested structs and maps).
    RecordField(String),
}

/// `behavior.on.null.values`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullBehavior {
    Fail,
    Ignore,
    /// Tombstones go to `tombstone.encoded.partition`, as `.keys` (and `.headers`) files only.
    Write,
}

/// `schema.compatibility`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaCompatibility {
    None,
    Backward,
    Forward,
    Full,
}

/// The typed configuration shared by the connector and its tasks.
#[derive(Debug, Clone)]
pub struct S3SinkConfig {
    /// Every property as given, passed unchanged to each task (Confluent copies them too).
    pub props: Props,
    pub topics_dir: String,
    pub bucket: String,
    pub region: String,
    pub store_url: Option<String>,
    pub path_style: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub part_size: usize,
    pub compression: Compression,
    pub compression_level: i32,
    pub flush_size: u64,
    pub rotate_interval_ms: Option<i64>,
    pub rotate_schedule_interval_ms: Option<i64>,
    pub rotate_file_on_partition_change: bool,
    pub timezone: Option<Zone>,
    pub locale: String,
    pub timestamp_extractor: TimestampExtractor,
    pub partitioner: PartitionerKind,
    pub format: FormatKind,
    pub keys_format: FormatKind,
    pub headers_format: FormatKind,
    pub directory_delim: String,
    pub file_delim: String,
    pub zero_pad_width: usize,
    pub null_values: NullBehavior,
    pub tombstone_partition: String,
    pub store_keys: bool,
    pub store_headers: bool,
    /// `s3.retry.backoff.ms`: the S3 client's first retry delay.
    pub retry_backoff_ms: u64,
    /// `retry.backoff.ms`: how long the runtime waits before redelivering after a retriable
    /// failure (`context.timeout`).
    pub connector_retry_backoff_ms: u64,
    pub part_retries: usize,
    pub schema_compatibility: SchemaCompatibility,
    pub json_decimal_numeric: bool,
    pub bytearray_extension: String,
    pub bytearray_separator: Vec<u8>,
    pub max_buffered_bytes: u64,
}

fn key(name: &str, t: ConfigType, imp: Importance, doc: &str) -> ConfigKey {
    ConfigKey::new(name, t, imp, doc)
}

static DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    use ConfigType::{Boolean, Class, Int, List, Long, Password, String as Str};
    use Importance::{High, Low, Medium};
    ConfigDef::builder()
        .group("Connector")
        .define(key("topics", List, High, "List of topics to consume, separated by commas.").default(""))
        .define(key("topics.regex", Str, High, "Regular expression giving topics to consume.").default(""))
        .define(
            key("format.class", Class, High, "The format class to use when writing data to the store.")
                .required()
                .recommended(&[FORMAT_JSON, FORMAT_BYTEARRAY]),
        )
        .define(
            key("flush.size", Int, High, "Number of records written to store before invoking file commits.")
                .required(),
        )
        .define(
            key("rotate.interval.ms", Long, High, "The time interval in milliseconds to invoke file commits, measured in record time.")
                .default("-1"),
        )
        .define(
            key("rotate.schedule.interval.ms", Long, Medium, "The time interval in milliseconds to periodically invoke file commits, by wall clock.")
                .default("-1"),
        )
        .define(key("retry.backoff.ms", Long, Low, "The retry backoff in milliseconds.").default("5000"))
        .define(
            key("filename.offset.zero.pad.width", Int, Low, "Width to zero-pad offsets in store filenames.")
                .default("10")
                .validator(Validator::at_least(0.0)),
        )
        .define(key("schemas.cache.config", Int, Low, "The size of the schema cache.").default("1000"))
        .define(
            key("schema.compatibility", Str, High, "The schema compatibility rule to use when the connector is observing schema changes.")
                .default("NONE")
                .recommended(&["NONE", "BACKWARD", "FORWARD", "FULL"]),
        )
        .group("S3")
        .define(key("s3.bucket.name", Str, High, "The S3 Bucket.").required())
        .define(key("s3.region", Str, Medium, "The AWS region to be used the connector.").default("us-west-2"))
        .define(
            key("s3.part.size", Int, High, "The Part Size in S3 Multi-part Uploads.")
                .default("26214400")
                .validator(Validator::between(5_242_880.0, 2_147_483_647.0)),
        )
        .define(key("s3.credentials.provider.class", Class, Low, "Credentials provider; Sluice uses the AWS default chain.").default("com.amazonaws.auth.DefaultAWSCredentialsProviderChain"))
        .define(key("aws.access.key.id", Str, High, "The AWS access key ID used to authenticate.").default(""))
        .define(key("aws.secret.access.key", Password, High, "The secret access key used to authenticate."))
        .define(key("s3.path.style.access.enabled", Boolean, Low, "Specifies whether or not to enable path style access to the bucket.").default("true"))
        .define(key("s3.wan.mode", Boolean, Medium, "Use S3 accelerated endpoint.").default("false"))
        .define(key("s3.ssea.name", Str, Low, "The S3 Server Side Encryption Algorithm.").default(""))
        .define(key("s3.sse.customer.key", Password, Low, "The S3 Server Side Encryption Customer-Provided Key (SSE-C)."))
        .define(key("s3.sse.kms.key.id", Str, Low, "The name of the AWS Key Management Service key to be used for server side encryption.").default(""))
        .define(key("s3.acl.canned", Str, Low, "An S3 canned ACL header value to apply when writing objects."))
        .define(key("s3.proxy.url", Str, Low, "S3 Proxy settings encoded in URL syntax.").default(""))
        .define(key("s3.object.tagging", Boolean, Low, "Tag S3 objects with start and end offsets, as well as record count.").default("false"))
        .define(key("enable.conditional.writes", Boolean, Low, "Never overwrite an existing object (Sluice always writes conditionally).").default("true"))
        .define(
            key("s3.compression.type", Str, Low, "Compression type for files written to S3.")
                .default("none")
                .validator(Validator::OneOf(&["none", "gzip"])),
        )
        .define(
            key("s3.compression.level", Int, Low, "Compression level for files written to S3.")
                .default("-1")
                .validator(Validator::between(-1.0, 9.0)),
        )
        .define(
            key("json.decimal.format", Str, Low, "Serialize decimals as BASE64 or NUMERIC.")
                .default("BASE64")
                .validator(Validator::OneOfIgnoreCase(&["BASE64", "NUMERIC"])),
        )
        .define(
            key("s3.part.retries", Int, Medium, "Maximum number of retry attempts for failed requests.")
                .default("3")
                .validator(Validator::at_least(0.0)),
        )
        .define(
            key("s3.retry.backoff.ms", Long, Low, "How long to wait in milliseconds before attempting the first retry of a failed S3 request.")
                .default("200")
                .validator(Validator::at_least(0.0)),
        )
        .define(key("format.bytearray.extension", Str, Low, "Output file extension for ByteArrayFormat.").default(".bin"))
        .define(key("format.bytearray.separator", Str, Low, "String inserted between records for ByteArrayFormat (default: a newline)."))
        .define(
            key("behavior.on.null.values", Str, Low, "How to handle records with a null value (i.e. Kafka tombstone records).")
                .default("fail")
                .validator(Validator::OneOfIgnoreCase(&["ignore", "fail", "write"])),
        )
        .define(key("rotate.file.on.partition.change", Boolean, Low, "Rotate files on an encoded partition change with rotate.interval.ms.").default("true"))
        .define(
            key(
                "tombstone.encoded.partition",
                Str,
                Low,
                "Output S3 folder to write the tombstone records to.",
            )
            .default("tombstone"),
        )
        .group("Keys and Headers")
        .define(key("store.kafka.keys", Boolean, Low, "Enable or disable writing keys to storage.").default("false"))
        .define(key("store.kafka.headers", Boolean, Low, "Enable or disable writing headers to storage.").default("false"))
        .define(key("keys.format.class", Class, Low, "The format class to use when writing keys to the store.").default(FORMAT_AVRO))
        .define(key("headers.format.class", Class, Low, "The format class to use when writing headers to the store.").default(FORMAT_AVRO))
        .group("Storage")
        .define(key("storage.class", Class, High, "The underlying storage layer.").required().recommended(&[STORAGE_S3]))
        .define(key("topics.dir", Str, High, "Top level directory to store the data ingested from Kafka.").default("topics"))
        .define(key("store.url", Str, High, "Store's connection URL, if applicable."))
        .define(key("directory.delim", Str, Medium, "Directory delimiter pattern").default("/"))
        .define(key("file.delim", Str, Medium, "File delimiter pattern").default("+"))
        .group("Partitioner")
        .define(
            key("partitioner.class", Class, High, "The partitioner to use when writing data to the store.")
                .default("io.confluent.connect.storage.partitioner.DefaultPartitioner"),
        )
        .define(key("partition.field.name", List, Medium, "The name of the partitioning field when FieldPartitioner is used.").default(""))
        .define(key("partition.duration.ms", Long, Medium, "The duration of a partition milliseconds used by TimeBasedPartitioner.").default("-1"))
        .define(key("path.format", Str, Medium, "This configuration is used to set the format of the data directories when partitioning with TimeBasedPartitioner.").default(""))
        .define(key("locale", Str, Medium, "The locale to use when partitioning with TimeBasedPartitioner.").default(""))
        .define(key("timezone", Str, Medium, "The timezone to use when partitioning with TimeBasedPartitioner.").default(""))
        .define(key("timestamp.extractor", Str, Medium, "The extractor that gets the timestamp for records when partitioning with TimeBasedPartitioner.").default("Wallclock"))
        .define(key("timestamp.field", Str, Medium, "The record field to be used as timestamp by the timestamp extractor.").default("timestamp"))
        .group("Sluice")
        .define(
            key("sluice.max.buffered.bytes", Long, Medium, "Upper bound on the bytes one task holds in part buffers; when reached, files are rotated early instead of failing.")
                .default(DEFAULT_MAX_BUFFERED_BYTES.to_string())
                .validator(Validator::at_least(1_048_576.0)),
        )
        .build()
});

fn format_kind(errors: &mut FieldErrors, key: &str, class: &str) -> FormatKind {
    match class.rsplit('.').next().unwrap_or(class) {
        "JsonFormat" => FormatKind::Json,
        "ByteArrayFormat" => FormatKind::ByteArray,
        "AvroFormat" | "ParquetFormat" => {
            errors.push(key, format!("Invalid value {class} for configuration {key}: Sluice's S3 sink writes JsonFormat and ByteArrayFormat only"));
            FormatKind::Json
        }
        _ => {
            errors.push(key, format!("Invalid value {class} for configuration {key}: Class {class} could not be found."));
            FormatKind::Json
        }
    }
}

fn positive(v: i64) -> Option<i64> {
    (v > 0).then_some(v)
}

fn non_blank(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl ConnectorConfig for S3SinkConfig {
    fn config_def() -> &'static ConfigDef {
        &DEF
    }

    fn from_parsed(p: &ParsedConfig) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();

        let topics = p
            .list("topics")
            .iter()
            .filter(|t| !t.trim().is_empty())
            .count();
        let regex = !p.string("topics.regex").trim().is_empty();
        match (topics > 0, regex) {
            (false, false) => errors.push("topics", "Must configure one of topics or topics.regex"),
            (true, true) => errors.push(
                "topics",
                "topics and topics.regex are mutually exclusive options, but both are set.",
            ),
            _ => {}
        }

        let storage = p.string("storage.class");
        if storage != STORAGE_S3 && storage != "S3Storage" {
            errors.push("storage.class", format!("Invalid value {storage} for configuration storage.class: Class {storage} could not be found."));
        }
        let format = format_kind(&mut errors, "format.class", p.string("format.class"));
        let store_keys = p.boolean("store.kafka.keys");
        let store_headers = p.boolean("store.kafka.headers");
        let keys_format = if store_keys {
            format_kind(
                &mut errors,
                "keys.format.class",
                p.string("keys.format.class"),
            )
        } else {
            FormatKind::Json
        };
        let headers_format = if store_headers {
            format_kind(
                &mut errors,
                "headers.format.class",
                p.string("headers.format.class"),
            )
        } else {
            FormatKind::Json
        };

        let flush_size = p.int("flush.size");
        if flush_size < 1 {
            errors.push("flush.size", format!("Invalid value {flush_size} for configuration flush.size: Value must be at least 1"));
        }

        let null_values = match p
            .string("behavior.on.null.values")
            .to_ascii_lowercase()
            .as_str()
        {
            "ignore" => NullBehavior::Ignore,
            "write" => {
                if !store_keys {
                    errors.push(
                        "behavior.on.null.values",
                        "Invalid value write for configuration behavior.on.null.values: \
                         store.kafka.keys must be true to write tombstones",
                    );
                }
                NullBehavior::Write
            }
            _ => NullBehavior::Fail,
        };

        let schema_compatibility = match p
            .string("schema.compatibility")
            .to_ascii_uppercase()
            .as_str()
        {
            "BACKWARD" => SchemaCompatibility::Backward,
            "FORWARD" => SchemaCompatibility::Forward,
            "FULL" => SchemaCompatibility::Full,
            // Confluent silently treats anything else as NONE.
            _ => SchemaCompatibility::None,
        };

        let timezone_raw = p.string("timezone").trim().to_owned();
        let timezone = if timezone_raw.is_empty() {
            None
        } else {
            match Zone::parse(&timezone_raw) {
                Ok(z) => Some(z),
                Err(e) => {
                    errors.push(
                        "timezone",
                        format!("Invalid value {timezone_raw} for configuration timezone: {e}"),
                    );
                    None
                }
            }
        };
        let rotate_schedule_interval_ms = positive(p.long("rotate.schedule.interval.ms"));
        if rotate_schedule_interval_ms.is_some() && timezone_raw.is_empty() {
            errors.push(
                "timezone",
                "timezone configuration must be set when using rotate.schedule.interval.ms",
            );
        }

        let extractor_name = p.string("timestamp.extractor").trim();
        let timestamp_extractor = match extractor_name
            .strip_prefix(EXTRACTOR_PREFIX)
            .unwrap_or(extractor_name)
        {
            "Wallclock" | "WallclockTimestampExtractor" => TimestampExtractor::Wallclock,
            "Record" | "RecordTimestampExtractor" => TimestampExtractor::Record,
            "RecordField" | "RecordFieldTimestampExtractor" => {
                TimestampExtractor::RecordField(p.string("timestamp.field").to_owned())
            }
            other => {
                errors.push("timestamp.extractor", format!("Invalid value {other} for configuration timestamp.extractor: Sluice supports Wallclock, Record and RecordField"));
                TimestampExtractor::Wallclock
            }
        };

        let directory_delim = p
            .original("directory.delim")
            .map_or_else(|| "/".to_owned(), str::to_owned);
        let locale = p.string("locale").trim().to_owned();
        let partitioner_class = p.string("partitioner.class");
        let short = partitioner_class
            .strip_prefix(PARTITIONER_PKG)
            .unwrap_or(partitioner_class);
        let time_spec =
            |errors: &mut FieldErrors, duration: i64, pattern: String| -> PartitionerKind {
                if locale.is_empty() {
                    errors.push("locale", "Locale cannot be empty.");
                }
                let Some(zone) = timezone.clone() else {
                    if timezone_raw.is_empty() {
                        errors.push("timezone", "Timezone cannot be empty.");
                    }
                    return PartitionerKind::Default;
                };
                let pattern = pattern
                    .strip_suffix(directory_delim.as_str())
                    .map_or(pattern.clone(), str::to_owned);
                if pattern.trim().is_empty() || pattern == directory_delim {
                    errors.push("path.format", "Path format cannot be empty.");
                    return PartitionerKind::Default;
                }
                match JodaPattern::parse(&pattern) {
                    Ok(format) => PartitionerKind::Time(TimeSpec {
                        duration_ms: duration,
                        format,
                        zone,
                    }),
                    Err(e) => {
                        errors.push(
                            "path.format",
                            format!("Invalid value {pattern} for configuration path.format: {e}"),
                        );
                        PartitionerKind::Default
                    }
                }
            };
        let dd = directory_delim.as_str();
        let partitioner = match short {
            "DefaultPartitioner" => PartitionerKind::Default,
            "FieldPartitioner" => {
                let fields: Vec<String> = p
                    .list("partition.field.name")
                    .iter()
                    .map(|f| f.trim().to_owned())
                    .filter(|f| !f.is_empty())
                    .collect();
                if fields.is_empty() {
                    errors.push("partition.field.name", "Invalid value for configuration partition.field.name: FieldPartitioner needs at least one field");
                }
                PartitionerKind::Field(fields)
            }
            "TimeBasedPartitioner" => {
                let duration = p.long("partition.duration.ms");
                if duration <= 0 {
                    errors.push("partition.duration.ms", format!("Invalid value {duration} for configuration partition.duration.ms: Partition duration needs to be a positive."));
                }
                time_spec(&mut errors, duration, p.string("path.format").to_owned())
            }
            "DailyPartitioner" => time_spec(
                &mut errors,
                86_400_000,
                format!("'year'=YYYY{dd}'month'=MM{dd}'day'=dd"),
            ),
            "HourlyPartitioner" => time_spec(
                &mut errors,
                3_600_000,
                format!("'year'=YYYY{dd}'month'=MM{dd}'day'=dd{dd}'hour'=HH"),
            ),
            other => {
                errors.push("partitioner.class", format!("Invalid value {other} for configuration partitioner.class: Sluice supports the Default, Field, TimeBased, Daily and Hourly partitioners"));
                PartitionerKind::Default
            }
        };

        if p.boolean("s3.wan.mode") && p.boolean("s3.path.style.access.enabled") {
            errors.push(
                "s3.wan.mode",
                "Cannot use s3.wan.mode together with s3.path.style.access.enabled",
            );
        }
        if p.boolean("s3.wan.mode") {
            errors.push(
                "s3.wan.mode",
                "Sluice does not support S3 Transfer Acceleration",
            );
        }
        // Silently ignoring these would store data without the encryption, ACL or routing the
        // user asked for.
        for k in [
            "s3.ssea.name",
            "s3.sse.kms.key.id",
            "s3.acl.canned",
            "s3.proxy.url",
        ] {
            if let Some(v) = p.opt_string(k).filter(|v| !v.trim().is_empty()) {
                errors.push(k, format!("Invalid value {v} for configuration {k}: Sluice does not support this setting yet"));
            }
        }
        if p.password("s3.sse.customer.key")
            .is_some_and(|k| !k.expose().trim().is_empty())
        {
            errors.push("s3.sse.customer.key", "Sluice does not support SSE-C yet");
        }
        if p.boolean("s3.object.tagging") {
            errors.push("s3.object.tagging", "Invalid value true for configuration s3.object.tagging: Sluice does not support object tagging yet");
        }
        let region = p.string("s3.region").trim().to_ascii_lowercase();
        if region.is_empty() {
            errors.push(
                "s3.region",
                "Invalid value for configuration s3.region: the region cannot be empty",
            );
        }
        let bucket = p.string("s3.bucket.name").trim().to_owned();
        if bucket.is_empty() {
            errors.push(
                "s3.bucket.name",
                "Invalid value for configuration s3.bucket.name: the bucket name cannot be empty",
            );
        }
        let store_url = non_blank(p.opt_string("store.url"));
        if let Some(url) = &store_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            errors.push("store.url", format!("Invalid value {url} for configuration store.url: expected an http:// or https:// URL"));
        }
        let file_delim = p
            .original("file.delim")
            .map_or_else(|| "+".to_owned(), str::to_owned);
        if file_delim.is_empty() || directory_delim.is_empty() {
            errors.push(
                "directory.delim",
                "directory.delim and file.delim cannot be empty",
            );
        }

        let separator = p
            .original("format.bytearray.separator")
            .map_or_else(|| b"\n".to_vec(), |s| s.as_bytes().to_vec());

        let config = Self {
            props: p.originals().clone(),
            topics_dir: p.string("topics.dir").to_owned(),
            bucket,
            region,
            store_url,
            path_style: p.boolean("s3.path.style.access.enabled"),
            access_key_id: non_blank(p.opt_string("aws.access.key.id")),
            secret_access_key: p
                .password("aws.secret.access.key")
                .map(|s| s.expose().to_owned())
                .filter(|s| !s.trim().is_empty()),
            part_size: usize::try_from(p.int("s3.part.size"))
                .unwrap_or(MIN_PART_SIZE)
                .max(MIN_PART_SIZE),
            compression: if p.string("s3.compression.type") == "gzip" {
                Compression::Gzip
            } else {
                Compression::None
            },
            compression_level: p.int("s3.compression.level"),
            flush_size: u64::try_from(flush_size).unwrap_or(1).max(1),
            rotate_interval_ms: positive(p.long("rotate.interval.ms")),
            rotate_schedule_interval_ms,
            rotate_file_on_partition_change: p.boolean("rotate.file.on.partition.change"),
            timezone,
            locale,
            timestamp_extractor,
            partitioner,
            format,
            keys_format,
            headers_format,
            directory_delim,
            file_delim,
            zero_pad_width: usize::try_from(p.int("filename.offset.zero.pad.width")).unwrap_or(10),
            null_values,
            tombstone_partition: p.string("tombstone.encoded.partition").to_owned(),
            store_keys,
            store_headers,
            retry_backoff_ms: u64::try_from(p.long("s3.retry.backoff.ms")).unwrap_or(200),
            connector_retry_backoff_ms: u64::try_from(p.long("retry.backoff.ms")).unwrap_or(5000),
            part_retries: usize::try_from(p.int("s3.part.retries")).unwrap_or(3),
            schema_compatibility,
            json_decimal_numeric: p
                .string("json.decimal.format")
                .eq_ignore_ascii_case("NUMERIC"),
            bytearray_extension: p
                .original("format.bytearray.extension")
                .map_or_else(|| ".bin".to_owned(), str::to_owned),
            bytearray_separator: separator,
            max_buffered_bytes: u64::try_from(p.long("sluice.max.buffered.bytes"))
                .unwrap_or(DEFAULT_MAX_BUFFERED_BYTES),
        };
        errors.into_result(config)
    }
}

impl S3SinkConfig {
    /// Whether the partitioner is time based (only then are timestamps extracted and
    /// `rotate.interval.ms` honoured, as in Confluent).
    pub fn is_time_based(&self) -> bool {
        matches!(self.partitioner, PartitionerKind::Time(_))
    }

    /// The value file's extension (`.json`, `.json.gz`, `.bin`, …).
    pub fn extension(&self, format: FormatKind) -> String {
        let base = match format {
            FormatKind::Json => ".json",
            FormatKind::ByteArray => self.bytearray_extension.as_str(),
        };
        match self.compression {
            Compression::None => base.to_owned(),
            Compression::Gzip => format!("{base}.gz"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
            ("topics", "t"),
            ("format.class", FORMAT_JSON),
            ("storage.class", STORAGE_S3),
            ("flush.size", "3"),
            ("s3.bucket.name", "warehouse"),
        ]
    }

    fn errors_of(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut p = base();
        p.extend_from_slice(extra);
        match S3SinkConfig::parse(&props(&p)) {
            Ok(_) => Vec::new(),
            Err(e) => e.0,
        }
    }

    #[test]
    fn defaults_match_confluent() {
        let c = S3SinkConfig::parse(&props(&base())).unwrap();
        assert_eq!(c.topics_dir, "topics");
        assert_eq!(c.region, "us-west-2");
        assert_eq!(c.part_size, 26_214_400);
        assert_eq!(c.zero_pad_width, 10);
        assert_eq!(c.null_values, NullBehavior::Fail);
        assert_eq!(c.partitioner, PartitionerKind::Default);
        assert_eq!(c.compression, Compression::None);
        assert_eq!(c.part_retries, 3);
        assert_eq!(c.retry_backoff_ms, 200);
        assert!(c.path_style);
        assert_eq!(c.max_buffered_bytes, DEFAULT_MAX_BUFFERED_BYTES);
        assert_eq!(c.extension(c.format), ".json");
    }

    #[test]
    fn the_articles_clickstream_config_parses() {
        let c = S3SinkConfig::parse(&props(&[
            ("topics", "clickstream_events"),
            ("topics.dir", "clickstream_events"),
            ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
            ("key.converter.schemas.enable", "false"),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "false"),
            ("s3.compression.type", "gzip"),
            ("format.class", FORMAT_JSON),
            ("flush.size", "100"),
            ("store.url", "http://minio:9000"),
            ("storage.class", STORAGE_S3),
            ("s3.region", "us-east-1"),
            ("s3.bucket.name", "warehouse"),
            ("aws.access.key.id", "minio"),
            ("aws.secret.access.key", "minio123"),
        ]))
        .unwrap();
        assert_eq!(c.extension(c.format), ".json.gz");
        assert_eq!(c.store_url.as_deref(), Some("http://minio:9000"));
        assert_eq!(c.secret_access_key.as_deref(), Some("minio123"));
        assert_eq!(c.flush_size, 100);
    }

    #[test]
    fn exactly_one_of_topics_and_topics_regex() {
        let mut p = base();
        p.retain(|(k, _)| *k != "topics");
        let errs = S3SinkConfig::parse(&props(&p)).unwrap_err().0;
        assert_eq!(
            errs,
            [(
                "topics".to_owned(),
                "Must configure one of topics or topics.regex".to_owned()
            )]
        );
        let errs = errors_of(&[("topics.regex", "dbserver1.*")]);
        assert_eq!(
            errs[0].1,
            "topics and topics.regex are mutually exclusive options, but both are set."
        );
    }

    #[test]
    fn required_keys_and_ranges_are_reported_together() {
        let errs = S3SinkConfig::parse(&props(&[("topics", "t"), ("s3.part.size", "1024")]))
            .unwrap_err()
            .0;
        let keys: Vec<&str> = errs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "format.class",
                "flush.size",
                "s3.bucket.name",
                "s3.part.size",
                "storage.class"
            ]
        );
    }

    #[test]
    fn scheduled_rotation_needs_a_timezone() {
        let errs = errors_of(&[("rotate.schedule.interval.ms", "60000")]);
        assert_eq!(
            errs,
            [(
                "timezone".to_owned(),
                "timezone configuration must be set when using rotate.schedule.interval.ms"
                    .to_owned()
            )]
        );
        assert!(
            errors_of(&[
                ("rotate.schedule.interval.ms", "60000"),
                ("timezone", "UTC")
            ])
            .is_empty()
        );
    }

    #[test]
    fn time_based_partitioners_need_locale_timezone_and_format() {
        let errs = errors_of(&[(
            "partitioner.class",
            "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
        )]);
        let keys: Vec<&str> = errs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["partition.duration.ms", "locale", "timezone"]);
        let c = S3SinkConfig::parse(&props(&[
            ("topics", "t"),
            ("format.class", FORMAT_JSON),
            ("storage.class", STORAGE_S3),
            ("flush.size", "3"),
            ("s3.bucket.name", "b"),
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.HourlyPartitioner",
            ),
            ("locale", "en-US"),
            ("timezone", "UTC"),
        ]))
        .unwrap();
        assert!(c.is_time_based());
    }

    #[test]
    fn unsupported_classes_are_named() {
        let errs = errors_of(&[
            (
                "format.class",
                "io.confluent.connect.s3.format.avro.AvroFormat",
            ),
            ("storage.class", "x.Y"),
        ]);
        let keys: Vec<&str> = errs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["storage.class", "format.class"]);
        // keys.format.class defaults to AvroFormat, as in Confluent, so storing keys needs it set.
        let errs = errors_of(&[("store.kafka.keys", "true")]);
        assert_eq!(errs[0].0, "keys.format.class");
        assert!(
            errors_of(&[
                ("store.kafka.keys", "true"),
                ("keys.format.class", FORMAT_JSON)
            ])
            .is_empty()
        );
    }
}
