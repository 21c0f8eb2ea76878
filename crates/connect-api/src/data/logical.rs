//! Kafka Connect's built-in logical types (`Decimal`, `Date`, `Time`, `Timestamp`).

use bytes::Bytes;
use num_bigint::BigInt;

use super::{Schema, SchemaBuilder, SchemaRef, SchemaType};

/// `org.apache.kafka.connect.data.Decimal`: bytes holding the unscaled value as big-endian
/// two's complement, with the scale as the `scale` schema parameter.
#[derive(Debug)]
pub struct Decimal;

impl Decimal {
    pub const LOGICAL_NAME: &'static str = "org.apache.kafka.connect.data.Decimal";
    pub const SCALE_FIELD: &'static str = "scale";

    /// A builder for a decimal schema of `scale` (add `.optional()`, precision parameters …).
    pub fn builder(scale: i32) -> SchemaBuilder {
        Schema::builder(SchemaType::Bytes)
            .name(Self::LOGICAL_NAME)
            .version(1)
            .parameter(Self::SCALE_FIELD, scale.to_string())
    }

    pub fn schema(scale: i32) -> SchemaRef {
        Self::builder(scale).build()
    }

    /// The wire bytes of `unscaled`.
    pub fn encode(unscaled: &BigInt) -> Bytes {
        Bytes::from(unscaled.to_signed_bytes_be())
    }

    /// The unscaled value of wire bytes.
    pub fn decode(bytes: &[u8]) -> BigInt {
        BigInt::from_signed_bytes_be(bytes)
    }

    /// Parses a decimal literal such as `"-12.340"` into (unscaled, scale).
    pub fn parse(text: &str) -> Option<(BigInt, i32)> {
        let text = text.trim();
        let (int_part, frac_part) = match text.split_once('.') {
            Some((i, f)) => (i, f),
            None => (text, ""),
        };
        let digits = format!("{int_part}{frac_part}");
        let unscaled: BigInt = digits.parse().ok()?;
        let scale = i32::try_from(frac_part.len()).ok()?;
        Some((unscaled, scale))
    }

    /// Renders (unscaled, scale) as a plain decimal string, like `BigDecimal.toPlainString()`.
    pub fn to_plain_string(unscaled: &BigInt, scale: i32) -> String {
        if scale <= 0 {
            let mut s = unscaled.to_string();
            if unscaled.sign() != num_bigint::Sign::NoSign {
                s.extend(std::iter::repeat_n('0', scale.unsigned_abs() as usize));
            }
            return s;
        }
        let negative = unscaled.sign() == num_bigint::Sign::Minus;
        let digits = unscaled.magnitude().to_string();
        let scale = scale as usize;
        let padded = if digits.len() <= scale {
            format!("{}{}", "0".repeat(scale - digits.len() + 1), digits)
        } else {
            digits
        };
        let (i, f) = padded.split_at(padded.len() - scale);
        format!("{}{i}.{f}", if negative { "-" } else { "" })
    }
}

/// `org.apache.kafka.connect.data.Date`: days since the epoch as `int32`.
#[derive(Debug)]
pub struct Date;
impl Date {
    pub const LOGICAL_NAME: &'static str = "org.apache.kafka.connect.data.Date";
    pub fn builder() -> SchemaBuilder {
        Schema::builder(SchemaType::Int32)
            .name(Self::LOGICAL_NAME)
            .version(1)
    }
}

/// `org.apache.kafka.connect.data.Time`: milliseconds since midnight as `int32`.
#[derive(Debug)]
pub struct Time;
impl Time {
    pub const LOGICAL_NAME: &'static str = "org.apache.kafka.connect.data.Time";
    pub fn builder() -> SchemaBuilder {
        Schema::builder(SchemaType::Int32)
            .name(Self::LOGICAL_NAME)
            .version(1)
    }
}

/// `org.apache.kafka.connect.data.Timestamp`: milliseconds since the epoch as `int64`.
#[derive(Debug)]
pub struct Timestamp;
impl Timestamp {
    pub const LOGICAL_NAME: &'static str = "org.apache.kafka.connect.data.Timestamp";
    pub fn builder() -> SchemaBuilder {
        Schema::builder(SchemaType::Int64)
            .name(Self::LOGICAL_NAME)
            .version(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trips_through_wire_bytes_and_plain_text() {
        let (u, s) = Decimal::parse("-12.340").unwrap();
        assert_eq!(s, 3);
        let bytes = Decimal::encode(&u);
        assert_eq!(Decimal::decode(&bytes), u);
        assert_eq!(Decimal::to_plain_string(&u, s), "-12.340");
        let (u, s) = Decimal::parse("0.05").unwrap();
        assert_eq!(Decimal::to_plain_string(&u, s), "0.05");
        assert_eq!(Decimal::to_plain_string(&BigInt::from(5), 0), "5");
    }
}
