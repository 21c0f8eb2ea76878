//! A streaming JSON tokenizer that fails the way Jackson 2.16's `UTF8StreamJsonParser` does.
//!
//! Kafka Connect reads request bodies with Jackson (`JacksonJsonProvider`, default features):
//! malformed JSON is answered with 500 and Jackson's exception message. To reproduce those
//! messages (and their `line`/`column` positions) this tokenizer mirrors Jackson's state machine:
//! a field name is scanned together with the first character of its value, strings are decoded
//! lazily, columns are byte offsets, and an error is located where Jackson's input pointer is.
//! Trailing content after the root value is never read (`FAIL_ON_TRAILING_TOKENS` is off).

use super::{JacksonError, Loc};

/// Jackson's `StreamReadConstraints` defaults (2.16).
const MAX_NESTING_DEPTH: usize = 1000;
const MAX_NUMBER_LENGTH: usize = 1000;
const MAX_STRING_LENGTH: usize = 20_000_000;
const MAX_ERROR_TOKEN_LENGTH: usize = 256;

const VALID_VALUES: &str =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

/// Jackson's `JsonToken`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    StartObject,
    EndObject,
    StartArray,
    EndArray,
    FieldName,
    String,
    NumberInt,
    NumberFloat,
    True,
    False,
    Null,
}

impl Tok {
    /// `JsonToken.name()`.
    pub(crate) fn java_name(self) -> &'static str {
        match self {
            Self::StartObject => "START_OBJECT",
            Self::EndObject => "END_OBJECT",
            Self::StartArray => "START_ARRAY",
            Self::EndArray => "END_ARRAY",
            Self::FieldName => "FIELD_NAME",
            Self::String => "VALUE_STRING",
            Self::NumberInt => "VALUE_NUMBER_INT",
            Self::NumberFloat => "VALUE_NUMBER_FLOAT",
            Self::True => "VALUE_TRUE",
            Self::False => "VALUE_FALSE",
            Self::Null => "VALUE_NULL",
        }
    }

    /// `JsonToken.valueDescFor`.
    pub(crate) fn value_desc(self) -> &'static str {
        match self {
            Self::StartObject | Self::EndObject | Self::FieldName => "Object value",
            Self::StartArray | Self::EndArray => "Array value",
            Self::True | Self::False => "Boolean value",
            Self::NumberFloat => "Floating-point value",
            Self::NumberInt => "Integer value",
            Self::String => "String value",
            Self::Null => "Null value",
        }
    }

    pub(crate) fn is_scalar(self) -> bool {
        matches!(
            self,
            Self::String
                | Self::NumberInt
                | Self::NumberFloat
                | Self::True
                | Self::False
                | Self::Null
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CtxKind {
    Root,
    Object,
    Array,
}

#[derive(Debug, Clone, Copy)]
struct Ctx {
    kind: CtxKind,
    index: i64,
    line: u32,
    col: u32,
}

impl Ctx {
    fn type_desc(&self) -> &'static str {
        match self.kind {
            CtxKind::Root => "root",
            CtxKind::Object => "Object",
            CtxKind::Array => "Array",
        }
    }
}

/// The tokenizer. `ptr` is Jackson's `_inputPtr`; locations are 1-based lines and byte columns.
#[derive(Debug)]
pub(crate) struct Parser<'a> {
    buf: &'a [u8],
    ptr: usize,
    row: u32,
    row_start: usize,
    ctx: Vec<Ctx>,
    cur: Option<Tok>,
    next_after_name: Option<Tok>,
    incomplete: bool,
    tok_row: u32,
    tok_col: u32,
    name_row: u32,
    name_col: u32,
    name: String,
    text: String,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        // Jackson's bootstrapper skips a UTF-8 BOM.
        let ptr = if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            0
        };
        Self {
            buf,
            ptr,
            row: 1,
            // Jackson counts the BOM in the first line's columns.
            row_start: 0,
            ctx: vec![Ctx {
                kind: CtxKind::Root,
                index: -1,
                line: 1,
                col: 0,
            }],
            cur: None,
            next_after_name: None,
            incomplete: false,
            tok_row: 1,
            tok_col: 0,
            name_row: 1,
            name_col: 0,
            name: String::new(),
            text: String::new(),
        }
    }

    // ---------------------------------------------------------------- locations and errors

    /// `getCurrentLocation()`: just past what has been consumed.
    pub(crate) fn current_location(&self) -> Loc {
        Loc::At {
            line: self.row,
            col: (self.ptr - self.row_start + 1) as u32,
        }
    }

    /// `getTokenLocation()`: where the current token starts.
    pub(crate) fn token_location(&self) -> Loc {
        if self.cur == Some(Tok::FieldName) {
            Loc::At {
                line: self.name_row,
                col: self.name_col,
            }
        } else {
            Loc::At {
                line: self.tok_row,
                col: self.tok_col,
            }
        }
    }

    fn error(&self, msg: impl Into<String>) -> JacksonError {
        JacksonError::parse(msg, self.current_location())
    }

    fn unexpected_char(&self, ch: u32, comment: &str) -> JacksonError {
        self.error(format!(
            "Unexpected character ({}): {comment}",
            char_desc(ch)
        ))
    }

    fn unexpected_number_char(&self, ch: u32, comment: &str) -> JacksonError {
        self.error(format!(
            "Unexpected character ({}) in numeric value: {comment}",
            char_desc(ch)
        ))
    }

    fn invalid_eof(&self, msg: &str) -> JacksonError {
        self.error(format!("Unexpected end-of-input{msg}"))
    }

    /// `_reportInvalidEOF()`: " in <current token>".
    fn invalid_eof_in_current(&self) -> JacksonError {
        let tok = self.cur.map_or("null", Tok::java_name);
        self.invalid_eof(&format!(" in {tok}"))
    }

    fn top(&self) -> &Ctx {
        self.ctx.last().expect("root context")
    }

    fn start_marker(ctx: &Ctx) -> String {
        Loc::At {
            line: ctx.line,
            col: ctx.col,
        }
        .to_string()
    }

    // ---------------------------------------------------------------- tokens

    pub(crate) fn current(&self) -> Option<Tok> {
        self.cur
    }

    pub(crate) fn current_name(&self) -> &str {
        &self.name
    }

    /// `nextToken()`.
    pub(crate) fn next_token(&mut self) -> Result<Option<Tok>, JacksonError> {
        if self.cur == Some(Tok::FieldName) {
            let t = self
                .next_after_name
                .take()
                .expect("value scanned with its name");
            match t {
                Tok::StartArray => self.push_ctx(CtxKind::Array)?,
                Tok::StartObject => self.push_ctx(CtxKind::Object)?,
                _ => {}
            }
            self.cur = Some(t);
            return Ok(Some(t));
        }
        if self.incomplete {
            self.skip_string()?;
        }
        let Some(mut i) = self.skip_ws_or_end()? else {
            self.cur = None;
            return Ok(None);
        };
        if i == b']' {
            self.close_scope(CtxKind::Array, ']', '}')?;
            self.cur = Some(Tok::EndArray);
            return Ok(self.cur);
        }
        if i == b'}' {
            self.close_scope(CtxKind::Object, '}', ']')?;
            self.cur = Some(Tok::EndObject);
            return Ok(self.cur);
        }
        if self.expect_comma() {
            if i != b',' {
                let desc = self.top().type_desc();
                return Err(self.unexpected_char(
                    i.into(),
                    &format!("was expecting comma to separate {desc} entries"),
                ));
            }
            i = self.skip_ws()?;
        }
        if self.top().kind != CtxKind::Object {
            self.update_location();
            return self.next_token_not_in_object(i);
        }
        self.update_name_location();
        self.name = self.parse_name(i)?;
        self.cur = Some(Tok::FieldName);
        let i = self.skip_colon()?;
        self.update_location();
        let t = if i == b'"' {
            self.incomplete = true;
            Tok::String
        } else {
            match i {
                b'-' => self.parse_signed_number()?,
                b'0'..=b'9' => self.parse_unsigned_number(i)?,
                b'f' => self.match_literal("false", Tok::False)?,
                b'n' => self.match_literal("null", Tok::Null)?,
                b't' => self.match_literal("true", Tok::True)?,
                b'[' => Tok::StartArray,
                b'{' => Tok::StartObject,
                _ => return Err(self.handle_unexpected_value(i)),
            }
        };
        self.next_after_name = Some(t);
        Ok(Some(Tok::FieldName))
    }

    fn next_token_not_in_object(&mut self, i: u8) -> Result<Option<Tok>, JacksonError> {
        let t = match i {
            b'"' => {
                self.incomplete = true;
                Tok::String
            }
            b'[' => {
                self.push_ctx(CtxKind::Array)?;
                Tok::StartArray
            }
            b'{' => {
                self.push_ctx(CtxKind::Object)?;
                Tok::StartObject
            }
            b't' => self.match_literal("true", Tok::True)?,
            b'f' => self.match_literal("false", Tok::False)?,
            b'n' => self.match_literal("null", Tok::Null)?,
            b'-' => self.parse_signed_number()?,
            b'0'..=b'9' => self.parse_unsigned_number(i)?,
            _ => return Err(self.handle_unexpected_value(i)),
        };
        self.cur = Some(t);
        Ok(Some(t))
    }

    /// The text of the current scalar token (`getText()`), decoding a pending string.
    pub(crate) fn text(&mut self) -> Result<String, JacksonError> {
        match self.cur {
            Some(Tok::String) => {
                if self.incomplete {
                    self.text = self.finish_string()?;
                    self.incomplete = false;
                }
                Ok(self.text.clone())
            }
            Some(Tok::NumberInt | Tok::NumberFloat) => Ok(self.text.clone()),
            Some(Tok::FieldName) => Ok(self.name.clone()),
            Some(Tok::True) => Ok("true".into()),
            Some(Tok::False) => Ok("false".into()),
            Some(Tok::Null) => Ok("null".into()),
            _ => Ok(String::new()),
        }
    }

    /// `skipChildren()`: past the end of the current object or array.
    pub(crate) fn skip_children(&mut self) -> Result<(), JacksonError> {
        if !matches!(self.cur, Some(Tok::StartObject | Tok::StartArray)) {
            return Ok(());
        }
        let mut depth = 1usize;
        while depth > 0 {
            match self.next_token()? {
                Some(Tok::StartObject | Tok::StartArray) => depth += 1,
                Some(Tok::EndObject | Tok::EndArray) => depth -= 1,
                Some(_) => {}
                None => return Ok(()),
            }
        }
        Ok(())
    }

    fn push_ctx(&mut self, kind: CtxKind) -> Result<(), JacksonError> {
        let depth = self.ctx.len(); // root + nested
        if depth > MAX_NESTING_DEPTH {
            return Err(JacksonError::unlocated(format!(
                "Document nesting depth ({depth}) exceeds the maximum allowed ({MAX_NESTING_DEPTH}, from `StreamReadConstraints.getMaxNestingDepth()`)"
            )));
        }
        self.ctx.push(Ctx {
            kind,
            index: -1,
            line: self.tok_row,
            col: self.tok_col,
        });
        Ok(())
    }

    fn close_scope(&mut self, kind: CtxKind, act: char, exp: char) -> Result<(), JacksonError> {
        self.update_location();
        let top = *self.top();
        if top.kind != kind {
            return Err(self.error(format!(
                "Unexpected close marker '{act}': expected '{exp}' (for {} starting at {})",
                top.type_desc(),
                Self::start_marker(&top)
            )));
        }
        self.ctx.pop();
        Ok(())
    }

    fn expect_comma(&mut self) -> bool {
        let top = self.ctx.last_mut().expect("root context");
        top.index += 1;
        top.kind != CtxKind::Root && top.index > 0
    }

    fn update_location(&mut self) {
        self.tok_row = self.row;
        self.tok_col = (self.ptr - self.row_start) as u32;
    }

    fn update_name_location(&mut self) {
        self.name_row = self.row;
        self.name_col = (self.ptr - self.row_start) as u32;
    }

    // ---------------------------------------------------------------- white space

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.ptr).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.ptr += 1;
        Some(b)
    }

    /// Handles one byte `<= 0x20` between tokens.
    fn white_space(&mut self, i: u8) -> Result<(), JacksonError> {
        match i {
            b' ' | b'\t' => Ok(()),
            b'\n' => {
                self.row += 1;
                self.row_start = self.ptr;
                Ok(())
            }
            b'\r' => {
                if self.peek() == Some(b'\n') {
                    self.ptr += 1;
                }
                self.row += 1;
                self.row_start = self.ptr;
                Ok(())
            }
            _ => Err(self.error(format!(
                "Illegal character ({}): only regular white space (\\r, \\n, \\t) is allowed between tokens",
                char_desc(i.into())
            ))),
        }
    }

    fn comment(&self) -> JacksonError {
        self.unexpected_char(
            u32::from(b'/'),
            "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)",
        )
    }

    /// `_skipWSOrEnd()`: the next significant byte, or `None` at a legal end of input.
    fn skip_ws_or_end(&mut self) -> Result<Option<u8>, JacksonError> {
        while let Some(i) = self.bump() {
            if i > b' ' {
                if i == b'/' {
                    return Err(self.comment());
                }
                return Ok(Some(i));
            }
            self.white_space(i)?;
        }
        // `_handleEOF()`
        let top = *self.top();
        if top.kind != CtxKind::Root {
            return Err(self.invalid_eof(&format!(
                ": expected close marker for {} (start marker at {})",
                top.type_desc(),
                Self::start_marker(&top)
            )));
        }
        Ok(None)
    }

    /// `_skipWS()`: the next significant byte; end of input is an error.
    fn skip_ws(&mut self) -> Result<u8, JacksonError> {
        while let Some(i) = self.bump() {
            if i > b' ' {
                if i == b'/' {
                    return Err(self.comment());
                }
                return Ok(i);
            }
            self.white_space(i)?;
        }
        Err(self.error(format!(
            "Unexpected end-of-input within/between {} entries",
            self.top().type_desc()
        )))
    }

    /// `_skipColon()`: past the `:` after a field name; returns the first byte of the value.
    fn skip_colon(&mut self) -> Result<u8, JacksonError> {
        let mut got_colon = false;
        while let Some(i) = self.bump() {
            if i > b' ' {
                if i == b'/' {
                    return Err(self.comment());
                }
                if got_colon {
                    return Ok(i);
                }
                if i != b':' {
                    return Err(self.unexpected_char(
                        i.into(),
                        "was expecting a colon to separate field name and value",
                    ));
                }
                got_colon = true;
            } else {
                self.white_space(i)?;
            }
        }
        let desc = self.top().type_desc();
        Err(self.invalid_eof(&format!(" within/between {desc} entries")))
    }

    // ---------------------------------------------------------------- names and strings

    fn parse_name(&mut self, i: u8) -> Result<String, JacksonError> {
        if i != b'"' {
            let c = self.decode_char_for_error(i)?;
            return Err(self.unexpected_char(c, "was expecting double-quote to start field name"));
        }
        if self.peek().is_none() {
            return Err(self.invalid_eof(": was expecting closing '\"' for name"));
        }
        let mut out: Vec<u16> = Vec::new();
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            let Some(ch) = self.bump() else {
                return Err(self.invalid_eof(" in field name"));
            };
            match ch {
                b'"' => break,
                b'\\' => {
                    flush_utf8(&mut bytes, &mut out);
                    out.push(self.decode_escaped()?);
                }
                c if c < b' ' => {
                    return Err(self.error(format!(
                        "Illegal unquoted character ({}): has to be escaped using backslash to be included in name",
                        char_desc(c.into())
                    )));
                }
                c => bytes.push(c),
            }
        }
        flush_utf8(&mut bytes, &mut out);
        Ok(String::from_utf16_lossy(&out))
    }

    /// Decodes the string value whose opening quote has been consumed.
    fn finish_string(&mut self) -> Result<String, JacksonError> {
        let mut out: Vec<u16> = Vec::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(self.invalid_eof_in_current());
            };
            match c {
                b'"' => break,
                b'\\' => out.push(self.decode_escaped()?),
                c if c < b' ' => {
                    return Err(self.error(format!(
                        "Illegal unquoted character ({}): has to be escaped using backslash to be included in string value",
                        char_desc(c.into())
                    )));
                }
                c if c < 0x80 => out.push(c.into()),
                c => {
                    let cp = self.decode_utf8_in_string(c)?;
                    let mut units = [0u16; 2];
                    if let Some(ch) = char::from_u32(cp) {
                        out.extend_from_slice(ch.encode_utf16(&mut units));
                    } else {
                        out.push(0xFFFD);
                    }
                }
            }
            if out.len() > MAX_STRING_LENGTH {
                return Err(JacksonError::unlocated(format!(
                    "String value length ({}) exceeds the maximum allowed ({MAX_STRING_LENGTH}, from `StreamReadConstraints.getMaxStringLength()`)",
                    out.len()
                )));
            }
        }
        Ok(String::from_utf16_lossy(&out))
    }

    /// `_skipString()`: same checks as decoding.
    fn skip_string(&mut self) -> Result<(), JacksonError> {
        self.incomplete = false;
        self.finish_string().map(|_| ())
    }

    fn decode_utf8_in_string(&mut self, c: u8) -> Result<u32, JacksonError> {
        let (needed, init) = match c {
            0xC0..=0xDF => (1, u32::from(c & 0x1F)),
            0xE0..=0xEF => (2, u32::from(c & 0x0F)),
            0xF0..=0xF7 => (3, u32::from(c & 0x07)),
            _ => return Err(self.error(format!("Invalid UTF-8 start byte 0x{c:x}"))),
        };
        let mut cp = init;
        for _ in 0..needed {
            let Some(d) = self.bump() else {
                return Err(self.invalid_eof_in_current());
            };
            if d & 0xC0 != 0x80 {
                return Err(self.error(format!("Invalid UTF-8 middle byte 0x{d:x}")));
            }
            cp = (cp << 6) | u32::from(d & 0x3F);
        }
        Ok(cp)
    }

    /// `_decodeCharForError`: decodes a (possibly multi-byte) character for a message.
    fn decode_char_for_error(&mut self, first: u8) -> Result<u32, JacksonError> {
        if first < 0x80 {
            return Ok(first.into());
        }
        let (needed, init) = match first {
            b if b & 0xE0 == 0xC0 => (1, u32::from(b & 0x1F)),
            b if b & 0xF0 == 0xE0 => (2, u32::from(b & 0x0F)),
            b if b & 0xF8 == 0xF0 => (3, u32::from(b & 0x07)),
            b => return Err(self.error(format!("Invalid UTF-8 start byte 0x{b:x}"))),
        };
        let mut c = init;
        for _ in 0..needed {
            let Some(d) = self.bump() else {
                return Err(self.invalid_eof_in_current());
            };
            if d & 0xC0 != 0x80 {
                return Err(self.error(format!("Invalid UTF-8 middle byte 0x{d:x}")));
            }
            c = (c << 6) | u32::from(d & 0x3F);
        }
        // Java narrows the result to a `char`.
        Ok(c & 0xFFFF)
    }

    /// `_decodeEscaped()`, after the backslash.
    fn decode_escaped(&mut self) -> Result<u16, JacksonError> {
        let Some(c) = self.bump() else {
            return Err(self.invalid_eof(" in character escape sequence"));
        };
        match c {
            b'b' => return Ok(0x08),
            b't' => return Ok(0x09),
            b'n' => return Ok(0x0A),
            b'f' => return Ok(0x0C),
            b'r' => return Ok(0x0D),
            b'"' | b'/' | b'\\' => return Ok(c.into()),
            b'u' => {}
            _ => {
                let ch = self.decode_char_for_error(c)?;
                return Err(self.error(format!("Unrecognized character escape {}", char_desc(ch))));
            }
        }
        let mut value: u16 = 0;
        for _ in 0..4 {
            let Some(ch) = self.bump() else {
                return Err(self.invalid_eof(" in character escape sequence"));
            };
            let Some(digit) = (ch as char).to_digit(16) else {
                return Err(self.unexpected_char(
                    ch.into(),
                    "expected a hex-digit for character escape sequence",
                ));
            };
            value = (value << 4) | digit as u16;
        }
        Ok(value)
    }

    // ---------------------------------------------------------------- literals and numbers

    /// `_matchTrue()` and friends: the first byte has been consumed.
    fn match_literal(&mut self, word: &'static str, tok: Tok) -> Result<Tok, JacksonError> {
        let bytes = word.as_bytes();
        for (i, b) in bytes.iter().enumerate().skip(1) {
            if self.peek() != Some(*b) {
                return Err(self.invalid_token(&word[..i]));
            }
            self.ptr += 1;
        }
        if let Some(ch) = self.peek()
            && ch >= b'0'
            && ch != b']'
            && ch != b'}'
        {
            let save = self.ptr;
            let c = self.decode_char_for_error(ch)?;
            self.ptr = save;
            if is_java_identifier_part(c) {
                return Err(self.invalid_token(word));
            }
        }
        self.text = word.to_owned();
        Ok(tok)
    }

    /// `_reportInvalidToken`: gathers the rest of what looks like a token.
    fn invalid_token(&mut self, matched: &str) -> JacksonError {
        let mut sb = String::from(matched);
        while let Some(b) = self.bump() {
            let c = match self.decode_char_for_error(b) {
                Ok(c) => c,
                Err(e) => return e,
            };
            if !is_java_identifier_part(c) {
                break;
            }
            sb.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
            if sb.chars().count() >= MAX_ERROR_TOKEN_LENGTH {
                sb.push_str("...");
                break;
            }
        }
        self.error(format!(
            "Unrecognized token '{sb}': was expecting {VALID_VALUES}"
        ))
    }

    /// `_handleUnexpectedValue(c)`.
    fn handle_unexpected_value(&mut self, c: u8) -> JacksonError {
        let in_array = self.top().kind == CtxKind::Array;
        match c {
            b']' if in_array => return self.unexpected_char(c.into(), "expected a value"),
            b',' | b'}' => return self.unexpected_char(c.into(), "expected a value"),
            b'N' => {
                if let Err(e) = self.match_literal("NaN", Tok::NumberFloat) {
                    return e;
                }
                return self.error(
                    "Non-standard token 'NaN': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow",
                );
            }
            b'I' => {
                if let Err(e) = self.match_literal("Infinity", Tok::NumberFloat) {
                    return e;
                }
                return self.error(
                    "Non-standard token 'Infinity': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow",
                );
            }
            b'+' => {
                let Some(next) = self.bump() else {
                    return self.invalid_eof(" in a Number value");
                };
                return self.invalid_number_start(next, false, true);
            }
            _ => {}
        }
        // Jackson looks at the raw byte as a Latin-1 character here.
        let latin = u32::from(c);
        if is_java_identifier_start(latin) {
            let first = char::from_u32(latin).unwrap_or('\u{FFFD}').to_string();
            return self.invalid_token(&first);
        }
        self.unexpected_char(latin, &format!("expected a valid value {VALID_VALUES}"))
    }

    fn invalid_number_start(&mut self, ch: u8, neg: bool, has_sign: bool) -> JacksonError {
        if ch == b'I' {
            if let Some(next) = self.bump() {
                let word = match (next, neg) {
                    (b'N', true) => Some("-INF"),
                    (b'N', false) => Some("+INF"),
                    (b'n', true) => Some("-Infinity"),
                    (b'n', false) => Some("+Infinity"),
                    _ => None,
                };
                if let Some(word) = word {
                    // `_matchToken(match, 3)`
                    for (i, b) in word.as_bytes().iter().enumerate().skip(3) {
                        if self.peek() != Some(*b) {
                            return self.invalid_token(&word[..i]);
                        }
                        self.ptr += 1;
                    }
                    return self.error(format!(
                        "Non-standard token '{word}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow"
                    ));
                }
                return self.unexpected_number_char(
                    next.into(),
                    if neg {
                        "expected digit (0-9) to follow minus sign, for valid numeric value"
                    } else {
                        "expected digit (0-9) for valid numeric value"
                    },
                );
            }
            return self.invalid_eof(" in a Number value");
        }
        if has_sign && !neg {
            return self.unexpected_number_char(
                u32::from(b'+'),
                "JSON spec does not allow numbers to have plus signs: enable `JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS` to allow",
            );
        }
        self.unexpected_number_char(
            ch.into(),
            if neg {
                "expected digit (0-9) to follow minus sign, for valid numeric value"
            } else {
                "expected digit (0-9) for valid numeric value"
            },
        )
    }

    fn parse_signed_number(&mut self) -> Result<Tok, JacksonError> {
        let Some(c) = self.bump() else {
            return Err(self.invalid_eof_in_current());
        };
        if !c.is_ascii_digit() {
            return Err(self.invalid_number_start(c, true, true));
        }
        self.parse_number_from(c, true)
    }

    fn parse_unsigned_number(&mut self, c: u8) -> Result<Tok, JacksonError> {
        self.parse_number_from(c, false)
    }

    fn parse_number_from(&mut self, first: u8, negative: bool) -> Result<Tok, JacksonError> {
        let mut text = String::new();
        if negative {
            text.push('-');
        }
        if first == b'0'
            && let Some(next) = self.peek()
            && next.is_ascii_digit()
        {
            return Err(self.error("Invalid numeric value: Leading zeroes not allowed"));
        }
        text.push(first as char);
        let mut int_len = 1usize;
        let mut c = None;
        while let Some(b) = self.bump() {
            if b.is_ascii_digit() {
                int_len += 1;
                text.push(b as char);
            } else {
                c = Some(b);
                break;
            }
        }
        let Some(mut c) = c else {
            // End of input right after the digits.
            self.check_number_length(int_len)?;
            self.text = text;
            return Ok(Tok::NumberInt);
        };
        if c != b'.' && c != b'e' && c != b'E' {
            self.ptr -= 1;
            self.check_number_length(int_len)?;
            if self.top().kind == CtxKind::Root {
                self.verify_root_space(c)?;
            }
            self.text = text;
            return Ok(Tok::NumberInt);
        }
        // `_parseFloat`
        let mut eof = false;
        let mut fract_len = 0usize;
        if c == b'.' {
            text.push('.');
            loop {
                match self.bump() {
                    None => {
                        eof = true;
                        break;
                    }
                    Some(b) if b.is_ascii_digit() => {
                        fract_len += 1;
                        text.push(b as char);
                    }
                    Some(b) => {
                        c = b;
                        break;
                    }
                }
            }
            if fract_len == 0 {
                return Err(
                    self.unexpected_number_char(c.into(), "Decimal point not followed by a digit")
                );
            }
        }
        let mut exp_len = 0usize;
        if !eof && (c == b'e' || c == b'E') {
            text.push(c as char);
            let Some(mut b) = self.bump() else {
                return Err(self.invalid_eof_in_current());
            };
            if b == b'-' || b == b'+' {
                text.push(b as char);
                let Some(n) = self.bump() else {
                    return Err(self.invalid_eof_in_current());
                };
                b = n;
            }
            c = b;
            while c.is_ascii_digit() {
                exp_len += 1;
                text.push(c as char);
                match self.bump() {
                    None => {
                        eof = true;
                        break;
                    }
                    Some(n) => c = n,
                }
            }
            if exp_len == 0 {
                return Err(self.unexpected_number_char(
                    c.into(),
                    "Exponent indicator not followed by a digit",
                ));
            }
        }
        if !eof {
            self.ptr -= 1;
            if self.top().kind == CtxKind::Root {
                self.verify_root_space(c)?;
            }
        }
        self.check_number_length(int_len + fract_len + exp_len)?;
        self.text = text;
        Ok(Tok::NumberFloat)
    }

    fn check_number_length(&self, len: usize) -> Result<(), JacksonError> {
        if len > MAX_NUMBER_LENGTH {
            return Err(JacksonError::unlocated(format!(
                "Number value length ({len}) exceeds the maximum allowed ({MAX_NUMBER_LENGTH}, from `StreamReadConstraints.getMaxNumberLength()`)"
            )));
        }
        Ok(())
    }

    /// `_verifyRootSpace`: a root-level number must be followed by white space.
    fn verify_root_space(&mut self, ch: u8) -> Result<(), JacksonError> {
        self.ptr += 1;
        match ch {
            b' ' | b'\t' => Ok(()),
            b'\r' => {
                self.ptr -= 1;
                Ok(())
            }
            b'\n' => {
                self.row += 1;
                self.row_start = self.ptr;
                Ok(())
            }
            _ => {
                Err(self.unexpected_char(ch.into(), "Expected space separating root-level values"))
            }
        }
    }
}

/// Appends pending UTF-8 bytes to UTF-16 output.
fn flush_utf8(bytes: &mut Vec<u8>, out: &mut Vec<u16>) {
    if !bytes.is_empty() {
        out.extend(String::from_utf8_lossy(bytes).encode_utf16());
        bytes.clear();
    }
}

/// `ParserMinimalBase._getCharDesc`.
pub(crate) fn char_desc(ch: u32) -> String {
    let c = char::from_u32(ch).unwrap_or('\u{FFFD}');
    if ch < 0x20 || (0x7F..=0x9F).contains(&ch) {
        return format!("(CTRL-CHAR, code {ch})");
    }
    if ch > 255 {
        return format!("'{c}' (code {ch} / 0x{ch:x})");
    }
    format!("'{c}' (code {ch})")
}

/// `Character.isJavaIdentifierStart`, close enough for error messages.
fn is_java_identifier_start(c: u32) -> bool {
    let Some(ch) = char::from_u32(c) else {
        return false;
    };
    ch.is_alphabetic() || ch == '$' || ch == '_' || (ch as u32 >= 0xA2 && ch as u32 <= 0xA5)
}

/// `Character.isJavaIdentifierPart`, close enough for error messages.
fn is_java_identifier_part(c: u32) -> bool {
    let Some(ch) = char::from_u32(c) else {
        return false;
    };
    is_java_identifier_start(c)
        || ch.is_numeric()
        || matches!(c, 0x00..=0x08 | 0x0E..=0x1B | 0x7F..=0x9F)
}
