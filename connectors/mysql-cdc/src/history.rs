//! The schema history: every DDL the connector applied, in order, so that a restart can rebuild
//! the table structures of the binlog position it resumes from (reference §7.2).
//!
//! Records are Debezium's `HistoryRecord` JSON, written in Debezium's field order, so a history
//! topic written by Debezium can be read by Sluice and the other way round.

mod kafka;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use connect_api::java;
use serde_json::Value as Json;

use crate::ddl::TableChange;
use crate::error::{CdcError, Result};
use crate::event::{Flavor, Layout};
use crate::offset::BinlogOffset;
use crate::table::Column;

pub use kafka::KafkaHistory;

/// The offset keys in the order Debezium puts them into its offset `HashMap`
/// (`MySqlOffsetContext.offsetUsingPosition`, then `getOffset`'s `snapshot`), which decides the
/// order of keys that share a bucket; Sluice's resumable-snapshot keys last.
const POSITION_KEYS: [&str; 11] = [
    "server_id",
    "gtids",
    "file",
    "pos",
    "event",
    "row",
    "ts_sec",
    "snapshot",
    "transaction_id",
    "snapshot_table",
    "snapshot_key",
];

/// Appends the position as Debezium's history writes it: the offset map in the JVM's `HashMap`
/// iteration order (Debezium copies its offset `HashMap` into the record's document in iteration
/// order).
fn position_json(out: &mut String, position: &BinlogOffset, layout: Layout) {
    let mut map = position.to_source_offset().0;
    if layout.is_3x()
        && let Some(flag) = map.get_mut("snapshot")
    {
        // BinlogOffsetContext.getOffset of 3.x: the snapshot's kind, not `true`.
        *flag = Json::String("INITIAL".into());
    }
    if !layout.is_3x() && !position.snapshot {
        // 2.2's streaming offsets always carry TransactionContext.store's id, null outside a
        // transaction (only 2.6 stopped writing a null one, DBZ-7380); a DDL is never inside one.
        map.insert("transaction_id".into(), Json::Null);
    }
    // Any key not listed goes in after the listed ones, so none is ever dropped.
    let rest = map.keys().filter(|k| !POSITION_KEYS.contains(&k.as_str()));
    let present: Vec<(i32, (&str, &Json))> = POSITION_KEYS
        .into_iter()
        .chain(rest.map(String::as_str))
        .filter_map(|k| map.get(k).map(|v| (java::string_hash(k), (k, v))))
        .collect();
    out.push('{');
    for (i, (k, v)) in java::hash_map_order(present).into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, k);
        out.push(':');
        match v {
            Json::String(s) => push_str(out, s),
            other => out.push_str(&other.to_string()),
        }
    }
    out.push('}');
}

/// The fields of a `HistoryRecord` document (debezium-core `HistoryRecord.Fields`: `source`,
/// `position`, `databaseName`, `schemaName`, `ddl`, `tableChanges`, and the `ts_ms` that
/// `AbstractSchemaHistory.record` adds), the same in 2.2 and 3.6.
const HISTORY_RECORD_FIELDS: [&str; 7] = [
    "source",
    "position",
    "ts_ms",
    "databaseName",
    "schemaName",
    "ddl",
    "tableChanges",
];

/// Appends `s` as a JSON string literal, escaped as Jackson (Debezium's `DocumentWriter`) does.
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    out.push_str(&java::json_escape(s));
    out.push('"');
}

/// One history entry.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRecord {
    pub server: String,
    pub position: BinlogOffset,
    pub ts_ms: i64,
    pub database_name: String,
    pub ddl: String,
    pub changes: Vec<TableChange>,
    /// Whose text the record is written in (`sluice.debezium.version`).
    pub layout: Layout,
    /// Whose DDL grammar describes its columns (`MySqlConnector` or `MariaDbConnector`).
    pub flavor: Flavor,
}

impl HistoryRecord {
    /// Debezium's JSON text (`source`, `position`, `ts_ms`, `databaseName`, `ddl`, `tableChanges`):
    /// compact as 2.2's `DocumentWriter` writes it; 3.x's `KafkaSchemaHistory.storeRecord`
    /// sends `record.toString()`, which Jackson's default pretty printer writes.
    pub fn to_json(&self) -> String {
        let compact = self.to_compact_json();
        if self.layout.is_3x() {
            jackson_pretty(&compact)
        } else {
            compact
        }
    }

    fn to_compact_json(&self) -> String {
        let mut o = String::from("{\"source\":{\"server\":");
        push_str(&mut o, &self.server);
        o.push_str("},\"position\":");
        position_json(&mut o, &self.position, self.layout);
        o.push_str(&format!(",\"ts_ms\":{},\"databaseName\":", self.ts_ms));
        push_str(&mut o, &self.database_name);
        o.push_str(",\"ddl\":");
        push_str(&mut o, &self.ddl);
        o.push_str(",\"tableChanges\":[");
        for (i, c) in self.changes.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            change_json(&mut o, c, self.layout, self.flavor);
        }
        o.push_str("]}");
        o
    }

    /// Reads a record; `tableChanges` are not needed (the DDL is replayed).
    ///
    /// # Errors
    /// When the text is not a history record as Debezium 2.x–3.6 write them: not JSON, a
    /// required field missing, a field they do not write (a newer layout would change what the
    /// record means, so it is refused rather than half read), or a position without a binlog
    /// file and position.
    pub fn from_json(text: &str) -> Result<Self> {
        let unreadable = |why: String| CdcError::HistoryUnreadable(format!("{why}: {text}"));
        let v: Json =
            serde_json::from_str(text).map_err(|e| unreadable(format!("not JSON ({e})")))?;
        let Json::Object(fields) = &v else {
            return Err(unreadable("not a JSON object".into()));
        };
        if let Some(k) = fields
            .keys()
            .find(|k| !HISTORY_RECORD_FIELDS.contains(&k.as_str()))
        {
            return Err(unreadable(format!("unknown field \"{k}\"")));
        }
        let field = |k: &str| v.get(k).ok_or_else(|| unreadable(format!("no \"{k}\"")));
        let position = match field("position")? {
            Json::Object(m) => {
                BinlogOffset::from_source_offset(&connect_api::SourceOffset(m.clone()))
                    .map_err(|e| unreadable(format!("its position cannot be read ({e})")))?
            }
            _ => return Err(unreadable("its position is not an object".into())),
        };
        Ok(Self {
            server: field("source")?
                .get("server")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
            position,
            ts_ms: field("ts_ms")?.as_i64().unwrap_or(0),
            database_name: field("databaseName")?
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            ddl: field("ddl")?.as_str().unwrap_or_default().to_owned(),
            changes: Vec::new(),
            layout: Layout::default(),
            flavor: Flavor::MySql,
        })
    }
}

/// Re-writes compact JSON text as Jackson's `DefaultPrettyPrinter` does: objects one member a
/// line, indented two spaces a level, `"name" : value`, `{ }` when empty; arrays inline with
/// `[ a, b ]` and `[ ]`, adding no indentation level (its `FixedSpaceIndenter` is inline).
/// String literals are copied as they are, escapes included.
fn jackson_pretty(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut objects = 0usize;
    let newline = |out: &mut String, level: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", level));
    };
    let mut chars = compact.chars().peekable();
    // Per open container: whether it is an object.
    let mut stack: Vec<bool> = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                while let Some(s) = chars.next() {
                    out.push(s);
                    match s {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                out.push(e);
                            }
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                let object = c == '{';
                let closing = if object { '}' } else { ']' };
                if chars.peek() == Some(&closing) {
                    chars.next();
                    out.push(c);
                    out.push(' ');
                    out.push(closing);
                    continue;
                }
                out.push(c);
                stack.push(object);
                if object {
                    objects += 1;
                    newline(&mut out, objects);
                } else {
                    out.push(' ');
                }
            }
            '}' | ']' => {
                if stack.pop() == Some(true) {
                    objects = objects.saturating_sub(1);
                    newline(&mut out, objects);
                } else {
                    out.push(' ');
                }
                out.push(c);
            }
            ',' => {
                out.push(',');
                if stack.last() == Some(&true) {
                    newline(&mut out, objects);
                } else {
                    out.push(' ');
                }
            }
            ':' => out.push_str(" : "),
            _ => out.push(c),
        }
    }
    out
}

fn opt_str(o: &mut String, v: Option<&str>) {
    match v {
        Some(s) => push_str(o, s),
        None => o.push_str("null"),
    }
}

fn change_json(o: &mut String, c: &TableChange, layout: Layout, flavor: Flavor) {
    o.push_str("{\"type\":");
    push_str(o, c.kind);
    o.push_str(",\"id\":");
    push_str(o, &c.id.quoted());
    if let Some(p) = &c.previous_id {
        o.push_str(",\"previousId\":");
        push_str(o, &p.quoted());
    }
    let Some(t) = &c.table else {
        o.push('}');
        return;
    };
    o.push_str(",\"table\":{\"defaultCharsetName\":");
    opt_str(o, t.default_charset.as_deref());
    o.push_str(",\"primaryKeyColumnNames\":[");
    for (i, k) in t.primary_key.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        push_str(o, k);
    }
    o.push_str("],\"columns\":[");
    for (i, col) in t.columns.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        column_json(o, col, layout, flavor);
    }
    o.push_str("],\"attributes\":[]},\"comment\":");
    opt_str(o, t.comment.as_deref());
    o.push('}');
}

fn column_json(o: &mut String, c: &Column, layout: Layout, flavor: Flavor) {
    let v = c.history_view(layout, flavor);
    o.push_str("{\"name\":");
    push_str(o, &c.name);
    o.push_str(&format!(",\"jdbcType\":{},\"typeName\":", v.jdbc_type));
    push_str(o, &v.type_name);
    o.push_str(",\"typeExpression\":");
    push_str(o, &v.type_name);
    o.push_str(",\"charsetName\":");
    opt_str(o, c.charset.as_deref());
    if let Some(l) = v.length {
        o.push_str(&format!(",\"length\":{l}"));
    }
    if let Some(s) = v.scale {
        o.push_str(&format!(",\"scale\":{s}"));
    }
    o.push_str(&format!(
        ",\"position\":{},\"optional\":{},\"autoIncremented\":{},\"generated\":{},\"comment\":",
        c.position, c.optional, v.auto_incremented, v.generated
    ));
    opt_str(o, c.comment.as_deref());
    o.push_str(&format!(",\"hasDefaultValue\":{}", v.has_default));
    if let Some(d) = &v.default_expression {
        o.push_str(",\"defaultValueExpression\":");
        push_str(o, d);
    }
    o.push_str(",\"enumValues\":[");
    for (i, e) in v.enum_values.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        push_str(o, e);
    }
    o.push_str("]}");
}

/// Where history records are kept.
#[async_trait]
pub trait SchemaHistory: Send + Sync + std::fmt::Debug {
    /// Whether the store exists and holds at least one record.
    async fn exists(&self) -> Result<bool>;
    /// Creates the store if missing.
    async fn initialize(&self) -> Result<()>;
    /// Appends records, durably, in order.
    async fn record(&self, records: &[HistoryRecord]) -> Result<()>;
    /// Every record, oldest first.
    async fn recover(&self) -> Result<Vec<HistoryRecord>>;
}

/// An in-process history. Clones share the records, so a test can restart a task with the
/// history its previous run wrote.
#[derive(Debug, Clone, Default)]
pub struct MemoryHistory {
    records: Arc<Mutex<Vec<String>>>,
}

impl MemoryHistory {
    /// The stored JSON lines, for inspection.
    pub fn lines(&self) -> Vec<String> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Replaces the stored lines (tests use it to damage a history).
    pub fn set_lines(&self, lines: Vec<String>) {
        if let Ok(mut r) = self.records.lock() {
            *r = lines;
        }
    }
}

#[async_trait]
impl SchemaHistory for MemoryHistory {
    async fn exists(&self) -> Result<bool> {
        Ok(!self.lines().is_empty())
    }

    async fn initialize(&self) -> Result<()> {
        Ok(())
    }

    async fn record(&self, records: &[HistoryRecord]) -> Result<()> {
        let mut r = self
            .records
            .lock()
            .map_err(|_| CdcError::History("history lock poisoned".into()))?;
        r.extend(records.iter().map(HistoryRecord::to_json));
        Ok(())
    }

    async fn recover(&self) -> Result<Vec<HistoryRecord>> {
        self.lines()
            .iter()
            .map(|l| HistoryRecord::from_json(l))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddl::Schemas;

    #[test]
    fn records_are_written_in_debeziums_shape() {
        let mut s = Schemas::default();
        let ddl = "CREATE TABLE `t_user` (\n  `id` bigint(20) NOT NULL AUTO_INCREMENT,\n  `username` varchar(64) NOT NULL COMMENT '名称',\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci";
        let effect = s.apply("demo", ddl).unwrap();
        let rec = HistoryRecord {
            server: "demo-debezium".into(),
            position: BinlogOffset {
                file: "my-binlog.000002".into(),
                pos: 342,
                ts_sec: Some(1_754_040_494),
                snapshot: true,
                ..BinlogOffset::default()
            },
            ts_ms: 1_754_040_494_395,
            database_name: "demo".into(),
            ddl: ddl.into(),
            changes: effect.changes,
            layout: Layout::V2_2,
            flavor: Flavor::MySql,
        };
        let json = rec.to_json();
        let expected_prefix = r#"{"source":{"server":"demo-debezium"},"position":{"ts_sec":1754040494,"file":"my-binlog.000002","pos":342,"snapshot":true},"ts_ms":1754040494395,"databaseName":"demo","ddl":"CREATE TABLE `t_user` (\n  `id` bigint(20) NOT NULL AUTO_INCREMENT,"#;
        assert!(json.starts_with(expected_prefix), "{json}");
        assert!(json.contains(r#""tableChanges":[{"type":"CREATE","id":"\"demo\".\"t_user\"","table":{"defaultCharsetName":"utf8mb4","primaryKeyColumnNames":["id"],"columns":[{"name":"id","jdbcType":-5,"typeName":"BIGINT","typeExpression":"BIGINT","charsetName":null,"length":20,"position":1,"optional":false,"autoIncremented":true,"generated":true,"comment":null,"hasDefaultValue":false,"enumValues":[]},{"name":"username","jdbcType":12,"typeName":"VARCHAR","typeExpression":"VARCHAR","charsetName":"utf8mb4","length":64,"position":2,"optional":false,"autoIncremented":false,"generated":false,"comment":"名称","hasDefaultValue":false,"enumValues":[]}],"attributes":[]},"comment":null}]}"#), "{json}");
        let back = HistoryRecord::from_json(&json).unwrap();
        assert_eq!(
            (
                back.ddl.as_str(),
                back.position.pos,
                back.database_name.as_str()
            ),
            (ddl, 342, "demo")
        );
    }

    #[test]
    fn streaming_positions_are_written_in_the_jvms_hash_map_order() {
        let rec = HistoryRecord {
            server: "s".into(),
            position: BinlogOffset {
                file: "binlog.000003".into(),
                pos: 4,
                gtids: Some("0-1-7".into()),
                event: 2,
                row: 1,
                server_id: Some(1),
                ts_sec: Some(1_700_000_000),
                ..BinlogOffset::default()
            },
            ts_ms: 0,
            database_name: String::new(),
            ddl: "CREATE DATABASE d".into(),
            changes: Vec::new(),
            layout: Layout::V2_2,
            flavor: Flavor::MySql,
        };
        // Bucket order of a Java HashMap; server_id and event share a bucket, server_id was
        // put first. 2.2 puts TransactionContext's null id into every streaming offset.
        assert!(
            rec.to_json().starts_with(r#"{"source":{"server":"s"},"position":{"transaction_id":null,"ts_sec":1700000000,"file":"binlog.000003","pos":4,"gtids":"0-1-7","row":1,"server_id":1,"event":2},"#),
            "{}",
            rec.to_json()
        );
    }

    #[test]
    fn a_history_record_of_an_unknown_layout_is_refused_with_what_is_wrong() {
        // What Debezium 3.6.3 writes (pretty, `snapshot: "INITIAL"`) is read back.
        let ok = "{\n  \"source\" : {\n    \"server\" : \"p\"\n  },\n  \"position\" : {\n    \"ts_sec\" : 1,\n    \"file\" : \"binlog.000001\",\n    \"pos\" : 7298,\n    \"snapshot\" : \"INITIAL\"\n  },\n  \"ts_ms\" : 2,\n  \"databaseName\" : \"d\",\n  \"ddl\" : \"USE `d`\",\n  \"tableChanges\" : [ ]\n}";
        let r = HistoryRecord::from_json(ok).unwrap();
        assert_eq!(
            (r.position.pos, r.position.snapshot, r.ddl.as_str()),
            (7298, true, "USE `d`")
        );
        for (text, why) in [
            (
                r#"{"source":{"server":"p"},"position":{"file":"b.1","pos":4},"ts_ms":1,"databaseName":"d","ddl":"USE d","tableChanges":[],"formatVersion":2}"#,
                "unknown field \"formatVersion\"",
            ),
            (
                r#"{"source":{"server":"p"},"position":{"lsn":4},"ts_ms":1,"databaseName":"d","ddl":"USE d","tableChanges":[]}"#,
                "its position cannot be read",
            ),
            (r#"{"source":{"server":"p"}"#, "not JSON"),
            (
                r#"{"source":{"server":"p"},"ts_ms":1,"ddl":"x"}"#,
                "no \"position\"",
            ),
        ] {
            let e = HistoryRecord::from_json(text).unwrap_err().to_string();
            assert!(e.contains(why) && e.contains("newer Debezium"), "{e}");
        }
    }

    #[test]
    fn the_36_layout_writes_history_records_as_debezium_3_pretty_prints_them() {
        // Debezium 3.6.3's record for the snapshot's first DROP TABLE (tests/debezium_diff.rs),
        // with the names shortened.
        let expected = "{\n  \"source\" : {\n    \"server\" : \"s\"\n  },\n  \"position\" : {\n    \"ts_sec\" : 1796528205,\n    \"file\" : \"binlog.000001\",\n    \"pos\" : 7147,\n    \"snapshot\" : \"INITIAL\"\n  },\n  \"ts_ms\" : 1796528206235,\n  \"databaseName\" : \"d\",\n  \"ddl\" : \"DROP TABLE IF EXISTS `d`.`a_one`\",\n  \"tableChanges\" : [ {\n    \"type\" : \"DROP\",\n    \"id\" : \"\\\"d\\\".\\\"a_one\\\"\"\n  } ]\n}";
        let rec = HistoryRecord {
            server: "s".into(),
            position: BinlogOffset {
                file: "binlog.000001".into(),
                pos: 7147,
                ts_sec: Some(1_796_528_205),
                snapshot: true,
                ..BinlogOffset::default()
            },
            ts_ms: 1_796_528_206_235,
            database_name: "d".into(),
            ddl: "DROP TABLE IF EXISTS `d`.`a_one`".into(),
            changes: vec![TableChange {
                kind: "DROP",
                id: crate::table::TableId::new("d", "a_one"),
                table: None,
                previous_id: None,
            }],
            layout: Layout::V3_6,
            flavor: Flavor::MySql,
        };
        assert_eq!(rec.to_json(), expected);
        // Read back like any record.
        let back = HistoryRecord::from_json(&rec.to_json()).unwrap();
        assert_eq!(back.ddl, rec.ddl);
        assert!(back.position.snapshot);
        // Empty containers: `[ ]` and `{ }`.
        assert_eq!(
            jackson_pretty(r#"{"a":[],"b":{},"c":[1,2]}"#),
            "{\n  \"a\" : [ ],\n  \"b\" : { },\n  \"c\" : [ 1, 2 ]\n}"
        );
    }

    #[test]
    fn damaged_history_is_a_recoverable_error() {
        let err = HistoryRecord::from_json("{not json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("snapshot.mode=recovery"), "{err}");
    }
}
