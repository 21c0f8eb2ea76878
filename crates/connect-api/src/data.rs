//! The Connect data model: schemas, values and structs, as in `org.apache.kafka.connect.data`.
//!
//! Converters turn bytes into these values and back; connectors produce and consume them. The
//! model is deliberately the Java one (same type names, same logical types) because the JSON
//! envelope written by `JsonConverter` spells those names out byte for byte.

mod logical;
mod schema;
mod value;
pub mod values;

pub use logical::{Date, Decimal, Time, Timestamp};
pub use schema::{Field, Schema, SchemaBuilder, SchemaRef, SchemaType};
pub use value::{SchemaAndValue, Struct, Value};
