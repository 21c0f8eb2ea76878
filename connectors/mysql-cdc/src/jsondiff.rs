//! MySQL partial JSON updates (`binlog_row_value_options=PARTIAL_JSON`).
//!
//! With that option a MySQL 8 server logs an `UPDATE` that changes a JSON column only through
//! `JSON_SET`, `JSON_REPLACE` or `JSON_REMOVE` as a `PARTIAL_UPDATE_ROWS_EVENT` whose after
//! image holds, for that column, a list of diffs instead of the document: an operation, a path
//! in MySQL's JSON path text (`$.a`, `$."key with space"`, `$[0]`, `$.a[last-1]`) and, except
//! for `REMOVE`, a value. Debezium gives up on these; with `binlog_row_image=FULL` the before
//! image carries the whole document, so the after document can be rebuilt here by applying the
//! diffs to it.
//!
//! The rules are those a MySQL replica applies (`apply_json_diffs` in the server's
//! `sql/json_diff.cc`), because a replica rebuilding the same document from the same event is
//! exactly what the source's row looks like afterwards:
//! - `REPLACE` replaces the value at the path, which must exist;
//! - `INSERT` adds a member to the object the path's parent names (the member must not exist),
//!   or inserts into the parent array at the path's index, clamped to the array's length (so an
//!   index past the end appends);
//! - `REMOVE` removes the member, or the array element, which must exist;
//! - the path is followed exactly: no auto-wrapping of scalars into arrays, no wildcards, and
//!   never the root (the server logs a full document instead).
//!
//! Where the server would reject a diff (`ER_COULD_NOT_APPLY_JSON_DIFF` on a replica), this
//! returns a [`CdcError::Decode`] that names the operation, the path and why.

use mysql_common::binlog::jsondiff::JsonDiffOperation;
use serde_json::Value;

use crate::error::{CdcError, Result};

/// One step of a JSON path, as far as diffs use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Leg {
    /// `.name` or `."name"`: an object member, unescaped.
    Member(String),
    /// `[n]` (`from_end == false`), or `[last]` / `[last-n]` (`from_end == true`, `index` = n).
    Cell { index: u32, from_end: bool },
}

/// Where an array index points in an array of `len` elements, as MySQL's `Json_array_index`
/// computes it: the position (clamped to `0..=len`) and whether an element is there.
fn array_position(index: u32, from_end: bool, len: usize) -> (usize, bool) {
    // A u32 always fits a usize on the targets we build for; saturating keeps it total anyway.
    let index = usize::try_from(index).unwrap_or(usize::MAX);
    let within = index < len;
    let position = if from_end {
        if within { len - index - 1 } else { 0 }
    } else {
        index.min(len)
    };
    (position, within)
}

/// MySQL's `is_whitespace` (`my_isspace` on ASCII).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Parses a JSON path as the server writes it into a diff (`Json_path::to_string`), with the
/// grammar of the server's own path parser: `$`, then member legs (`.name`, `."quoted"`) and
/// array-cell legs (`[n]`, `[last]`, `[last - n]`), whitespace allowed between tokens.
/// Wildcards, `**` and ranges are valid MySQL paths but never name a single place to change,
/// so they are refused like any malformed path.
pub(crate) fn parse_path(text: &str) -> Result<Vec<Leg>> {
    let bad = |at: usize, why: &str| {
        CdcError::Decode(format!(
            "invalid JSON path `{text}` in a partial JSON update: {why} at byte {at}"
        ))
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while *i < bytes.len() && is_space(bytes[*i]) {
            *i += 1;
        }
    };
    skip_space(&mut i);
    if bytes.get(i) != Some(&b'$') {
        return Err(bad(i, "expected `$`"));
    }
    i += 1;
    let mut legs = Vec::new();
    loop {
        skip_space(&mut i);
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'.' => {
                i += 1;
                skip_space(&mut i);
                let start = i;
                match bytes.get(i) {
                    None => return Err(bad(i, "expected a member name")),
                    Some(b'*') => return Err(bad(i, "wildcards are not allowed in a diff")),
                    Some(b'"') => {
                        // The name ends at the next unescaped quote; what a backslash escapes is
                        // left to the JSON string parser, as the server does.
                        i += 1;
                        let mut closed = false;
                        while i < bytes.len() {
                            match bytes[i] {
                                b'\\' => i += 2,
                                b'"' => {
                                    i += 1;
                                    closed = true;
                                    break;
                                }
                                _ => i += 1,
                            }
                        }
                        if !closed {
                            return Err(bad(start, "unterminated quoted member name"));
                        }
                        let name =
                            serde_json::from_str::<String>(&text[start..i]).map_err(|e| {
                                bad(start, &format!("invalid quoted member name ({e})"))
                            })?;
                        legs.push(Leg::Member(name));
                    }
                    Some(_) => {
                        while i < bytes.len()
                            && !is_space(bytes[i])
                            && !matches!(bytes[i], b'.' | b'[' | b'*')
                        {
                            i += 1;
                        }
                        // An unquoted name may hold JSON escapes too: the server unescapes it
                        // by parsing it as a quoted string.
                        let raw = &text[start..i];
                        let name = serde_json::from_str::<String>(&format!("\"{raw}\""))
                            .map_err(|e| bad(start, &format!("invalid member name ({e})")))?;
                        if !is_identifier(&name) {
                            return Err(bad(
                                start,
                                "an unquoted member name must be an ECMAScript identifier",
                            ));
                        }
                        legs.push(Leg::Member(name));
                    }
                }
            }
            b'[' => {
                i += 1;
                skip_space(&mut i);
                if bytes.get(i) == Some(&b'*') {
                    return Err(bad(i, "wildcards are not allowed in a diff"));
                }
                let from_end = bytes[i..].starts_with(b"last");
                let mut index = 0u32;
                let mut digits_needed = !from_end;
                if from_end {
                    i += 4;
                    skip_space(&mut i);
                    if bytes.get(i) == Some(&b'-') {
                        i += 1;
                        skip_space(&mut i);
                        digits_needed = true;
                    }
                }
                if digits_needed {
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    if start == i {
                        return Err(bad(start, "expected an array index"));
                    }
                    // The server keeps indexes in 32 bits and refuses larger ones.
                    index = text[start..i]
                        .parse()
                        .map_err(|_| bad(start, "array index out of range"))?;
                }
                skip_space(&mut i);
                match bytes.get(i) {
                    Some(b']') => i += 1,
                    Some(b't') if bytes[i..].starts_with(b"to") => {
                        return Err(bad(i, "array ranges are not allowed in a diff"));
                    }
                    _ => return Err(bad(i, "expected `]`")),
                }
                legs.push(Leg::Cell { index, from_end });
            }
            b'*' => return Err(bad(i, "`**` is not allowed in a diff")),
            _ => return Err(bad(i, "expected `.` or `[`")),
        }
    }
    Ok(legs)
}

/// Whether an (unescaped) unquoted member name is an identifier the server would have written
/// without quotes. The server quotes every other name, so this only has to tell its unquoted
/// names from garbage: ASCII is checked exactly (letters, digits, `$`, `_`, not starting with a
/// digit) and non-ASCII is accepted, because the server's own Unicode letter test is looser
/// than Unicode's and refusing a name it wrote would fail a valid event.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let ok = |c: char| !c.is_ascii() || c.is_ascii_alphanumeric() || c == '$' || c == '_';
    ok(first) && !first.is_ascii_digit() && chars.all(ok)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn leg_text(leg: &Leg) -> String {
    match leg {
        Leg::Member(name) => format!("member {}", Value::String(name.clone())),
        Leg::Cell {
            index,
            from_end: false,
        } => format!("index {index}"),
        Leg::Cell {
            index: 0,
            from_end: true,
        } => "index last".to_owned(),
        Leg::Cell {
            index,
            from_end: true,
        } => format!("index last-{index}"),
    }
}

/// Follows `legs` exactly (the server's `seek_exact_path`): members must exist, array indexes
/// must be in bounds, and a leg must match the kind of container it meets.
fn seek<'a>(doc: &'a mut Value, legs: &[Leg]) -> std::result::Result<&'a mut Value, String> {
    let mut cur = doc;
    for leg in legs {
        cur = match (cur, leg) {
            (Value::Object(members), Leg::Member(name)) => members
                .get_mut(name)
                .ok_or_else(|| format!("the object has no {}", leg_text(leg)))?,
            (Value::Array(items), Leg::Cell { index, from_end }) => {
                let len = items.len();
                let (position, within) = array_position(*index, *from_end, len);
                if !within {
                    return Err(format!(
                        "{} is out of range for an array of {len} elements",
                        leg_text(leg)
                    ));
                }
                &mut items[position]
            }
            (other, leg) => {
                return Err(format!(
                    "{} cannot be applied to {}",
                    leg_text(leg),
                    type_name(other)
                ));
            }
        };
    }
    Ok(cur)
}

/// Applies one diff to `doc`, with the server's semantics (see the module docs). `path` is the
/// diff's path text; `value` is its value, which `REPLACE` and `INSERT` need and `REMOVE`
/// ignores. On error `doc` may hold the diffs applied before the failing one.
pub(crate) fn apply(
    doc: &mut Value,
    operation: JsonDiffOperation,
    path: &str,
    value: Option<Value>,
) -> Result<()> {
    let legs = parse_path(path)?;
    let fail = |why: String| {
        CdcError::Decode(format!(
            "cannot apply the partial JSON update {operation:?} `{path}`: {why}"
        ))
    };
    // The server never logs a diff of the root (it logs the whole document instead) and a
    // replica rejects one, so a root diff means a damaged event.
    let Some((last, parent_legs)) = legs.split_last() else {
        return Err(fail(
            "a diff cannot change the root of the document".to_owned(),
        ));
    };
    // mysql_common reads a value for every operation but REMOVE; a missing one is a damaged event.
    let need = |value: Option<Value>| value.ok_or_else(|| fail("the diff has no value".to_owned()));
    match operation {
        JsonDiffOperation::REPLACE => {
            let target = seek(doc, &legs).map_err(fail)?;
            *target = need(value)?;
        }
        JsonDiffOperation::INSERT => {
            let parent = seek(doc, parent_legs).map_err(fail)?;
            match (parent, last) {
                (Value::Object(members), Leg::Member(name)) => {
                    if members.contains_key(name) {
                        return Err(fail(format!("the object already has {}", leg_text(last))));
                    }
                    members.insert(name.clone(), need(value)?);
                }
                (Value::Array(items), Leg::Cell { index, from_end }) => {
                    // Clamped, so an index past the end appends (Json_array_index::position).
                    let (position, _) = array_position(*index, *from_end, items.len());
                    items.insert(position, need(value)?);
                }
                (other, leg) => {
                    return Err(fail(format!(
                        "cannot insert at {} into {}",
                        leg_text(leg),
                        type_name(other)
                    )));
                }
            }
        }
        JsonDiffOperation::REMOVE => {
            let parent = seek(doc, parent_legs).map_err(fail)?;
            match (parent, last) {
                (Value::Object(members), Leg::Member(name)) => {
                    if members.remove(name).is_none() {
                        return Err(fail(format!("the object has no {}", leg_text(last))));
                    }
                }
                (Value::Array(items), Leg::Cell { index, from_end }) => {
                    let len = items.len();
                    let (position, within) = array_position(*index, *from_end, len);
                    if !within {
                        return Err(fail(format!(
                            "{} is out of range for an array of {len} elements",
                            leg_text(last)
                        )));
                    }
                    items.remove(position);
                }
                (other, leg) => {
                    return Err(fail(format!(
                        "cannot remove {} from {}",
                        leg_text(leg),
                        type_name(other)
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use JsonDiffOperation::{INSERT, REMOVE, REPLACE};

    fn member(name: &str) -> Leg {
        Leg::Member(name.to_owned())
    }

    fn cell(index: u32) -> Leg {
        Leg::Cell {
            index,
            from_end: false,
        }
    }

    fn last(index: u32) -> Leg {
        Leg::Cell {
            index,
            from_end: true,
        }
    }

    fn decode_error(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(CdcError::Decode(msg)) => msg,
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    /// Applies `diffs` in order to `doc` and returns the document.
    fn applied(mut doc: Value, diffs: &[(JsonDiffOperation, &str, Option<Value>)]) -> Value {
        for (op, path, value) in diffs {
            apply(&mut doc, *op, path, value.clone()).unwrap();
        }
        doc
    }

    fn apply_err(
        mut doc: Value,
        op: JsonDiffOperation,
        path: &str,
        value: Option<Value>,
    ) -> String {
        decode_error(apply(&mut doc, op, path, value))
    }

    #[test]
    fn the_root_path_has_no_legs() {
        assert_eq!(parse_path("$").unwrap(), []);
        assert_eq!(parse_path("  $  ").unwrap(), []);
    }

    #[test]
    fn unquoted_members_and_array_cells_nest() {
        assert_eq!(parse_path("$.a").unwrap(), [member("a")]);
        assert_eq!(parse_path("$[0]").unwrap(), [cell(0)]);
        assert_eq!(
            parse_path("$.a[1].b_2.$c[10]").unwrap(),
            [member("a"), cell(1), member("b_2"), member("$c"), cell(10)]
        );
        assert_eq!(parse_path("$[0][3]").unwrap(), [cell(0), cell(3)]);
    }

    #[test]
    fn quoted_members_are_unescaped_as_json_strings() {
        assert_eq!(
            parse_path(r#"$."key with space""#).unwrap(),
            [member("key with space")]
        );
        assert_eq!(
            parse_path(r#"$."a\"b\\c\u00e9\n.[]""#).unwrap(),
            [member("a\"b\\cé\n.[]")]
        );
        assert_eq!(parse_path(r#"$."""#).unwrap(), [member("")]);
        assert_eq!(
            parse_path(r#"$."1st"[2]"#).unwrap(),
            [member("1st"), cell(2)]
        );
        // Non-ASCII is written raw by the server, quoted or not.
        assert_eq!(parse_path(r#"$."日本""#).unwrap(), [member("日本")]);
        assert_eq!(parse_path("$.café").unwrap(), [member("café")]);
    }

    #[test]
    fn unquoted_members_may_hold_json_escapes() {
        assert_eq!(parse_path(r"$.a\u0062").unwrap(), [member("ab")]);
    }

    #[test]
    fn last_counts_from_the_end_and_whitespace_is_allowed() {
        assert_eq!(parse_path("$[last]").unwrap(), [last(0)]);
        assert_eq!(parse_path("$[last-2]").unwrap(), [last(2)]);
        assert_eq!(
            parse_path(" $ . a [ last - 1 ] [ 4 ] ").unwrap(),
            [member("a"), last(1), cell(4)]
        );
    }

    #[test]
    fn malformed_paths_are_decode_errors() {
        for path in [
            "",
            "a",
            "$a",
            "$.",
            "$..a",
            "$.1a",
            "$.a-b",
            "$[",
            "$[x]",
            "$[1",
            "$[-1]",
            "$[last-]",
            "$.\"open",
            "$.\"bad \\q escape\"",
            "$[4294967296]",
            "$.a]",
        ] {
            let msg = decode_error(parse_path(path));
            assert!(msg.contains("invalid JSON path"), "{path}: {msg}");
        }
    }

    #[test]
    fn wildcards_ellipses_and_ranges_name_no_single_place() {
        for path in ["$.*", "$[*]", "$**.a", "$[1 to 2]"] {
            let msg = decode_error(parse_path(path));
            assert!(msg.contains("not allowed"), "{path}: {msg}");
        }
    }

    #[test]
    fn replace_changes_an_existing_member_or_cell() {
        let doc = json!({"a": 1, "b": [2, 3, {"c": "x"}]});
        assert_eq!(
            applied(
                doc,
                &[
                    (REPLACE, "$.a", Some(json!(10))),
                    (REPLACE, "$.b[0]", Some(json!([true]))),
                    (REPLACE, "$.b[last].c", Some(json!(null))),
                ]
            ),
            json!({"a": 10, "b": [[true], 3, {"c": null}]})
        );
    }

    #[test]
    fn json_set_of_an_existing_and_a_new_member_is_a_replace_and_an_insert() {
        // The reference manual's example:
        // JSON_SET('{"a": 1, "b": [2, 3]}', '$.a', 10, '$.c', '[true, false]').
        let doc = json!({"a": 1, "b": [2, 3]});
        assert_eq!(
            applied(
                doc,
                &[
                    (REPLACE, "$.a", Some(json!(10))),
                    (INSERT, "$.c", Some(json!("[true, false]"))),
                ]
            ),
            json!({"a": 10, "b": [2, 3], "c": "[true, false]"})
        );
    }

    #[test]
    fn replace_of_a_missing_member_or_cell_is_rejected() {
        let doc = json!({"a": [1, 2]});
        let msg = apply_err(doc.clone(), REPLACE, "$.b", Some(json!(1)));
        assert!(
            msg.contains("REPLACE `$.b`") && msg.contains("no member \"b\""),
            "{msg}"
        );
        let msg = apply_err(doc.clone(), REPLACE, "$.a[2]", Some(json!(1)));
        assert!(
            msg.contains("index 2 is out of range for an array of 2 elements"),
            "{msg}"
        );
        let msg = apply_err(doc, REPLACE, "$.a[last-2]", Some(json!(1)));
        assert!(msg.contains("out of range"), "{msg}");
    }

    #[test]
    fn paths_are_followed_without_auto_wrapping() {
        // `$.a[0]` on a scalar is the scalar itself in a MySQL query, but a diff's path must
        // match the document exactly.
        let msg = apply_err(json!({"a": 5}), REPLACE, "$.a[0]", Some(json!(1)));
        assert!(
            msg.contains("index 0 cannot be applied to a number"),
            "{msg}"
        );
        let msg = apply_err(json!([1]), REPLACE, "$.a", Some(json!(1)));
        assert!(
            msg.contains("member \"a\" cannot be applied to an array"),
            "{msg}"
        );
    }

    #[test]
    fn insert_adds_a_member_that_is_not_there_yet() {
        let doc = json!({"a": {"b": 1}});
        assert_eq!(
            applied(
                doc.clone(),
                &[(INSERT, r#"$.a."new key""#, Some(json!([1])))]
            ),
            json!({"a": {"b": 1, "new key": [1]}})
        );
        let msg = apply_err(doc, INSERT, "$.a.b", Some(json!(2)));
        assert!(msg.contains("already has member \"b\""), "{msg}");
    }

    #[test]
    fn insert_into_an_array_shifts_later_elements_and_clamps_past_the_end() {
        let doc = json!({"a": [1, 2, 3]});
        assert_eq!(
            applied(doc.clone(), &[(INSERT, "$.a[1]", Some(json!("x")))]),
            json!({"a": [1, "x", 2, 3]})
        );
        assert_eq!(
            applied(doc.clone(), &[(INSERT, "$.a[0]", Some(json!("x")))]),
            json!({"a": ["x", 1, 2, 3]})
        );
        // An index at or past the end appends (the server clamps it to the length).
        assert_eq!(
            applied(doc.clone(), &[(INSERT, "$.a[3]", Some(json!("x")))]),
            json!({"a": [1, 2, 3, "x"]})
        );
        assert_eq!(
            applied(doc.clone(), &[(INSERT, "$.a[99]", Some(json!("x")))]),
            json!({"a": [1, 2, 3, "x"]})
        );
        // `last` is the last element's position: inserting there puts the value before it.
        assert_eq!(
            applied(doc, &[(INSERT, "$.a[last]", Some(json!("x")))]),
            json!({"a": [1, 2, "x", 3]})
        );
        assert_eq!(
            applied(json!([]), &[(INSERT, "$[0]", Some(json!(1)))]),
            json!([1])
        );
    }

    #[test]
    fn insert_needs_a_container_that_matches_the_last_leg() {
        let msg = apply_err(json!({"a": 1}), INSERT, "$.a.b", Some(json!(1)));
        assert!(
            msg.contains("cannot insert at member \"b\" into a number"),
            "{msg}"
        );
        let msg = apply_err(json!({"a": [1]}), INSERT, "$.a.b", Some(json!(1)));
        assert!(msg.contains("into an array"), "{msg}");
        let msg = apply_err(json!({"a": 1}), INSERT, "$.x.y", Some(json!(1)));
        assert!(msg.contains("no member \"x\""), "{msg}");
    }

    #[test]
    fn remove_deletes_a_member_or_an_element() {
        let doc = json!({"a": [1, 2, 3], "b": true});
        assert_eq!(
            applied(doc.clone(), &[(REMOVE, "$.b", None)]),
            json!({"a": [1, 2, 3]})
        );
        // JSON_REMOVE(doc, '$.a[0]', '$.a[0]') logs two diffs that apply in order.
        assert_eq!(
            applied(
                doc.clone(),
                &[(REMOVE, "$.a[0]", None), (REMOVE, "$.a[0]", None)]
            ),
            json!({"a": [3], "b": true})
        );
        assert_eq!(
            applied(doc, &[(REMOVE, "$.a[last]", None)]),
            json!({"a": [1, 2], "b": true})
        );
    }

    #[test]
    fn remove_of_something_missing_is_rejected() {
        let doc = json!({"a": [1, 2]});
        let msg = apply_err(doc.clone(), REMOVE, "$.c", None);
        assert!(
            msg.contains("REMOVE `$.c`") && msg.contains("no member \"c\""),
            "{msg}"
        );
        let msg = apply_err(doc.clone(), REMOVE, "$.a[2]", None);
        assert!(msg.contains("index 2 is out of range"), "{msg}");
        let msg = apply_err(doc, REMOVE, "$.a.x", None);
        assert!(
            msg.contains("cannot remove member \"x\" from an array"),
            "{msg}"
        );
    }

    #[test]
    fn the_root_cannot_be_changed_by_a_diff() {
        for op in [REPLACE, INSERT, REMOVE] {
            let msg = apply_err(json!({}), op, "$", Some(json!(1)));
            assert!(msg.contains("root"), "{msg}");
        }
    }

    #[test]
    fn replace_and_insert_need_a_value_and_bad_paths_fail_cleanly() {
        let msg = apply_err(json!({"a": 1}), REPLACE, "$.a", None);
        assert!(msg.contains("no value"), "{msg}");
        let msg = apply_err(json!({"a": 1}), REPLACE, "$.a[", Some(json!(1)));
        assert!(msg.contains("invalid JSON path `$.a[`"), "{msg}");
    }

    #[test]
    fn array_positions_follow_json_array_index() {
        assert_eq!(array_position(1, false, 3), (1, true));
        assert_eq!(array_position(3, false, 3), (3, false));
        assert_eq!(array_position(7, false, 3), (3, false));
        assert_eq!(array_position(0, true, 3), (2, true));
        assert_eq!(array_position(2, true, 3), (0, true));
        assert_eq!(array_position(3, true, 3), (0, false));
        assert_eq!(array_position(0, true, 0), (0, false));
    }
}
