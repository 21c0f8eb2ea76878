//! Decoding of what the binlog carries: row images into cells (binary JSON included, with
//! MySQL 8's partial JSON updates applied to the before document), the file name of a ROTATE
//! event, and the TABLE_MAP cache the rows events refer to.

use std::collections::BTreeMap;
use std::io;

use mysql_async::binlog::events::{Event, TableMapEvent};
use mysql_common::binlog::events::{OptionalMetaExtractor, RowsEventData};
use mysql_common::binlog::jsonb;
use mysql_common::binlog::jsondiff::JsonDiff;
use mysql_common::binlog::value::BinlogValue;
use mysql_common::constants::ColumnType;
use mysql_common::io::ParseBuf;
use mysql_common::misc::raw::RawInt;
use mysql_common::misc::raw::int::LenEnc;

use crate::convert::Cell;
use crate::error::{CdcError, Result};
use crate::jsondiff;
use crate::table::{Column, TableId};

/// Where TABLE_MAP events are cached: the live stream or a binlog file reader.
pub(crate) trait TableMaps {
    fn table_map(&self, table_id: u64) -> Option<&TableMapEvent<'static>>;
}

impl TableMaps for mysql_async::BinlogStream {
    fn table_map(&self, table_id: u64) -> Option<&TableMapEvent<'static>> {
        self.get_tme(table_id)
    }
}

impl TableMaps for mysql_common::binlog::EventStreamReader {
    fn table_map(&self, table_id: u64) -> Option<&TableMapEvent<'static>> {
        self.get_tme(table_id)
    }
}

/// A binlog value → cell. Strings stay bytes (decoded later with the column charset).
pub(crate) fn binlog_cell(col: &Column, v: Option<BinlogValue<'_>>) -> Result<Cell> {
    Ok(match v {
        None => {
            return Err(CdcError::ServerSetup(format!(
                "column {} is missing from the binlog row image; the connector needs binlog_row_image=FULL",
                col.name
            )));
        }
        Some(BinlogValue::Value(v)) => Cell::from_my_value(v, |b| match col.type_name.as_str() {
            "DECIMAL" | "NUMERIC" | "TIMESTAMP" | "YEAR" | "TINYINT" | "SMALLINT" | "MEDIUMINT"
            | "INT" | "BIGINT" | "FLOAT" | "DOUBLE" | "REAL" | "DATE" | "DATETIME" | "TIME" => {
                Cell::Text(String::from_utf8_lossy(&b).into_owned())
            }
            _ => Cell::Bytes(b),
        }),
        Some(BinlogValue::Jsonb(j)) => Cell::Json(crate::jsonb::to_text(&json_value(col, j)?)),
        // Diffs only mean something next to the before image's document; rows_event applies
        // them (decode_image) and never lets one reach this point.
        Some(BinlogValue::JsonDiff(_)) => {
            return Err(CdcError::Decode(format!(
                "column {} holds a partial JSON update but no document to apply it to",
                col.name
            )));
        }
    })
}

/// Binary JSON → `serde_json`, for whole documents and for the values of partial-update diffs
/// alike, so both render the same compact text.
fn json_value(col: &Column, j: jsonb::Value<'_>) -> Result<serde_json::Value> {
    // Not mysql_common's `TryFrom`: it refuses the opaque values (DECIMAL, DATE, TIME, …) a
    // document can hold, which `crate::jsonb` renders as Debezium does.
    crate::jsonb::to_json(j)
        .map_err(|e| CdcError::Decode(format!("column {}: invalid binary JSON: {e}", col.name)))
}

/// Applies a partial update's diffs, in order, to the column's before document.
fn apply_json_diffs(
    col: &Column,
    doc: &mut serde_json::Value,
    diffs: &[JsonDiff<'_>],
) -> Result<()> {
    for diff in diffs {
        let path = std::str::from_utf8(diff.path()).map_err(|e| {
            CdcError::Decode(format!(
                "column {}: the path of a partial JSON update is not UTF-8: {e}",
                col.name
            ))
        })?;
        let value = diff
            .value()
            .map(|v| json_value(col, v.clone()))
            .transpose()?;
        jsondiff::apply(doc, diff.operation(), path, value)
            .map_err(|e| CdcError::Decode(format!("column {}: {e}", col.name)))?;
    }
    Ok(())
}

/// Decodes one row image into cells.
///
/// `docs` is `Some` for the rows of a partial update: decoding the before image fills it with
/// the JSON documents by column, and decoding the after image applies each partially updated
/// column's diffs to its before document. A JSON column outside the event's partial-column
/// bitmap arrives whole and is decoded like any other.
pub(super) fn decode_image(
    columns: &[Column],
    id: &TableId,
    row: Option<RowImage<'_>>,
    mut docs: Option<&mut BTreeMap<usize, serde_json::Value>>,
) -> Result<Option<Vec<Cell>>> {
    let Some(mut row) = row else { return Ok(None) };
    let n = row.len();
    let mut cells = Vec::with_capacity(n);
    for i in 0..n {
        let col = columns.get(i).ok_or_else(|| {
            CdcError::Decode(format!(
                "rows event for {id} has {n} columns but the tracked schema has {} (inconsistent schema)",
                columns.len()
            ))
        })?;
        let cell = match (row.get_mut(i).and_then(Option::take), docs.as_deref_mut()) {
            (Some(BinlogValue::Jsonb(j)), Some(docs)) => {
                let doc = json_value(col, j)?;
                let cell = Cell::Json(crate::jsonb::to_text(&doc));
                docs.insert(i, doc);
                cell
            }
            (Some(BinlogValue::JsonDiff(diffs)), Some(docs)) => {
                // MySQL refuses to apply diffs to a NULL document too: the source only logs
                // diffs when it modified a document in place.
                let mut doc = docs.remove(&i).ok_or_else(|| {
                    CdcError::Decode(format!(
                        "column {} of {id} holds a partial JSON update but its before value is not a JSON document",
                        col.name
                    ))
                })?;
                apply_json_diffs(col, &mut doc, &diffs)?;
                Cell::Json(crate::jsonb::to_text(&doc))
            }
            (v, _) => binlog_cell(col, v)?,
        };
        cells.push(cell);
    }
    Ok(Some(cells))
}

/// A ROTATE event's file name. The fake ROTATE the server sends before the format description
/// carries the event checksum after the name when checksums are on, and the decoder cannot
/// know that yet: strip the last 4 bytes when they are the CRC-32 of the event.
pub(super) fn rotate_file_name(ev: &Event) -> String {
    let data = ev.data();
    if data.len() < 8 {
        return String::new();
    }
    let h = ev.header();
    let mut header = Vec::with_capacity(19);
    header.extend_from_slice(&h.timestamp().to_le_bytes());
    header.push(h.event_type_raw());
    header.extend_from_slice(&h.server_id().to_le_bytes());
    header.extend_from_slice(&h.event_size().to_le_bytes());
    header.extend_from_slice(&h.log_pos().to_le_bytes());
    header.extend_from_slice(&h.flags_raw().to_le_bytes());
    let mut name = &data[8..];
    if data.len() >= 12 {
        let (body, sum) = data.split_at(data.len() - 4);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&header);
        crc.update(body);
        if sum.try_into().map(u32::from_le_bytes).ok() == Some(crc.finalize()) {
            name = &body[8..];
        }
    }
    String::from_utf8_lossy(name).into_owned()
}

/// One row image: the values of the columns it carries, in column order.
pub(super) type RowImage<'a> = Vec<Option<BinlogValue<'a>>>;

/// The (before, after) images of each row of a rows event.
///
/// Reads what mysql_common's `RowsEvent::rows` reads (`BinlogRow::deserialize`: the shared
/// image of a partial JSON update, the null bitmap, then each present column's value), but
/// takes the per-column facts from the TABLE_MAP once per event. `BinlogRow` builds a `Column`
/// per column of every image, copying the schema, table and column names (and formatting `@i`
/// when the server logs no names), which was a sixth of the worker's CPU while streaming.
pub(super) struct RowImages<'a> {
    columns: Vec<ColumnCodec<'a>>,
    /// The columns each before / after image carries (`None`: the event has no such image).
    before: Option<Carried>,
    after: Option<Carried>,
    /// A `PARTIAL_UPDATE_ROWS_EVENT`: its after images start with the shared image.
    partial: bool,
    json_columns: usize,
    data: ParseBuf<'a>,
}

/// What decoding a column's value needs: its type, its TABLE_MAP metadata and its signedness
/// (from the optional metadata; unsigned is unknown, so false, without it).
struct ColumnCodec<'a> {
    ty: ColumnType,
    meta: &'a [u8],
    unsigned: bool,
}

/// The columns an image carries (one flag per table column) and how many they are, which sizes
/// the image's null bitmap.
struct Carried {
    columns: Vec<bool>,
    count: usize,
}

impl Carried {
    fn new(n: usize, bit: impl Fn(usize) -> bool) -> Self {
        let columns: Vec<bool> = (0..n).map(bit).collect();
        let count = columns.iter().filter(|c| **c).count();
        Self { columns, count }
    }
}

/// `BinlogRowValueOptions::PARTIAL_JSON_UPDATES`.
const PARTIAL_JSON_UPDATES: u64 = 1;

impl<'a> RowImages<'a> {
    pub(super) fn new(rows: &'a RowsEventData<'a>, tme: &'a TableMapEvent<'a>) -> io::Result<Self> {
        let n = usize::try_from(rows.num_columns()).unwrap_or(usize::MAX);
        let extractor = OptionalMetaExtractor::new(tme.iter_optional_meta())?;
        let mut signedness = extractor.iter_signedness();
        let mut columns = Vec::with_capacity(n.min(4096));
        for i in 0..n {
            let ty = match tme.get_column_type(i) {
                Ok(Some(ty)) => ty,
                Ok(None) => {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "No column type"));
                }
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            };
            let unsigned = ty
                .is_numeric_type()
                .then(|| signedness.next())
                .flatten()
                .unwrap_or_default();
            let meta = tme.get_column_metadata(i).unwrap_or(&[]);
            columns.push(ColumnCodec { ty, meta, unsigned });
        }
        Ok(Self {
            columns,
            before: rows
                .columns_before_image()
                .map(|b| Carried::new(n, |i| b.get(i).is_some_and(|x| *x))),
            after: rows
                .columns_after_image()
                .map(|b| Carried::new(n, |i| b.get(i).is_some_and(|x| *x))),
            partial: matches!(rows, RowsEventData::PartialUpdateRowsEvent(_)),
            json_columns: tme.json_column_count(),
            data: ParseBuf(rows.rows_data()),
        })
    }

    /// The next row's images.
    fn row(&mut self) -> io::Result<(Option<RowImage<'a>>, Option<RowImage<'a>>)> {
        let Self {
            columns,
            before,
            after,
            partial,
            json_columns,
            data,
        } = self;
        let before = before
            .as_ref()
            .map(|c| read_image(data, columns, *json_columns, c, false))
            .transpose()?;
        let after = after
            .as_ref()
            .map(|c| read_image(data, columns, *json_columns, c, *partial))
            .transpose()?;
        Ok((before, after))
    }
}

/// One image from `data`: `shared` when a partial update's after image starts with the shared
/// image.
fn read_image<'a>(
    data: &mut ParseBuf<'a>,
    columns: &[ColumnCodec<'a>],
    json_columns: usize,
    carried: &Carried,
    shared: bool,
) -> io::Result<RowImage<'a>> {
    let mut partial_bits: Option<&'a [u8]> = None;
    if shared {
        let options = *data.parse::<RawInt<LenEnc>>(())?;
        if options & PARTIAL_JSON_UPDATES > 0 {
            partial_bits = Some(data.parse(json_columns.div_ceil(8))?);
        }
    }
    let nulls: &'a [u8] = data.parse(carried.count.div_ceil(8))?;
    let mut values = Vec::with_capacity(carried.count);
    let (mut image_idx, mut json_idx) = (0, 0);
    for (c, present) in columns.iter().zip(&carried.columns) {
        // Every JSON column of the table takes the next bit of the partial bitmap.
        let mut is_partial = false;
        if c.ty == ColumnType::MYSQL_TYPE_JSON
            && let Some(bits) = partial_bits
        {
            is_partial = json_idx < json_columns && bit(bits, json_idx).unwrap_or(false);
            json_idx += 1;
        }
        if !*present {
            continue;
        }
        let value = if bit(nulls, image_idx).unwrap_or(true) {
            BinlogValue::Value(mysql_common::Value::NULL)
        } else {
            data.parse::<BinlogValue<'a>>((c.ty, c.meta, c.unsigned, is_partial))?
        };
        values.push(Some(value));
        image_idx += 1;
    }
    Ok(values)
}

/// Bit `i` of a MySQL bitmap (least significant bit first); `None` past its end.
fn bit(bytes: &[u8], i: usize) -> Option<bool> {
    bytes.get(i / 8).map(|b| b >> (i % 8) & 1 == 1)
}

impl<'a> Iterator for RowImages<'a> {
    type Item = io::Result<(Option<RowImage<'a>>, Option<RowImage<'a>>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.data.is_empty() {
            return None;
        }
        let row = self.row();
        if row.is_err() {
            // The rest of the event cannot be framed once one image fails to parse.
            self.data = ParseBuf(&[]);
        }
        Some(row)
    }
}
