//! `io.debezium.transforms.TimezoneConverter`: rewrites the time-based columns of change events
//! (`before`, `after`, and listed `source` fields) into another time zone.
//!
//! Debezium's arithmetic is kept as it is, quirks included: epoch-based row timestamps are moved
//! by *minus* the zone offset of their UTC wall-clock time read as local time, the `source`
//! epochs (`ts_ms`, `ts_us`, `ts_ns`) by *plus* the offset at that instant, and `ZonedTime`
//! values use the offset in effect now.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig, Width};
use connect_api::data::Timestamp;
use connect_api::java::ZoneRules;
use connect_api::{
    ConnectError, ConnectRecord, Props, Struct, Transformation, TransformationPlugin, Value, java,
};

use super::{get_with_default, invalid_config, is_envelope, required};
use crate::kafka::util::{JavaPattern, java_exception};

const CLASS: &str = "io.debezium.transforms.TimezoneConverter";
const CONVERTED_TIMEZONE: &str = "converted.timezone";
const INCLUDE_LIST: &str = "include.list";
const EXCLUDE_LIST: &str = "exclude.list";

const ZONED_TIMESTAMP: &str = "io.debezium.time.ZonedTimestamp";
const ZONED_TIME: &str = "io.debezium.time.ZonedTime";
const MICRO_TIMESTAMP: &str = "io.debezium.time.MicroTimestamp";
const NANO_TIMESTAMP: &str = "io.debezium.time.NanoTimestamp";
const DBZ_TIMESTAMP: &str = "io.debezium.time.Timestamp";
const SUPPORTED: &[&str] = &[
    MICRO_TIMESTAMP,
    NANO_TIMESTAMP,
    DBZ_TIMESTAMP,
    ZONED_TIMESTAMP,
    ZONED_TIME,
    Timestamp::LOGICAL_NAME,
];
const EPOCH_FIELDS: &[&str] = &["ts_ms", "ts_us", "ts_ns"];

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    let list_doc = |what: &str| {
        format!(
            "A comma-separated list of rules that specify what events should be {what} timezone conversion, using one of the following formats: `source:<tablename>`:: Matches only Debezium change events with a source information block with the specified table name. All time-based fields will be converted. `source:<tablename>:<fieldname>`:: Matches only Debezium change events with a source information with the specified table name. Only the specified field name will be converted. `topic:<topicname>`:: Matches the specified topic name, converting all time-based fields. `topic:<topicname>:<fieldname>`:: Matches the specified topic name, converting only the specified field name. `<matchname>:<fieldname>`:: Uses a heuristic matching algorithm to matches the source information block table name if the source information block exists, otherwise matches against the topic name. The conversion is applied only to to the specified field name. "
        )
    };
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                CONVERTED_TIMEZONE,
                ConfigType::String,
                Importance::High,
                "A string that represents the timezone to which the time-based fields should be converted.The format can be geographic (e.g. America/Los_Angeles), or it can be a UTC offset in the format of +/-hh:mm, (e.g. +08:00).",
            )
            .width(Width::Medium)
            .display_name("Converted Timezone"),
        )
        .define(
            ConfigKey::new(
                INCLUDE_LIST,
                ConfigType::List,
                Importance::High,
                list_doc("evaluated for"),
            )
            .width(Width::Medium)
            .display_name("Include List"),
        )
        .define(
            ConfigKey::new(
                EXCLUDE_LIST,
                ConfigType::List,
                Importance::High,
                list_doc("excluded from"),
            )
            .width(Width::Medium)
            .display_name("Exclude List"),
        )
        .build()
});

pub(super) fn plugin() -> Box<dyn TransformationPlugin> {
    super::plugin(CLASS, &CONFIG_DEF, create)
}

/// The target zone: a fixed offset (`+08:00`) or a region with rules.
#[derive(Debug, Clone)]
enum Zone {
    Fixed(i32),
    Region(ZoneRules),
}

impl Zone {
    fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let digits =
            |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
        let offset_like = matches!(b.first(), Some(b'+' | b'-'))
            && digits(1..3)
            && b.get(3) == Some(&b':')
            && digits(4..6)
            && (b.len() == 6 || (b.len() == 9 && b.get(6) == Some(&b':') && digits(7..9)));
        if offset_like {
            let sign = if text.starts_with('-') { -1 } else { 1 };
            let nums: Vec<i32> = text[1..]
                .split(':')
                .filter_map(|n| n.parse().ok())
                .collect();
            let secs = nums.first().copied().unwrap_or(0) * 3600
                + nums.get(1).copied().unwrap_or(0) * 60
                + nums.get(2).copied().unwrap_or(0);
            // ZoneOffset.of accepts at most ±18:00.
            return (secs <= 18 * 3600).then_some(Self::Fixed(sign * secs));
        }
        ZoneRules::of(text).map(Self::Region)
    }

    /// `rules.getOffset(Instant)`, in seconds.
    fn offset_at_instant(&self, epoch_seconds: i64) -> i32 {
        match self {
            Self::Fixed(s) => *s,
            Self::Region(rules) => rules.offset_at_instant(epoch_seconds),
        }
    }

    /// `rules.getOffset(LocalDateTime)`: in an overlap the earlier offset, in a gap the offset
    /// before the transition.
    fn offset_at_local(&self, local: &NaiveDateTime) -> i32 {
        match self {
            Self::Fixed(s) => *s,
            Self::Region(rules) => rules.offset_at_local(local.and_utc().timestamp()),
        }
    }
}

/// One `include.list`/`exclude.list` rule (`FieldItem`).
#[derive(Debug, Default)]
struct Rules {
    topic: BTreeMap<String, Vec<String>>,
    table: BTreeMap<String, Vec<String>>,
    no_prefix: BTreeMap<String, Vec<String>>,
}

impl Rules {
    fn collect(items: &[String]) -> Self {
        let mut rules = Self::default();
        let mut common_prefix: Option<String> = None;
        for item in items {
            let parts = java::split(item, ':');
            let (prefix, match_name, field) = match parts.len() {
                1 => (None, Some(parts[0]), None),
                2 | 3
                    if parts[0].eq_ignore_ascii_case("source")
                        || parts[0].eq_ignore_ascii_case("topic") =>
                {
                    (Some(parts[0]), Some(parts[1]), parts.get(2).copied())
                }
                2 | 3 => (None, Some(parts[0]), Some(parts[1])),
                _ => (None, None, None),
            };
            if let Some(p) = prefix {
                common_prefix = Some(p.to_owned());
            }
            // Debezium keys its maps by a possibly null name; a null name never matches a
            // topic, and matches a missing table only through `containsKey(null)`.
            let key = match_name.unwrap_or("\u{0}null").to_owned();
            let map = match common_prefix.as_deref() {
                Some("topic") => &mut rules.topic,
                Some("source") => &mut rules.table,
                _ => &mut rules.no_prefix,
            };
            let entry = map.entry(key).or_default();
            if let Some(f) = field
                && !entry.iter().any(|e| e == f)
            {
                entry.push(f.to_owned());
            }
        }
        rules
    }

    /// `handleMatchNameAndFields`.
    fn find(&self, table: Option<&str>, topic: &str) -> Option<(String, &[String])> {
        let table_key = table.unwrap_or("\u{0}null");
        if let Some(f) = self.topic.get(topic) {
            return Some((topic.to_owned(), f));
        }
        if let Some(f) = self.table.get(table_key) {
            return Some((table_key.to_owned(), f));
        }
        if let Some(f) = self.no_prefix.get(topic) {
            return Some((topic.to_owned(), f));
        }
        self.no_prefix
            .get(table_key)
            .map(|f| (table_key.to_owned(), f.as_slice()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    All,
    Include,
    Exclude,
}

fn list(props: &Props, name: &str) -> Vec<String> {
    match props.get(name) {
        None => Vec::new(),
        Some(v) => v.split(',').map(|s| s.trim().to_owned()).collect(),
    }
}

/// `LIST_PATTERN` against Java's `List.toString()`, with Java's ASCII `\w` and `\s`.
fn valid_rule_list(items: &[String]) -> bool {
    static LIST: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
        let c = r#"[".A-Za-z0-9_ \t\n\x0B\x0C\r]"#;
        regex::Regex::new(&format!(
            r"^\[(source|topic|{c}+):({c}+(?::{c}+)?(?:,|\]$))+$"
        ))
        .ok()
    });
    LIST.as_ref()
        .is_some_and(|re| re.is_match(&format!("[{}]", items.join(", "))))
}

fn create(_: &ParsedConfig, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let zone_text = required(props, CONVERTED_TIMEZONE)?.to_owned();
    let include = list(props, INCLUDE_LIST);
    let exclude = list(props, EXCLUDE_LIST);
    for (name, items) in [(INCLUDE_LIST, &include), (EXCLUDE_LIST, &exclude)] {
        if let Some(bad) = items.iter().find(|i| JavaPattern::compile(i).is_err()) {
            return Err(invalid_config(
                name,
                props.get(name).map(String::as_str),
                &format!(
                    "A comma-separated list of valid regular expressions is expected, but {bad} is not one"
                ),
            ));
        }
    }
    let rule_error = |which: &str| {
        java_exception(
            "DebeziumException",
            format!(
                "Invalid {which} list format. Please specify a list of rules in the format of \"source:<tablename>:<fieldnames>\", \"topic:<topicname>:<fieldnames>\", \"<matchname>:<fieldnames>\""
            ),
        )
    };
    if !include.is_empty() {
        if !valid_rule_list(&include) {
            return Err(rule_error("include"));
        }
    } else if !exclude.is_empty() && !valid_rule_list(&exclude) {
        return Err(rule_error("exclude"));
    }
    let zone = Zone::parse(&zone_text).ok_or_else(|| {
        java_exception(
            "DebeziumException",
            "Invalid timezone format. Please specify either a geographic timezone (e.g. America/Los_Angeles) or a UTC offset in the format of +/-hh:mm, (e.g. +08:00).",
        )
    })?;
    if !include.is_empty() && !exclude.is_empty() {
        return Err(java_exception(
            "DebeziumException",
            "Both include and exclude lists are specified. Please specify only one.",
        ));
    }
    let (mode, rules) = if !exclude.is_empty() {
        (Mode::Exclude, Rules::collect(&exclude))
    } else if !include.is_empty() {
        (Mode::Include, Rules::collect(&include))
    } else {
        (Mode::All, Rules::default())
    };
    Ok(Box::new(TimezoneConverter { zone, mode, rules }))
}

/// A configured `TimezoneConverter`.
#[derive(Debug)]
pub struct TimezoneConverter {
    zone: Zone,
    mode: Mode,
    rules: Rules,
}

impl Transformation for TimezoneConverter {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.value.is_null() || !is_envelope(record.value.schema.as_ref()) {
            return Ok(Some(record));
        }
        let Value::Struct(value) = &mut record.value.value else {
            return Err(java_exception(
                "ClassCastException",
                "the envelope is not a org.apache.kafka.connect.data.Struct",
            ));
        };
        let table = table_from_source(value)?;
        let topic = record.topic.as_str();
        match self.mode {
            Mode::All => {
                // With no lists the maps are empty, so every record is converted.
                self.handle_structs(value, Mode::All, &[])?;
            }
            Mode::Include => {
                if let Some((_, fields)) = self.rules.find(table.as_deref(), topic) {
                    let fields = fields.to_vec();
                    let mode = if fields.is_empty() {
                        Mode::All
                    } else {
                        Mode::Include
                    };
                    self.handle_structs(value, mode, &fields)?;
                }
            }
            Mode::Exclude => match self.rules.find(table.as_deref(), topic) {
                None => self.handle_structs(value, Mode::All, &[])?,
                Some((_, fields)) if !fields.is_empty() => {
                    let fields = fields.to_vec();
                    self.handle_structs(value, Mode::Exclude, &fields)?;
                }
                Some(_) => {}
            },
        }
        Ok(Some(record))
    }
}

/// `getTableFromSource`: a missing `source` or `table` field reads as no table; a null
/// `source` fails as Java's `NullPointerException` does.
fn table_from_source(value: &Struct) -> Result<Option<String>, ConnectError> {
    if value.schema().field("source").is_none() {
        return Ok(None);
    }
    match get_with_default(value, "source") {
        Value::Struct(source) => {
            if source.schema().field("table").is_none() {
                return Ok(None);
            }
            Ok(get_with_default(&source, "table")
                .as_str()
                .map(str::to_owned))
        }
        Value::Null => Err(java_exception(
            "NullPointerException",
            "Cannot invoke \"org.apache.kafka.connect.data.Struct.getString(String)\" because \"source\" is null",
        )),
        _ => Ok(None),
    }
}

impl TimezoneConverter {
    fn handle_structs(
        &self,
        value: &mut Struct,
        mode: Mode,
        fields: &[String],
    ) -> Result<(), ConnectError> {
        let mut before_fields = Vec::new();
        let mut after_fields = Vec::new();
        let mut source_fields = Vec::new();
        for field in fields {
            if let Some(f) = field.strip_prefix("source.") {
                source_fields.push(f.to_owned());
            } else if let Some(f) = field.strip_prefix("before.") {
                before_fields.push(f.to_owned());
            } else if let Some(f) = field.strip_prefix("after.") {
                after_fields.push(f.to_owned());
            } else {
                before_fields.push(field.clone());
                after_fields.push(field.clone());
            }
        }
        for (name, listed) in [
            ("before", &before_fields),
            ("after", &after_fields),
            ("source", &source_fields),
        ] {
            if name == "source" && listed.is_empty() {
                continue;
            }
            if value.schema().field(name).is_none() {
                continue;
            }
            let Value::Struct(mut inner) = get_with_default(value, name) else {
                continue;
            };
            self.handle_fields(name, &mut inner, mode, listed)?;
            value.put(name, Value::Struct(inner));
        }
        Ok(())
    }

    fn handle_fields(
        &self,
        struct_name: &str,
        value: &mut Struct,
        mode: Mode,
        listed: &[String],
    ) -> Result<(), ConnectError> {
        let schema = value.schema().clone();
        for field in &schema.fields {
            let logical = field.schema.name.as_deref();
            let is_epoch = struct_name == "source" && EPOCH_FIELDS.contains(&field.name.as_str());
            if logical.is_none() && !is_epoch {
                continue;
            }
            let include = match mode {
                Mode::All => true,
                Mode::Include => listed.contains(&field.name),
                Mode::Exclude => !listed.contains(&field.name),
            };
            let supported = logical.is_some_and(|n| SUPPORTED.contains(&n));
            if !include || !(supported || is_epoch) {
                continue;
            }
            let current = get_with_default(value, &field.name);
            if current.is_null() {
                continue;
            }
            let converted = match logical {
                Some(name) => self.convert_logical(name, current)?,
                None => self.convert_epoch(&field.name, &current)?,
            };
            value.put(&field.name, converted);
        }
        Ok(())
    }

    /// `getTimestampWithTimezone`.
    fn convert_logical(&self, name: &str, value: Value) -> Result<Value, ConnectError> {
        let shift = |v: i64, per_second: i64| -> Value {
            let secs = v.div_euclid(per_second);
            let local = DateTime::from_timestamp(secs, 0).map(|d| d.naive_utc());
            let offset = local.map_or(0, |l| self.zone.offset_at_local(&l));
            Value::Int64(v - i64::from(offset) * per_second)
        };
        Ok(match (name, &value) {
            (ZONED_TIMESTAMP, Value::String(s)) => {
                let (local, offset) = parse_offset_date_time(s)?;
                let target = self.zone.offset_at_local(&local);
                let utc = local - Duration::seconds(i64::from(offset));
                let shifted = utc + Duration::seconds(i64::from(target));
                Value::String(format_date_time(&shifted, target))
            }
            (ZONED_TIME, Value::String(s)) => {
                let (time, offset) = parse_offset_time(s)?;
                let target = self.zone.offset_at_instant(Utc::now().timestamp());
                let shifted = time + Duration::seconds(i64::from(target - offset));
                Value::String(format!(
                    "{}{}",
                    format_time(&shifted),
                    format_offset(target)
                ))
            }
            (MICRO_TIMESTAMP, Value::Int64(v)) => shift(*v, 1_000_000),
            (NANO_TIMESTAMP, Value::Int64(v)) => shift(*v, 1_000_000_000),
            (DBZ_TIMESTAMP | Timestamp::LOGICAL_NAME, Value::Int64(v)) => shift(*v, 1_000),
            _ => value,
        })
    }

    /// `getEpochWithTimezone`: plus the offset at that instant.
    fn convert_epoch(&self, field: &str, value: &Value) -> Result<Value, ConnectError> {
        let Value::Int64(v) = *value else {
            return Err(java_exception(
                "DebeziumException",
                "Epoch field value should be a java.lang.Long",
            ));
        };
        let per_second: i64 = match field {
            "ts_ms" => 1_000,
            "ts_us" => 1_000_000,
            _ => 1_000_000_000,
        };
        let offset = self.zone.offset_at_instant(v.div_euclid(per_second));
        Ok(Value::Int64(v + i64::from(offset) * per_second))
    }
}

fn parse_error(text: &str) -> ConnectError {
    java_exception(
        "DateTimeParseException",
        format!("Text '{text}' could not be parsed"),
    )
}

/// `HH:mm[:ss[.fffffffff]]` at the start of `s`; returns the time and the rest.
fn parse_local_time(s: &str) -> Option<(NaiveTime, &str)> {
    let num = |t: &str| t.parse::<u32>().ok();
    let h = num(s.get(0..2)?)?;
    if s.get(2..3)? != ":" {
        return None;
    }
    let m = num(s.get(3..5)?)?;
    let mut rest = &s[5..];
    let (mut sec, mut nanos) = (0, 0);
    if let Some(r) = rest.strip_prefix(':') {
        sec = num(r.get(0..2)?)?;
        rest = &r[2..];
        if let Some(r) = rest.strip_prefix('.') {
            let digits = r.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return None;
            }
            nanos = num(&r[..digits])? * 10u32.pow(9 - digits as u32);
            rest = &r[digits..];
        }
    }
    Some((NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?, rest))
}

/// An ISO offset id: `Z`, `+HH`, `+HH:MM` or `+HH:MM:ss`, in seconds.
fn parse_offset(s: &str) -> Option<i32> {
    if s == "Z" {
        return Some(0);
    }
    let sign = match s.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let parts: Vec<&str> = s[1..].split(':').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    let n: Vec<i32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if n.len() != parts.len() {
        return None;
    }
    let secs = n[0] * 3600 + n.get(1).copied().unwrap_or(0) * 60 + n.get(2).copied().unwrap_or(0);
    (secs <= 18 * 3600).then_some(sign * secs)
}

/// `OffsetDateTime.parse(s, ISO_OFFSET_DATE_TIME)`: the local date-time and offset.
fn parse_offset_date_time(s: &str) -> Result<(NaiveDateTime, i32), ConnectError> {
    let parsed = (|| {
        let (date, rest) = s.split_once('T')?;
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        let (time, rest) = parse_local_time(rest)?;
        Some((date.and_time(time), parse_offset(rest)?))
    })();
    parsed.ok_or_else(|| parse_error(s))
}

/// `OffsetTime.parse(s, ISO_OFFSET_TIME)`.
fn parse_offset_time(s: &str) -> Result<(NaiveTime, i32), ConnectError> {
    let parsed = (|| {
        let (time, rest) = parse_local_time(s)?;
        Some((time, parse_offset(rest)?))
    })();
    parsed.ok_or_else(|| parse_error(s))
}

/// `ISO_LOCAL_TIME` output: seconds always, the fraction without trailing zeros.
fn format_time(t: &NaiveTime) -> String {
    let mut out = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    let nanos = t.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out
}

/// `appendOffsetId`: `Z`, or `+HH:MM` with `:ss` when non-zero.
fn format_offset(secs: i32) -> String {
    if secs == 0 {
        return "Z".to_owned();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let mut out = format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60);
    if !a.is_multiple_of(60) {
        out.push_str(&format!(":{:02}", a % 60));
    }
    out
}

/// `ISO_OFFSET_DATE_TIME` output.
fn format_date_time(local: &NaiveDateTime, offset: i32) -> String {
    let year = local.year();
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else if year > 9999 {
        format!("+{year}")
    } else {
        format!("-{:04}", year.unsigned_abs())
    };
    format!(
        "{year}-{:02}-{:02}T{}{}",
        local.month(),
        local.day(),
        format_time(&local.time()),
        format_offset(offset)
    )
}

#[cfg(test)]
mod tests {
    use connect_api::{Schema, SchemaAndValue, SchemaBuilder, SchemaRef, SchemaType};

    use super::*;

    fn row_schema() -> SchemaRef {
        Schema::struct_builder()
            .name("srv.db.t.Value")
            .optional()
            .field("id", Schema::int32())
            .field(
                "ts",
                SchemaBuilder::new(SchemaType::Int64)
                    .name(DBZ_TIMESTAMP)
                    .version(1)
                    .optional()
                    .build(),
            )
            .field(
                "zts",
                SchemaBuilder::new(SchemaType::String)
                    .name(ZONED_TIMESTAMP)
                    .version(1)
                    .optional()
                    .build(),
            )
            .build()
    }

    fn record() -> ConnectRecord {
        let row = row_schema();
        let source = Schema::struct_builder()
            .name("src")
            .field("table", Schema::optional_string())
            .field("ts_ms", Schema::int64())
            .build();
        let env = Schema::struct_builder()
            .name("srv.db.t.Envelope")
            .field("before", row.clone())
            .field("after", row.clone())
            .field("source", source.clone())
            .field("op", Schema::string())
            .build();
        let after = Struct::new(row)
            .with("id", 1)
            .with("ts", 1_700_000_000_000i64)
            .with("zts", "2023-11-14T22:13:20.500Z");
        let mut value = Struct::new(env.clone()).with("op", "c").with(
            "source",
            Struct::new(source)
                .with("table", "t")
                .with("ts_ms", 1_700_000_000_000i64),
        );
        value.put("after", Value::Struct(after));
        crate::test_support::source_record(
            "srv.db.t",
            SchemaAndValue::new(Some(env), Value::Struct(value)),
        )
    }

    fn convert(props: &[(&str, &str)]) -> ConnectRecord {
        let props = crate::kafka::util::props(props);
        plugin()
            .create(&props)
            .unwrap()
            .apply(record())
            .unwrap()
            .unwrap()
    }

    fn after(r: &ConnectRecord) -> Struct {
        let v = r.value.value.as_struct().unwrap();
        v.get("after").unwrap().as_struct().unwrap().clone()
    }

    #[test]
    fn all_row_timestamps_move_into_the_zone_but_source_epochs_only_when_listed() {
        let out = convert(&[(CONVERTED_TIMEZONE, "+02:00")]);
        let row = after(&out);
        assert_eq!(
            row.get("ts"),
            Some(&Value::Int64(1_700_000_000_000 - 7_200_000))
        );
        assert_eq!(
            row.get("zts"),
            Some(&Value::from("2023-11-15T00:13:20.5+02:00"))
        );
        let v = out.value.value.as_struct().unwrap();
        let source = v.get("source").unwrap().as_struct().unwrap();
        assert_eq!(source.get("ts_ms"), Some(&Value::Int64(1_700_000_000_000)));
    }

    #[test]
    fn an_include_rule_with_fields_converts_only_those_including_source_epochs() {
        let out = convert(&[
            (CONVERTED_TIMEZONE, "Europe/Paris"),
            (INCLUDE_LIST, "source:t:ts"),
        ]);
        let row = after(&out);
        assert_eq!(
            row.get("ts"),
            Some(&Value::Int64(1_700_000_000_000 - 3_600_000))
        );
        assert_eq!(
            row.get("zts"),
            Some(&Value::from("2023-11-14T22:13:20.500Z"))
        );

        let out = convert(&[
            (CONVERTED_TIMEZONE, "Europe/Paris"),
            (INCLUDE_LIST, "t:source.ts_ms"),
        ]);
        assert_eq!(
            after(&out).get("ts"),
            Some(&Value::Int64(1_700_000_000_000))
        );
        let v = out.value.value.as_struct().unwrap();
        let source = v.get("source").unwrap().as_struct().unwrap();
        assert_eq!(
            source.get("ts_ms"),
            Some(&Value::Int64(1_700_000_000_000 + 3_600_000))
        );
    }

    #[test]
    fn only_the_first_rule_may_carry_a_prefix_and_a_field_as_in_debeziums_list_pattern() {
        assert!(valid_rule_list(&["source:t:ts".into(), "u:f".into()]));
        assert!(!valid_rule_list(&[
            "source:t:ts".into(),
            "source:u:f".into()
        ]));
        assert!(!valid_rule_list(&["t".into()]));
    }

    #[test]
    fn an_unknown_zone_and_both_lists_are_rejected() {
        let bad = |props: &[(&str, &str)]| {
            let props = crate::kafka::util::props(props);
            plugin().create(&props).unwrap_err().to_string()
        };
        assert!(
            bad(&[(CONVERTED_TIMEZONE, "Mars/Olympus")]).starts_with("Invalid timezone format")
        );
        assert!(
            bad(&[
                (CONVERTED_TIMEZONE, "UTC"),
                (INCLUDE_LIST, "a:b"),
                (EXCLUDE_LIST, "c:d")
            ])
            .starts_with("Both include")
        );
        assert!(bad(&[]).contains("A value is required"));
    }
}
