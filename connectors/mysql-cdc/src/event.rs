//! Debezium's change-event model: topics, key/value/envelope schemas, the `source` block and
//! schema-change events (reference §1, §2, §7.1), in the layout of Debezium 2.2 or 3.6
//! ([`Layout`], chosen per connector by `sluice.debezium.version`).
//!
//! The 2.0–2.5 envelope is `before, after, source, op, ts_ms, transaction` (version 1) and its
//! `source` block has no `ts_us`/`ts_ns` and no schema version; downstream consumers written
//! against the article's Debezium 2.2 read exactly these shapes. Debezium 3.x's envelope is
//! `before, after, source, transaction, op, ts_ms, ts_us, ts_ns` (version 2), its `source`
//! block (version 1) has `ts_us`/`ts_ns` after `sequence`, and its snapshot marker knows
//! `first_in_data_collection`/`last_in_data_collection` (debezium-core `Envelope`,
//! `AbstractSourceInfoStructMaker`, `SnapshotRecord` at v3.6.1.Final, checked against 3.6.3's
//! output by tests/debezium_diff.rs).

use std::sync::{Arc, LazyLock};

use connect_api::data::{Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};

use crate::config::ValueModes;
use crate::convert::column_schema;
use crate::table::{Column, Table, TableId};

/// The Debezium version the default layout reproduces (and the plugin reports).
pub const DEBEZIUM_VERSION: &str = "2.2.0.Final";

/// Whose output layout a connector writes (`sluice.debezium.version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Layout {
    /// Debezium 2.2's, the article's (the default).
    #[default]
    V2_2,
    /// Debezium 3.6.3's.
    V3_6,
}

impl Layout {
    /// The values `sluice.debezium.version` accepts.
    pub const ALLOWED: &'static [&'static str] = &["2.2", "3.6"];

    /// Parses a validated `sluice.debezium.version`.
    pub fn parse(s: &str) -> Self {
        match connect_api::java::trim(s) {
            "3.6" => Self::V3_6,
            _ => Self::V2_2,
        }
    }

    /// `source.version`.
    pub fn version(self) -> &'static str {
        match self {
            Self::V2_2 => DEBEZIUM_VERSION,
            Self::V3_6 => "3.6.3.Final",
        }
    }

    /// True for 3.x: `ts_us`/`ts_ns`, extended headers, the 3.x snapshot markers.
    pub fn is_3x(self) -> bool {
        self == Self::V3_6
    }
}

/// MySQL or MariaDB naming of the `source` block and schema-change schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    MySql,
    MariaDb,
}

impl Flavor {
    pub fn connector(self) -> &'static str {
        match self {
            Self::MySql => "mysql",
            Self::MariaDb => "mariadb",
        }
    }

    fn package(self) -> &'static str {
        match self {
            Self::MySql => "io.debezium.connector.mysql",
            Self::MariaDb => "io.debezium.connector.mariadb",
        }
    }

    /// The `source` struct schema.
    pub fn source_schema(self, layout: Layout) -> SchemaRef {
        static S: LazyLock<[SchemaRef; 4]> = LazyLock::new(|| {
            [
                build_source_schema(Flavor::MySql, Layout::V2_2),
                build_source_schema(Flavor::MariaDb, Layout::V2_2),
                build_source_schema(Flavor::MySql, Layout::V3_6),
                build_source_schema(Flavor::MariaDb, Layout::V3_6),
            ]
        });
        let i = usize::from(self == Self::MariaDb) + 2 * usize::from(layout.is_3x());
        S[i].clone()
    }
}

fn opt(ty: SchemaType) -> SchemaRef {
    Schema::primitive(ty, true)
}

fn req(ty: SchemaType) -> SchemaRef {
    Schema::primitive(ty, false)
}

fn build_source_schema(flavor: Flavor, layout: Layout) -> SchemaRef {
    let allowed = match layout {
        Layout::V2_2 => "true,last,false,incremental",
        // SnapshotRecord's constants, in declaration order (AbstractSourceInfoStructMaker).
        Layout::V3_6 => {
            "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"
        }
    };
    let snapshot = Schema::builder(SchemaType::String)
        .optional()
        .name("io.debezium.data.Enum")
        .version(1)
        .parameter("allowed", allowed)
        .default_value(Value::String("false".into()))
        .build();
    let mut b = Schema::struct_builder().name(format!("{}.Source", flavor.package()));
    if layout.is_3x() {
        b = b.version(1);
    }
    b = b
        .field("version", req(SchemaType::String))
        .field("connector", req(SchemaType::String))
        .field("name", req(SchemaType::String))
        .field("ts_ms", req(SchemaType::Int64))
        .field("snapshot", snapshot)
        .field("db", req(SchemaType::String))
        .field("sequence", opt(SchemaType::String));
    if layout.is_3x() {
        b = b
            .field("ts_us", opt(SchemaType::Int64))
            .field("ts_ns", opt(SchemaType::Int64));
    }
    b.field("table", opt(SchemaType::String))
        .field("server_id", req(SchemaType::Int64))
        .field("gtid", opt(SchemaType::String))
        .field("file", req(SchemaType::String))
        .field("pos", req(SchemaType::Int64))
        .field("row", req(SchemaType::Int32))
        .field("thread", opt(SchemaType::Int64))
        .field("query", opt(SchemaType::String))
        .build()
}

fn transaction_schema() -> SchemaRef {
    static S: LazyLock<SchemaRef> = LazyLock::new(|| {
        Schema::struct_builder()
            .optional()
            .name("event.block")
            .version(1)
            .field("id", req(SchemaType::String))
            .field("total_order", req(SchemaType::Int64))
            .field("data_collection_order", req(SchemaType::Int64))
            .build()
    });
    S.clone()
}

/// The `source` block of one event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceInfo {
    pub ts_ms: i64,
    /// `None` while streaming (JsonConverter then writes the schema default `"false"`).
    pub snapshot: Option<&'static str>,
    pub db: String,
    pub table: Option<String>,
    pub server_id: i64,
    pub gtid: Option<String>,
    pub file: String,
    pub pos: i64,
    pub row: i32,
    pub thread: Option<i64>,
    pub query: Option<String>,
}

impl SourceInfo {
    pub fn to_struct(&self, flavor: Flavor, layout: Layout, server_name: &str) -> Struct {
        self.clone().into_struct(flavor, layout, server_name)
    }

    /// The block of the last record that uses this source: its strings move into the struct.
    pub fn into_struct(self, flavor: Flavor, layout: Layout, server_name: &str) -> Struct {
        // Field order of `build_source_schema`; built positionally because this runs per row,
        // and sized once: grown from the first seven it was reallocated on the way (to 15
        // slots, or 28, 1.1 KB, in the 3.x layout, where 17 are used).
        let mut values = Vec::with_capacity(if layout.is_3x() { 17 } else { 15 });
        values.extend([
            Value::String(layout.version().to_owned()),
            Value::String(flavor.connector().to_owned()),
            Value::String(server_name.to_owned()),
            Value::Int64(self.ts_ms),
            self.snapshot.map(str::to_owned).into(),
            Value::String(self.db),
            Value::Null,
        ]);
        if layout.is_3x() {
            // BinlogSourceInfo keeps an Instant of millisecond precision (the binlog header's
            // seconds, or the snapshot clock), so the finer fields are its scalings.
            values.push(Value::Int64(self.ts_ms.saturating_mul(1_000)));
            values.push(Value::Int64(self.ts_ms.saturating_mul(1_000_000)));
        }
        values.extend([
            self.table.into(),
            Value::Int64(self.server_id),
            self.gtid.into(),
            Value::String(self.file),
            Value::Int64(self.pos),
            Value::Int32(self.row),
            self.thread.into(),
            self.query.into(),
        ]);
        debug_assert_eq!(values.len(), values.capacity());
        let schema = flavor.source_schema(layout);
        Struct::from_values(schema.clone(), values).unwrap_or_else(|| Struct::new(schema))
    }
}

/// Kafka's legal topic characters; anything else becomes `_` (`sanitizedTopicName`).
pub fn sanitize_topic(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.chars().take(249).collect()
}

/// Everything needed to turn a row of one table into records.
#[derive(Debug, Clone)]
pub struct TableSchema {
    pub table: Table,
    pub topic: String,
    pub key_schema: Option<SchemaRef>,
    pub value_schema: SchemaRef,
    pub envelope_schema: SchemaRef,
    pub layout: Layout,
    /// Indexes of the key columns within the row.
    key_indexes: Vec<usize>,
    /// Indexes of the columns the value keeps.
    value_indexes: Vec<usize>,
}

impl TableSchema {
    pub fn new(table: Table, prefix: &str, modes: ValueModes, flavor: Flavor) -> Self {
        Self::with_options(table, prefix, modes, flavor, Layout::V2_2, None, &|_| true)
    }

    /// A table schema with a `message.key.columns` override and a column filter (on
    /// `<db>.<table>.<column>`; filtered columns leave the value but may stay in the key).
    pub fn with_options(
        table: Table,
        prefix: &str,
        modes: ValueModes,
        flavor: Flavor,
        layout: Layout,
        key_override: Option<&[String]>,
        keep_column: &dyn Fn(&str) -> bool,
    ) -> Self {
        let topic = sanitize_topic(&format!("{prefix}.{}.{}", table.id.db, table.id.table));
        let key_names: &[String] = key_override.unwrap_or(&table.primary_key);
        let key_indexes: Vec<usize> = key_names
            .iter()
            .filter_map(|k| {
                table
                    .columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(k))
            })
            .collect();
        let key_schema = (!key_indexes.is_empty()).then(|| {
            let mut b = Schema::struct_builder().name(format!("{topic}.Key"));
            for &i in &key_indexes {
                let c = &table.columns[i];
                b = b.field(c.name.clone(), column_schema(c, modes, true));
            }
            b.build()
        });
        let value_indexes: Vec<usize> = (0..table.columns.len())
            .filter(|&i| {
                keep_column(&format!(
                    "{}.{}.{}",
                    table.id.db, table.id.table, table.columns[i].name
                ))
            })
            .collect();
        let mut vb = Schema::struct_builder()
            .optional()
            .name(format!("{topic}.Value"));
        for c in value_indexes.iter().map(|&i| &table.columns[i]) {
            // Primary-key columns are already NOT NULL in the model; a `message.key.columns`
            // override leaves the value's optionality as declared, as in Debezium.
            vb = vb.field(c.name.clone(), column_schema(c, modes, false));
        }
        let value_schema = vb.build();
        let envelope = Schema::struct_builder()
            .name(format!("{topic}.Envelope"))
            .field("before", value_schema.clone())
            .field("after", value_schema.clone())
            .field("source", flavor.source_schema(layout));
        let envelope_schema = match layout {
            Layout::V2_2 => envelope
                .version(1)
                .field("op", req(SchemaType::String))
                .field("ts_ms", opt(SchemaType::Int64))
                .field("transaction", transaction_schema()),
            // Envelope.defineSchema() of 3.x: version 2, `transaction` before `op`.
            Layout::V3_6 => envelope
                .version(2)
                .field("transaction", transaction_schema())
                .field("op", req(SchemaType::String))
                .field("ts_ms", opt(SchemaType::Int64))
                .field("ts_us", opt(SchemaType::Int64))
                .field("ts_ns", opt(SchemaType::Int64)),
        }
        .build();
        Self {
            table,
            topic,
            key_schema,
            value_schema,
            envelope_schema,
            layout,
            key_indexes,
            value_indexes,
        }
    }

    pub fn columns(&self) -> &[Column] {
        &self.table.columns
    }

    pub fn id(&self) -> &TableId {
        &self.table.id
    }

    /// The key struct of a converted row (`None` for a keyless table).
    pub fn key(&self, row: &[Value]) -> Option<Value> {
        let schema = self.key_schema.clone()?;
        let values = self
            .key_indexes
            .iter()
            .map(|&i| row.get(i).cloned().unwrap_or(Value::Null))
            .collect();
        Struct::from_values(schema, values).map(Value::Struct)
    }

    /// The `before`/`after` struct of a converted row.
    pub fn value(&self, row: Vec<Value>) -> Option<Value> {
        let values = if self.value_indexes.len() == row.len() {
            row
        } else {
            self.value_indexes
                .iter()
                .map(|&i| row.get(i).cloned().unwrap_or(Value::Null))
                .collect()
        };
        Struct::from_values(self.value_schema.clone(), values).map(Value::Struct)
    }

    /// The envelope value of one change made at `ts_us` (microseconds since the epoch).
    pub fn envelope(
        &self,
        op: Op,
        before: Option<Value>,
        after: Option<Value>,
        source: Struct,
        ts_us: i64,
    ) -> Value {
        self.envelope_in_tx(op, before, after, source, ts_us, None)
    }

    /// An envelope whose `transaction` block is set (`provide.transaction.metadata=true`).
    pub fn envelope_in_tx(
        &self,
        op: Op,
        before: Option<Value>,
        after: Option<Value>,
        source: Struct,
        ts_us: i64,
        transaction: Option<Value>,
    ) -> Value {
        let mut e = Struct::new(self.envelope_schema.clone());
        e.put("before", before.unwrap_or(Value::Null));
        e.put("after", after.unwrap_or(Value::Null));
        e.put("source", source);
        e.put("op", op.code());
        e.put("ts_ms", ts_us.div_euclid(1_000));
        if self.layout.is_3x() {
            // Envelope of 3.x: the same Instant (clock.currentTimeAsInstant(), microsecond
            // resolution on Linux) in three units.
            e.put("ts_us", ts_us);
            e.put("ts_ns", ts_us.saturating_mul(1_000));
        }
        e.put("transaction", transaction.unwrap_or(Value::Null));
        Value::Struct(e)
    }
}

/// The kind of change an envelope records: Debezium's `Envelope.Operation`, written as its code
/// in the envelope's `op` field and named by it in `skipped.operations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `r`: a row read by a snapshot.
    Read,
    /// `c`: an inserted row.
    Create,
    /// `u`: an updated row.
    Update,
    /// `d`: a deleted row.
    Delete,
    /// `t`: a truncated table.
    Truncate,
    /// `m`: a logical decoding message (Debezium's Postgres connector; MySQL writes none).
    Message,
}

impl Op {
    /// The code Debezium writes in `op` (`Envelope.Operation.code()`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Read => "r",
            Self::Create => "c",
            Self::Update => "u",
            Self::Delete => "d",
            Self::Truncate => "t",
            Self::Message => "m",
        }
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The envelope's `transaction` block.
pub fn transaction_block(id: &str, total_order: i64, data_collection_order: i64) -> Value {
    let mut s = Struct::new(transaction_schema());
    s.put("id", id);
    s.put("total_order", total_order);
    s.put("data_collection_order", data_collection_order);
    Value::Struct(s)
}

/// Schemas of the `<prefix>.transaction` topic: key, value, and the per-table count element.
pub fn transaction_topic_schemas() -> (SchemaRef, SchemaRef, SchemaRef) {
    static S: LazyLock<(SchemaRef, SchemaRef, SchemaRef)> = LazyLock::new(|| {
        let key = Schema::struct_builder()
            .name("io.debezium.connector.common.TransactionMetadataKey")
            .version(1)
            .field("id", req(SchemaType::String))
            .build();
        // Optional in 2.2 and 3.6 alike (SchemaFactory.transactionEventCountPerDataCollectionSchema).
        let collection = Schema::struct_builder()
            .optional()
            .name("event.collection")
            .version(1)
            .field("data_collection", req(SchemaType::String))
            .field("event_count", req(SchemaType::Int64))
            .build();
        let value = Schema::struct_builder()
            .name("io.debezium.connector.common.TransactionMetadataValue")
            .version(1)
            .field("status", req(SchemaType::String))
            .field("id", req(SchemaType::String))
            .field("event_count", opt(SchemaType::Int64))
            .field(
                "data_collections",
                SchemaBuilder::array(collection.clone()).optional().build(),
            )
            .field("ts_ms", req(SchemaType::Int64))
            .build();
        (key, value, collection)
    });
    S.clone()
}

/// The heartbeat topic's schemas (`__debezium-heartbeat.<prefix>`).
pub fn heartbeat_schemas() -> (SchemaRef, SchemaRef) {
    static S: LazyLock<(SchemaRef, SchemaRef)> = LazyLock::new(|| {
        let key = Schema::struct_builder()
            .name("io.debezium.connector.common.ServerNameKey")
            .version(1)
            .field("serverName", req(SchemaType::String))
            .build();
        let value = Schema::struct_builder()
            .name("io.debezium.connector.common.Heartbeat")
            .version(1)
            .field("ts_ms", req(SchemaType::Int64))
            .build();
        (key, value)
    });
    S.clone()
}

/// Schemas of the schema-change topic (`<topic.prefix>`).
#[derive(Debug)]
pub struct SchemaChangeSchemas {
    pub key: SchemaRef,
    pub value: SchemaRef,
    pub(crate) change: SchemaRef,
    table: SchemaRef,
    column: SchemaRef,
    /// Whose rules the column descriptions follow.
    layout: Layout,
    flavor: Flavor,
}

impl SchemaChangeSchemas {
    pub fn get(flavor: Flavor, layout: Layout) -> Arc<Self> {
        static S: LazyLock<[Arc<SchemaChangeSchemas>; 4]> = LazyLock::new(|| {
            [
                Arc::new(SchemaChangeSchemas::build(Flavor::MySql, Layout::V2_2)),
                Arc::new(SchemaChangeSchemas::build(Flavor::MariaDb, Layout::V2_2)),
                Arc::new(SchemaChangeSchemas::build(Flavor::MySql, Layout::V3_6)),
                Arc::new(SchemaChangeSchemas::build(Flavor::MariaDb, Layout::V3_6)),
            ]
        });
        let i = usize::from(flavor == Flavor::MariaDb) + 2 * usize::from(layout.is_3x());
        S[i].clone()
    }

    fn build(flavor: Flavor, layout: Layout) -> Self {
        let strings = || SchemaBuilder::array(req(SchemaType::String));
        let column = Schema::struct_builder()
            .name("io.debezium.connector.schema.Column")
            .version(1)
            .field("name", req(SchemaType::String))
            .field("jdbcType", req(SchemaType::Int32))
            .field("nativeType", opt(SchemaType::Int32))
            .field("typeName", req(SchemaType::String))
            .field("typeExpression", opt(SchemaType::String))
            .field("charsetName", opt(SchemaType::String))
            .field("length", opt(SchemaType::Int32))
            .field("scale", opt(SchemaType::Int32))
            .field("position", req(SchemaType::Int32))
            .field("optional", opt(SchemaType::Boolean))
            .field("autoIncremented", opt(SchemaType::Boolean))
            .field("generated", opt(SchemaType::Boolean))
            .field("comment", opt(SchemaType::String))
            .field("defaultValueExpression", opt(SchemaType::String))
            .field("enumValues", strings().optional().build())
            .build();
        let table = Schema::struct_builder()
            .optional()
            .name("io.debezium.connector.schema.Table")
            .version(1)
            .field("defaultCharsetName", opt(SchemaType::String))
            .field("primaryKeyColumnNames", strings().optional().build())
            .field("columns", SchemaBuilder::array(column.clone()).build())
            .field("comment", opt(SchemaType::String))
            .build();
        let change = Schema::struct_builder()
            .name("io.debezium.connector.schema.Change")
            .version(1)
            .field("type", req(SchemaType::String))
            .field("id", req(SchemaType::String))
            .field("table", table.clone())
            .build();
        let key = Schema::struct_builder()
            .name(format!("{}.SchemaChangeKey", flavor.package()))
            .version(1)
            .field("databaseName", req(SchemaType::String))
            .build();
        let value = Schema::struct_builder()
            .name(format!("{}.SchemaChangeValue", flavor.package()))
            .version(1)
            .field("source", flavor.source_schema(layout))
            .field("ts_ms", req(SchemaType::Int64))
            .field("databaseName", opt(SchemaType::String))
            .field("schemaName", opt(SchemaType::String))
            .field("ddl", opt(SchemaType::String))
            .field("tableChanges", SchemaBuilder::array(change.clone()).build())
            .build();
        Self {
            key,
            value,
            change,
            table,
            column,
            layout,
            flavor,
        }
    }

    pub fn key_value(&self, db: &str) -> Value {
        let mut k = Struct::new(self.key.clone());
        k.put("databaseName", db);
        Value::Struct(k)
    }

    /// One `tableChanges` element.
    pub fn change(&self, kind: &str, id: &TableId, table: Option<&Table>) -> Value {
        let mut c = Struct::new(self.change.clone());
        c.put("type", kind);
        c.put("id", id.quoted());
        if let Some(t) = table {
            c.put("table", self.table_struct(t));
        }
        Value::Struct(c)
    }

    fn table_struct(&self, t: &Table) -> Struct {
        let mut s = Struct::new(self.table.clone());
        s.put("defaultCharsetName", t.default_charset.clone());
        s.put(
            "primaryKeyColumnNames",
            Value::Array(
                t.primary_key
                    .iter()
                    .map(|k| Value::String(k.clone()))
                    .collect(),
            ),
        );
        let cols = t
            .columns
            .iter()
            .map(|c| Value::Struct(self.column_struct(c)))
            .collect();
        s.put("columns", Value::Array(cols));
        s.put("comment", t.comment.clone());
        s
    }

    fn column_struct(&self, c: &Column) -> Struct {
        let v = c.history_view(self.layout, self.flavor);
        let mut s = Struct::new(self.column.clone());
        s.put("name", c.name.clone());
        s.put("jdbcType", v.jdbc_type);
        s.put("typeName", v.type_name.clone());
        s.put("typeExpression", v.type_name);
        s.put("charsetName", c.charset.clone());
        s.put("length", v.length);
        s.put("scale", v.scale);
        s.put("position", c.position);
        s.put("optional", c.optional);
        s.put("autoIncremented", v.auto_incremented);
        s.put("generated", v.generated);
        s.put("comment", c.comment.clone());
        s.put("defaultValueExpression", v.default_expression);
        // ConnectTableChangeSerializer (2.2.1 and 3.6.1 alike) puts enumValues only when there
        // are some: otherwise the optional field stays null.
        if !v.enum_values.is_empty() {
            s.put(
                "enumValues",
                Value::Array(v.enum_values.into_iter().map(Value::String).collect()),
            );
        }
        s
    }

    /// The whole schema-change value.
    pub fn value(
        &self,
        source: Struct,
        ts_ms: i64,
        db: &str,
        ddl: &str,
        changes: Vec<Value>,
    ) -> Value {
        let mut v = Struct::new(self.value.clone());
        v.put("source", source);
        v.put("ts_ms", ts_ms);
        v.put("databaseName", db);
        v.put("ddl", ddl);
        v.put("tableChanges", Value::Array(changes));
        Value::Struct(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddl::Schemas;
    use crate::jsonout;

    /// Reference §2.3, the 2.0–2.5 family (validated against a real 2.4.2 capture).
    const CUSTOMERS_ENVELOPE_2X: &str = r#"{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":false,"field":"last_name"},{"type":"string","optional":false,"field":"email"}],"optional":true,"name":"dbserver1.inventory.customers.Value","field":"before"},{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":false,"field":"last_name"},{"type":"string","optional":false,"field":"email"}],"optional":true,"name":"dbserver1.inventory.customers.Value","field":"after"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,last,false,incremental"},"default":"false","field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"string","optional":true,"field":"table"},{"type":"int64","optional":false,"field":"server_id"},{"type":"string","optional":true,"field":"gtid"},{"type":"string","optional":false,"field":"file"},{"type":"int64","optional":false,"field":"pos"},{"type":"int32","optional":false,"field":"row"},{"type":"int64","optional":true,"field":"thread"},{"type":"string","optional":true,"field":"query"}],"optional":false,"name":"io.debezium.connector.mysql.Source","field":"source"},{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"}],"optional":false,"name":"dbserver1.inventory.customers.Envelope","version":1}"#;

    fn customers() -> TableSchema {
        let mut s = Schemas::default();
        s.apply("inventory", "CREATE TABLE customers (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(255) NOT NULL, last_name VARCHAR(255) NOT NULL, email VARCHAR(255) NOT NULL UNIQUE KEY) AUTO_INCREMENT=1001").unwrap();
        let t = s
            .get(&TableId::new("inventory", "customers"))
            .unwrap()
            .clone();
        TableSchema::new(t, "dbserver1", ValueModes::default(), Flavor::MySql)
    }

    fn row(first: &str) -> Vec<Value> {
        vec![
            Value::Int32(1004),
            first.into(),
            "Kretchmar".into(),
            "annek@noanswer.org".into(),
        ]
    }

    #[test]
    fn envelope_schema_matches_debezium_2x_byte_for_byte() {
        let ts = customers();
        assert_eq!(jsonout::schema(&ts.envelope_schema), CUSTOMERS_ENVELOPE_2X);
        assert_eq!(ts.topic, "dbserver1.inventory.customers");
    }

    #[test]
    fn key_matches_the_reference_key_bytes() {
        let ts = customers();
        let key = ts.key(&row("Anne")).unwrap();
        assert_eq!(
            jsonout::envelope(ts.key_schema.as_deref(), &key),
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"dbserver1.inventory.customers.Key"},"payload":{"id":1004}}"#
        );
    }

    #[test]
    fn create_and_snapshot_payloads_match_the_reference() {
        let ts = customers();
        let src = SourceInfo {
            ts_ms: 1_465_491_411_000,
            db: "inventory".into(),
            table: Some("customers".into()),
            server_id: 223_344,
            file: "mysql-bin.000003".into(),
            pos: 154,
            thread: Some(7),
            ..SourceInfo::default()
        };
        let v = ts.envelope(
            Op::Create,
            None,
            ts.value(row("Anne")),
            src.to_struct(Flavor::MySql, Layout::V2_2, "dbserver1"),
            1_465_491_411_815_000,
        );
        let expected = r#"{"before":null,"after":{"id":1004,"first_name":"Anne","last_name":"Kretchmar","email":"annek@noanswer.org"},"source":{"version":"2.2.0.Final","connector":"mysql","name":"dbserver1","ts_ms":1465491411000,"snapshot":"false","db":"inventory","sequence":null,"table":"customers","server_id":223344,"gtid":null,"file":"mysql-bin.000003","pos":154,"row":0,"thread":7,"query":null},"op":"c","ts_ms":1465491411815,"transaction":null}"#;
        assert_eq!(jsonout::payload_only(&ts.envelope_schema, &v), expected);

        let snap = SourceInfo {
            ts_ms: 1_465_491_400_000,
            snapshot: Some("first"),
            db: "inventory".into(),
            table: Some("customers".into()),
            server_id: 0,
            file: "mysql-bin.000003".into(),
            pos: 154,
            ..SourceInfo::default()
        };
        let v = ts.envelope(
            Op::Read,
            None,
            ts.value(row("Anne")),
            snap.to_struct(Flavor::MySql, Layout::V2_2, "dbserver1"),
            1_465_491_400_123_000,
        );
        let expected = r#"{"before":null,"after":{"id":1004,"first_name":"Anne","last_name":"Kretchmar","email":"annek@noanswer.org"},"source":{"version":"2.2.0.Final","connector":"mysql","name":"dbserver1","ts_ms":1465491400000,"snapshot":"first","db":"inventory","sequence":null,"table":"customers","server_id":0,"gtid":null,"file":"mysql-bin.000003","pos":154,"row":0,"thread":null,"query":null},"op":"r","ts_ms":1465491400123,"transaction":null}"#;
        assert_eq!(jsonout::payload_only(&ts.envelope_schema, &v), expected);
    }

    /// What Debezium 3.6.3 wrote for the first snapshot row of `a_one` on a MariaDB that says
    /// 5.7.19 (tests/debezium_diff.rs), through the real JsonConverter; the prefix, database
    /// and the six wall-clock times replaced.
    const A_ONE_SNAPSHOT_36: &str = r#"{"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"v"}],"optional":true,"name":"dbserver1.inventory.a_one.Value","field":"before"},{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"v"}],"optional":true,"name":"dbserver1.inventory.a_one.Value","field":"after"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"},{"type":"string","optional":true,"field":"table"},{"type":"int64","optional":false,"field":"server_id"},{"type":"string","optional":true,"field":"gtid"},{"type":"string","optional":false,"field":"file"},{"type":"int64","optional":false,"field":"pos"},{"type":"int32","optional":false,"field":"row"},{"type":"int64","optional":true,"field":"thread"},{"type":"string","optional":true,"field":"query"}],"optional":false,"name":"io.debezium.connector.mysql.Source","version":1,"field":"source"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"},{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"}],"optional":false,"name":"dbserver1.inventory.a_one.Envelope","version":2},"payload":{"before":null,"after":{"id":1,"v":"one"},"source":{"version":"3.6.3.Final","connector":"mysql","name":"dbserver1","ts_ms":1700000000000,"snapshot":"first","db":"inventory","sequence":null,"ts_us":1700000000000000,"ts_ns":1700000000000000000,"table":"a_one","server_id":0,"gtid":null,"file":"binlog.000001","pos":7147,"row":0,"thread":null,"query":null},"transaction":null,"op":"r","ts_ms":1700000000123,"ts_us":1700000000123456,"ts_ns":1700000000123456000}}"#;

    #[test]
    fn the_36_layout_writes_debezium_3_envelopes_and_source_blocks() {
        let mut s = Schemas::default();
        s.apply("inventory", "CREATE TABLE `a_one` (`id` int(11) NOT NULL, `v` varchar(8) DEFAULT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=latin1").unwrap();
        let t = s.get(&TableId::new("inventory", "a_one")).unwrap().clone();
        let ts = TableSchema::with_options(
            t,
            "dbserver1",
            ValueModes::default(),
            Flavor::MySql,
            Layout::V3_6,
            None,
            &|_| true,
        );
        let source = SourceInfo {
            ts_ms: 1_700_000_000_000,
            snapshot: Some("first"),
            db: "inventory".into(),
            table: Some("a_one".into()),
            file: "binlog.000001".into(),
            pos: 7147,
            ..SourceInfo::default()
        };
        let row = vec![Value::Int32(1), Value::String("one".into())];
        let v = ts.envelope(
            Op::Read,
            None,
            ts.value(row),
            source.to_struct(Flavor::MySql, Layout::V3_6, "dbserver1"),
            1_700_000_000_123_456,
        );
        assert_eq!(
            jsonout::envelope(Some(&ts.envelope_schema), &v),
            A_ONE_SNAPSHOT_36
        );
        // The same row in the default layout keeps 2.2's shape.
        assert_eq!(Layout::parse("2.2").version(), "2.2.0.Final");
        assert_eq!(Layout::default(), Layout::V2_2);
    }

    #[test]
    fn schema_change_key_matches_the_reference_and_mariadb_names_its_own_schemas() {
        let sc = SchemaChangeSchemas::get(Flavor::MySql, Layout::V2_2);
        assert_eq!(
            jsonout::envelope(Some(&sc.key), &sc.key_value("inventory")),
            r#"{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"databaseName"}],"optional":false,"name":"io.debezium.connector.mysql.SchemaChangeKey","version":1},"payload":{"databaseName":"inventory"}}"#
        );
        let maria = SchemaChangeSchemas::get(Flavor::MariaDb, Layout::V2_2);
        assert_eq!(
            maria.key.name.as_deref(),
            Some("io.debezium.connector.mariadb.SchemaChangeKey")
        );
        assert_eq!(
            Flavor::MariaDb.source_schema(Layout::V2_2).name.as_deref(),
            Some("io.debezium.connector.mariadb.Source")
        );
        let s = SourceInfo::default().to_struct(Flavor::MariaDb, Layout::V2_2, "p");
        assert_eq!(s.get("connector"), Some(&Value::from("mariadb")));
        // A DROP change carries no table.
        let drop = sc.change("DROP", &TableId::new("inventory", "t"), None);
        let json = jsonout::payload_only(&sc.change, &drop);
        assert_eq!(
            json,
            r#"{"type":"DROP","id":"\"inventory\".\"t\"","table":null}"#
        );
    }

    #[test]
    fn excluded_columns_leave_the_value_and_key_columns_can_be_overridden() {
        let mut s = Schemas::default();
        s.apply("inventory", "CREATE TABLE customers (id INT PRIMARY KEY, first_name VARCHAR(255), email VARCHAR(255))").unwrap();
        let t = s
            .get(&TableId::new("inventory", "customers"))
            .unwrap()
            .clone();
        let key_cols = vec!["email".to_owned()];
        let ts = TableSchema::with_options(
            t,
            "p",
            ValueModes::default(),
            Flavor::MySql,
            Layout::V2_2,
            Some(&key_cols),
            &|c| c != "inventory.customers.email",
        );
        let names: Vec<_> = ts
            .value_schema
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, ["id", "first_name"]);
        let row = vec![Value::Int32(1), "Anne".into(), "a@x".into()];
        let key = ts.key(&row).unwrap();
        assert_eq!(
            jsonout::payload_only(ts.key_schema.as_ref().unwrap(), &key),
            r#"{"email":"a@x"}"#
        );
        let v = ts.value(row).unwrap();
        assert_eq!(
            jsonout::payload_only(&ts.value_schema, &v),
            r#"{"id":1,"first_name":"Anne"}"#
        );
    }

    #[test]
    fn column_schemas_match_reference_fragments() {
        let mut s = Schemas::default();
        s.apply("db", "CREATE TABLE t (id INT PRIMARY KEY, c_tinyint TINYINT NOT NULL DEFAULT 0, c_usmall SMALLINT UNSIGNED, c_uint INT UNSIGNED, c_dec DECIMAL(10,2) NOT NULL DEFAULT '1.00', c_float FLOAT, c_bit10 BIT(10), c_json JSON, c_enum ENUM('S','M','L') DEFAULT 'M', c_set SET('a','b','c'), c_year YEAR, c_time TIME(3), c_dt DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, c_dt6 DATETIME(6), c_ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, c_geo GEOMETRY, c_pt POINT, c_blob BLOB)").unwrap();
        let t = s.get(&TableId::new("db", "t")).unwrap().clone();
        let ts = TableSchema::new(t, "p", ValueModes::default(), Flavor::MySql);
        let frag = |name: &str| {
            let f = ts.value_schema.field(name).unwrap();
            let whole = jsonout::schema(
                &Schema::struct_builder()
                    .field(name, f.schema.clone())
                    .build(),
            );
            let start = whole.find("\"fields\":[").unwrap() + 10;
            let end = whole.find("],\"optional\":false}").unwrap();
            whole[start..end].to_owned()
        };
        let expected = [
            (
                "c_tinyint",
                r#"{"type":"int16","optional":false,"default":0,"field":"c_tinyint"}"#,
            ),
            (
                "c_usmall",
                r#"{"type":"int32","optional":true,"field":"c_usmall"}"#,
            ),
            (
                "c_uint",
                r#"{"type":"int64","optional":true,"field":"c_uint"}"#,
            ),
            (
                "c_dec",
                r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"default":"ZA==","field":"c_dec"}"#,
            ),
            (
                "c_float",
                r#"{"type":"float","optional":true,"field":"c_float"}"#,
            ),
            (
                "c_bit10",
                r#"{"type":"bytes","optional":true,"name":"io.debezium.data.Bits","version":1,"parameters":{"length":"10"},"field":"c_bit10"}"#,
            ),
            (
                "c_json",
                r#"{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"c_json"}"#,
            ),
            (
                "c_enum",
                r#"{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"S,M,L"},"default":"M","field":"c_enum"}"#,
            ),
            (
                "c_set",
                r#"{"type":"string","optional":true,"name":"io.debezium.data.EnumSet","version":1,"parameters":{"allowed":"a,b,c"},"field":"c_set"}"#,
            ),
            (
                "c_year",
                r#"{"type":"int32","optional":true,"name":"io.debezium.time.Year","version":1,"field":"c_year"}"#,
            ),
            (
                "c_time",
                r#"{"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1,"field":"c_time"}"#,
            ),
            (
                "c_dt",
                r#"{"type":"int64","optional":false,"name":"io.debezium.time.Timestamp","version":1,"default":0,"field":"c_dt"}"#,
            ),
            (
                "c_dt6",
                r#"{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"c_dt6"}"#,
            ),
            (
                "c_ts",
                r#"{"type":"string","optional":false,"name":"io.debezium.time.ZonedTimestamp","version":1,"default":"1970-01-01T00:00:00Z","field":"c_ts"}"#,
            ),
            (
                "c_geo",
                r#"{"type":"struct","fields":[{"type":"bytes","optional":false,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"}],"optional":true,"name":"io.debezium.data.geometry.Geometry","version":1,"doc":"Geometry","field":"c_geo"}"#,
            ),
            (
                "c_pt",
                r#"{"type":"struct","fields":[{"type":"double","optional":false,"field":"x"},{"type":"double","optional":false,"field":"y"},{"type":"bytes","optional":true,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"}],"optional":true,"name":"io.debezium.data.geometry.Point","version":1,"doc":"Geometry (POINT)","field":"c_pt"}"#,
            ),
            (
                "c_blob",
                r#"{"type":"bytes","optional":true,"field":"c_blob"}"#,
            ),
        ];
        for (name, want) in expected {
            assert_eq!(frag(name), want, "{name}");
        }
    }
}
