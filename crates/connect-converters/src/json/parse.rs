//! A small JSON reader that keeps what Kafka's Jackson setup keeps and `serde_json::Value` loses:
//! member order, duplicate members (last wins, as in Jackson's `ObjectNode`) and the exact text of
//! numbers (`USE_BIG_DECIMAL_FOR_FLOATS`: a NUMERIC decimal `12.340` must keep its three digits).
//!
//! Nodes borrow from the input; strings are copied only when they contain escapes.

use std::borrow::Cow;
use std::collections::HashMap;

use connect_api::Value;

use crate::error::Error;

/// Nesting limit. Jackson allows 1000, but the readers and writers here recurse per level and
/// must fit a 2 MiB thread stack even in debug builds; no Connect schema nests anywhere near 200.
const MAX_DEPTH: usize = 200;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    /// The literal text of a number, already checked against the JSON grammar.
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Members in document order; keys may repeat.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// Jackson's `JsonNodeType` name, used in Kafka's error texts.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Node::Null => "NULL",
            Node::Bool(_) => "BOOLEAN",
            Node::Number(_) => "NUMBER",
            Node::String(_) => "STRING",
            Node::Array(_) => "ARRAY",
            Node::Object(_) => "OBJECT",
        }
    }

    /// The member `key` of an object (the last one, as Jackson keeps), else `None`.
    pub(crate) fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Whether a number literal is integral (`isIntegralNumber`): no fraction and no exponent.
pub(crate) fn is_integral(text: &str) -> bool {
    !text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
}

/// The envelope `{"schema":…,"payload":…}` as read with `schemas.enable=true`.
#[derive(Debug)]
pub(crate) enum Envelope<'a> {
    /// Exactly the two members; the schema is left as raw text so that it can be looked up in the
    /// schema cache before it is parsed.
    Valid { schema: &'a str, payload: Node<'a> },
    /// Valid JSON, but not an envelope.
    Invalid,
}

/// Parses a whole document. `None` for empty or blank input (Jackson's `MissingNode`). Content
/// after the first value is ignored, as `ObjectMapper.readTree` does by default.
pub(crate) fn parse(input: &[u8]) -> Result<Option<Node<'_>>, Error> {
    let mut p = Parser::new(input)?;
    p.skip_ws();
    if p.at_end() {
        return Ok(None);
    }
    p.value(0).map(Some)
}

/// Why the fused schemaless parse gave up.
#[derive(Debug)]
pub(crate) enum SchemalessError {
    /// Not JSON.
    Syntax(Error),
    /// Valid JSON holding a number that does not fit its type. Which error the document gets
    /// then depends on which values survive duplicate keys (a number later overwritten by its
    /// key's last value is never converted), so the caller redoes it the two-step way.
    Number,
}

/// Parses a whole document straight into a schemaless Connect value, as [`parse`] followed by
/// the schemaless conversion would, without building nodes first: the sink's hot path
/// (`schemas.enable=false`) then allocates only what the value keeps. Objects become maps with
/// repeated keys resolved last-wins at the first key's place. A syntax error anywhere wins over
/// a number that does not fit, as it does when parsing comes first.
pub(crate) fn parse_schemaless(input: &[u8]) -> Result<Option<Value>, SchemalessError> {
    let mut p = Parser::new(input).map_err(SchemalessError::Syntax)?;
    p.skip_ws();
    if p.at_end() {
        return Ok(None);
    }
    let mut bad_number = false;
    let value = p
        .schemaless(0, &mut bad_number)
        .map_err(SchemalessError::Syntax)?;
    if bad_number {
        Err(SchemalessError::Number)
    } else {
        Ok(Some(value))
    }
}

/// Members of a schemaless object up to which repeated keys are found by a linear scan.
const LINEAR_KEYS: usize = 16;

/// Adds a member to a schemaless object, last value wins at the first key's position.
fn insert_last_wins(
    members: &mut Vec<(Value, Value)>,
    index: &mut Option<HashMap<String, usize>>,
    key: Cow<'_, str>,
    value: Value,
) {
    if let Some(index) = index {
        if let Some(&i) = index.get(key.as_ref()) {
            members[i].1 = value;
        } else {
            index.insert(key.to_string(), members.len());
            members.push((Value::String(key.into_owned()), value));
        }
        return;
    }
    if let Some(slot) = members
        .iter_mut()
        .find(|(k, _)| k.as_str() == Some(key.as_ref()))
    {
        slot.1 = value;
        return;
    }
    members.push((Value::String(key.into_owned()), value));
    if members.len() > LINEAR_KEYS {
        *index = Some(
            members
                .iter()
                .enumerate()
                .filter_map(|(i, (k, _))| k.as_str().map(|k| (k.to_owned(), i)))
                .collect(),
        );
    }
}

/// Parses `input` as an envelope. The payload is parsed; the schema is checked but kept as text.
pub(crate) fn parse_envelope(input: &[u8]) -> Result<Envelope<'_>, Error> {
    let mut p = Parser::new(input)?;
    p.skip_ws();
    if p.at_end() {
        return Ok(Envelope::Invalid);
    }
    if p.peek() != Some(b'{') {
        p.skip_value(0)?;
        return Ok(Envelope::Invalid);
    }
    p.pos += 1;
    let mut schema = None;
    let mut payload = None;
    let mut extra = false;
    p.skip_ws();
    if p.peek() == Some(b'}') {
        return Ok(Envelope::Invalid);
    }
    loop {
        p.skip_ws();
        let key = p.string()?;
        p.colon()?;
        p.skip_ws();
        match key.as_ref() {
            "schema" => {
                let start = p.pos;
                p.skip_value(1)?;
                schema = Some(&p.text[start..p.pos]);
            }
            "payload" => payload = Some(p.value(1)?),
            _ => {
                extra = true;
                p.skip_value(1)?;
            }
        }
        if !p.comma_or_end(b'}')? {
            break;
        }
    }
    Ok(match (schema, payload, extra) {
        (Some(schema), Some(payload), false) => Envelope::Valid { schema, payload },
        _ => Envelope::Invalid,
    })
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a [u8]) -> Result<Self, Error> {
        match std::str::from_utf8(input) {
            Ok(text) => Ok(Self {
                text,
                bytes: input,
                pos: 0,
            }),
            Err(e) => {
                let p = Self {
                    text: "",
                    bytes: input,
                    pos: e.valid_up_to(),
                };
                Err(p.error(format!(
                    "Invalid UTF-8 start byte 0x{:02x}",
                    input.get(e.valid_up_to()).copied().unwrap_or(0)
                )))
            }
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn error(&self, message: String) -> Error {
        let upto = &self.bytes[..self.pos.min(self.bytes.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = upto.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        Error::JsonSyntax {
            message,
            line,
            column,
        }
    }

    fn unexpected(&self, expecting: &str) -> Error {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) => self.error(format!(
                "Unexpected character ('{c}' (code {})): {expecting}",
                u32::from(c)
            )),
            None => self.error(format!("Unexpected end-of-input: {expecting}")),
        }
    }

    fn colon(&mut self) -> Result<(), Error> {
        self.skip_ws();
        if self.peek() == Some(b':') {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected("was expecting a colon to separate field name and value"))
        }
    }

    /// After a member or element: `true` on `,`, `false` on the closing byte.
    fn comma_or_end(&mut self, close: u8) -> Result<bool, Error> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.unexpected(if close == b'}' {
                "was expecting comma to separate Object entries"
            } else {
                "was expecting comma to separate Array entries"
            })),
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), Error> {
        if depth >= MAX_DEPTH {
            Err(self.error(format!(
                "Document nesting depth exceeds the maximum allowed ({MAX_DEPTH})"
            )))
        } else {
            Ok(())
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, Error> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => {
                let mut members = Vec::new();
                self.members(depth, |p, key| {
                    members.push((key, p.value(depth + 1)?));
                    Ok(())
                })?;
                Ok(Node::Object(members))
            }
            Some(b'[') => {
                let mut items = Vec::new();
                self.elements(depth, |p| {
                    items.push(p.value(depth + 1)?);
                    Ok(())
                })?;
                Ok(Node::Array(items))
            }
            Some(b'"') => self.string().map(Node::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Node::Number),
            Some(b't') => self.literal("true", Node::Bool(true)),
            Some(b'f') => self.literal("false", Node::Bool(false)),
            Some(b'n') => self.literal("null", Node::Null),
            _ => Err(self.unexpected("expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")),
        }
    }

    /// One value as a schemaless Connect value. A number that does not fit sets `bad_number`
    /// and reads as null, so that the rest is still checked for syntax.
    fn schemaless(&mut self, depth: usize, bad_number: &mut bool) -> Result<Value, Error> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => {
                let mut members = Vec::new();
                let mut index = None;
                self.members(depth, |p, key| {
                    let v = p.schemaless(depth + 1, bad_number)?;
                    insert_last_wins(&mut members, &mut index, key, v);
                    Ok(())
                })?;
                Ok(Value::Map(members))
            }
            Some(b'[') => {
                let mut items = Vec::new();
                self.elements(depth, |p| {
                    items.push(p.schemaless(depth + 1, bad_number)?);
                    Ok(())
                })?;
                Ok(Value::Array(items))
            }
            Some(b'"') => self.string().map(|s| Value::String(s.into_owned())),
            Some(b'-' | b'0'..=b'9') => {
                let text = self.number()?;
                Ok(super::decode::schemaless_number(text).unwrap_or_else(|_| {
                    *bad_number = true;
                    Value::Null
                }))
            }
            Some(b't') => self.word("true").map(|()| Value::Boolean(true)),
            Some(b'f') => self.word("false").map(|()| Value::Boolean(false)),
            Some(b'n') => self.word("null").map(|()| Value::Null),
            _ => Err(self.unexpected("expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")),
        }
    }

    /// Checks a value without building it.
    fn skip_value(&mut self, depth: usize) -> Result<(), Error> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.members(depth, |p, _| p.skip_value(depth + 1)),
            Some(b'[') => self.elements(depth, |p| p.skip_value(depth + 1)),
            Some(b'"') => self.skip_string(),
            _ => self.value(depth).map(|_| ()),
        }
    }

    fn literal(&mut self, word: &str, node: Node<'a>) -> Result<Node<'a>, Error> {
        self.word(word).map(|()| node)
    }

    /// Consumes the token `word` (`true`, `false`, `null`).
    fn word(&mut self, word: &str) -> Result<(), Error> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            let token: String = self.text[self.pos..]
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .take(64)
                .collect();
            Err(self.error(format!(
                "Unrecognized token '{token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
            )))
        }
    }

    /// At a `{`: reads the object's members up to its `}`, handing each key to `member` with
    /// the parser at the member's value, which `member` must consume.
    fn members(
        &mut self,
        depth: usize,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.check_depth(depth)?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.colon()?;
            member(self, key)?;
            if !self.comma_or_end(b'}')? {
                return Ok(());
            }
        }
    }

    /// At a `[`: reads the array up to its `]`, calling `element` at each element, which it
    /// must consume.
    fn elements(
        &mut self,
        depth: usize,
        mut element: impl FnMut(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.check_depth(depth)?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            element(self)?;
            if !self.comma_or_end(b']')? {
                return Ok(());
            }
        }
    }

    fn number(&mut self) -> Result<&'a str, Error> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while let Some(b'0'..=b'9') = p.peek() {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 {
            return Err(self
                .unexpected("expected digit (0-9) to follow minus sign, for valid numeric value"));
        }
        if n > 1 && self.bytes[int_start] == b'0' {
            self.pos = int_start;
            return Err(self.error("Invalid numeric value: Leading zeroes not allowed".into()));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.unexpected("Decimal point not followed by a digit"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.unexpected("Exponent indicator not followed by a digit"));
            }
        }
        Ok(&self.text[start..self.pos])
    }

    fn skip_string(&mut self) -> Result<(), Error> {
        self.string().map(|_| ())
    }

    fn string(&mut self) -> Result<Cow<'a, str>, Error> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("was expecting double-quote to start field name"));
        }
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes, borrow the input.
        loop {
            match self.peek() {
                Some(b'"') => {
                    let s = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(b) if b < 0x20 => {
                    return Err(self.error(format!(
                        "Illegal unquoted character ((CTRL-CHAR, code {b})): has to be escaped using backslash to be included in string value"
                    )));
                }
                Some(_) => self.pos += 1,
                None => return Err(self.error("Unexpected end-of-input in VALUE_STRING".into())),
            }
        }
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(&self.text[start..self.pos]);
        loop {
            let run = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.peek();
                    self.pos += 1;
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.bytes[self.pos..].starts_with(b"\\u")
                            {
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            // Java strings may hold lone surrogates; Rust's cannot, so they
                            // become U+FFFD, as Jackson's own UTF-8 output would write them.
                            out.push(c.unwrap_or('\u{FFFD}'));
                        }
                        Some(other) => {
                            self.pos -= 1;
                            return Err(self.error(format!(
                                "Unrecognized character escape '{}' (code {other})",
                                char::from(other)
                            )));
                        }
                        None => {
                            return Err(
                                self.error("Unexpected end-of-input in VALUE_STRING".into())
                            );
                        }
                    }
                }
                Some(b) => {
                    return Err(self.error(format!(
                        "Illegal unquoted character ((CTRL-CHAR, code {b})): has to be escaped using backslash to be included in string value"
                    )));
                }
                None => return Err(self.error("Unexpected end-of-input in VALUE_STRING".into())),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let Some(hex) = self.text.get(self.pos..self.pos + 4) else {
            return Err(self.error("Unexpected end-of-input in character escape sequence".into()));
        };
        match u32::from_str_radix(hex, 16) {
            Ok(v) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.pos += 4;
                Ok(v)
            }
            _ => Err(self.error(
                "Unexpected character: expected a hex-digit for character escape sequence".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two-step path the fused schemaless parse replaces.
    fn two_step(input: &[u8]) -> Result<Option<Value>, String> {
        match parse(input) {
            Err(e) => Err(format!("syntax: {e}")),
            Ok(None) => Ok(None),
            Ok(Some(node)) => super::super::decode::value(None, Some(&node), true)
                .map(Some)
                .map_err(|e| format!("convert: {e}")),
        }
    }

    fn fused(input: &[u8]) -> Result<Option<Value>, String> {
        match parse_schemaless(input) {
            Ok(v) => Ok(v),
            Err(SchemalessError::Syntax(e)) => Err(format!("syntax: {e}")),
            // What the converter does then: the two-step path decides.
            Err(SchemalessError::Number) => two_step(input),
        }
    }

    #[test]
    fn the_fused_schemaless_parse_gives_what_parse_then_convert_gives() {
        let many: String = (0..40)
            .map(|i| format!(r#""k{}":{i},"#, i % 25))
            .collect::<String>();
        let docs: Vec<String> = vec![
            String::new(),
            "   ".into(),
            "null".into(),
            r#"{"b":12.340,"a":[1,-2e3,true,null],"s":"x\u00e9\n\ud83d\ude00","o":{}}"#.into(),
            r#"{"a":1,"b":2,"a":3}"#.into(),
            format!("{{{many}\"last\":[[],[{{}}]]}}"),
            r#"[1, 2.5, "three", {"four": 4}]"#.into(),
            r#"{"big": 99999999999999999999}"#.into(),
            r#"{"big": 99999999999999999999, "broken": }"#.into(),
            // An out-of-range number overwritten by its key's last value is never converted;
            // with several, the error names the one that survives.
            r#"{"a": 99999999999999999999, "a": 1}"#.into(),
            r#"{"a": 1, "b": 99999999999999999999, "b": 2, "a": 88888888888888888888}"#.into(),
            r#"{"a": tru}"#.into(),
            r#"{"a": 1} trailing"#.into(),
            "9223372036854775807".into(),
            "-9223372036854775809".into(),
            "1e400".into(),
        ];
        for doc in &docs {
            assert_eq!(fused(doc.as_bytes()), two_step(doc.as_bytes()), "{doc}");
        }
        // The cases above that must fail do fail, and for the right reason.
        assert!(
            fused(br#"{"big": 99999999999999999999, "broken": }"#)
                .is_err_and(|e| e.starts_with("syntax"))
        );
        assert!(
            fused(br#"{"big": 99999999999999999999}"#)
                .is_err_and(|e| e.contains("out of range of long"))
        );
    }

    #[test]
    fn keeps_member_order_number_text_and_escapes() {
        let doc = parse(br#" {"b":12.340,"a":[1,-2e3,true,null],"s":"x\u00e9\n\ud83d\ude00"} "#)
            .unwrap()
            .unwrap();
        let Node::Object(members) = &doc else {
            panic!("not an object")
        };
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "a", "s"]);
        assert_eq!(doc.get("b"), Some(&Node::Number("12.340")));
        assert_eq!(
            doc.get("a"),
            Some(&Node::Array(vec![
                Node::Number("1"),
                Node::Number("-2e3"),
                Node::Bool(true),
                Node::Null
            ]))
        );
        assert_eq!(doc.get("s"), Some(&Node::String("xé\n😀".into())));
    }

    #[test]
    fn blank_input_is_missing() {
        assert_eq!(parse(b"  \n").unwrap(), None);
    }

    #[test]
    fn duplicate_members_resolve_to_the_last() {
        let doc = parse(br#"{"a":1,"a":2}"#).unwrap().unwrap();
        assert_eq!(doc.get("a"), Some(&Node::Number("2")));
    }

    #[test]
    fn malformed_documents_are_rejected_with_a_position() {
        for bad in [
            &b"{"[..],
            b"{\"a\" 1}",
            b"[1,]",
            b"01",
            b"tru",
            b"\"abc",
            b"{\"a\":1,}",
            b"-",
        ] {
            let err = parse(bad).unwrap_err();
            let Error::JsonSyntax { line, column, .. } = err;
            assert!(line >= 1 && column >= 1, "{bad:?}");
        }
        let err = parse(b"{\"a\":\n  x}").unwrap_err();
        assert_eq!(
            err,
            Error::JsonSyntax {
                message: "Unexpected character ('x' (code 120)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')".into(),
                line: 2,
                column: 3
            }
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(5000);
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        assert!(parse(b"\"\xff\"").is_err());
    }

    #[test]
    fn envelope_keeps_raw_schema_text() {
        let env = parse_envelope(br#"{"payload":5, "schema" : {"type":"int8"} }"#).unwrap();
        match env {
            Envelope::Valid { schema, payload } => {
                assert_eq!(schema, r#"{"type":"int8"}"#);
                assert_eq!(payload, Node::Number("5"));
            }
            Envelope::Invalid => panic!("expected a valid envelope"),
        }
        assert!(matches!(
            parse_envelope(br#"{"schema":null}"#).unwrap(),
            Envelope::Invalid
        ));
        assert!(matches!(
            parse_envelope(br#"{"schema":null,"payload":1,"x":2}"#).unwrap(),
            Envelope::Invalid
        ));
        assert!(matches!(parse_envelope(b"[1]").unwrap(), Envelope::Invalid));
        assert!(parse_envelope(br#"{"schema":{"type":}, "payload":1}"#).is_err());
    }
}
