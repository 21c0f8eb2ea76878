"""Writes the kafka-a2 differential cases (one JSON file per case) next to this script.

Run `python3 generate.py` after editing; the case files are what the test reads.
"""
import json, os
OUT = os.path.dirname(os.path.abspath(__file__))
T = "org.apache.kafka.connect.transforms."
P = T + "predicates."
TS = {"type": "int64", "optional": True, "name": "org.apache.kafka.connect.data.Timestamp", "version": 1}
DATE = {"type": "int32", "optional": True, "name": "org.apache.kafka.connect.data.Date", "version": 1}
TIME = {"type": "int32", "optional": True, "name": "org.apache.kafka.connect.data.Time", "version": 1}
ROW = {"type": "struct", "name": "Row", "version": 2, "doc": "a row", "optional": False, "fields": [
    {"field": "id", "type": "int32", "optional": False},
    {"field": "name", "type": "string", "optional": True},
    {"field": "at", **TS},
    {"field": "day", **DATE},
    {"field": "text", "type": "string", "optional": True},
    {"field": "epoch", "type": "int64", "optional": True},
    {"field": "amount", "type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": {"scale": "2"}},
]}
OPT_ROW = dict(ROW, optional=True)
def row(i, name="n", at=1700000000123, day=19675, text="2023-11-14 22:13:20", epoch=1700000000, amount="AQI="):
    return {"id": i, "name": name, "at": at, "day": day, "text": text, "epoch": epoch, "amount": amount}
HDR = [{"key": "h1", "value": {"schema": {"type": "string", "optional": False}, "payload": "v1"}},
       {"key": "h2", "value": {"schema": {"type": "int32", "optional": True}, "payload": 7}},
       {"key": "h1", "value": {"schema": None, "payload": "again"}}]
KEY_STRUCT = {"schema": {"type": "struct", "name": "Key", "optional": False, "fields": [{"field": "id", "type": "int32", "optional": False}, {"field": "tenant", "type": "string", "optional": True}]}, "payload": {"id": 1, "tenant": "acme"}}

def records():
    return [
        {"topic": "db.shop.orders", "partition": 0, "offset": 5, "timestamp": 1700000000000,
         "key": KEY_STRUCT, "value": {"schema": ROW, "payload": row(1)}, "headers": HDR},
        {"topic": "db.shop.orders", "partition": 1, "offset": 6, "timestamp": 1600000000000,
         "key": {"schema": None, "payload": {"id": 2}},
         "value": {"schema": None, "payload": {"id": 2, "name": "m", "epoch": 1700000000, "text": "2023-11-14 22:13:20"}},
         "headers": HDR[:1]},
        {"topic": "db.shop.orders", "sink": False, "timestamp": 1700000000000,
         "key": {"schema": None, "payload": "k3"}},
        {"topic": "other", "partition": 2, "offset": 7, "timestamp": 0,
         "key": {"schema": {"type": "string", "optional": False}, "payload": "k4"},
         "value": {"schema": OPT_ROW, "payload": None}},
        {"topic": "other", "sink": False, "partition": 3,
         "key": KEY_STRUCT, "value": {"schema": ROW, "payload": row(5, name=None, at=None, day=None, text=None, epoch=None, amount=None)}},
    ]

def case(name, config, recs=None):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"config": config, "records": recs if recs is not None else records()}, f, indent=1)

def one(alias, cls, **opts):
    c = {"transforms": alias, f"transforms.{alias}.type": T + cls}
    for k, v in opts.items():
        c[f"transforms.{alias}.{k.replace('_', '.')}"] = v
    return c

# InsertField
case("insert_field_value_all", one("i", "InsertField$Value", topic_field="topic!", partition_field="part", offset_field="off?", timestamp_field="ts", static_field="src", static_value="sluice"),
     [r for r in records() if r.get("sink", True)])
case("insert_field_value_source", one("i", "InsertField$Value", topic_field="topic", partition_field="part!", timestamp_field="ts!", static_field="src!", static_value="x"))
case("insert_field_key", one("i", "InsertField$Key", topic_field="topic", timestamp_field="ts"))
case("insert_field_offset_on_source", one("i", "InsertField$Value", offset_field="off"),
     [r for r in records() if not r.get("sink", True)])
case("insert_field_duplicate_name", one("i", "InsertField$Value", topic_field="name"))
case("insert_field_nothing_configured", one("i", "InsertField$Value"))
case("insert_field_no_default_replacement", one("i", "InsertField$Value", topic_field="t", replace_null_with_default="false"),
     [{"topic": "t", "partition": 0, "offset": 1, "value": {"schema": {"type": "struct", "optional": False, "fields": [{"field": "a", "type": "int32", "optional": True, "default": 9}]}, "payload": {"a": None}}}])
case("insert_field_default_replacement", one("i", "InsertField$Value", topic_field="t"),
     [{"topic": "t", "partition": 0, "offset": 1, "value": {"schema": {"type": "struct", "optional": False, "fields": [{"field": "a", "type": "int32", "optional": True, "default": 9}]}, "payload": {"a": None}}}])
case("insert_field_not_a_map", one("i", "InsertField$Value", topic_field="t"),
     [{"topic": "t", "value": {"schema": None, "payload": "text"}}, {"topic": "t", "value": {"schema": {"type": "string", "optional": False}, "payload": "text"}}])

# InsertHeader
for lit, nm in [("42", "int"), ("hello world", "string"), ("true", "bool"), ("3.25", "double"), ("[1,2,3]", "array"), ("{\"a\":1}", "map"), ("", "empty"), ("2023-11-14T22:13:20.123Z", "timestamp"), ("-70000", "negative_int")]:
    case("insert_header_" + nm, one("i", "InsertHeader", header="added", value_literal=lit), records()[:2])
case("insert_header_missing_literal", one("i", "InsertHeader", header="added"))

# DropHeaders
case("drop_headers", one("d", "DropHeaders", headers="h1,nope"))

# HeaderFrom
case("header_from_value_move", one("h", "HeaderFrom$Value", fields="id,name,at", headers="hid,hname,hat", operation="move"), [r for r in records() if r["topic"] != "other" or r.get("value", {}).get("payload") is not None])
case("header_from_value_copy", one("h", "HeaderFrom$Value", fields="name,amount", headers="n,a", operation="copy"), records()[:2])
case("header_from_key_move", one("h", "HeaderFrom$Key", fields="tenant", headers="tenant", operation="move"), [records()[0], records()[4]])
case("header_from_tombstone", one("h", "HeaderFrom$Value", fields="id", headers="id", operation="copy"), records()[2:4])
case("header_from_missing_field_schemaless", one("h", "HeaderFrom$Value", fields="missing", headers="m", operation="move"), records()[1:2])
case("header_from_mismatched_lists", one("h", "HeaderFrom$Value", fields="a,b", headers="x", operation="copy"))
case("header_from_bad_operation", one("h", "HeaderFrom$Value", fields="a", headers="x", operation="swap"))

# SetSchemaMetadata
case("set_schema_metadata_value", one("s", "SetSchemaMetadata$Value", schema_name="com.example.Order", schema_version="7"), [r for r in records() if r["topic"] != "db.shop.orders" or r.get("sink", True) is False or r["value"]["schema"] is not None])
case("set_schema_metadata_key_name_only", one("s", "SetSchemaMetadata$Key", schema_name="com.example.Key"), [records()[0], records()[4]])
case("set_schema_metadata_version_only", one("s", "SetSchemaMetadata$Value", schema_version="3"), [records()[0], records()[3]])
case("set_schema_metadata_schemaless", one("s", "SetSchemaMetadata$Value", schema_name="x"), records()[1:3])
case("set_schema_metadata_nothing", one("s", "SetSchemaMetadata$Value"))

# RegexRouter
case("regex_router_groups", one("r", "RegexRouter", regex="([^.]+)\\.([^.]+)\\.([^.]+)", replacement="$3_from_$1"))
case("regex_router_named_and_escaped", one("r", "RegexRouter", regex="db\\.(?<schema>\\w+)\\.(.*)", replacement="\\$${schema}-$2"))
case("regex_router_no_match", one("r", "RegexRouter", regex="nomatch", replacement="x"))
case("regex_router_partial_match_untouched", one("r", "RegexRouter", regex="db", replacement="x"))

# TimestampRouter
case("timestamp_router_default", one("r", "TimestampRouter"), [r for r in records() if "timestamp" in r])
case("timestamp_router_custom", one("r", "TimestampRouter", topic_format="${timestamp}/${topic}/${topic}", timestamp_format="yyyy-MM-dd'T'HH.mm.ss.SSS EEE MMM a z"), [r for r in records() if "timestamp" in r])
case("timestamp_router_weeks", one("r", "TimestampRouter", topic_format="${topic}-${timestamp}", timestamp_format="YYYY-'w'ww-u D F W G yy h k K"), [
    dict(records()[0], timestamp=ts) for ts in [1703980800000, 1704067199999, 1672531200000, 0, 951782400000, 1709164800000]])

# TimestampConverter
def tsc(name, side="Value", recs=None, **opts):
    case("timestamp_converter_" + name, one("c", f"TimestampConverter${side}", **opts), recs)
tsc("field_timestamp_to_string", field="at", target_type="string", format="yyyy-MM-dd HH:mm:ss.SSS zzzz")
tsc("field_string_to_timestamp", field="text", target_type="Timestamp", format="yyyy-MM-dd HH:mm:ss")
tsc("field_string_to_unix_seconds", field="text", target_type="unix", format="yyyy-MM-dd HH:mm:ss", unix_precision="seconds")
tsc("field_unix_to_date", field="epoch", target_type="Date", unix_precision="seconds")
tsc("field_unix_nanos_to_time", field="epoch", target_type="Time", unix_precision="nanoseconds")
tsc("field_date_to_unix_micros", field="day", target_type="unix", unix_precision="microseconds")
tsc("field_timestamp_to_date", field="at", target_type="Date")
tsc("field_timestamp_to_time", field="at", target_type="Time")
tsc("field_not_a_timestamp", field="id", target_type="Timestamp")
tsc("field_absent", field="nope", target_type="Timestamp")
tsc("key_field", side="Key", field="id", target_type="Timestamp", recs=[records()[0]])
whole = lambda schema, payload, **kw: dict({"topic": "t", "partition": 0, "offset": 1, "value": {"schema": schema, "payload": payload}}, **kw)
STR = {"type": "string", "optional": False}
I64 = {"type": "int64", "optional": True}
tsc("whole_string_to_timestamp", target_type="Timestamp", format="dd/MM/yyyy HH:mm", recs=[
    whole(STR, "14/11/2023 22:13"), whole(STR, "31/02/2023 25:61"), whole(STR, "1/1/70 0:0"), whole(STR, "14/11/2023 22:13 trailing"), whole(STR, "garbage"), whole(None, "14/11/2023 22:13"), whole(None, None)])
tsc("whole_timestamp_to_string_patterns", target_type="string", format="EEEE, MMMM d, yyyy h:mm:ss a Z X XX XXX '''quoted''' 'T' ''", recs=[
    whole(dict(TS, optional=False), v) for v in [0, 1700000000123, -86400001, 253402300799999, 946684800000]] + [whole(TS, None)])
tsc("whole_unix_to_string_schemaless", target_type="string", format="yyMMddHHmmssSSS", recs=[
    whole(None, 1700000000123), whole(None, -1), whole(None, "already text"), whole(None, 1.5), whole(None, True)])
tsc("whole_unix_millis_to_unix_seconds", target_type="unix", unix_precision="seconds", recs=[
    whole(I64, 1700000000999), whole(I64, -1500), whole(I64, None)])
tsc("whole_string_two_digit_year", target_type="unix", format="yy-MM-dd", recs=[
    whole(STR, "23-11-14"), whole(STR, "99-01-01"), whole(STR, "45-06-30"), whole(STR, "2023-11-14")])
tsc("whole_string_text_fields", target_type="unix", format="EEE, dd MMM yyyy HH:mm:ss Z", recs=[
    whole(STR, "Tue, 14 Nov 2023 22:13:20 +0000"), whole(STR, "Tue, 14 nov 2023 23:13:20 +0100"), whole(STR, "Tue, 14 Nov 2023 22:13:20 GMT"), whole(STR, "Tue,14 Nov 2023 22:13:20 -0530")])
tsc("whole_string_iso", target_type="Timestamp", format="yyyy-MM-dd'T'HH:mm:ss.SSSXXX", recs=[
    whole(STR, "2023-11-14T22:13:20.123Z"), whole(STR, "2023-11-14T23:13:20.123+01:00"), whole(STR, "2023-11-14T22:13:20.5Z")])
tsc("whole_date_to_timestamp", target_type="Timestamp", recs=[whole(dict(DATE, optional=False), 19675), whole(dict(TIME, optional=False), 80000123)])
tsc("whole_int32_is_not_a_timestamp", target_type="Timestamp", recs=[whole({"type": "int32", "optional": False}, 5)])
tsc("string_without_format", target_type="string")
tsc("bad_format", target_type="unix", format="yyyy-qq")
tsc("bad_precision", target_type="unix", unix_precision="days")
tsc("bad_target", target_type="Instant")
tsc("schemaless_field_map", field="epoch", target_type="string", format="yyyy-MM-dd", unix_precision="seconds", recs=[records()[1], whole(None, {"other": 1}), whole(None, "not a map")])
tsc("struct_default_value", field="at", target_type="unix", recs=[
    whole({"type": "struct", "optional": True, "fields": [{"field": "at", **TS}]}, {"at": 5}),
    whole({"type": "struct", "optional": True, "fields": [{"field": "at", "type": "int64", "optional": True, "default": 77, "name": "org.apache.kafka.connect.data.Timestamp", "version": 1}]}, {"at": None})])

# Filter and predicates, chains
def chain(tr, preds):
    c = {"transforms": ",".join(a for a, _ in tr)}
    for alias, d in tr:
        for k, v in d.items():
            c[f"transforms.{alias}.{k}"] = v
    if preds:
        c["predicates"] = ",".join(a for a, _ in preds)
        for alias, d in preds:
            for k, v in d.items():
                c[f"predicates.{alias}.{k}"] = v
    return c
case("filter_unconditional", chain([("f", {"type": T + "Filter"})], []))
case("filter_tombstones", chain([("f", {"type": T + "Filter", "predicate": "tomb"})], [("tomb", {"type": P + "RecordIsTombstone"})]))
case("filter_keep_only_tombstones", chain([("f", {"type": T + "Filter", "predicate": "tomb", "negate": "true"})], [("tomb", {"type": P + "RecordIsTombstone"})]))
case("filter_by_header", chain([("f", {"type": T + "Filter", "predicate": "hh"})], [("hh", {"type": P + "HasHeaderKey", "name": "h2"})]))
case("filter_by_topic", chain([("f", {"type": T + "Filter", "predicate": "tn", "negate": "true"})], [("tn", {"type": P + "TopicNameMatches", "pattern": "db\\..*"})]))
case("predicate_topic_bad_pattern", chain([("f", {"type": T + "Filter", "predicate": "tn"})], [("tn", {"type": P + "TopicNameMatches", "pattern": ""})]))
case("predicate_header_missing_name", chain([("f", {"type": T + "Filter", "predicate": "hh"})], [("hh", {"type": P + "HasHeaderKey"})]))
case("chain_route_insert_filter", chain([
    ("route", {"type": T + "RegexRouter", "regex": "db\\.shop\\.(.*)", "replacement": "shop_$1"}),
    ("ins", {"type": T + "InsertField$Value", "topic.field": "topic", "predicate": "tomb", "negate": "true"}),
    ("drop", {"type": T + "Filter", "predicate": "tn"})],
    [("tomb", {"type": P + "RecordIsTombstone"}), ("tn", {"type": P + "TopicNameMatches", "pattern": "other"})]))
case("chain_headers_and_timestamps", chain([
    ("hf", {"type": T + "HeaderFrom$Value", "fields": "at", "headers": "at", "operation": "copy", "predicate": "hasv", "negate": "false"}),
    ("tc", {"type": T + "TimestampConverter$Value", "field": "at", "target.type": "string", "format": "yyyy-MM-dd", "predicate": "hasv"}),
    ("ih", {"type": T + "InsertHeader", "header": "via", "value.literal": "sluice"})],
    [("hasv", {"type": P + "TopicNameMatches", "pattern": "db.*"})]), [records()[0], records()[4]])
case("chain_set_schema_then_drop_headers", chain([
    ("ssm", {"type": T + "SetSchemaMetadata$Key", "schema.name": "K", "predicate": "hk"}),
    ("dh", {"type": T + "DropHeaders", "headers": "h1,h2"}),
    ("tr", {"type": T + "TimestampRouter", "topic.format": "${topic}_${timestamp}", "timestamp.format": "yyyy", "predicate": "hk"})],
    [("hk", {"type": P + "HasHeaderKey", "name": "h1"})]), records()[:2])
case("set_schema_metadata_primitive_schema", one("s", "SetSchemaMetadata$Key", schema_name="k"), [records()[3]])
tsc("field_on_primitive_schema", side="Key", field="x", target_type="unix", recs=[records()[3], dict(records()[3], key={"schema": {"type": "string", "optional": True}, "payload": None})])
tsc("whole_value_nulls_with_schema", target_type="string", format="yyyy", recs=[whole(dict(TS), None), whole({"type": "string", "optional": True}, None)])
case("regex_router_bad_group", one("r", "RegexRouter", regex="(a)(.*)", replacement="$3"), [dict(records()[0], topic="abc")])
case("regex_router_trailing_dollar", one("r", "RegexRouter", regex="(a)(.*)", replacement="x$"), [dict(records()[0], topic="abc")])
case("regex_router_multi_digit_group", one("r", "RegexRouter", regex="(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)", replacement="$11-$10-$12"), [dict(records()[0], topic="abcdefghijk")])
case("timestamp_router_bad_pattern", one("r", "TimestampRouter", timestamp_format="yyyy-qq"), records()[:1])
case("insert_header_replaces_nothing", chain([("a", {"type": T + "InsertHeader", "header": "h1", "value.literal": "x"}), ("b", {"type": T + "InsertHeader", "header": "h1", "value.literal": "[\"a\", 1]"})], []), records()[:1])
for nm, fmt, texts in [
    ("abutting", "yyyyMMddHHmmssSSS", ["20231114221320123", "2023111422132012", "202311142213201234", "2023-11-14"]),
    ("hours_12", "yyyy-MM-dd hh:mm a", ["2023-11-14 12:00 AM", "2023-11-14 12:30 PM", "2023-11-14 11:59 pm", "2023-11-14 13:00 PM", "2023-11-14 07:00"]),
    ("hours_k_K", "yyyy-MM-dd k K", ["2023-11-14 24 3", "2023-11-14 1 11"]),
    ("day_of_year", "yyyy DDD", ["2023 318", "2024 366", "2023 400"]),
    ("zones", "yyyy-MM-dd HH:mm z", ["2023-11-14 22:13 UTC", "2023-11-14 22:13 GMT", "2023-11-14 22:13 GMT+05:30", "2023-11-14 22:13 GMT-0800", "2023-11-14 22:13 +0100"]),
    ("iso_x", "yyyy-MM-dd'T'HH:mmX", ["2023-11-14T22:13Z", "2023-11-14T22:13+05", "2023-11-14T22:13-0330"]),
    ("era_and_spaces", "G yyyy-MM-dd", ["AD 2023-11-14", "BC 0044-03-15", "ad   2023-11-14", "  AD 2023-11-14"]),
    ("lenient_overflow", "yyyy-MM-dd HH:mm:ss", ["2023-02-30 25:61:61", "2023-00-00 00:00:00", "2023-1-1 0:0:0", "-2023-01-01 00:00:00"]),
    ("month_names", "d MMMM yyyy", ["14 November 2023", "14 NOV 2023", "1 May 2023", "1 Mayo 2023"]),
    ("millis_variants", "HH:mm:ss.S", ["22:13:20.1", "22:13:20.123", "22:13:20.1234"]),
]:
    tsc("parse_" + nm, target_type="unix", format=fmt, recs=[whole(STR, t) for t in texts])
tsc("format_far_instants", target_type="string", format="G yyyy-MM-dd HH:mm:ss.SSS EEEE D w W F u Y", recs=[
    whole(dict(TS, optional=False), v) for v in [-62135769600001, -12219292800001, -12219292800000, -62198755200000, 4102444800000, 32503680000000, -1]])
for nm, fmt, texts in [
    ("week_year_mistake", "YYYY-MM-dd", ["2023-11-14", "2021-01-01", "2027-06-30"]),
    ("week_fields", "yyyy-'W'ww-u", ["2023-W46-2", "2023-W01-7", "2024-W53-1"]),
    ("week_of_month", "yyyy-MM W E", ["2023-11 3 Tue", "2023-11 1 Sun", "2023-02 5 Saturday"]),
    ("day_of_week_only", "yyyy-MM EEE", ["2023-11 Tue", "2023-11 Sunday"]),
    ("dowim", "yyyy-MM F EEE", ["2023-11 2 Tue", "2023-11 -1 Fri"]),
    ("day_name_after_day", "yyyy-MM-dd EEE", ["2023-11-14 Fri", "2023-11-14 Tue"]),
    ("hour_and_hour_of_day", "HH hh a", ["22 10 AM", "03 04 PM"]),
    ("am_pm_only", "yyyy-MM-dd a", ["2023-11-14 PM"]),
    ("big_numbers", "yyyy-MM-dd HH:mm:ss.SSS", ["2023-11-14 00:00:00.9999999999", "2023-11-14 00:00:99999999999.0"]),
    ("nbsp_literal", "yyyy-MM-dd HH:mm", ["2023-11-14\u00a022:13", "2023-11-14\t22:13", "2023-11-14  22:13"]),
    ("two_digit_year_abutting", "yyMMdd", ["231114", "991231", "000101"]),
]:
    tsc("parse_" + nm, target_type="unix", format=fmt, recs=[whole(STR, t) for t in texts])
NESTED = {"type": "struct", "optional": False, "fields": [
    {"field": "a.b", "type": "int64", "optional": False},
    {"field": "a", "type": "struct", "optional": True, "fields": [{"field": "b", "type": "int64", "optional": False}]}]}
tsc("dotted_field_name_is_literal", field="a.b", target_type="string", format="yyyy-MM-dd", recs=[whole(NESTED, {"a.b": 1700000000000, "a": {"b": 5}}), whole(None, {"a.b": 1700000000000, "a": {"b": 5}})])
tsc("struct_field_is_not_a_timestamp", field="a", target_type="string", format="yyyy", recs=[whole(NESTED, {"a.b": 1, "a": {"b": 5}}), whole(None, {"a": {"b": 5}})])
# Not "1,2": Kafka reads it as the int8 1, connect-converters' `Values.parseString` (which
# InsertHeader shares with SimpleHeaderConverter) deliberately keeps it a string.
for lit, nm in [("a,b", "comma_words"), ("9999999999", "long"), ("1.0", "one_point_zero"), ("2023-11-14", "date"), ("12:30:00.000Z", "time"), ("[1, \"x\"]", "mixed_array"), ("  padded  ", "padded"), ("null", "null")]:
    case("insert_header_" + nm, one("i", "InsertHeader", header="added", value_literal=lit), records()[:1])
case("regex_router_literal_quoting", one("r", "RegexRouter", regex="\\Qdb.shop.\\E(.*)", replacement="$1"), records()[:1] + [dict(records()[0], topic="dbXshop.orders")])
case("filter_by_quoted_topic", chain([("f", {"type": T + "Filter", "predicate": "tn"})], [("tn", {"type": P + "TopicNameMatches", "pattern": "\\Qother\\E|\\Qx.y"})]))
