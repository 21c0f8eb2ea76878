use connect_api::{Schema, SchemaBuilder, SchemaType, Struct};

use super::*;

fn row_schema() -> SchemaRef {
    Schema::struct_builder()
        .name("srv.db.t.Value")
        .optional()
        .field("id", Schema::int32())
        .field(
            "status",
            SchemaBuilder::new(SchemaType::String)
                .optional()
                .default_value(Value::from("active"))
                .build(),
        )
        .build()
}

fn envelope_schema() -> SchemaRef {
    let row = row_schema();
    let source = Schema::struct_builder()
        .name("io.debezium.connector.mysql.Source")
        .field("db", Schema::string())
        .field("table", Schema::optional_string())
        .field("ts_ms", Schema::int64())
        .build();
    let tx = Schema::struct_builder()
        .name("event.block")
        .optional()
        .field("id", Schema::string())
        .build();
    Schema::struct_builder()
        .name("srv.db.t.Envelope")
        .version(1)
        .field("before", row.clone())
        .field("after", row)
        .field("source", source)
        .field("op", Schema::string())
        .field("ts_ms", Schema::optional_int64())
        .field("transaction", tx)
        .build()
}

fn row(id: i32, status: Option<&str>) -> Value {
    Value::Struct(
        Struct::new(row_schema())
            .with("id", id)
            .with("status", status),
    )
}

fn event(op: &str, before: Value, after: Value) -> ConnectRecord {
    let schema = envelope_schema();
    let source_schema = schema.field("source").unwrap().schema.clone();
    let mut value = Struct::new(schema.clone())
        .with("op", op)
        .with("ts_ms", 1_700_000_000_123i64)
        .with(
            "source",
            Struct::new(source_schema)
                .with("db", "db")
                .with("table", "t")
                .with("ts_ms", 1_700_000_000_000i64),
        );
    value.put("before", before);
    value.put("after", after);
    ConnectRecord {
        kafka_partition: Some(0),
        timestamp: Some(1),
        ..crate::test_support::source_record(
            "srv.db.t",
            SchemaAndValue::new(Some(schema), Value::Struct(value)),
        )
    }
}

fn tombstone() -> ConnectRecord {
    let mut r = event("c", Value::Null, row(1, None));
    r.value = SchemaAndValue::NULL;
    r
}

fn unwrap(props: &[(&str, &str)]) -> Box<dyn Transformation> {
    let props = crate::kafka::util::props(props);
    plugin().create(&props).unwrap()
}

fn apply(t: &mut Box<dyn Transformation>, r: ConnectRecord) -> Option<ConnectRecord> {
    t.apply(r).unwrap()
}

#[test]
fn an_insert_becomes_its_row_with_a_required_copy_of_the_row_schema() {
    let out = apply(&mut unwrap(&[]), event("c", Value::Null, row(1, Some("x")))).unwrap();
    let schema = out.value.schema.unwrap();
    assert_eq!(schema.name.as_deref(), Some("srv.db.t.Value"));
    // Debezium rebuilds the row through copySchemaBasics, which drops `optional`.
    assert!(!schema.optional);
    let v = out.value.value.as_struct().unwrap();
    assert_eq!(v.get("status"), Some(&Value::from("x")));
}

#[test]
fn by_default_a_delete_keeps_a_null_value_with_the_row_schema_and_tombstones_are_dropped() {
    let mut t = unwrap(&[]);
    let out = apply(&mut t, event("d", row(1, None), Value::Null)).unwrap();
    assert!(out.value.value.is_null());
    assert_eq!(
        out.value.schema.unwrap().name.as_deref(),
        Some("srv.db.t.Value")
    );
    assert!(apply(&mut t, tombstone()).is_none());
}

#[test]
fn a_truncate_is_dropped() {
    assert!(apply(&mut unwrap(&[]), event("t", Value::Null, Value::Null)).is_none());
}

#[test]
fn rewrite_marks_rows_deleted_and_fills_defaults() {
    let mut t = unwrap(&[(HANDLE_TOMBSTONE_DELETES, "rewrite")]);
    let out = apply(&mut t, event("d", row(3, None), Value::Null)).unwrap();
    let v = out.value.value.as_struct().unwrap();
    assert_eq!(v.get(DELETED_FIELD), Some(&Value::from("true")));
    assert_eq!(v.get("status"), Some(&Value::from("active")));
    let out = apply(&mut t, event("u", row(3, None), row(3, Some("y")))).unwrap();
    let v = out.value.value.as_struct().unwrap();
    assert_eq!(v.get(DELETED_FIELD), Some(&Value::from("false")));

    let mut raw = unwrap(&[
        (HANDLE_TOMBSTONE_DELETES, "rewrite"),
        (REPLACE_NULL_WITH_DEFAULT, "false"),
    ]);
    let out = apply(&mut raw, event("d", row(3, None), Value::Null)).unwrap();
    assert_eq!(
        out.value.value.as_struct().unwrap().get("status"),
        Some(&Value::Null)
    );
}

#[test]
fn delete_to_tombstone_turns_deletes_into_real_tombstones() {
    let out = apply(
        &mut unwrap(&[(HANDLE_TOMBSTONE_DELETES, "delete-to-tombstone")]),
        event("d", row(1, None), Value::Null),
    )
    .unwrap();
    assert_eq!(out.value, SchemaAndValue::NULL);
}

#[test]
fn the_2_2_option_names_still_select_the_old_behaviour() {
    let mut t = unwrap(&[
        (LEGACY_DROP_TOMBSTONES, "false"),
        (LEGACY_HANDLE_DELETES, "rewrite"),
    ]);
    assert!(apply(&mut t, tombstone()).is_some());
    let out = apply(&mut t, event("d", row(1, None), Value::Null)).unwrap();
    let v = out.value.value.as_struct().unwrap();
    assert_eq!(v.get(DELETED_FIELD), Some(&Value::from("true")));

    // Only `delete.handling.mode=drop` (2.2's default) drops deletes; tombstones still go.
    let mut t = unwrap(&[(LEGACY_HANDLE_DELETES, "drop")]);
    assert!(apply(&mut t, event("d", row(1, None), Value::Null)).is_none());
    assert!(apply(&mut t, tombstone()).is_none());

    // The 3.x option wins when both are given.
    let mut t = unwrap(&[
        (LEGACY_DROP_TOMBSTONES, "false"),
        (HANDLE_TOMBSTONE_DELETES, "drop"),
    ]);
    assert!(apply(&mut t, tombstone()).is_none());
}

#[test]
fn field_references_name_their_struct_and_may_be_renamed() {
    let r = FieldReference::parse("__", "source.ts_ms").unwrap();
    assert_eq!(
        (r.parent.as_deref(), r.new_field.as_str()),
        (Some("source"), "__source_ts_ms")
    );
    let r = FieldReference::parse("__", "ts_ms").unwrap();
    assert_eq!(
        (r.parent.as_deref(), r.new_field.as_str()),
        (None, "__ts_ms")
    );
    let r = FieldReference::parse("x_", "id:txid").unwrap();
    assert_eq!(
        (r.parent.as_deref(), r.new_field.as_str()),
        (Some("transaction"), "x_txid")
    );
    let r = FieldReference::parse("", "table").unwrap();
    assert_eq!(
        (r.parent.as_deref(), r.new_field.as_str()),
        (Some("source"), "table")
    );
    assert!(FieldReference::parse("", "a:b:c").is_err());
}

#[test]
fn add_fields_appends_envelope_fields_and_skips_missing_ones() {
    let mut t = unwrap(&[(ADD_FIELDS, "op,source.ts_ms,table:tbl,nothing")]);
    let out = apply(&mut t, event("c", Value::Null, row(1, None))).unwrap();
    let schema = out.value.schema.clone().unwrap();
    let names: Vec<_> = schema.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["id", "status", "__op", "__source_ts_ms", "__tbl"]);
    assert!(schema.field("__source_ts_ms").unwrap().schema.optional);
    let v = out.value.value.as_struct().unwrap();
    assert_eq!(v.get("__op"), Some(&Value::from("c")));
    assert_eq!(v.get("__tbl"), Some(&Value::from("t")));
}

#[test]
fn add_headers_also_marks_a_kept_tombstone_as_a_delete() {
    let mut t = unwrap(&[
        (HANDLE_TOMBSTONE_DELETES, "rewrite-with-tombstone"),
        (ADD_HEADERS, "op,db"),
        (ADD_HEADERS_PREFIX, "h."),
    ]);
    let out = apply(&mut t, event("u", row(1, None), row(1, None))).unwrap();
    let keys: Vec<_> = out.headers.iter().map(|h| h.key.as_str()).collect();
    assert_eq!(keys, ["h.op", "h.db"]);
    let out = apply(&mut t, tombstone()).unwrap();
    assert_eq!(out.headers.len(), 1);
    assert_eq!(out.headers[0].key, "h.op");
    assert_eq!(out.headers[0].value.value, Value::from("d"));
}

#[test]
fn route_by_field_takes_the_topic_from_the_row_or_the_before_image() {
    let mut t = unwrap(&[
        (ROUTE_BY_FIELD, "status"),
        (HANDLE_TOMBSTONE_DELETES, "rewrite"),
    ]);
    let out = apply(&mut t, event("c", Value::Null, row(1, Some("gold")))).unwrap();
    assert_eq!(out.topic, "gold");
    let out = apply(&mut t, event("d", row(1, Some("silver")), Value::Null)).unwrap();
    assert_eq!(out.topic, "silver");
    let out = apply(&mut t, event("c", Value::Null, row(1, Some(" ")))).unwrap();
    assert_eq!(out.topic, "srv.db.t");
}

#[test]
fn records_that_are_not_envelopes_pass_unchanged() {
    let mut r = event("c", Value::Null, row(1, None));
    r.value = SchemaAndValue::schemaless(Value::from("text"));
    assert_eq!(apply(&mut unwrap(&[]), r.clone()), Some(r));
}

#[test]
fn an_unknown_mode_fails_as_debezium_does() {
    let props: Props = [(HANDLE_TOMBSTONE_DELETES.to_string(), "explode".to_string())].into();
    let err = plugin().create(&props).unwrap_err();
    assert_eq!(err.to_string(), "Unable to validate config.");
}
