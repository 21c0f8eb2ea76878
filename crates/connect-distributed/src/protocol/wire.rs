//! Kafka's `Schema`/`Struct` primitive types as the Connect protocol uses them: big-endian
//! integers, `STRING` (int16 length + UTF-8), `NULLABLE_BYTES` (int32 length, -1 for null) and
//! `ARRAY` (int32 count, -1 for null where the field is nullable).

use crate::DistributedError;

/// Appends Kafka's primitive types to a buffer.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// `Type.STRING`. Kafka refuses to write a string over 32767 bytes (a `SchemaException`);
    /// the encoders here cannot fail, so such a string is cut at the last character boundary
    /// that fits, with a warning. No worker URL, member id or connector name comes near it.
    pub(crate) fn string(&mut self, s: &str) {
        let max = i16::MAX as usize;
        let s = if s.len() > max {
            let mut end = max;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            tracing::warn!(
                length = s.len(),
                "a Connect protocol string is longer than 32767 bytes; writing its first {end} bytes"
            );
            &s[..end]
        } else {
            s
        };
        // `s.len() <= i16::MAX` here.
        self.i16(s.len() as i16);
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// `Type.NULLABLE_BYTES`.
    pub(crate) fn nullable_bytes(&mut self, bytes: Option<&[u8]>) {
        match bytes {
            None => self.i32(-1),
            Some(b) => {
                self.i32(len_i32(b.len()));
                self.buf.extend_from_slice(b);
            }
        }
    }

    /// An array's element count.
    pub(crate) fn count(&mut self, n: usize) {
        self.i32(len_i32(n));
    }
}

/// Lengths beyond `i32::MAX` cannot occur here (an assignment that big would not fit in a
/// Kafka message); saturate rather than wrap.
fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Reads Kafka's primitive types, failing (never panicking) on short or malformed input. Error
/// texts follow Kafka's `SchemaException` messages.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.remaining() < n {
            return Err(format!(
                "buffer underflow: {n} bytes needed, {} available",
                self.remaining()
            ));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn i16(&mut self) -> Result<i16, String> {
        self.array().map(i16::from_be_bytes)
    }

    pub(crate) fn i32(&mut self) -> Result<i32, String> {
        self.array().map(i32::from_be_bytes)
    }

    pub(crate) fn i64(&mut self) -> Result<i64, String> {
        self.array().map(i64::from_be_bytes)
    }

    /// `Type.STRING`. Invalid UTF-8 becomes U+FFFD, as Java's `new String(bytes, UTF_8)` does.
    pub(crate) fn string(&mut self) -> Result<String, String> {
        let len = self.i16()?;
        let len =
            usize::try_from(len).map_err(|_| format!("String length {len} cannot be negative"))?;
        if len > self.remaining() {
            return Err(format!(
                "Error reading string of length {len}, only {} bytes available",
                self.remaining()
            ));
        }
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }

    /// `Type.NULLABLE_BYTES`.
    pub(crate) fn nullable_bytes(&mut self) -> Result<Option<&'a [u8]>, String> {
        let len = self.i32()?;
        let Ok(len) = usize::try_from(len) else {
            return Ok(None);
        };
        if len > self.remaining() {
            return Err(format!(
                "Error reading bytes of size {len}, only {} bytes available",
                self.remaining()
            ));
        }
        self.take(len).map(Some)
    }

    /// An `ArrayOf` count: `None` for a null array when `nullable`, else an error for a negative
    /// count; a count larger than the bytes left is refused before anything is allocated.
    pub(crate) fn count(&mut self, nullable: bool) -> Result<Option<usize>, String> {
        let n = self.i32()?;
        match usize::try_from(n) {
            Err(_) if nullable => Ok(None),
            Err(_) => Err(format!("Array size {n} cannot be negative")),
            Ok(n) if n > self.remaining() => Err(format!(
                "Error reading array of size {n}, only {} bytes available",
                self.remaining()
            )),
            Ok(n) => Ok(Some(n)),
        }
    }
}

/// Kafka's wrapping of a field's read failure: `Error reading field 'name': ...`.
pub(crate) fn field<T>(name: &str, r: Result<T, String>) -> Result<T, DistributedError> {
    r.map_err(|e| DistributedError::Protocol(format!("Error reading field '{name}': {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_an_int16_length_and_utf8() {
        let mut w = Writer::default();
        w.string("hé");
        assert_eq!(w.buf, [0, 3, b'h', 0xC3, 0xA9]);
        assert_eq!(Reader::new(&w.buf).string().unwrap(), "hé");
    }

    #[test]
    fn a_string_too_long_for_kafka_is_cut_at_a_character_boundary() {
        let long = "é".repeat(20_000); // 40000 bytes
        let mut w = Writer::default();
        w.string(&long);
        assert_eq!(&w.buf[..2], &32766i16.to_be_bytes());
        assert_eq!(w.buf.len(), 2 + 32766);
        assert_eq!(Reader::new(&w.buf).string().unwrap(), "é".repeat(16_383));
    }

    #[test]
    fn invalid_utf8_reads_as_replacement_characters() {
        assert_eq!(
            Reader::new(&[0, 2, b'a', 0xFF]).string().unwrap(),
            "a\u{FFFD}"
        );
    }

    #[test]
    fn negative_and_oversized_lengths_are_errors() {
        assert_eq!(
            Reader::new(&[0xFF, 0xFF]).string().unwrap_err(),
            "String length -1 cannot be negative"
        );
        assert_eq!(
            Reader::new(&[0, 5, b'a']).string().unwrap_err(),
            "Error reading string of length 5, only 1 bytes available"
        );
        assert_eq!(
            Reader::new(&[0x7F, 0xFF, 0xFF, 0xFF])
                .count(false)
                .unwrap_err(),
            "Error reading array of size 2147483647, only 0 bytes available"
        );
        assert_eq!(
            Reader::new(&[0xFF, 0xFF, 0xFF, 0xFF])
                .count(false)
                .unwrap_err(),
            "Array size -1 cannot be negative"
        );
        assert_eq!(
            Reader::new(&[0xFF, 0xFF, 0xFF, 0xFF]).count(true).unwrap(),
            None
        );
        assert_eq!(
            Reader::new(&[0, 0, 0, 9]).nullable_bytes().unwrap_err(),
            "Error reading bytes of size 9, only 0 bytes available"
        );
    }

    #[test]
    fn null_bytes_are_a_minus_one_length() {
        let mut w = Writer::default();
        w.nullable_bytes(None);
        w.nullable_bytes(Some(b"xy"));
        assert_eq!(w.buf, [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, b'x', b'y']);
        let mut r = Reader::new(&w.buf);
        assert_eq!(r.nullable_bytes().unwrap(), None);
        assert_eq!(r.nullable_bytes().unwrap(), Some(&b"xy"[..]));
        assert_eq!(r.remaining(), 0);
    }
}
