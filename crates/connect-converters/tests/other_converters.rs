//! StringConverter, ByteArrayConverter, the number converters, SimpleHeaderConverter and the
//! plugin listing.

use bytes::Bytes;
use connect_api::connector::PluginKind;
use connect_api::data::{Date, Decimal, Time, Timestamp};
use connect_api::{
    ConnectError, ConvertError, Converter, ConverterPlugin, HeaderConverter, Props, Schema,
    SchemaAndValue, SchemaBuilder, SchemaRef, SchemaType, Struct, Value,
};
use connect_converters::plugins;

fn plugin(class: &str) -> std::sync::Arc<dyn ConverterPlugin> {
    plugins()
        .into_iter()
        .find(|p| p.descriptor().class == class)
        .expect("plugin is listed")
}

fn converter(class: &str, props: &[(&str, &str)]) -> Box<dyn Converter> {
    let props: Props = props
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    plugin(class).create(&props, false).unwrap()
}

fn header_converter(class: &str) -> Box<dyn HeaderConverter> {
    plugin(class).create_header(&Props::new()).unwrap()
}

fn write(c: &dyn Converter, schema: Option<SchemaRef>, value: Value) -> Option<Bytes> {
    c.from_connect_data(
        "t",
        &connect_api::Headers::new(),
        &SchemaAndValue::new(schema, value),
    )
    .unwrap()
}

const STRING: &str = "org.apache.kafka.connect.storage.StringConverter";
const BYTES: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";
const HEADER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

#[test]
fn plugins_lists_every_converter_with_its_java_class() {
    let classes: Vec<&str> = plugins().iter().map(|p| p.descriptor().class).collect();
    assert_eq!(
        classes,
        [
            "org.apache.kafka.connect.json.JsonConverter",
            STRING,
            BYTES,
            HEADER,
            "org.apache.kafka.connect.converters.ShortConverter",
            "org.apache.kafka.connect.converters.IntegerConverter",
            "org.apache.kafka.connect.converters.LongConverter",
            "org.apache.kafka.connect.converters.FloatConverter",
            "org.apache.kafka.connect.converters.DoubleConverter",
            "org.apache.kafka.connect.converters.BooleanConverter",
        ]
    );
    assert_eq!(
        plugin(HEADER).descriptor().kind,
        PluginKind::HeaderConverter
    );
    assert_eq!(plugin(STRING).descriptor().kind, PluginKind::Converter);
    let json = plugin("org.apache.kafka.connect.json.JsonConverter");
    let json_keys: Vec<&str> = json
        .config_def()
        .keys()
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(
        json_keys,
        [
            "converter.type",
            "schemas.enable",
            "schemas.cache.size",
            "decimal.format",
            "replace.null.with.default"
        ]
    );
    assert!(plugin(HEADER).config_def().keys().is_empty());
    assert!(plugin(HEADER).create(&Props::new(), false).is_err());
}

#[test]
fn string_converter_writes_text_and_reads_optional_strings() {
    let c = converter(STRING, &[]);
    assert_eq!(
        write(&*c, Some(Schema::string()), "héllo".into()).unwrap(),
        "héllo".as_bytes()
    );
    assert_eq!(
        write(&*c, Some(Schema::int64()), Value::Int64(42)).unwrap(),
        &b"42"[..]
    );
    assert_eq!(write(&*c, None, Value::Float64(1.0)).unwrap(), &b"1.0"[..]);
    let schema = Schema::struct_builder()
        .field("id", Schema::int32())
        .field("name", Schema::optional_string())
        .field("n", Schema::optional_int32())
        .build();
    let st = Struct::new(schema.clone()).with("id", 1).with("name", "x");
    assert_eq!(
        write(&*c, Some(schema), st.into()).unwrap(),
        &b"Struct{id=1,name=x}"[..]
    );
    assert_eq!(
        write(&*c, Some(Schema::optional_string()), Value::Null),
        None
    );

    let read = c
        .to_connect_data("t", &connect_api::Headers::new(), Some("héllo".as_bytes()))
        .unwrap();
    assert_eq!(read.schema.as_deref(), Some(&*Schema::optional_string()));
    assert_eq!(read.value, Value::String("héllo".into()));
    let null = c
        .to_connect_data("t", &connect_api::Headers::new(), None)
        .unwrap();
    assert_eq!(null.schema.as_deref(), Some(&*Schema::optional_string()));
    assert_eq!(null.value, Value::Null);
    let lossy = c
        .to_connect_data("t", &connect_api::Headers::new(), Some(b"a\xffb"))
        .unwrap();
    assert_eq!(lossy.value, Value::String("a\u{FFFD}b".into()));
}

#[test]
fn string_converter_honours_the_encoding() {
    let latin1 = converter(STRING, &[("converter.encoding", "ISO-8859-1")]);
    assert_eq!(write(&*latin1, None, "é€".into()).unwrap(), &b"\xe9?"[..]);
    assert_eq!(
        latin1
            .to_connect_data("t", &connect_api::Headers::new(), Some(b"\xe9"))
            .unwrap()
            .value,
        "é".into()
    );
    let utf16 = converter(STRING, &[("converter.encoding", "UTF-16BE")]);
    assert_eq!(write(&*utf16, None, "A".into()).unwrap(), &b"\x00A"[..]);
    let props: Props = [("converter.encoding".to_owned(), "EBCDIC-XYZ".to_owned())].into();
    let err = plugin(STRING).create(&props, true).unwrap_err();
    assert!(
        matches!(err, ConnectError::Config(ref e) if e.0[0].0 == "converter.encoding"),
        "{err}"
    );
}

#[test]
fn byte_array_converter_passes_bytes_through() {
    let c = converter(BYTES, &[]);
    let raw = Bytes::from_static(b"\x00\x01raw");
    assert_eq!(
        write(&*c, Some(Schema::bytes()), Value::Bytes(raw.clone())),
        Some(raw.clone())
    );
    assert_eq!(write(&*c, None, Value::Null), None);
    let read = c
        .to_connect_data("t", &connect_api::Headers::new(), Some(&raw))
        .unwrap();
    assert_eq!(read.schema.as_deref(), Some(&*Schema::optional_bytes()));
    assert_eq!(read.value, Value::Bytes(raw));
    let err = c
        .from_connect_data(
            "t",
            &connect_api::Headers::new(),
            &SchemaAndValue::new(Some(Schema::string()), "x".into()),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid schema type for ByteArrayConverter: STRING"
    );
    let err = c
        .from_connect_data(
            "t",
            &connect_api::Headers::new(),
            &SchemaAndValue::schemaless(1.into()),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ByteArrayConverter is not compatible with objects of type class java.lang.Integer"
    );
}

#[test]
fn number_converters_use_big_endian_fixed_widths() {
    let cases: Vec<(&str, Value, &[u8])> = vec![
        ("ShortConverter", Value::Int16(-2), b"\xff\xfe"),
        ("IntegerConverter", Value::Int32(42), b"\x00\x00\x00\x2a"),
        (
            "LongConverter",
            Value::Int64(1),
            b"\x00\x00\x00\x00\x00\x00\x00\x01",
        ),
        ("FloatConverter", Value::Float32(1.0), b"\x3f\x80\x00\x00"),
        (
            "DoubleConverter",
            Value::Float64(2.0),
            b"\x40\x00\x00\x00\x00\x00\x00\x00",
        ),
        ("BooleanConverter", Value::Boolean(true), b"\x01"),
    ];
    for (name, value, bytes) in cases {
        let c = converter(&format!("org.apache.kafka.connect.converters.{name}"), &[]);
        assert_eq!(write(&*c, None, value.clone()).unwrap(), bytes, "{name}");
        let read = c
            .to_connect_data("t", &connect_api::Headers::new(), Some(bytes))
            .unwrap();
        assert_eq!(read.value, value, "{name}");
        assert!(read.schema.unwrap().optional, "{name}");
        assert_eq!(write(&*c, None, Value::Null), None, "{name}");
    }
}

#[test]
fn number_converters_reject_wrong_sizes_and_types() {
    let c = converter("org.apache.kafka.connect.converters.IntegerConverter", &[]);
    let err = c
        .to_connect_data("t", &connect_api::Headers::new(), Some(b"\x01\x02"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Failed to deserialize integer: Size of data received by IntegerDeserializer is not 4"
    );
    let err = c
        .from_connect_data(
            "t",
            &connect_api::Headers::new(),
            &SchemaAndValue::schemaless(Value::Int64(1)),
        )
        .unwrap_err();
    assert!(matches!(err, ConvertError::Serialize { .. }));
    assert!(err.to_string().contains("class java.lang.Long"), "{err}");
    let b = converter("org.apache.kafka.connect.converters.BooleanConverter", &[]);
    assert!(
        b.to_connect_data("t", &connect_api::Headers::new(), Some(b"\x02"))
            .is_err()
    );
}

fn header_text(value: SchemaAndValue) -> String {
    let c = header_converter(HEADER);
    let bytes = c.from_connect_header("t", "h", &value).unwrap().unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn header_value(text: &str) -> SchemaAndValue {
    header_converter(HEADER)
        .to_connect_header("t", "h", Some(text.as_bytes()))
        .unwrap()
}

#[test]
fn simple_header_converter_writes_values_as_text() {
    assert_eq!(
        header_text(SchemaAndValue::new(Some(Schema::string()), "a b".into())),
        "a b"
    );
    assert_eq!(
        header_text(SchemaAndValue::new(Some(Schema::int32()), 42.into())),
        "42"
    );
    assert_eq!(
        header_text(SchemaAndValue::schemaless(Value::Float64(1.0))),
        "1.0"
    );
    assert_eq!(header_text(SchemaAndValue::schemaless(true.into())), "true");
    let schema = Schema::struct_builder()
        .field("name", Schema::string())
        .field(
            "age",
            Schema::builder(SchemaType::Int32)
                .optional()
                .default_value(18.into())
                .build(),
        )
        .build();
    let st = Struct::new(schema.clone()).with("name", "A\"nn");
    assert_eq!(
        header_text(SchemaAndValue::new(Some(schema), st.into())),
        r#"{"name":"A\"nn","age":18}"#
    );
    assert_eq!(
        header_text(SchemaAndValue::schemaless(Value::Array(vec![
            "a".into(),
            "b".into()
        ]))),
        r#"["a","b"]"#
    );
    assert_eq!(
        header_text(SchemaAndValue::schemaless(Value::Map(vec![(
            "k".into(),
            Value::Int64(1)
        )]))),
        r#"{"k":1}"#
    );
    assert_eq!(
        header_text(SchemaAndValue::new(
            Some(Date::builder().build()),
            Value::Int32(19_000)
        )),
        "2022-01-08"
    );
    assert_eq!(
        header_text(SchemaAndValue::new(
            Some(Time::builder().build()),
            Value::Int32(45_296_789)
        )),
        "12:34:56.789Z"
    );
    assert_eq!(
        header_text(SchemaAndValue::new(
            Some(Timestamp::builder().build()),
            Value::Int64(1_529_476_623_004)
        )),
        "2018-06-20T06:37:03.004Z"
    );
    let (unscaled, _) = Decimal::parse("12.340").unwrap();
    assert_eq!(
        header_text(SchemaAndValue::new(
            Some(Decimal::schema(3)),
            Value::Bytes(Decimal::encode(&unscaled))
        )),
        "12.340"
    );
    let c = header_converter(HEADER);
    assert_eq!(
        c.from_connect_header("t", "h", &SchemaAndValue::NULL)
            .unwrap(),
        None
    );
}

#[test]
fn simple_header_converter_infers_types_when_reading() {
    let typed = |t: &str| {
        let sv = header_value(t);
        (sv.schema.map(|s| (s.schema_type, s.name.clone())), sv.value)
    };
    assert_eq!(
        typed("true"),
        (Some((SchemaType::Boolean, None)), Value::Boolean(true))
    );
    assert_eq!(
        typed("42"),
        (Some((SchemaType::Int8, None)), Value::Int8(42))
    );
    assert_eq!(
        typed("1000"),
        (Some((SchemaType::Int16, None)), Value::Int16(1000))
    );
    assert_eq!(
        typed("70000"),
        (Some((SchemaType::Int32, None)), Value::Int32(70_000))
    );
    assert_eq!(
        typed("-5000000000"),
        (
            Some((SchemaType::Int64, None)),
            Value::Int64(-5_000_000_000)
        )
    );
    assert_eq!(
        typed("1.5"),
        (Some((SchemaType::Float32, None)), Value::Float32(1.5))
    );
    assert_eq!(
        typed("hello"),
        (Some((SchemaType::String, None)), "hello".into())
    );
    assert_eq!(
        typed("1,2"),
        (Some((SchemaType::String, None)), "1,2".into())
    );
    assert_eq!(typed(""), (Some((SchemaType::String, None)), "".into()));
    assert_eq!(
        typed("2022-01-08"),
        (
            Some((SchemaType::Int32, Some(Date::LOGICAL_NAME.into()))),
            Value::Int32(19_000)
        )
    );
    assert_eq!(
        typed("12:34:56.789Z"),
        (
            Some((SchemaType::Int32, Some(Time::LOGICAL_NAME.into()))),
            Value::Int32(45_296_789)
        )
    );
    assert_eq!(
        typed("2018-06-20T06:37:03.004Z"),
        (
            Some((SchemaType::Int64, Some(Timestamp::LOGICAL_NAME.into()))),
            Value::Int64(1_529_476_623_004)
        )
    );
    assert_eq!(header_value("null"), SchemaAndValue::NULL);
    assert_eq!(
        header_converter(HEADER)
            .to_connect_header("t", "h", None)
            .unwrap(),
        SchemaAndValue::NULL
    );

    let array = header_value("[1, 2, 300]");
    assert_eq!(
        array.schema.as_deref(),
        Some(&*SchemaBuilder::array(Schema::int16()).build())
    );
    assert_eq!(
        array.value,
        Value::Array(vec![Value::Int16(1), Value::Int16(2), Value::Int16(300)])
    );
    let map = header_value(r#"{"a":"x","b":"y"}"#);
    assert_eq!(
        map.schema.as_deref(),
        Some(&*SchemaBuilder::map(Schema::string(), Schema::string()).build())
    );
    assert_eq!(
        map.value,
        Value::Map(vec![("a".into(), "x".into()), ("b".into(), "y".into())])
    );
    let broken = header_value("[1, 2");
    assert_eq!(broken.value, Value::String("[1, 2".into()));
}

#[test]
fn header_text_round_trips_for_plain_values() {
    for value in [
        SchemaAndValue::new(Some(Schema::string()), "plain text".into()),
        SchemaAndValue::new(Some(Schema::boolean()), false.into()),
        SchemaAndValue::new(Some(Schema::int8()), Value::Int8(-3)),
        SchemaAndValue::new(
            Some(SchemaBuilder::array(Schema::string()).build()),
            Value::Array(vec!["a,b".into(), "c\"d".into()]),
        ),
    ] {
        assert_eq!(header_value(&header_text(value.clone())), value);
    }
}

#[test]
fn every_converter_except_simple_header_is_also_a_header_converter() {
    for p in plugins() {
        let header = p.create_header(&Props::new());
        assert!(header.is_ok(), "{}", p.descriptor().class);
    }
    let json = header_converter("org.apache.kafka.connect.json.JsonConverter");
    let bytes = json
        .from_connect_header(
            "t",
            "h",
            &SchemaAndValue::new(Some(Schema::int32()), 5.into()),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        &bytes[..],
        br#"{"schema":{"type":"int32","optional":false},"payload":5}"#
    );
}
