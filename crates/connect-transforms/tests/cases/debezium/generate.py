"""Writes the Debezium differential cases in this directory (run: python3 generate.py).

Records are shaped like Sluice's MySQL source output (Debezium 2.2 envelope:
before/after/source/op/ts_ms/transaction, `<server>.<db>.<table>.Envelope`), plus outbox,
schema change and plain records. Edit this file and re-run rather than editing the JSON.
"""
import json, os
OUT = os.path.dirname(os.path.abspath(__file__))
def s(t, opt=False, **kw):
    d = {"type": t, "optional": opt}
    d.update(kw)
    return d
def fld(name, sch):
    d = dict(sch); d["field"] = name; return d
def struct(name, fields, opt=False, version=None):
    d = {"type": "struct", "fields": fields, "optional": opt}
    if name: d["name"] = name
    if version is not None: d["version"] = version
    return d

TOPIC = "srv.inventory.customers"
KEY = struct(TOPIC + ".Key", [fld("id", s("int32"))])
ROW = struct(TOPIC + ".Value", [
    fld("id", s("int32")),
    fld("name", s("string", True)),
    fld("status", s("string", True, default="active")),
    fld("amount", s("bytes", True, name="org.apache.kafka.connect.data.Decimal", version=1, parameters={"connect.decimal.precision": "10", "scale": "2"})),
    fld("created", s("int64", True, name="io.debezium.time.Timestamp", version=1)),
    fld("seen", s("string", True, name="io.debezium.time.ZonedTimestamp", version=1)),
], opt=True)
SOURCE = struct("io.debezium.connector.mysql.Source", [
    fld("version", s("string")), fld("connector", s("string")), fld("name", s("string")),
    fld("ts_ms", s("int64")),
    fld("snapshot", s("string", True, name="io.debezium.data.Enum", version=1, parameters={"allowed": "true,last,false,incremental"}, default="false")),
    fld("db", s("string")), fld("sequence", s("string", True)), fld("table", s("string", True)),
    fld("server_id", s("int64")), fld("gtid", s("string", True)), fld("file", s("string")),
    fld("pos", s("int64")), fld("row", s("int32")), fld("thread", s("int64", True)), fld("query", s("string", True)),
])
TX = struct("event.block", [fld("id", s("string")), fld("total_order", s("int64")), fld("data_collection_order", s("int64"))], opt=True, version=1)
def env_schema(topic=TOPIC, row=ROW):
    return struct(topic + ".Envelope", [fld("before", row), fld("after", row), fld("source", SOURCE),
        fld("op", s("string")), fld("ts_ms", s("int64", True)), fld("transaction", TX)], version=1)
def src(table="customers", snapshot="false", ts=1700000000000):
    return {"version": "2.2.0.Final", "connector": "mysql", "name": "srv", "ts_ms": ts, "snapshot": snapshot,
            "db": "inventory", "sequence": None, "table": table, "server_id": 223344, "gtid": None,
            "file": "mysql-bin.000003", "pos": 154, "row": 0, "thread": 7, "query": None}
def row(i, name, status="active", amount="AQI=", created=1699999999000, seen="2023-11-14T22:13:20Z"):
    return {"id": i, "name": name, "status": status, "amount": amount, "created": created, "seen": seen}
def env(op, before, after, tx=None, topic=TOPIC, table="customers", snapshot="false"):
    return {"before": before, "after": after, "source": src(table, snapshot), "op": op, "ts_ms": 1700000000123, "transaction": tx}
def rec(value_payload, key_id=1, topic=TOPIC, sink=False, schema="env", headers=None, offset=10):
    r = {"topic": topic, "partition": 0, "timestamp": 1700000000500, "sink": sink}
    if sink: r["offset"] = offset
    if key_id is not None:
        r["key"] = {"schema": struct(topic + ".Key", [fld("id", s("int32"))]), "payload": {"id": key_id}}
    if value_payload is not None:
        r["value"] = {"schema": env_schema(topic) if schema == "env" else schema, "payload": value_payload}
    if headers: r["headers"] = headers
    return r
TXV = {"id": "file=mysql-bin.000003,pos=100", "total_order": 3, "data_collection_order": 1}
STD = [
    rec(env("r", None, row(1, "Anne"), snapshot="true")),
    rec(env("c", None, row(2, "Bob", amount=None, created=None, seen=None), tx=TXV), key_id=2),
    rec(env("u", row(2, "Bob"), row(2, "Robert", status=None), tx=TXV), key_id=2),
    rec(env("d", row(3, "Carl"), None), key_id=3),
    rec(None, key_id=3),  # tombstone
    {"topic": TOPIC, "partition": 0, "sink": False, "value": {"schema": env_schema(), "payload": env("t", None, None)}},
]
def case(name, config, records):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"config": config, "records": records}, f, indent=1)
def unwrap(extra=None, alias="unwrap"):
    c = {"transforms": alias, f"transforms.{alias}.type": "io.debezium.transforms.ExtractNewRecordState"}
    for k, v in (extra or {}).items(): c[f"transforms.{alias}.{k}"] = v
    return c

# ExtractNewRecordState
case("unwrap_default", unwrap(), STD + [
    rec({"a": 1}, schema=None),  # schemaless value: not an envelope
    rec({"id": 1, "name": "x"}, schema=struct("plain.Value", [fld("id", s("int32")), fld("name", s("string", True))])),
])
for mode in ["drop", "tombstone", "rewrite", "rewrite-with-tombstone", "delete-to-tombstone"]:
    case("unwrap_mode_" + mode, unwrap({"delete.tombstone.handling.mode": mode}), STD)
case("unwrap_add_fields_and_headers", unwrap({
    "delete.tombstone.handling.mode": "rewrite",
    "add.fields": "op,table,source.ts_ms,ts_ms,transaction.id:txid,db:DATABASE,missing",
    "add.headers": "op,db, source.file:binlog",
    "add.headers.prefix": "dbz.",
}), STD)
case("unwrap_add_headers_on_kept_tombstones", unwrap({
    "delete.tombstone.handling.mode": "rewrite-with-tombstone",
    "add.headers": "op,table",
    "add.fields": "op",
    "add.fields.prefix": "",
}), STD)
case("unwrap_route_by_field", unwrap({"route.by.field": "name", "delete.tombstone.handling.mode": "rewrite"}), STD[:4] + [
    rec(env("c", None, row(9, None)), key_id=9),
    rec(env("c", None, row(10, "  ")), key_id=10),
])
case("unwrap_rewrite_keeps_nulls_without_default_replacement", unwrap({
    "delete.tombstone.handling.mode": "rewrite", "replace.null.with.default": "false"}), STD)
case("unwrap_invalid_mode", unwrap({"delete.tombstone.handling.mode": "explode"}), STD[:1])
case("unwrap_sink_records", unwrap({"add.fields": "op,source.ts_ms"}), [
    dict(r, sink=True, offset=40 + i) for i, r in enumerate(STD)])
case("unwrap_drop_fields_header", unwrap({"drop.fields.header.name": "drop"}), [
    rec(env("u", row(2, "Bob"), row(2, "Robert")), key_id=2, headers=[
        {"key": "drop", "value": {"schema": {"type": "array", "items": {"type": "string", "optional": False}, "optional": False}, "payload": ["name", "id", "amount"]}}]),
])
case("unwrap_drop_fields_header_incompatible", unwrap({"drop.fields.header.name": "drop", "drop.fields.keep.schema.compatible": "false", "drop.fields.from.key": "true"}), [
    rec(env("u", row(2, "Bob"), row(2, "Robert")), key_id=2, headers=[
        {"key": "drop", "value": {"schema": {"type": "array", "items": {"type": "string", "optional": False}, "optional": False}, "payload": ["name", "id"]}}]),
])

# ExtractChangedRecordState
case("changed_record_state", {
    "transforms": "changes",
    "transforms.changes.type": "io.debezium.transforms.ExtractChangedRecordState",
    "transforms.changes.header.changed.name": "Changed",
    "transforms.changes.header.unchanged.name": "Unchanged"}, STD + [
    rec(env("u", row(4, "Dee", amount="AQI="), row(4, "Dee", amount="AQI=")), key_id=4)])
case("changed_record_state_then_header_to_value_then_unwrap", {
    "transforms": "changes,move,unwrap",
    "transforms.changes.type": "io.debezium.transforms.ExtractChangedRecordState",
    "transforms.changes.header.changed.name": "Changed",
    "transforms.move.type": "io.debezium.transforms.HeaderToValue",
    "transforms.move.headers": "Changed",
    "transforms.move.fields": "changed_fields",
    "transforms.move.operation": "move",
    "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
    "transforms.unwrap.add.fields": "op"}, STD[:4])

# ByLogicalTableRouter
def shard(n, op="c", key=True):
    t = f"srv.inventory.customers_shard{n}"
    r = rec(env(op, None if op == "c" else row(n, "x"), row(n, f"s{n}") if op != "d" else None, topic=t, table=f"customers_shard{n}"), key_id=n if key else None, topic=t)
    return r
ROUTER = {"transforms": "route", "transforms.route.type": "io.debezium.transforms.ByLogicalTableRouter",
          "transforms.route.topic.regex": r"(.*)\.(.*)\.customers_shard(.*)",
          "transforms.route.topic.replacement": "$1.$2.customers_all"}
tomb = {"topic": "srv.inventory.customers_shard3", "partition": 0, "sink": False,
        "key": {"schema": struct("srv.inventory.customers_shard3.Key", [fld("id", s("int32"))]), "payload": {"id": 3}}}
other = rec(env("c", None, row(1, "a")))
case("router_default", ROUTER, [shard(1), shard(2, "u"), shard(3, "d"), tomb, other, shard(4, key=False)])
case("router_key_field_regex", dict(ROUTER, **{
    "transforms.route.key.field.regex": r".*_shard(\d+)",
    "transforms.route.key.field.replacement": "shard-$1",
    "transforms.route.key.field.name": "shard"}), [shard(1), shard(2, "u"), tomb])
case("router_no_key_uniqueness", dict(ROUTER, **{"transforms.route.key.enforce.uniqueness": "false"}), [shard(1), shard(3, "d"), tomb])
# An empty key field name fails in Kafka's `SchemaBuilder.field`, as any empty field name does.
case("router_empty_key_field_name", dict(ROUTER, **{"transforms.route.key.field.name": ""}), [shard(1)])
case("router_schemaless_key_fails", ROUTER, [{"topic": "srv.inventory.customers_shard1", "partition": 0, "sink": False,
    "key": {"schema": None, "payload": {"id": 1}}}])
case("router_then_unwrap", dict(ROUTER, **{"transforms": "route,unwrap",
    "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState"}), [shard(1), shard(2, "u"), shard(3, "d"), tomb])

# HeaderToValue
HDRS = [{"key": "h1", "value": {"schema": {"type": "string", "optional": False}, "payload": "one"}},
        {"key": "h2", "value": {"schema": {"type": "int64", "optional": True}, "payload": 2}},
        {"key": "h1", "value": {"schema": {"type": "string", "optional": False}, "payload": "again"}}]
FLAT = struct("flat.Value", [fld("id", s("int32")), fld("status", s("string", True, default="active")),
                             fld("meta", struct("flat.Meta", [fld("origin", s("string", True))], opt=True))])
def flat(i, headers=HDRS, status=None):
    return {"topic": "flat", "partition": 1, "sink": True, "offset": i, "timestamp": 1700000000000,
            "value": {"schema": FLAT, "payload": {"id": i, "status": status, "meta": {"origin": "m"}}}, "headers": headers}
H2V = {"transforms": "h2v", "transforms.h2v.type": "io.debezium.transforms.HeaderToValue",
       "transforms.h2v.headers": "h1,h2", "transforms.h2v.fields": "f1,f2", "transforms.h2v.operation": "copy"}
case("header_to_value_copy", H2V, [flat(1), flat(2, headers=[]), {"topic": "flat", "partition": 0, "offset": 3}])
case("header_to_value_move_nested", dict(H2V, **{"transforms.h2v.fields": "meta.f1,extra.f2", "transforms.h2v.operation": "move"}), [flat(1)])
case("header_to_value_mismatched_lists", dict(H2V, **{"transforms.h2v.fields": "f1"}), [flat(1)])
# `String.split(",")` drops trailing empty entries, so a trailing comma is no empty element.
case("header_to_value_trailing_comma", dict(H2V, **{"transforms.h2v.headers": "h1,h2,", "transforms.h2v.fields": "f1,f2,"}), [flat(1)])
case("header_to_value_schemaless_value_fails", H2V, [{"topic": "flat", "partition": 0, "offset": 1, "value": {"schema": None, "payload": {"a": 1}}, "headers": HDRS}])

# SchemaChangeEventFilter
COLUMN = struct("io.debezium.connector.schema.Column", [fld("name", s("string"))])
TABLE = struct("io.debezium.connector.schema.Table", [fld("columns", {"type": "array", "items": COLUMN, "optional": False})], opt=True)
CHANGE = struct("io.debezium.connector.schema.Change", [fld("type", s("string")), fld("id", s("string")), fld("table", TABLE)])
SCV = struct("io.debezium.connector.mysql.SchemaChangeValue", [fld("databaseName", s("string", True)), fld("ddl", s("string", True)),
        fld("tableChanges", {"type": "array", "items": CHANGE, "optional": False})], version=1)
def ddl(kind, ddltext):
    changes = [] if kind is None else [{"type": kind, "id": "\"inventory\".\"customers\"", "table": None}]
    return {"topic": "srv", "partition": 0, "sink": False, "value": {"schema": SCV, "payload": {"databaseName": "inventory", "ddl": ddltext, "tableChanges": changes}}}
case("schema_change_event_filter", {"transforms": "f", "transforms.f.type": "io.debezium.transforms.SchemaChangeEventFilter",
    "transforms.f.schema.change.event.exclude.list": "ALTER, DATABASE"},
    [ddl("CREATE", "CREATE TABLE c (id INT)"), ddl("ALTER", "ALTER TABLE c ADD x INT"), ddl(None, "CREATE DATABASE x"), ddl("DROP", "DROP TABLE c"), STD[0]])
case("schema_change_event_filter_unknown_type", {"transforms": "f", "transforms.f.type": "io.debezium.transforms.SchemaChangeEventFilter",
    "transforms.f.schema.change.event.exclude.list": "ALTER,RENAME"}, [ddl("ALTER", "x")])

# outbox EventRouter
OT = "srv.shop.outbox"
OROW = struct(OT + ".Value", [fld("id", s("string")), fld("aggregatetype", s("string")), fld("aggregateid", s("string")),
    fld("type", s("string")), fld("payload", s("string", True)), fld("version", s("int32", True)), fld("part", s("int32", True)),
    fld("created", s("int64", True, name="io.debezium.time.MicroTimestamp", version=1))], opt=True)
OENV = struct(OT + ".Envelope", [fld("before", OROW), fld("after", OROW), fld("source", SOURCE), fld("op", s("string")), fld("ts_ms", s("int64", True))], version=1)
def orow(i, agg="Order", payload='{"n":1}', version=1, part=2):
    return {"id": f"e-{i}", "aggregatetype": agg, "aggregateid": f"o-{i}", "type": "Created", "payload": payload, "version": version, "part": part, "created": 1700000000123456}
def oev(op, i, **kw):
    after = None if op == "d" else orow(i, **kw)
    before = orow(i, **kw) if op in ("d", "u") else None
    return {"topic": OT, "partition": 0, "sink": False, "timestamp": 1,
            "key": {"schema": struct(OT + ".Key", [fld("id", s("string"))]), "payload": {"id": f"e-{i}"}},
            "value": {"schema": OENV, "payload": {"before": before, "after": after, "source": src("outbox"), "op": op, "ts_ms": 1700000000999}}}
OUTBOX = [oev("c", 1), oev("r", 2, agg="Customer"), oev("u", 3), oev("d", 4), oev("c", 5, payload="  "), oev("c", 6, payload=None),
          {"topic": OT, "partition": 0, "sink": False, "key": {"schema": None, "payload": "e-4"}}, STD[0]]
ER = {"transforms": "outbox", "transforms.outbox.type": "io.debezium.transforms.outbox.EventRouter"}
def er(**kw):
    c = dict(ER)
    for k, v in kw.items(): c["transforms.outbox." + k] = v
    return c
case("outbox_default", er(), OUTBOX)
case("outbox_envelope_and_header_fields", er(**{"table.fields.additional.placement": "type:envelope:eventType,aggregateid:header,part:partition,missing:header",
    "table.field.additional.missing": "ignore", "table.field.event.timestamp": "created"}), OUTBOX)
case("outbox_schema_version_and_tombstones", er(**{"table.fields.additional.placement": "type:envelope", "table.field.event.schema.version": "version",
    "route.tombstone.on.empty.payload": "true", "route.topic.replacement": "events.${routedByValue}", "table.field.event.key": "id"}), OUTBOX)
case("outbox_custom_route", er(**{"route.by.field": "type", "route.topic.regex": "(?<kind>Cre)(.*)", "route.topic.replacement": "x.$2.${kind}"}), OUTBOX[:2])
case("outbox_missing_envelope_field_fails", er(**{"table.fields.additional.placement": "nope:envelope"}), OUTBOX[:1])
case("outbox_bad_placement_list", er(**{"table.fields.additional.placement": "type"}), OUTBOX[:1])

# TimezoneConverter
TT = "srv.inventory.events"
TROW = struct(TT + ".Value", [fld("id", s("int32")),
    fld("ts", s("int64", True, name="io.debezium.time.Timestamp", version=1)),
    fld("micro", s("int64", True, name="io.debezium.time.MicroTimestamp", version=1)),
    fld("nano", s("int64", True, name="io.debezium.time.NanoTimestamp", version=1)),
    fld("kts", s("int64", True, name="org.apache.kafka.connect.data.Timestamp", version=1)),
    fld("zts", s("string", True, name="io.debezium.time.ZonedTimestamp", version=1)),
    fld("zt", s("string", True, name="io.debezium.time.ZonedTime", version=1)),
    fld("day", s("int32", True, name="io.debezium.time.Date", version=1)),
    fld("dflt", s("int64", True, name="io.debezium.time.Timestamp", version=1, default=86400000)),
    fld("plain", s("int64", True))], opt=True)
TSRC = struct("io.debezium.connector.mysql.Source", [fld("table", s("string", True)), fld("ts_ms", s("int64")), fld("ts_us", s("int64", True)), fld("db", s("string"))])
TENV = struct(TT + ".Envelope", [fld("before", TROW), fld("after", TROW), fld("source", TSRC), fld("op", s("string")), fld("ts_ms", s("int64", True))], version=1)
def trow(i, base=1700000000000):
    return {"id": i, "ts": base, "micro": base * 1000 + 123, "nano": base * 1000000 + 456, "kts": base,
            "zts": "2023-11-14T22:13:20.120Z", "zt": "22:13:20.5+01:00", "day": 19675, "dflt": None, "plain": base}
def tev(op, i, table="events", topic=TT, base=1700000000000):
    return {"topic": topic, "partition": 0, "sink": False, "value": {"schema": TENV, "payload": {
        "before": trow(i, base) if op in ("u", "d") else None, "after": None if op == "d" else trow(i + 100, base),
        "source": {"table": table, "ts_ms": base, "ts_us": base * 1000, "db": "inventory"}, "op": op, "ts_ms": base}}}
TEVS = [tev("c", 1), tev("u", 2, base=1711846800000), tev("d", 3, base=1698541200000), tev("c", 4, table="other"),
        tev("c", 5, topic="srv.inventory.other"), {"topic": TT, "partition": 0, "sink": False}, STD[0]]
TZ = {"transforms": "tz", "transforms.tz.type": "io.debezium.transforms.TimezoneConverter"}
def tz(**kw):
    c = dict(TZ)
    for k, v in kw.items(): c["transforms.tz." + k] = v
    return c
case("timezone_offset_all", tz(**{"converted.timezone": "+05:30"}), TEVS)
case("timezone_region_all", tz(**{"converted.timezone": "Asia/Tokyo"}), TEVS)
case("timezone_dst_region_include_fields", tz(**{"converted.timezone": "Europe/Berlin", "include.list": "source:events:ts"}), TEVS)
case("timezone_include_source_epoch_by_match_name", tz(**{"converted.timezone": "Europe/Berlin", "include.list": "events:source.ts_ms"}), TEVS)
case("timezone_include_topic", tz(**{"converted.timezone": "Australia/Sydney", "include.list": "topic:srv.inventory.other"}), TEVS)
case("timezone_include_sticky_prefix", tz(**{"converted.timezone": "+01:00", "include.list": "topic:srv.inventory.events:micro,other:nano"}), TEVS)
case("timezone_exclude", tz(**{"converted.timezone": "America/New_York", "include.list": "", "exclude.list": "events:ts,events:source.ts_us"}), TEVS)
case("timezone_exclude_whole_table", tz(**{"converted.timezone": "-03:00", "exclude.list": "topic:srv.inventory.other"}), TEVS)
case("timezone_bad_zone", tz(**{"converted.timezone": "Mars/Olympus"}), TEVS[:1])
case("timezone_missing_zone", tz(), TEVS[:1])
case("timezone_both_lists", tz(**{"converted.timezone": "UTC", "include.list": "a:b", "exclude.list": "c:d"}), TEVS[:1])
case("timezone_bad_list", tz(**{"converted.timezone": "UTC", "include.list": "events"}), TEVS[:1])

# chains and edge cases
case("article_unwrap_then_regex_router", {"transforms": "unwrap,route",
    "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
    "transforms.unwrap.add.fields": "op,source.ts_ms",
    "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
    "transforms.route.regex": r"srv\.inventory\.(.*)", "transforms.route.replacement": "flat_$1"},
    [dict(r, sink=True, offset=i) for i, r in enumerate(STD)])
case("unwrap_with_topic_predicate", {"transforms": "unwrap", "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
    "transforms.unwrap.predicate": "isCustomers", "transforms.unwrap.negate": "true",
    "predicates": "isCustomers", "predicates.isCustomers.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "predicates.isCustomers.pattern": r".*\.customers"}, STD[:2] + [shard(1)])
case("router_schemaless_and_plain_values", ROUTER, [
    {"topic": "srv.inventory.customers_shard1", "partition": 0, "sink": False,
     "key": {"schema": struct("k", [fld("id", s("int32"))], opt=True, version=3), "payload": {"id": 1}},
     "value": {"schema": None, "payload": {"id": 1}}},
    {"topic": "srv.inventory.customers_shard2", "partition": 0, "sink": False,
     "key": {"schema": struct("k", [fld("id", s("int32"))], opt=True, version=3), "payload": {"id": 2}},
     "value": {"schema": struct("plain", [fld("id", s("int32"))]), "payload": {"id": 2}}}])
case("changed_record_state_single_header", {
    "transforms": "changes",
    "transforms.changes.type": "io.debezium.transforms.ExtractChangedRecordState",
    "transforms.changes.header.unchanged.name": "same"}, STD[:3] + [flat(1)])
case("header_to_value_schemaless_header_fails", H2V, [flat(1, headers=[{"key": "h1", "value": {"schema": None, "payload": "x"}}])])
case("header_to_value_struct_header", dict(H2V, **{"transforms.h2v.headers": "h3", "transforms.h2v.fields": "meta"}), [
    flat(1, headers=[{"key": "h3", "value": {"schema": struct("hs", [fld("a", s("string"))]), "payload": {"a": "x"}}}])])
case("outbox_sink_records", er(), [dict(r, sink=True, offset=i) for i, r in enumerate(OUTBOX[:3])])

# caches keyed by schema alone
def shard_shared_key(n):
    r = shard(n)
    r["key"] = {"schema": struct("shared.Key", [fld("id", s("int32"))]), "payload": {"id": n}}
    return r
case("router_key_schema_cache_keeps_first_name", dict(ROUTER, **{"transforms.route.topic.replacement": "$1.$2.all_$3"}),
     [shard_shared_key(1), shard_shared_key(2), shard(3)])
case("header_to_value_schema_cache_follows_first_record", H2V, [flat(1), flat(2, headers=HDRS[:1]), flat(3, headers=HDRS[1:2])])

# configuration errors raised by SmtManager.validate
case("schema_change_event_filter_missing_list", {"transforms": "f", "transforms.f.type": "io.debezium.transforms.SchemaChangeEventFilter"}, [STD[0]])
case("header_to_value_missing_operation", {k: v for k, v in H2V.items() if k != "transforms.h2v.operation"}, [flat(1)])
case("header_to_value_bad_operation", dict(H2V, **{"transforms.h2v.operation": "swap"}), [flat(1)])
case("header_to_value_space_in_list", dict(H2V, **{"transforms.h2v.headers": "h1,h 2"}), [flat(1)])
case("outbox_bad_invalid_op_behavior", er(**{"table.op.invalid.behavior": "explode"}), OUTBOX[:1])
case("outbox_fatal_on_update", er(**{"table.op.invalid.behavior": "fatal"}), OUTBOX[:3])
case("router_missing_regex", {"transforms": "route", "transforms.route.type": "io.debezium.transforms.ByLogicalTableRouter", "transforms.route.topic.replacement": "x"}, [shard(1)])
case("router_key_regex_without_replacement", dict(ROUTER, **{"transforms.route.key.field.regex": "(.*)"}), [shard(1)])

# schema name adjustment of the renamed key and envelope schemas
case("router_avro_name_adjustment", dict(ROUTER, **{"transforms.route.topic.replacement": "1$1-x.$2.9all-$3.é",
    "transforms.route.schema.name.adjustment.mode": "avro"}), [shard(1)])
case("router_avro_unicode_name_adjustment", dict(ROUTER, **{"transforms.route.topic.replacement": "1$1-x.$2.9all-$3.é",
    "transforms.route.schema.name.adjustment.mode": "avro_unicode"}), [shard(1)])
