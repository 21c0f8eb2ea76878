//! Offset keys and values as `OffsetStorageWriter` and `OffsetUtils` produce and accept them,
//! and the table every offset store keeps in memory.

use std::collections::BTreeMap;

use connect_api::{SourceOffset, SourcePartition, java};
use serde_json::{Map, Value};
use tracing::warn;

use crate::{Record, StoreError};

/// Encodes the key `["<connector>",{partition}]` compactly, as Kafka's `JsonConverter`
/// (schemas off) writes it: see [`java_json`] for the order of the map's fields.
pub(crate) fn key(connector: &str, partition: &SourcePartition) -> Result<Vec<u8>, StoreError> {
    let key = Value::Array(vec![
        Value::String(connector.to_string()),
        Value::Object((*partition.0).clone()),
    ]);
    let mut out = String::new();
    java_json(&mut out, &key);
    Ok(out.into_bytes())
}

/// The order in which the Java connectors whose offsets Sluice writes put their keys into the
/// offset `HashMap`: Debezium's binlog offset (`BinlogOffsetContext.offsetUsingPosition`, then
/// the snapshot flag, then `TransactionContext.store`). It decides the order of keys that share a
/// bucket (`server_id` and `event` do); other keys follow in name order.
const JAVA_INSERTION_ORDER: [&str; 9] = [
    "server_id",
    "gtids",
    "file",
    "pos",
    "event",
    "row",
    "ts_sec",
    "snapshot",
    "transaction_id",
];

/// Writes `v` as Kafka's `JsonConverter` (schemas off) writes the maps a Java source task hands
/// it: compact, the fields of each object in the iteration order of a `java.util.HashMap`
/// filled with them (`connect_api::java::hash_map_order`), since that is what connectors
/// (Debezium among them) build their partitions and offsets as; doubles as `Double.toString`.
fn java_json(out: &mut String, v: &Value) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            let rank = |k: &str| {
                JAVA_INSERTION_ORDER
                    .iter()
                    .position(|known| *known == k)
                    .unwrap_or(JAVA_INSERTION_ORDER.len())
            };
            entries.sort_by(|a, b| rank(a.0).cmp(&rank(b.0)).then_with(|| a.0.cmp(b.0)));
            let hashed = entries
                .into_iter()
                .map(|(k, v)| (java::string_hash(k), (k, v)))
                .collect();
            out.push('{');
            for (i, (k, v)) in java::hash_map_order(hashed).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                out.push_str(&java::json_escape(k));
                out.push_str("\":");
                java_json(out, v);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                java_json(out, v);
            }
            out.push(']');
        }
        Value::String(s) => {
            out.push('"');
            out.push_str(&java::json_escape(s));
            out.push('"');
        }
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (None, None, Some(f)) => out.push_str(&java::double_to_string(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
    }
}

/// The record of one update, on `existing_key` when the partition already has key bytes in
/// the log (see [`OffsetTable::encode`]).
pub(crate) fn record(
    connector: &str,
    update: &(SourcePartition, Option<SourceOffset>),
    existing_key: Option<Vec<u8>>,
) -> Result<Record, StoreError> {
    let (partition, offset) = update;
    let value = offset.as_ref().map(|o| {
        let mut out = String::new();
        java_json(&mut out, &Value::Object(o.0.clone()));
        out.into_bytes()
    });
    let key = match existing_key {
        Some(k) => k,
        None => key(connector, partition)?,
    };
    Ok(Record { key, value })
}

/// Parses a key; anything but a 2-element `[String, Map]` is rejected, as
/// `OffsetUtils.processPartitionKey` does.
pub(crate) fn parse_key(bytes: &[u8]) -> Option<(String, SourcePartition)> {
    let Ok(Value::Array(mut parts)) = serde_json::from_slice::<Value>(bytes) else {
        return None;
    };
    if parts.len() != 2 {
        return None;
    }
    let partition = parts.pop()?;
    let connector = parts.pop()?;
    match (connector, partition) {
        (Value::String(c), Value::Object(p)) => Some((c, SourcePartition::new(p))),
        _ => None,
    }
}

/// The identity of a partition whatever order its fields were written in: Java writes
/// `HashMap`s, so the same partition may arrive with its fields in another order than ours.
fn canonical(partition: &SourcePartition) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<_> = m.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect::<Map<_, _>>(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(&Value::Object((*partition.0).clone())).to_string()
}

/// The latest offset of every (connector, partition), built by folding offset records.
#[derive(Debug, Default, Clone)]
pub(crate) struct OffsetTable {
    by_connector: BTreeMap<String, BTreeMap<String, (SourcePartition, SourceOffset)>>,
    /// The key bytes first seen for each (connector, canonical partition), kept even after a
    /// tombstone: every later write of that partition reuses them (see [`OffsetTable::encode`]).
    keys: BTreeMap<(String, String), Vec<u8>>,
}

impl OffsetTable {
    /// Applies one record; keys and values that are not offsets are logged and skipped.
    pub(crate) fn apply(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) {
        let Some((raw_key, (connector, partition))) = key.and_then(|k| Some((k, parse_key(k)?)))
        else {
            warn!(key = ?key.map(String::from_utf8_lossy), "Ignoring offset record whose key is not [connector, partition].");
            return;
        };
        let offset = match value.map(serde_json::from_slice::<Value>) {
            None => None,
            Some(Ok(Value::Object(o))) => Some(SourceOffset(o)),
            // Java accepts a null JSON value as a tombstone too.
            Some(Ok(Value::Null)) => None,
            Some(_) => {
                warn!(
                    connector,
                    "Ignoring offset record whose value is not a JSON object."
                );
                return;
            }
        };
        let id = canonical(&partition);
        self.keys
            .entry((connector.clone(), id.clone()))
            .or_insert_with(|| raw_key.to_vec());
        match offset {
            Some(offset) => {
                self.by_connector
                    .entry(connector)
                    .or_default()
                    .insert(id, (partition, offset));
            }
            None => {
                if let Some(partitions) = self.by_connector.get_mut(&connector) {
                    partitions.remove(&id);
                    if partitions.is_empty() {
                        self.by_connector.remove(&connector);
                    }
                }
            }
        }
    }

    /// The records of a batch of updates. A partition that already has a key in the log is
    /// written on those very key bytes: a Java worker's `HashMap` may order the fields
    /// differently from ours, and only the same bytes make compaction replace its record and
    /// the default partitioner keep both in one partition, in order (so that a tombstone
    /// really forgets the partition, even after a restart).
    pub(crate) fn encode(
        &self,
        connector: &str,
        updates: &[(SourcePartition, Option<SourceOffset>)],
    ) -> Result<Vec<Record>, StoreError> {
        updates
            .iter()
            .map(|u| {
                let known = self
                    .keys
                    .get(&(connector.to_string(), canonical(&u.0)))
                    .cloned();
                record(connector, u, known)
            })
            .collect()
    }

    pub(crate) fn get(
        &self,
        connector: &str,
        partitions: &[SourcePartition],
    ) -> Vec<(SourcePartition, SourceOffset)> {
        let Some(known) = self.by_connector.get(connector) else {
            return Vec::new();
        };
        partitions
            .iter()
            .filter_map(|p| {
                known
                    .get(&canonical(p))
                    .map(|(_, o)| (p.clone(), o.clone()))
            })
            .collect()
    }

    pub(crate) fn all_for(&self, connector: &str) -> Vec<(SourcePartition, SourceOffset)> {
        self.by_connector
            .get(connector)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every live entry as a record, for the file store.
    pub(crate) fn records(&self) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::new();
        for (connector, partition, offset) in self.entries() {
            out.extend(self.encode(connector, &[(partition.clone(), Some(offset.clone()))])?);
        }
        Ok(out)
    }

    fn entries(&self) -> impl Iterator<Item = (&str, &SourcePartition, &SourceOffset)> {
        self.by_connector
            .iter()
            .flat_map(|(c, m)| m.values().map(move |(p, o)| (c.as_str(), p, o)))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn partition(v: Value) -> SourcePartition {
        match v {
            Value::Object(m) => SourcePartition::new(m),
            _ => panic!("not an object"),
        }
    }

    fn offset(v: Value) -> SourceOffset {
        match v {
            Value::Object(m) => SourceOffset(m),
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn key_and_value_match_kafka_bytes() {
        let p = partition(json!({"filename": "/tmp/test.txt"}));
        let r = record(
            "file-source",
            &(p, Some(offset(json!({"position": 30})))),
            None,
        )
        .unwrap();
        assert_eq!(r.key, br#"["file-source",{"filename":"/tmp/test.txt"}]"#);
        assert_eq!(r.value.as_deref(), Some(&br#"{"position":30}"#[..]));
    }

    #[test]
    fn offset_values_are_written_in_java_hash_map_order_like_debeziums() {
        let write = |v: Value| {
            let r = record(
                "c",
                &(partition(json!({"server": "s"})), Some(offset(v))),
                None,
            );
            String::from_utf8(r.unwrap().value.unwrap()).unwrap()
        };
        // What Debezium 3.6.3 wrote through the JVM worker's JsonConverter (debezium_diff).
        assert_eq!(
            write(
                json!({"file": "binlog.000001", "pos": 14173, "server_id": 1, "ts_sec": 1796535467})
            ),
            r#"{"ts_sec":1796535467,"file":"binlog.000001","pos":14173,"server_id":1}"#
        );
        // A published Debezium offset: `server_id` and `event` share a bucket, in insertion order.
        assert_eq!(
            write(
                json!({"event": 2, "file": "mysql-bin.000002", "gtids": "50303655-f22a-11e8-92a5-0242ac1d0003:1-1", "pos": 530, "row": 1, "server_id": 1201, "ts_sec": 1543312728})
            ),
            r#"{"ts_sec":1543312728,"file":"mysql-bin.000002","pos":530,"gtids":"50303655-f22a-11e8-92a5-0242ac1d0003:1-1","row":1,"server_id":1201,"event":2}"#
        );
        assert_eq!(
            write(
                json!({"file": "f.1", "pos": 4, "transaction_id": null, "snapshot": "INITIAL", "ratio": 1e7})
            ),
            r#"{"transaction_id":null,"file":"f.1","pos":4,"snapshot":"INITIAL","ratio":1.0E7}"#
        );
    }

    #[test]
    fn keys_that_are_not_connector_and_partition_are_ignored() {
        let mut table = OffsetTable::default();
        for key in [
            &br#"["c"]"#[..],
            br#"["c",{},1]"#,
            br#"[1,{}]"#,
            br#"["c",null]"#,
            br#"{"c":1}"#,
            b"xx",
        ] {
            table.apply(Some(key), Some(br#"{"position":1}"#));
        }
        table.apply(None, Some(br#"{"position":1}"#));
        assert!(table.by_connector.is_empty());
    }

    #[test]
    fn partitions_match_whatever_their_field_order() {
        let mut table = OffsetTable::default();
        table.apply(Some(br#"["c",{"b":1,"a":2}]"#), Some(br#"{"pos":7}"#));
        let lookup = partition(json!({"a": 2, "b": 1}));
        assert_eq!(
            table.get("c", std::slice::from_ref(&lookup)),
            vec![(lookup, offset(json!({"pos": 7})))]
        );
    }

    #[test]
    fn tombstone_forgets_a_partition() {
        let mut table = OffsetTable::default();
        let key = br#"["c",{"server":"db1"}]"#;
        table.apply(Some(key), Some(br#"{"pos":7}"#));
        table.apply(Some(key), None);
        assert!(table.all_for("c").is_empty());
    }

    #[test]
    fn updates_reuse_the_key_bytes_a_java_worker_wrote() {
        let mut table = OffsetTable::default();
        let java_key = br#"["c",{"table":"t","db":"d"}]"#;
        table.apply(Some(java_key), Some(br#"{"pos":1}"#));
        table.apply(Some(java_key), None);
        // Even after the tombstone, a new write and a reset land on Java's key bytes.
        let p = partition(json!({"db": "d", "table": "t"}));
        let records = table
            .encode(
                "c",
                &[(p.clone(), Some(offset(json!({"pos": 2})))), (p, None)],
            )
            .unwrap();
        assert!(records.iter().all(|r| r.key == java_key));
        // A partition never seen is encoded our way.
        let fresh = table
            .encode("c", &[(partition(json!({"b": 1, "a": 2})), None)])
            .unwrap();
        assert_eq!(fresh[0].key, br#"["c",{"a":2,"b":1}]"#);
    }
}
