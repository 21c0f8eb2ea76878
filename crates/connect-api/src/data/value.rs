use bytes::Bytes;

use super::{SchemaRef, SchemaType};

/// A Connect value. Logical types keep their physical representation (`Date` is an
/// `Int32`, `Decimal` is the unscaled two's-complement `Bytes`), as they do on the wire.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    Boolean(bool),
    String(String),
    Bytes(Bytes),
    Array(Vec<Value>),
    /// Entries in insertion order.
    Map(Vec<(Value, Value)>),
    Struct(Struct),
}

impl Value {
    /// Roughly the memory this value holds: its own size plus what it owns on the heap (the
    /// schemas it points to are shared and not counted). For bounds like Debezium's
    /// `max.queue.size.in.bytes`, which are approximate by nature.
    pub fn approximate_size(&self) -> usize {
        std::mem::size_of::<Value>() + self.heap_size()
    }

    /// What the value owns on the heap.
    pub(crate) fn heap_size(&self) -> usize {
        match self {
            Value::String(s) => s.capacity(),
            Value::Bytes(b) => b.len(),
            Value::Array(items) => items.iter().map(Value::approximate_size).sum(),
            Value::Map(entries) => entries
                .iter()
                .map(|(k, v)| k.approximate_size() + v.approximate_size())
                .sum(),
            Value::Struct(s) => s.values.iter().map(Value::approximate_size).sum(),
            _ => 0,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int8(v) => Some(v.into()),
            Value::Int16(v) => Some(v.into()),
            Value::Int32(v) => Some(v.into()),
            Value::Int64(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The schema type this value naturally has, for schemaless data.
    pub fn inferred_type(&self) -> Option<SchemaType> {
        Some(match self {
            Value::Null => return None,
            Value::Int8(_) => SchemaType::Int8,
            Value::Int16(_) => SchemaType::Int16,
            Value::Int32(_) => SchemaType::Int32,
            Value::Int64(_) => SchemaType::Int64,
            Value::Float32(_) => SchemaType::Float32,
            Value::Float64(_) => SchemaType::Float64,
            Value::Boolean(_) => SchemaType::Boolean,
            Value::String(_) => SchemaType::String,
            Value::Bytes(_) => SchemaType::Bytes,
            Value::Array(_) => SchemaType::Array,
            Value::Map(_) => SchemaType::Map,
            Value::Struct(_) => SchemaType::Struct,
        })
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int32(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int64(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}
impl From<Struct> for Value {
    fn from(v: Struct) -> Self {
        Value::Struct(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A struct value: one value per field of its schema, in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    schema: SchemaRef,
    values: Vec<Value>,
}

impl Struct {
    /// A struct of `schema` with every field null.
    pub fn new(schema: SchemaRef) -> Self {
        let values = vec![Value::Null; schema.fields.len()];
        Self { schema, values }
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Field values in schema order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Sets field `name`; returns `self` for chaining.
    ///
    /// # Panics
    /// Panics if the schema has no such field: that is a bug in the code building the struct,
    /// never a property of the data.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        let Some(field) = self.schema.field(name) else {
            panic!("struct {:?} has no field {name}", self.schema.name)
        };
        let idx = field.index;
        self.values[idx] = value.into();
        self
    }

    /// Sets field `name`. Returns `false` if the schema has no such field.
    pub fn put(&mut self, name: &str, value: impl Into<Value>) -> bool {
        match self.schema.field(name).map(|f| f.index) {
            Some(idx) => {
                self.values[idx] = value.into();
                true
            }
            None => false,
        }
    }

    /// Sets the field at `index` (schema order).
    pub fn put_index(&mut self, index: usize, value: Value) -> bool {
        match self.values.get_mut(index) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.schema
            .field(name)
            .and_then(|f| self.values.get(f.index))
    }

    /// Builds a struct from values already in schema order.
    ///
    /// Returns `None` when the count does not match the schema.
    pub fn from_values(schema: SchemaRef, values: Vec<Value>) -> Option<Self> {
        (values.len() == schema.fields.len()).then_some(Self { schema, values })
    }
}

/// A value with its (optional) schema: what converters produce and consume.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SchemaAndValue {
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

impl SchemaAndValue {
    pub const NULL: SchemaAndValue = SchemaAndValue {
        schema: None,
        value: Value::Null,
    };

    pub fn new(schema: Option<SchemaRef>, value: Value) -> Self {
        Self { schema, value }
    }

    pub fn schemaless(value: Value) -> Self {
        Self {
            schema: None,
            value,
        }
    }
}
