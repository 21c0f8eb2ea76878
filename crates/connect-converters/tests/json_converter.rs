//! Golden-byte, round-trip and error-path tests for `JsonConverter`.

use bytes::Bytes;
use connect_api::data::{Date, Decimal, Time, Timestamp};
use connect_api::{
    ConnectError, ConvertError, Converter, ConverterPlugin, Props, Schema, SchemaAndValue,
    SchemaBuilder, SchemaRef, SchemaType, Struct, Value,
};
use connect_converters::json::JsonConverterPlugin;
use num_bigint::BigInt;

fn converter(props: &[(&str, &str)]) -> Box<dyn Converter> {
    let props: Props = props
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    JsonConverterPlugin::default()
        .create(&props, false)
        .unwrap()
}

fn to_json(c: &dyn Converter, schema: Option<SchemaRef>, value: Value) -> String {
    let bytes = c
        .from_connect_data(
            "t",
            &connect_api::Headers::new(),
            &SchemaAndValue::new(schema, value),
        )
        .unwrap();
    String::from_utf8(bytes.expect("not a tombstone").to_vec()).unwrap()
}

fn from_json(c: &dyn Converter, json: &str) -> SchemaAndValue {
    c.to_connect_data("t", &connect_api::Headers::new(), Some(json.as_bytes()))
        .unwrap()
}

fn env(schema: &str, payload: &str) -> String {
    format!(r#"{{"schema":{schema},"payload":{payload}}}"#)
}

#[test]
fn every_primitive_type_has_kafkas_envelope() {
    let c = converter(&[]);
    let cases: Vec<(SchemaRef, Value, &str, &str)> = vec![
        (
            Schema::int8(),
            Value::Int8(-8),
            r#"{"type":"int8","optional":false}"#,
            "-8",
        ),
        (
            Schema::int16(),
            Value::Int16(300),
            r#"{"type":"int16","optional":false}"#,
            "300",
        ),
        (
            Schema::int32(),
            Value::Int32(70_000),
            r#"{"type":"int32","optional":false}"#,
            "70000",
        ),
        (
            Schema::int64(),
            Value::Int64(1_465_491_411_815_123_456),
            r#"{"type":"int64","optional":false}"#,
            "1465491411815123456",
        ),
        (
            Schema::float32(),
            Value::Float32(1.5),
            r#"{"type":"float","optional":false}"#,
            "1.5",
        ),
        (
            Schema::float64(),
            Value::Float64(1.0),
            r#"{"type":"double","optional":false}"#,
            "1.0",
        ),
        (
            Schema::float64(),
            Value::Float64(1e10),
            r#"{"type":"double","optional":false}"#,
            "1.0E10",
        ),
        (
            Schema::boolean(),
            Value::Boolean(true),
            r#"{"type":"boolean","optional":false}"#,
            "true",
        ),
        (
            Schema::string(),
            "a\"b\\c\n\u{1}é".into(),
            r#"{"type":"string","optional":false}"#,
            r#""a\"b\\c\n\u0001é""#,
        ),
        (
            Schema::bytes(),
            Value::Bytes(Bytes::from_static(b"\x00\x01\xfe\xff")),
            r#"{"type":"bytes","optional":false}"#,
            r#""AAH+/w==""#,
        ),
        (
            Schema::optional_string(),
            Value::Null,
            r#"{"type":"string","optional":true}"#,
            "null",
        ),
    ];
    for (schema, value, schema_json, payload_json) in cases {
        assert_eq!(
            to_json(&*c, Some(schema), value),
            env(schema_json, payload_json)
        );
    }
}

#[test]
fn non_finite_floats_are_written_as_strings() {
    let c = converter(&[("schemas.enable", "false")]);
    assert_eq!(
        to_json(&*c, Some(Schema::float64()), Value::Float64(f64::NAN)),
        r#""NaN""#
    );
    assert_eq!(
        to_json(&*c, Some(Schema::float32()), Value::Float32(f32::INFINITY)),
        r#""Infinity""#
    );
}

#[test]
fn schema_metadata_is_written_in_kafkas_member_order() {
    let c = converter(&[]);
    let schema = Schema::builder(SchemaType::String)
        .optional()
        .name("io.debezium.data.Enum")
        .version(1)
        .doc("an enum")
        .parameter("allowed", "S,M,L")
        .parameter("b", "2")
        .default_value("M".into())
        .build();
    assert_eq!(
        to_json(&*c, Some(schema), "L".into()),
        env(
            r#"{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"doc":"an enum","parameters":{"allowed":"S,M,L","b":"2"},"default":"M"}"#,
            r#""L""#
        )
    );
}

#[test]
fn logical_types_are_written_as_their_physical_values() {
    let c = converter(&[]);
    let date = Date::builder().build();
    assert_eq!(
        to_json(&*c, Some(date), Value::Int32(19_000)),
        env(
            r#"{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1}"#,
            "19000"
        )
    );
    let time = Time::builder().optional().build();
    assert_eq!(
        to_json(&*c, Some(time), Value::Int32(45_296_789)),
        env(
            r#"{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","version":1}"#,
            "45296789"
        )
    );
    let ts = Timestamp::builder().build();
    assert_eq!(
        to_json(&*c, Some(ts), Value::Int64(1_529_476_623_000)),
        env(
            r#"{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1}"#,
            "1529476623000"
        )
    );
}

fn decimal(text: &str) -> Value {
    let (unscaled, _) = Decimal::parse(text).unwrap();
    Value::Bytes(Decimal::encode(&unscaled))
}

#[test]
fn decimals_are_base64_by_default_and_exact_numbers_when_numeric() {
    let schema = Decimal::builder(2)
        .parameter("connect.decimal.precision", "10")
        .build();
    let schema_json = r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"}}"#;
    let base64 = converter(&[]);
    // Values from the Debezium reference: 123.45 → MDk=, -123.45 → z8c=, 0.00 → AA==, 1.00 → ZA==.
    for (text, b64) in [
        ("123.45", "MDk="),
        ("-123.45", "z8c="),
        ("0.00", "AA=="),
        ("1.00", "ZA=="),
        ("999.99", "AYaf"),
    ] {
        assert_eq!(
            to_json(&*base64, Some(schema.clone()), decimal(text)),
            env(schema_json, &format!("\"{b64}\""))
        );
    }
    let numeric = converter(&[("decimal.format", "numeric")]);
    let scale3 = Decimal::schema(3);
    assert_eq!(
        to_json(&*numeric, Some(scale3.clone()), decimal("12.340")),
        env(
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3"}}"#,
            "12.340"
        )
    );
    let plain = converter(&[("decimal.format", "NUMERIC"), ("schemas.enable", "false")]);
    assert_eq!(to_json(&*plain, Some(scale3), decimal("-0.005")), "-0.005");
    assert_eq!(
        to_json(&*plain, Some(Decimal::schema(7)), decimal("0.0000001")),
        "1E-7"
    );
}

#[test]
fn redundant_sign_bytes_do_not_change_decimal_output() {
    let c = converter(&[("schemas.enable", "false")]);
    let padded = Value::Bytes(Bytes::from_static(&[0x00, 0x00, 0x64]));
    assert_eq!(to_json(&*c, Some(Decimal::schema(2)), padded), r#""ZA==""#);
    let empty = Value::Bytes(Bytes::new());
    assert_eq!(to_json(&*c, Some(Decimal::schema(2)), empty), r#""AA==""#);
}

#[test]
fn arrays_and_maps_use_objects_only_for_string_keys() {
    let c = converter(&[]);
    let array = SchemaBuilder::array(Schema::int32()).build();
    assert_eq!(
        to_json(&*c, Some(array), Value::Array(vec![1.into(), 2.into()])),
        env(
            r#"{"type":"array","items":{"type":"int32","optional":false},"optional":false}"#,
            "[1,2]"
        )
    );
    let string_map = SchemaBuilder::map(Schema::string(), Schema::optional_int64()).build();
    assert_eq!(
        to_json(
            &*c,
            Some(string_map),
            Value::Map(vec![
                ("b".into(), Value::Int64(1)),
                ("a".into(), Value::Null)
            ])
        ),
        env(
            r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":true},"optional":false}"#,
            r#"{"b":1,"a":null}"#
        )
    );
    let int_map = SchemaBuilder::map(Schema::int32(), Schema::string()).build();
    assert_eq!(
        to_json(
            &*c,
            Some(int_map),
            Value::Map(vec![(1.into(), "x".into()), (2.into(), "y".into())])
        ),
        env(
            r#"{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false}"#,
            r#"[[1,"x"],[2,"y"]]"#
        )
    );
}

fn address_schema() -> SchemaRef {
    Schema::struct_builder()
        .name("Address")
        .optional()
        .field("street", Schema::string())
        .field("zip", Schema::optional_int32())
        .build()
}

fn person_schema() -> SchemaRef {
    Schema::struct_builder()
        .name("com.example.Person")
        .version(3)
        .doc("A person")
        .field("name", Schema::string())
        .field(
            "age",
            Schema::builder(SchemaType::Int16)
                .optional()
                .default_value(Value::Int16(18))
                .build(),
        )
        .field("address", address_schema())
        .field(
            "tags",
            SchemaBuilder::array(Schema::string()).optional().build(),
        )
        .build()
}

const PERSON_SCHEMA_JSON: &str = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"name"},{"type":"int16","optional":true,"default":18,"field":"age"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"street"},{"type":"int32","optional":true,"field":"zip"}],"optional":true,"name":"Address","field":"address"},{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"tags"}],"optional":false,"name":"com.example.Person","version":3,"doc":"A person"}"#;

#[test]
fn nested_structs_keep_schema_order_and_fill_defaults() {
    let schema = person_schema();
    let address = Struct::new(address_schema())
        .with("street", "Main St")
        .with("zip", 12345);
    let person = Struct::new(schema.clone())
        .with("name", "Ann")
        .with("address", address)
        .with("tags", Value::Array(vec!["a".into()]));
    let c = converter(&[]);
    assert_eq!(
        to_json(&*c, Some(schema.clone()), person.clone().into()),
        env(
            PERSON_SCHEMA_JSON,
            r#"{"name":"Ann","age":18,"address":{"street":"Main St","zip":12345},"tags":["a"]}"#
        )
    );
    let keep_nulls = converter(&[
        ("replace.null.with.default", "false"),
        ("schemas.enable", "false"),
    ]);
    assert_eq!(
        to_json(&*keep_nulls, Some(schema), person.into()),
        r#"{"name":"Ann","age":null,"address":{"street":"Main St","zip":12345},"tags":["a"]}"#
    );
}

#[test]
fn schemas_disabled_writes_the_payload_only() {
    let c = converter(&[("schemas.enable", "false")]);
    let key = Schema::struct_builder()
        .name("k")
        .field("id", Schema::int32())
        .build();
    assert_eq!(
        to_json(
            &*c,
            Some(key.clone()),
            Struct::new(key).with("id", 1004).into()
        ),
        r#"{"id":1004}"#
    );
    assert_eq!(
        to_json(&*c, None, Value::Map(vec![("a".into(), Value::Int64(1))])),
        r#"{"a":1}"#
    );
    assert_eq!(
        to_json(&*c, None, Value::Map(vec![(Value::Int64(1), "x".into())])),
        r#"[[1,"x"]]"#
    );
}

#[test]
fn tombstones_and_optional_nulls() {
    let c = converter(&[]);
    let out = c
        .from_connect_data("t", &connect_api::Headers::new(), &SchemaAndValue::NULL)
        .unwrap();
    assert_eq!(out, None);
    assert_eq!(
        to_json(&*c, None, "x".into()),
        r#"{"schema":null,"payload":"x"}"#
    );
    let plain = converter(&[("schemas.enable", "false")]);
    assert_eq!(
        to_json(&*plain, Some(Schema::optional_int32()), Value::Null),
        "null"
    );
    assert_eq!(
        c.to_connect_data("t", &connect_api::Headers::new(), None)
            .unwrap(),
        SchemaAndValue::NULL
    );
}

fn debezium_value_schema(nullable_names: bool) -> SchemaRef {
    let name_schema = if nullable_names {
        Schema::optional_string()
    } else {
        Schema::string()
    };
    Schema::struct_builder()
        .name("dbserver1.inventory.customers.Value")
        .optional()
        .field("id", Schema::int32())
        .field("first_name", name_schema.clone())
        .field("last_name", name_schema)
        .field("email", Schema::string())
        .build()
}

fn debezium_source_schema() -> SchemaRef {
    Schema::struct_builder()
        .name("io.debezium.connector.mysql.Source")
        .version(1)
        .field("version", Schema::string())
        .field("connector", Schema::string())
        .field("name", Schema::string())
        .field("ts_ms", Schema::int64())
        .field(
            "snapshot",
            Schema::builder(SchemaType::String)
                .optional()
                .name("io.debezium.data.Enum")
                .version(1)
                .parameter(
                    "allowed",
                    "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
                )
                .default_value("false".into())
                .build(),
        )
        .field("db", Schema::string())
        .field("sequence", Schema::optional_string())
        .field("ts_us", Schema::optional_int64())
        .field("ts_ns", Schema::optional_int64())
        .field("table", Schema::optional_string())
        .field("server_id", Schema::int64())
        .field("gtid", Schema::optional_string())
        .field("file", Schema::string())
        .field("pos", Schema::int64())
        .field("row", Schema::int32())
        .field("thread", Schema::optional_int64())
        .field("query", Schema::optional_string())
        .build()
}

fn debezium_envelope_schema(value: &SchemaRef) -> SchemaRef {
    let block = Schema::struct_builder()
        .name("event.block")
        .version(1)
        .optional()
        .field("id", Schema::string())
        .field("total_order", Schema::int64())
        .field("data_collection_order", Schema::int64())
        .build();
    Schema::struct_builder()
        .name("dbserver1.inventory.customers.Envelope")
        .version(2)
        .field("before", value.clone())
        .field("after", value.clone())
        .field("source", debezium_source_schema())
        .field("transaction", block)
        .field("op", Schema::string())
        .field("ts_ms", Schema::optional_int64())
        .field("ts_us", Schema::optional_int64())
        .field("ts_ns", Schema::optional_int64())
        .build()
}

fn debezium_create_record() -> (SchemaRef, Struct) {
    let value_schema = debezium_value_schema(false);
    let schema = debezium_envelope_schema(&value_schema);
    let after = Struct::new(value_schema)
        .with("id", 1004)
        .with("first_name", "Anne")
        .with("last_name", "Kretchmar")
        .with("email", "annek@noanswer.org");
    // `snapshot` left unset: Debezium does that while streaming; the schema default fills it.
    let source = Struct::new(debezium_source_schema())
        .with("version", "3.1.0.Final")
        .with("connector", "mysql")
        .with("name", "dbserver1")
        .with("ts_ms", 1_465_491_411_000_i64)
        .with("db", "inventory")
        .with("ts_us", 1_465_491_411_000_000_i64)
        .with("ts_ns", 1_465_491_411_000_000_000_i64)
        .with("table", "customers")
        .with("server_id", 223_344_i64)
        .with("file", "mysql-bin.000003")
        .with("pos", 154_i64)
        .with("row", 0)
        .with("thread", 7_i64);
    let envelope = Struct::new(schema.clone())
        .with("after", after)
        .with("source", source)
        .with("op", "c")
        .with("ts_ms", 1_465_491_411_815_i64)
        .with("ts_us", 1_465_491_411_815_123_i64)
        .with("ts_ns", 1_465_491_411_815_123_456_i64);
    (schema, envelope)
}

#[test]
fn debezium_create_event_matches_the_reference_bytes() {
    let expected = include_str!("fixtures/debezium-3.1-customers-create.json").trim_end();
    let (schema, envelope) = debezium_create_record();
    let c = converter(&[]);
    assert_eq!(
        to_json(&*c, Some(schema.clone()), envelope.clone().into()),
        expected
    );
    // A second record with the same schema goes through the schema cache: same bytes.
    assert_eq!(to_json(&*c, Some(schema), envelope.into()), expected);
}

#[test]
fn debezium_key_matches_the_reference_bytes() {
    let key = Schema::struct_builder()
        .name("dbserver1.inventory.customers.Key")
        .field("id", Schema::int32())
        .build();
    let value: Value = Struct::new(key.clone()).with("id", 1004).into();
    assert_eq!(
        to_json(&*converter(&[]), Some(key.clone()), value.clone()),
        r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"dbserver1.inventory.customers.Key"},"payload":{"id":1004}}"#
    );
    assert_eq!(
        to_json(
            &*converter(&[("schemas.enable", "false")]),
            Some(key),
            value
        ),
        r#"{"id":1004}"#
    );
}

#[test]
fn debezium_2_4_2_capture_round_trips_byte_for_byte() {
    // A real capture: reading it and writing it back must reproduce every byte.
    let captured = include_str!("fixtures/debezium-2.4.2-snapshot-capture.json").trim_end();
    let c = converter(&[]);
    let data = from_json(&*c, captured);
    let schema = data.schema.clone().unwrap();
    assert_eq!(
        schema.name.as_deref(),
        Some("prefix.test_db.test_table.Envelope")
    );
    let source = data
        .value
        .as_struct()
        .unwrap()
        .get("source")
        .unwrap()
        .as_struct()
        .unwrap();
    assert_eq!(source.get("snapshot"), Some(&Value::String("first".into())));
    assert_eq!(source.get("server_id"), Some(&Value::Int64(0)));
    let out = c
        .from_connect_data("t", &connect_api::Headers::new(), &data)
        .unwrap()
        .unwrap();
    assert_eq!(std::str::from_utf8(&out).unwrap(), captured);
}

#[test]
fn every_schema_type_round_trips() {
    let c = converter(&[]);
    let person = Struct::new(person_schema())
        .with("name", "Ann")
        .with("age", Value::Int16(40))
        .with("address", Value::Null)
        .with("tags", Value::Array(vec!["x".into(), "y".into()]));
    let cases: Vec<(SchemaRef, Value)> = vec![
        (Schema::int8(), Value::Int8(i8::MIN)),
        (Schema::int16(), Value::Int16(i16::MAX)),
        (Schema::int32(), Value::Int32(-1)),
        (Schema::int64(), Value::Int64(i64::MIN)),
        (Schema::float32(), Value::Float32(0.1)),
        (Schema::float64(), Value::Float64(-1.2345e-300)),
        (Schema::boolean(), Value::Boolean(false)),
        (Schema::string(), "tab\tquote\"snow☃".into()),
        (
            Schema::bytes(),
            Value::Bytes(Bytes::from_static(b"\x00\xff")),
        ),
        (Date::builder().build(), Value::Int32(-1)),
        (Time::builder().build(), Value::Int32(86_399_999)),
        (Timestamp::builder().build(), Value::Int64(-1)),
        (Decimal::schema(3), decimal("-12.340")),
        (
            SchemaBuilder::array(Schema::optional_string()).build(),
            Value::Array(vec![Value::Null, "a".into()]),
        ),
        (
            SchemaBuilder::map(Schema::string(), Schema::int32()).build(),
            Value::Map(vec![("k".into(), 1.into())]),
        ),
        (
            SchemaBuilder::map(Schema::int64(), Schema::boolean()).build(),
            Value::Map(vec![(Value::Int64(5), true.into())]),
        ),
        (person_schema(), person.into()),
    ];
    for numeric in [false, true] {
        let c2 = converter(&[("decimal.format", if numeric { "NUMERIC" } else { "BASE64" })]);
        for (schema, value) in &cases {
            let json = to_json(&*c2, Some(schema.clone()), value.clone());
            let back = from_json(&*c2, &json);
            assert_eq!(back.schema.as_deref(), Some(&**schema), "{json}");
            assert_eq!(&back.value, value, "{json}");
        }
    }
    drop(c);
}

#[test]
fn schemaless_json_becomes_maps_int64_and_float64() {
    let c = converter(&[("schemas.enable", "false")]);
    let data = from_json(&*c, r#"{"b":1,"a":[1.5,"x",null,true],"c":{"d":-2}}"#);
    assert_eq!(data.schema, None);
    assert_eq!(
        data.value,
        Value::Map(vec![
            ("b".into(), Value::Int64(1)),
            (
                "a".into(),
                Value::Array(vec![
                    Value::Float64(1.5),
                    "x".into(),
                    Value::Null,
                    Value::Boolean(true)
                ])
            ),
            ("c".into(), Value::Map(vec![("d".into(), Value::Int64(-2))])),
        ])
    );
    assert_eq!(from_json(&*c, "").value, Value::Null);
    assert_eq!(from_json(&*c, "null").value, Value::Null);
}

#[test]
fn numeric_decimals_are_read_exactly_at_the_schema_scale() {
    let c = converter(&[]);
    let schema = r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3"}}"#;
    let data = from_json(&*c, &env(schema, "12.34"));
    assert_eq!(data.value, decimal("12.340"));
    let big = from_json(&*c, &env(schema, "123456789012345678901234.567"));
    let Value::Bytes(b) = big.value else {
        panic!("decimal is bytes")
    };
    assert_eq!(
        Decimal::decode(&b),
        "123456789012345678901234567".parse::<BigInt>().unwrap()
    );
    let err = c
        .to_connect_data(
            "t",
            &connect_api::Headers::new(),
            Some(env(schema, "1.2345").as_bytes()),
        )
        .unwrap_err();
    assert!(err.to_string().contains("scale"), "{err}");
}

#[test]
fn missing_and_null_fields_take_defaults_when_reading() {
    let schema = r#"{"type":"struct","fields":[{"type":"int32","optional":true,"default":7,"field":"a"},{"type":"string","optional":true,"field":"b"}],"optional":false}"#;
    let c = converter(&[]);
    let data = from_json(&*c, &env(schema, "{}"));
    let st = data.value.as_struct().unwrap();
    assert_eq!(st.get("a"), Some(&Value::Int32(7)));
    assert_eq!(st.get("b"), Some(&Value::Null));
    let keep = converter(&[("replace.null.with.default", "false")]);
    let data = from_json(&*keep, &env(schema, r#"{"a":null}"#));
    assert_eq!(data.value.as_struct().unwrap().get("a"), Some(&Value::Null));
}

fn deserialize_error(c: &dyn Converter, json: &[u8]) -> String {
    match c
        .to_connect_data("t", &connect_api::Headers::new(), Some(json))
        .unwrap_err()
    {
        ConvertError::Deserialize { message, .. } => message,
        other => panic!("expected a deserialization error, got {other:?}"),
    }
}

fn serialize_error(c: &dyn Converter, schema: Option<SchemaRef>, value: Value) -> String {
    match c
        .from_connect_data(
            "t",
            &connect_api::Headers::new(),
            &SchemaAndValue::new(schema, value),
        )
        .unwrap_err()
    {
        ConvertError::Serialize { message, .. } => message,
        other => panic!("expected a serialization error, got {other:?}"),
    }
}

#[test]
fn envelope_violations_give_kafkas_message() {
    let c = converter(&[]);
    let expected = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";
    for bad in [
        &br#"{"id":1}"#[..],
        br#"{"schema":null}"#,
        br#"{"schema":null,"payload":1,"x":0}"#,
        b"[1]",
        b"42",
        b"",
    ] {
        assert_eq!(
            deserialize_error(&*c, bad),
            expected,
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn malformed_bytes_report_a_serialization_error() {
    for c in [converter(&[]), converter(&[("schemas.enable", "false")])] {
        let message = deserialize_error(&*c, b"{\"schema\":");
        assert!(
            message.starts_with(
                "Converting byte[] to Kafka Connect data failed due to serialization error: "
            ),
            "{message}"
        );
        assert!(message.len() > 80, "the cause is included: {message}");
    }
}

#[test]
fn invalid_schemas_and_payloads_are_rejected() {
    let c = converter(&[]);
    assert_eq!(
        deserialize_error(&*c, br#"{"schema":{"x":1},"payload":1}"#),
        "Schema must contain 'type' field"
    );
    assert_eq!(
        deserialize_error(&*c, br#"{"schema":{"type":"uint8"},"payload":1}"#),
        "Unknown schema type: uint8"
    );
    assert_eq!(
        deserialize_error(&*c, br#"{"schema":{"type":"int32"},"payload":null}"#),
        "Invalid null value for required INT32 field"
    );
    assert_eq!(
        deserialize_error(
            &*c,
            br#"{"schema":{"type":"struct","fields":[]},"payload":[]}"#
        ),
        "Structs should be encoded as JSON objects, but found ARRAY"
    );
    assert_eq!(
        deserialize_error(
            &*c,
            br#"{"schema":{"type":"struct","fields":[{"type":"int8"}]},"payload":{}}"#
        ),
        "Struct schema's field name not specified properly"
    );
    assert_eq!(
        deserialize_error(
            &*c,
            br#"{"schema":{"type":"int32","parameters":{"a":1}},"payload":1}"#
        ),
        "Schema parameters must have string values."
    );
    assert!(
        deserialize_error(&*c, br#"{"schema":{"type":"int32"},"payload":"x"}"#).contains("INT32")
    );
}

#[test]
fn values_that_do_not_fit_the_schema_are_rejected() {
    let c = converter(&[]);
    assert_eq!(
        serialize_error(&*c, Some(Schema::int32()), Value::Null),
        "Conversion error: null value for field that is required and has no default value"
    );
    assert_eq!(
        serialize_error(&*c, Some(Schema::int32()), Value::Int64(1)),
        "Invalid type for INT32: class java.lang.Long"
    );
    let a = Schema::struct_builder().field("x", Schema::int32()).build();
    let b = Schema::struct_builder().field("y", Schema::int32()).build();
    assert_eq!(
        serialize_error(&*c, Some(a), Struct::new(b.clone()).with("y", 1).into()),
        "Mismatching schema."
    );
    assert_eq!(
        serialize_error(&*c, None, Struct::new(b).with("y", 1).into()),
        "Mismatching schema."
    );
    assert_eq!(
        serialize_error(&*c, Some(Decimal::schema(2)), Value::Float64(1.0)),
        "Invalid type for Decimal, expected BigDecimal but was class java.lang.Double"
    );
    let required_with_default = Schema::builder(SchemaType::Int32)
        .default_value(Value::Int32(5))
        .build();
    let keep = converter(&[("replace.null.with.default", "false")]);
    assert_eq!(
        serialize_error(&*keep, Some(required_with_default), Value::Null),
        "Conversion error: null value for field that is required and has no default value"
    );
}

#[test]
fn invalid_configuration_is_reported_per_key() {
    let props: Props = [("decimal.format".to_owned(), "HEX".to_owned())].into();
    let err = JsonConverterPlugin::default()
        .create(&props, true)
        .unwrap_err();
    let ConnectError::Config(errors) = err else {
        panic!("expected a config error")
    };
    assert_eq!(errors.0.len(), 1);
    assert_eq!(errors.0[0].0, "decimal.format");
    assert!(
        errors.0[0].1.contains("BASE64, NUMERIC"),
        "{}",
        errors.0[0].1
    );
}

#[test]
fn encodes_ten_thousand_debezium_records() {
    let (schema, envelope) = debezium_create_record();
    let c = converter(&[]);
    let data = SchemaAndValue::new(Some(schema), envelope.into());
    let expected = include_str!("fixtures/debezium-3.1-customers-create.json")
        .trim_end()
        .len();
    let total: usize = (0..10_000)
        .map(|_| {
            c.from_connect_data("t", &connect_api::Headers::new(), &data)
                .unwrap()
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(total, expected * 10_000);
}

#[test]
fn deep_nesting_is_bounded_without_overflowing_the_stack() {
    let c = converter(&[("schemas.enable", "false")]);
    let ok = format!("{}{}", "[".repeat(190), "]".repeat(190));
    let mut v = from_json(&*c, &ok).value;
    let mut depth = 0;
    while let Value::Array(mut items) = v {
        depth += 1;
        v = items.pop().unwrap_or(Value::Null);
    }
    assert_eq!(depth, 190);
    let too_deep = "[".repeat(100_000);
    assert!(deserialize_error(&*c, too_deep.as_bytes()).contains("nesting depth"));
}

#[test]
fn schemaless_debezium_capture_round_trips_byte_for_byte() {
    // Real Debezium 2.4.1 output with schemas.enable=false, non-ASCII text included.
    let c = converter(&[("schemas.enable", "false")]);
    let captured = include_str!("fixtures/debezium-2.4.1-schemaless-capture.jsonl");
    let mut lines = 0;
    for line in captured.lines() {
        let data = from_json(&*c, line);
        assert_eq!(data.schema, None);
        assert_eq!(to_json(&*c, None, data.value), line);
        lines += 1;
    }
    assert_eq!(lines, 3);
}

#[test]
fn a_tiny_schema_cache_still_writes_the_right_schema() {
    let c = converter(&[("schemas.cache.size", "1")]);
    let a = Schema::struct_builder()
        .name("A")
        .field("x", Schema::int32())
        .build();
    let b = Schema::struct_builder()
        .name("B")
        .field("y", Schema::int32())
        .build();
    for _ in 0..3 {
        let ja = to_json(
            &*c,
            Some(a.clone()),
            Struct::new(a.clone()).with("x", 1).into(),
        );
        assert!(
            ja.contains(r#""name":"A""#) && ja.ends_with(r#""payload":{"x":1}}"#),
            "{ja}"
        );
        let jb = to_json(
            &*c,
            Some(b.clone()),
            Struct::new(b.clone()).with("y", 2).into(),
        );
        assert!(
            jb.contains(r#""name":"B""#) && jb.ends_with(r#""payload":{"y":2}}"#),
            "{jb}"
        );
        assert_eq!(from_json(&*c, &ja).schema.as_deref(), Some(&*a));
        assert_eq!(from_json(&*c, &jb).schema.as_deref(), Some(&*b));
    }
}

#[test]
fn one_converter_serves_many_threads() {
    let (schema, envelope) = debezium_create_record();
    let c: std::sync::Arc<dyn Converter> = converter(&[]).into();
    let data = std::sync::Arc::new(SchemaAndValue::new(Some(schema), envelope.into()));
    let expected = include_str!("fixtures/debezium-3.1-customers-create.json").trim_end();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (c, data) = (c.clone(), data.clone());
            std::thread::spawn(move || {
                (0..200)
                    .map(|_| {
                        c.from_connect_data("t", &connect_api::Headers::new(), &data)
                            .unwrap()
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        for bytes in h.join().unwrap() {
            assert_eq!(&bytes[..], expected.as_bytes());
        }
    }
}

#[test]
fn write_appends_to_a_callers_buffer() {
    use connect_converters::json::{JsonConverter, JsonConverterConfig};
    let c = JsonConverter::new(JsonConverterConfig {
        schemas_enable: false,
        ..Default::default()
    });
    let mut buf = b"prefix:".to_vec();
    assert!(
        c.write(
            &mut buf,
            &SchemaAndValue::new(Some(Schema::int32()), 7.into())
        )
        .unwrap()
    );
    assert!(!c.write(&mut buf, &SchemaAndValue::NULL).unwrap());
    assert_eq!(buf, b"prefix:7");
}

#[test]
fn schema_parameters_keep_their_order_through_a_round_trip() {
    // Java's `SchemaBuilder.parameter` fills a `LinkedHashMap`: the order read is the order
    // written, whichever it is (Debezium writes `scale` first; other producers may not).
    let c = converter(&[]);
    for params in [
        r#"{"scale":"2","connect.decimal.precision":"10"}"#,
        r#"{"connect.decimal.precision":"10","scale":"2"}"#,
        r#"{"z":"1","a":"2","m":"3","scale":"2"}"#,
    ] {
        let json = env(
            &format!(
                r#"{{"type":"struct","fields":[{{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{params},"field":"amount"}}],"optional":false,"name":"r"}}"#
            ),
            r#"{"amount":"MDk="}"#,
        );
        let back = from_json(c.as_ref(), &json);
        assert_eq!(to_json(c.as_ref(), back.schema, back.value), json);
    }
}

#[test]
fn a_repeated_parameter_keeps_its_first_place_and_its_last_value() {
    // Jackson's `ObjectNode` replaces a repeated member in place.
    let c = converter(&[]);
    let read = env(
        r#"{"type":"string","optional":false,"parameters":{"b":"1","a":"2","b":"3"}}"#,
        r#""x""#,
    );
    let back = from_json(c.as_ref(), &read);
    assert_eq!(
        to_json(c.as_ref(), back.schema, back.value),
        env(
            r#"{"type":"string","optional":false,"parameters":{"b":"3","a":"2"}}"#,
            r#""x""#
        )
    );
}

#[test]
fn schemas_whose_parameters_differ_only_in_order_are_equal_as_in_java() {
    // `ConnectSchema.equals` compares the parameter maps, not their order.
    let c = converter(&[]);
    let decoded = from_json(
        c.as_ref(),
        &env(
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"connect.decimal.precision":"10","scale":"2"}}"#,
            r#""MDk=""#,
        ),
    );
    let built = Decimal::builder(2)
        .parameter("connect.decimal.precision", "10")
        .build();
    assert_eq!(decoded.schema.as_deref(), Some(built.as_ref()));
    let other = Decimal::builder(3)
        .parameter("connect.decimal.precision", "10")
        .build();
    assert_ne!(decoded.schema.as_deref(), Some(other.as_ref()));
}
