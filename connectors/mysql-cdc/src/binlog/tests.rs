//! The binlog reader against real binlog files (`/work/shared/fixtures/mysql-binlogs`), replayed
//! event by event through the same handler the live stream uses.

use std::io::BufReader;

use connect_api::SourceRecord;
use connect_api::data::{Struct, Value};
use mysql_common::binlog::BinlogFile;
use mysql_common::binlog::consts::BinlogVersion;

use std::collections::BTreeMap;

use mysql_common::binlog::jsondiff::JsonDiff;
use mysql_common::binlog::value::BinlogValue;
use mysql_common::value::Value as MyValue;

use super::cursor::Cursor;
use super::decode::{RowImages, decode_image};
use super::event_type::{PARTIAL_UPDATE_ROWS_EVENT, TRANSACTION_PAYLOAD_EVENT, UPDATE_ROWS_EVENT};
use super::events::handle;
use crate::convert::Cell;
use crate::emitter::Emitter;
use crate::error::CdcError;
use crate::table::{Column, TableId};

const FIXTURES: &str = "/work/shared/fixtures/mysql-binlogs";

/// Replays a binlog file through the streaming code, with `seed` DDL (db, statement)
/// applied first for tables the file does not create. Returns the records and the first
/// error, if any.
async fn replay(name: &str, seed: &[(&str, &str)]) -> (Vec<SourceRecord>, Option<CdcError>) {
    let path = format!("{FIXTURES}/{name}");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    replay_from(name, BufReader::new(file), seed).await
}

/// The events compressed inside `ev` when it is a TRANSACTION_PAYLOAD event, else none.
fn payload_events<R: std::io::BufRead>(
    bf: &mut BinlogFile<R>,
    ev: &mysql_common::binlog::events::Event,
) -> Vec<mysql_common::binlog::events::Event> {
    let mut inner = Vec::new();
    if ev.header().event_type_raw() == TRANSACTION_PAYLOAD_EVENT {
        let tpe = ev
            .read_event::<mysql_common::binlog::events::TransactionPayloadEvent<'_>>()
            .unwrap();
        let mut bytes = std::io::Cursor::new(tpe.danger_decompress());
        while let Some(e) = bf.reader_mut().read_decompressed(&mut bytes).unwrap() {
            inner.push(e);
        }
    }
    inner
}

/// [`replay`] of binlog bytes built by a test, reported as file `name`.
async fn replay_from(
    name: &str,
    binlog: impl std::io::BufRead,
    seed: &[(&str, &str)],
) -> (Vec<SourceRecord>, Option<CdcError>) {
    let (mut emitter, mut rx) = Emitter::for_test(&[("table.ignore.builtin", "false")]);
    for (db, ddl) in seed {
        emitter.schemas.apply(db, ddl).unwrap();
    }
    let mut bf = BinlogFile::new(BinlogVersion::Version4, binlog).unwrap();
    let mut cursor = Cursor {
        file: name.to_owned(),
        restart_pos: 4,
        ..Cursor::default()
    };
    let mut out = Vec::new();
    let mut error = None;
    'events: while let Some(ev) = bf.next() {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                error = Some(CdcError::Decode(e.to_string()));
                break;
            }
        };
        let inner = payload_events(&mut bf, &ev);
        for e in std::iter::once(&ev).chain(inner.iter()) {
            if let Err(e) = handle(&mut emitter, bf.reader(), &mut cursor, e).await {
                error = Some(e);
                break 'events;
            }
            emitter.flush().await.unwrap();
            while let Ok(batch) = rx.try_recv() {
                out.extend(batch.unwrap().records);
            }
        }
    }
    emitter.flush().await.unwrap();
    while let Ok(batch) = rx.try_recv() {
        out.extend(batch.unwrap().records);
    }
    (out, error)
}

fn rows<'a>(recs: &'a [SourceRecord], topic: &str) -> Vec<&'a SourceRecord> {
    recs.iter()
        .filter(|r| r.topic == topic && !r.value.value.is_null())
        .collect()
}

fn env(r: &SourceRecord) -> &Struct {
    r.value.value.as_struct().unwrap()
}

fn image<'a>(r: &'a SourceRecord, which: &str) -> &'a Struct {
    env(r).get(which).unwrap().as_struct().unwrap()
}

fn src<'a>(r: &'a SourceRecord, f: &str) -> &'a Value {
    env(r)
        .get("source")
        .unwrap()
        .as_struct()
        .unwrap()
        .get(f)
        .unwrap()
}

#[tokio::test]
async fn mysql_gtids_with_tags_and_decimals_decode() {
    let seed = [(
        "test",
        "CREATE TABLE orders (id INT PRIMARY KEY, qty INT, amount DECIMAL(10,2))",
    )];
    let (recs, err) = replay("binlog_transaction_with_GTID_TAG.000001", &seed).await;
    assert!(err.is_none(), "{err:?}");
    let r = rows(&recs, "test.test.orders");
    assert_eq!(r.len(), 1);
    let after = image(r[0], "after");
    assert_eq!(after.get("id"), Some(&Value::Int32(3)));
    assert_eq!(after.get("qty"), Some(&Value::Int32(100)));
    assert_eq!(
        after.get("amount"),
        Some(&Value::Bytes(vec![0x61, 0xa8].into()))
    );
    let gtid = src(r[0], "gtid").as_str().unwrap();
    assert!(gtid.ends_with(":mytag:3"), "{gtid}");
    assert_eq!(src(r[0], "server_id"), &Value::Int64(1));
    // The rows event starts where the TABLE_MAP before it ends (log_pos 461).
    assert_eq!(src(r[0], "pos"), &Value::Int64(461));
}

#[tokio::test]
async fn statement_inserts_and_ddl_with_gtids_update_the_schema() {
    let (recs, err) = replay("binlog_transaction_with_GTID.000001", &[]).await;
    assert!(err.is_none(), "{err:?}");
    // CREATE TABLE and DROP TABLE became schema changes on the prefix topic; the DROP's text is
    // the one Debezium's DropTableParserListener makes for each table (head + quoted id),
    // without the server's `/* generated by server */`.
    let ddl: Vec<String> = recs
        .iter()
        .filter(|r| r.topic == "test")
        .map(|r| env(r).get("ddl").unwrap().as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ddl, ["CREATE TABLE t1 (c1 INT)", "DROP TABLE `test`.`t1`"]);
    let last = recs.last().unwrap();
    let gtids = last
        .source_offset
        .to_offset()
        .0
        .get("gtids")
        .and_then(|g| g.as_str())
        .unwrap()
        .to_owned();
    // GTID 3 is the DROP itself: its offset points after it, so its set includes it (a
    // GTID-positioned restart must not apply the DROP again).
    assert!(gtids.ends_with(":1-3"), "{gtids}");
}

#[tokio::test]
async fn compressed_transaction_payloads_are_read() {
    let seed = [("test", "CREATE TABLE tb1 (id INT PRIMARY KEY)")];
    let (recs, err) = replay("transaction_compression.000001", &seed).await;
    assert!(err.is_none(), "{err:?}");
    let r = rows(&recs, "test.test.tb1");
    assert_eq!(r.len(), 1);
    assert_eq!(image(r[0], "after").get("id"), Some(&Value::Int32(1)));
    // Rows inside the payload report the payload's position.
    // The TRANSACTION_PAYLOAD event starts at 274 (mysqlbinlog reports that offset).
    assert_eq!(src(r[0], "pos"), &Value::Int64(274));
    // After the payload's XID the restart point is the payload's end.
    assert_eq!(
        r[0].source_offset.to_offset().0.get("event"),
        Some(&serde_json::json!(2))
    );
}

#[tokio::test]
async fn invisible_columns_stay_in_rows_and_unsigned_values_widen() {
    let (recs, err) = replay("binlog-invisible-columns.000001", &[]).await;
    assert!(err.is_none(), "{err:?}");
    let r = rows(&recs, "test.mysql.t1");
    assert_eq!(r.len(), 3);
    let a = image(r[0], "after");
    assert_eq!(a.get("f1"), Some(&Value::Int64(1)));
    assert_eq!(a.get("f3"), Some(&Value::Int32(-3)));
    assert_eq!(a.get("f4"), Some(&Value::from("4")));
    assert_eq!(a.get("f5"), Some(&Value::Bytes(vec![5].into())));
    assert_eq!(a.get("f6"), Some(&Value::Int64(6_000_000_000)));
    let u = r[2];
    assert_eq!(image(u, "before").get("f3"), Some(&Value::Int32(-33)));
    assert_eq!(image(u, "after").get("f2"), Some(&Value::Int64(222)));
    assert_eq!(env(u).get("op"), Some(&Value::from("u")));
}

#[tokio::test]
async fn enums_sets_and_strings_decode_with_their_labels() {
    let (recs, err) = replay("mysql-enum-string-set.000001", &[]).await;
    assert!(err.is_none(), "{err:?}");
    let r = rows(&recs, "test.mysql.t");
    assert_eq!(
        r.iter()
            .map(|x| env(x).get("op").unwrap().as_str().unwrap())
            .collect::<Vec<_>>(),
        ["c", "u", "d"]
    );
    let a = image(r[0], "after");
    assert_eq!(a.get("f3"), Some(&Value::from("var1")));
    assert_eq!(a.get("f4"), Some(&Value::from("one,three")));
    let u = image(r[1], "after");
    assert_eq!(u.get("f1"), Some(&Value::from("field1")));
    assert_eq!(u.get("f3"), Some(&Value::from("variant2")));
    // A keyless table: null key, and no tombstone after the delete.
    assert!(r[2].key.schema.is_none());
    assert_eq!(recs.iter().filter(|x| x.topic == "test.mysql.t").count(), 3);
}

#[tokio::test]
async fn mariadb_gtids_annotations_and_timestamps_decode() {
    let seed = [(
        "toddy_test",
        "CREATE TABLE outbox (id BIGINT PRIMARY KEY, topic VARCHAR(20), event_type TINYINT, event LONGTEXT, created TIMESTAMP)",
    )];
    let (recs, err) = replay("mariadb-bin.000001", &seed).await;
    assert!(err.is_none(), "{err:?}");
    let r = rows(&recs, "test.toddy_test.outbox");
    assert_eq!(r.len(), 2);
    let a = image(r[0], "after");
    assert_eq!(a.get("id"), Some(&Value::Int64(62)));
    assert_eq!(a.get("topic"), Some(&Value::from("foo")));
    assert_eq!(a.get("event"), Some(&Value::from("{\"foo\":1}")));
    assert_eq!(a.get("created"), Some(&Value::from("2022-04-20T22:18:04Z")));
    assert_eq!(src(r[0], "gtid"), &Value::from("0-1-1"));
    assert_eq!(src(r[1], "gtid"), &Value::from("0-1-2"));
    // The restart point of a MariaDB transaction is its GTID event (ends at 372, 42 bytes).
    assert_eq!(
        r[0].source_offset.to_offset().0.get("pos"),
        Some(&serde_json::json!(330))
    );
    // Completed GTIDs: the first transaction is in the set while the second is read.
    assert_eq!(
        r[1].source_offset.to_offset().0.get("gtids"),
        Some(&serde_json::json!("0-1-1"))
    );
    assert_eq!(src(r[0], "ts_ms"), &Value::Int64(1_650_493_084_000));
}

#[tokio::test]
async fn bits_decode_little_endian() {
    let (recs, err) = replay("mysql_type_bit.000001", &[]).await;
    assert!(err.is_none(), "{err:?}");
    let a = image(rows(&recs, "test.mysql.foo")[0], "after");
    assert_eq!(a.get("a"), Some(&Value::Bytes(vec![4].into())));
    assert_eq!(a.get("b"), Some(&Value::from("foo")));
    assert_eq!(a.get("c"), Some(&Value::Bytes(vec![b' '].into())));
}

fn op(r: &SourceRecord) -> &str {
    env(r).get("op").unwrap().as_str().unwrap()
}

/// The `json_col` of a record's image, parsed, with its text.
fn json_col(r: &SourceRecord, which: &str) -> (serde_json::Value, String) {
    let text = image(r, which)
        .get("json_col")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    (serde_json::from_str(&text).unwrap(), text)
}

/// `json.binlog.000001` (MySQL 8.0.22, from mysql_common's test data) holds, on
/// `mysql.t(id INT PRIMARY KEY, json_col JSON, name … AS (json_col->>'$.name'),
/// age INT AS (json_col->'$.age'))`: 6 inserts (Joe 24, Sue 32, Pete 40, twice), one
/// UPDATE of all 6 rows logged whole (age + 1), then one logged with
/// binlog_row_value_options=PARTIAL_JSON: per row the diff `REPLACE $.age <age + 1>`.
const JSON_BINLOG: &str = "json.binlog.000001";

#[tokio::test]
async fn binlog_json_is_compact_and_a_minimal_partial_update_asks_for_full_images() {
    let (recs, err) = replay(JSON_BINLOG, &[]).await;
    let r = rows(&recs, "test.mysql.t");
    // The file's partial update was logged with binlog_row_image=MINIMAL: its before image
    // is the key alone, so there is no document to apply the diffs to.
    assert_eq!(
        r.iter().map(|x| op(x)).collect::<Vec<_>>(),
        [["c"; 6], ["u"; 6]].concat(),
        "6 inserts and 6 full updates before the partial ones"
    );
    let (doc, text) = json_col(r[0], "after");
    assert_eq!(
        doc,
        serde_json::json!({"age": 24, "data": "xxxxxxxxxx", "name": "Joe"})
    );
    assert_eq!(text, r#"{"age":24,"data":"xxxxxxxxxx","name":"Joe"}"#);
    let err = err.expect("a partial update without the before document must fail");
    assert!(matches!(err, CdcError::ServerSetup(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("binlog_row_image=FULL"), "{msg}");
    assert!(msg.contains("binlog_row_value_options=''"), "{msg}");
}

/// The events of a binlog file: (start offset, bytes).
fn split_events(file: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pos = 4;
    while pos < file.len() {
        let size = u32::from_le_bytes(file[pos + 9..pos + 13].try_into().unwrap()) as usize;
        out.push((pos, file[pos..pos + size].to_vec()));
        pos += size;
    }
    out
}

/// Length of the values of `mysql.t`'s columns `cols` (0 `id` INT, 1 `json_col` JSON,
/// 2 `name` VARCHAR(100) utf8mb4 with a 2-byte length, 3 `age` INT) at the start of `b`.
fn values_len(b: &[u8], cols: &[usize]) -> usize {
    let mut at = 0;
    for c in cols {
        at += match c {
            0 | 3 => 4,
            1 => 4 + u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize,
            2 => 2 + usize::from(u16::from_le_bytes(b[at..at + 2].try_into().unwrap())),
            _ => unreachable!("mysql.t has 4 columns"),
        };
    }
    at
}

/// How the rebuilt partial update carries `json_col` in its after images.
#[derive(Clone, Copy)]
enum AfterJson {
    /// The server's diffs, with the column in the partial-column bitmap.
    Diffs,
    /// The whole document (the previous update's), with the column outside the bitmap.
    Whole,
}

/// `json.binlog.000001` as a server with binlog_row_image=FULL would have written it: the
/// partial update's rows get the full before image (each row's after image from the
/// preceding full UPDATE, byte for byte) and a full after image (`id` added in front of the
/// server's diffs and generated columns). `edit` may change the new event body; event
/// sizes, positions and checksums are recomputed.
fn json_binlog_with_full_images(after_json: AfterJson, edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let file = std::fs::read(format!("{FIXTURES}/{JSON_BINLOG}")).unwrap();
    let events = split_events(&file);
    let body = |ev: &[u8]| ev[19..ev.len() - 4].to_vec();
    // Rows event body: table id (6), flags (2), extra data (its length counts itself),
    // column count (lenenc), before and after column bitmaps, then the rows.
    let rows_start = |b: &[u8], bitmaps: [u8; 2]| {
        let extra = usize::from(u16::from_le_bytes([b[8], b[9]]));
        let at = 8 + extra;
        // Only 4 bits count; the server sets the spare bits of a full image's bitmap.
        assert_eq!(
            [b[at], b[at + 1] & 0x0f, b[at + 2] & 0x0f],
            [4, bitmaps[0], bitmaps[1]]
        );
        at + 3
    };
    let of_type = |t: u8| {
        let found: Vec<&(usize, Vec<u8>)> = events.iter().filter(|(_, e)| e[4] == t).collect();
        assert_eq!(found.len(), 1, "one event of type {t}");
        found[0].clone()
    };

    // The full UPDATE (UPDATE_ROWS_EVENT, 31): keep each row's after image (null bitmap
    // and values), by id.
    let (_, full) = of_type(UPDATE_ROWS_EVENT);
    let b = body(&full);
    let mut at = rows_start(&b, [0x0f, 0x0f]);
    let mut latest = BTreeMap::new();
    while at < b.len() {
        assert_eq!(b[at], 0, "no NULLs in the fixture");
        at += 1 + values_len(&b[at + 1..], &[0, 1, 2, 3]);
        let len = 1 + values_len(&b[at + 1..], &[0, 1, 2, 3]);
        let image = b[at..at + len].to_vec();
        latest.insert(image[1..5].to_vec(), image);
        at += len;
    }
    assert_eq!(latest.len(), 6);

    // The partial update (PARTIAL_UPDATE_ROWS_EVENT, 39): MINIMAL images, the key before
    // and the changed columns after, behind the value options (PARTIAL_JSON) and the
    // partial-column bitmap.
    let (start, partial) = of_type(PARTIAL_UPDATE_ROWS_EVENT);
    let b = body(&partial);
    let head = rows_start(&b, [0x01, 0x0e]);
    let mut rows = Vec::new();
    let mut at = head;
    let mut count = 0;
    while at < b.len() {
        assert_eq!(b[at], 0);
        let id = b[at + 1..at + 5].to_vec();
        at += 5;
        assert_eq!(
            b[at..at + 3],
            [1, 1, 0],
            "PARTIAL_JSON, json_col partial, no NULLs"
        );
        at += 3;
        let len = values_len(&b[at..], &[1, 2, 3]);
        let before = &latest[&id];
        rows.extend_from_slice(before);
        match after_json {
            AfterJson::Diffs => {
                rows.extend_from_slice(&[1, 1, 0]);
                rows.extend_from_slice(&id);
                rows.extend_from_slice(&b[at..at + len]);
            }
            AfterJson::Whole => {
                rows.extend_from_slice(&[1, 0]);
                rows.extend_from_slice(before);
            }
        }
        at += len;
        count += 1;
    }
    assert_eq!(count, 6);
    let mut new_body = b[..head - 2].to_vec();
    // Both images whole, with the bitmap bytes the server wrote for its full UPDATE.
    new_body.extend_from_slice(&[0xff, 0xff]);
    new_body.extend_from_slice(&rows);
    edit(&mut new_body);

    let old_size = partial.len();
    let new_size = 19 + new_body.len() + 4;
    let mut out = file[..start].to_vec();
    let mut ev = partial[..19].to_vec();
    ev[9..13].copy_from_slice(&u32::try_from(new_size).unwrap().to_le_bytes());
    ev[13..17].copy_from_slice(&u32::try_from(start + new_size).unwrap().to_le_bytes());
    ev.extend_from_slice(&new_body);
    let sum = crc32fast::hash(&ev);
    ev.extend_from_slice(&sum.to_le_bytes());
    out.extend_from_slice(&ev);
    // The events after it move by the size difference.
    for (s, ev) in events.iter().filter(|(s, _)| *s > start) {
        let mut ev = ev.clone();
        let pos = u32::from_le_bytes(ev[13..17].try_into().unwrap()) as usize;
        let moved = pos + new_size - old_size;
        assert_eq!(*s + ev.len(), pos);
        ev[13..17].copy_from_slice(&u32::try_from(moved).unwrap().to_le_bytes());
        let n = ev.len();
        let sum = crc32fast::hash(&ev[..n - 4]);
        ev[n - 4..].copy_from_slice(&sum.to_le_bytes());
        out.extend_from_slice(&ev);
    }
    out
}

#[tokio::test]
async fn partial_json_updates_apply_their_diffs_to_the_before_document() {
    let binlog = json_binlog_with_full_images(AfterJson::Diffs, |_| {});
    let (recs, err) = replay_from(JSON_BINLOG, &binlog[..], &[]).await;
    assert!(err.is_none(), "{err:?}");
    // Every row of every rows event: 6 inserts, 6 full updates, 6 partial updates.
    let r = rows(&recs, "test.mysql.t");
    assert_eq!(
        r.iter().map(|x| op(x)).collect::<Vec<_>>(),
        [["c"; 6], ["u"; 6], ["u"; 6]].concat()
    );
    // What the server's documents are after `age + 1` a second time.
    let expected = [
        r#"{"age":26,"data":"xxxxxxxxxx","name":"Joe"}"#,
        r#"{"age":34,"data":"yyyyyyyyyy","name":"Sue"}"#,
        r#"{"age":42,"data":"zzzzzzzzzz","name":"Pete"}"#,
    ];
    for (k, (full, partial)) in r[6..12].iter().zip(&r[12..]).enumerate() {
        let id = image(partial, "after").get("id").unwrap().clone();
        assert_eq!(image(full, "after").get("id"), Some(&id));
        // The partial update's after image: the same compact text a whole document gives.
        let (doc, text) = json_col(partial, "after");
        assert_eq!(text, expected[k % 3], "row {id:?}");
        // The server computed the generated columns from its own document: they agree
        // with the rebuilt one.
        assert_eq!(
            image(partial, "after").get("age"),
            Some(&Value::Int32(
                i32::try_from(doc["age"].as_i64().unwrap()).unwrap()
            ))
        );
        assert_eq!(
            image(partial, "after").get("name").and_then(|v| v.as_str()),
            doc["name"].as_str()
        );
        // Consecutive updates of a row chain: the document the partial update starts from
        // is the one the full update left.
        assert_eq!(json_col(partial, "before"), json_col(full, "after"));
        let (mut started, _) = json_col(full, "after");
        started["age"] = serde_json::json!(started["age"].as_i64().unwrap() + 1);
        assert_eq!(doc, started);
    }
}

#[tokio::test]
async fn json_columns_outside_the_partial_bitmap_are_whole_documents() {
    let binlog = json_binlog_with_full_images(AfterJson::Whole, |_| {});
    let (recs, err) = replay_from(JSON_BINLOG, &binlog[..], &[]).await;
    assert!(err.is_none(), "{err:?}");
    let r = rows(&recs, "test.mysql.t");
    assert_eq!(r.len(), 18);
    for partial in &r[12..] {
        assert_eq!(op(partial), "u");
        assert_eq!(json_col(partial, "after"), json_col(partial, "before"));
    }
}

#[tokio::test]
async fn a_diff_that_does_not_fit_the_before_document_fails_the_row_clearly() {
    // `$.age` → `$.agf` (same length): REPLACE of a member the documents do not have.
    let binlog = json_binlog_with_full_images(AfterJson::Diffs, |body| {
        let at = body.windows(6).position(|w| w == b"\x05$.age").unwrap();
        body[at + 5] = b'f';
    });
    let (recs, err) = replay_from(JSON_BINLOG, &binlog[..], &[]).await;
    assert_eq!(rows(&recs, "test.mysql.t").len(), 12);
    let err = err.expect("the diff cannot apply");
    assert!(matches!(err, CdcError::Decode(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("column json_col") && msg.contains("REPLACE `$.agf`"),
        "{msg}"
    );
    assert!(msg.contains("no member \"agf\""), "{msg}");
}

#[test]
fn diffs_on_a_null_before_value_are_a_decode_error() {
    use mysql_common::io::ParseBuf;
    // REPLACE `$.age` with the int16 26, as the fixture's server wrote it.
    const DIFF: &[u8] = b"\x00\x05$.age\x03\x05\x1a\x00";
    let diff: JsonDiff<'static> = ParseBuf(DIFF).parse(()).unwrap();
    let columns = [Column::new("json_col", "json")];
    let id = TableId::new("mysql", "t");
    let before = vec![Some(BinlogValue::Value(MyValue::NULL))];
    let after = vec![Some(BinlogValue::JsonDiff(vec![diff]))];
    let mut docs = BTreeMap::new();
    let b = decode_image(&columns, &id, Some(before), Some(&mut docs)).unwrap();
    assert_eq!(b, Some(vec![Cell::Null]));
    let err = decode_image(&columns, &id, Some(after), Some(&mut docs)).unwrap_err();
    assert!(matches!(err, CdcError::Decode(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("before value is not a JSON document"),
        "{err}"
    );
}

#[tokio::test]
async fn partial_row_images_are_rejected_not_nulled() {
    let seed = [(
        "noria",
        "CREATE TABLE t1 (a INT PRIMARY KEY, b TEXT, c CHAR(1), d INT, e INT UNSIGNED)",
    )];
    let (recs, err) = replay("minimal_row_metadata.000001", &seed).await;
    assert!(rows(&recs, "test.noria.t1").is_empty());
    let msg = err.expect("minimal image must fail").to_string();
    assert!(msg.contains("binlog_row_image=FULL"), "{msg}");
}

/// `json-opaque.binlog` (MySQL 9.0.1, from mysql_common's test data) inserts eight documents
/// into `foo.test(a JSON)`. The first six each hold one value that MySQL stores opaque:
/// VARCHAR, DATE, DATETIME, TIME, DECIMAL(6,3) and DECIMAL(11,2). The last two hold none.
#[tokio::test]
async fn json_opaque_values_decode_and_render_as_debezium_renders_them() {
    let (recs, err) = replay("json-opaque.binlog", &[]).await;
    assert!(err.is_none(), "{err:?}");
    let ours: Vec<&str> = rows(&recs, "test.foo.test")
        .into_iter()
        .map(|r| image(r, "after").get("a").unwrap().as_str().unwrap())
        .collect();
    // What mysql-binlog-connector-java 0.27.2's `JsonBinary.parseAsString` (the call
    // Debezium makes) printed for this file's rows, run on a JVM.
    let debezium = [
        r#"{"a":"VQ=="}"#,
        r#"{"b":"2012-03-18"}"#,
        r#"{"c":"2012-03-18 11:30:45"}"#,
        r#"{"c":"87:31:46.654321"}"#,
        r#"{"d":123.456}"#,
        r#"{"e":9.00}"#,
        r#"{"e":[0,1,true,false]}"#,
        r#"{"e":null}"#,
    ];
    assert_eq!(ours.len(), debezium.len(), "{ours:?}");
    for (i, (ours, debezium)) in ours.into_iter().zip(debezium).enumerate() {
        if i == 5 {
            // A serde_json Number cannot keep the scale of 9.00 unless serde_json's
            // `arbitrary_precision` feature is on (module `jsonb`, "Decimals").
            let number: serde_json::Value = serde_json::from_str(debezium).unwrap();
            assert_eq!(ours, number.to_string());
        } else {
            assert_eq!(ours, debezium);
        }
    }
}

/// Compares, for every rows event of `binlog`, the row images [`RowImages`] reads with the
/// `BinlogRow`s of mysql_common's own `RowsEvent::rows`; returns the rows compared.
fn row_images_match_mysql_common(name: &str, binlog: impl std::io::BufRead) -> usize {
    use mysql_async::binlog::events::EventData;
    let mut bf = BinlogFile::new(BinlogVersion::Version4, binlog).unwrap();
    let mut compared = 0;
    while let Some(Ok(ev)) = bf.next() {
        let mut events = vec![ev.clone()];
        events.extend(payload_events(&mut bf, &ev));
        for e in &events {
            let Ok(Some(EventData::RowsEvent(rows))) = e.read_data() else {
                continue;
            };
            let tme = bf.reader().get_tme(rows.table_id()).unwrap();
            let theirs: Vec<_> = rows.rows(tme).collect();
            let ours: Vec<_> = RowImages::new(&rows, tme).unwrap().collect();
            assert_eq!(ours.len(), theirs.len(), "{name}: rows of one event");
            for (o, t) in ours.into_iter().zip(theirs) {
                let (ob, oa) = o.unwrap();
                let (tb, ta) = t.unwrap();
                for (ours, theirs) in [(ob, tb), (oa, ta)] {
                    let theirs = theirs.map(|row| {
                        (0..row.len())
                            .map(|i| row.as_ref(i).map(|v| v.clone().into_owned()))
                            .collect::<Vec<_>>()
                    });
                    assert_eq!(ours, theirs, "{name}: a row image");
                }
                compared += 1;
            }
        }
    }
    compared
}

#[test]
fn row_images_are_read_as_mysql_common_reads_them_in_every_fixture() {
    let mut compared = 0;
    let mut files = 0;
    for entry in std::fs::read_dir(FIXTURES).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            continue;
        }
        let file = std::fs::File::open(&path).unwrap();
        compared += row_images_match_mysql_common(&name, BufReader::new(file));
        files += 1;
    }
    // Partial JSON updates with and without their shared image's diffs.
    for after in [AfterJson::Diffs, AfterJson::Whole] {
        let binlog = json_binlog_with_full_images(after, |_| {});
        compared += row_images_match_mysql_common(JSON_BINLOG, &binlog[..]);
    }
    assert!(files > 30, "{files} fixture files");
    assert!(compared > 100, "{compared} rows compared");
}
