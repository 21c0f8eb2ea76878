use std::sync::Arc;

use super::Value;

/// A shared, immutable schema. Schemas are built once (per table, per converter) and shared by
/// every record that uses them, so cloning must be cheap.
pub type SchemaRef = Arc<Schema>;

/// The Connect schema types (`Schema.Type`), spelled as in the JSON envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

impl SchemaType {
    /// The lower-case name used in `JsonConverter` envelopes (`"int32"`, `"struct"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Int8 => "int8",
            Self::Int16 => "int16",
            Self::Int32 => "int32",
            Self::Int64 => "int64",
            Self::Float32 => "float",
            Self::Float64 => "double",
            Self::Boolean => "boolean",
            Self::String => "string",
            Self::Bytes => "bytes",
            Self::Array => "array",
            Self::Map => "map",
            Self::Struct => "struct",
        }
    }

    /// Parses an envelope type name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "int8" => Self::Int8,
            "int16" => Self::Int16,
            "int32" => Self::Int32,
            "int64" => Self::Int64,
            "float" => Self::Float32,
            "double" => Self::Float64,
            "boolean" => Self::Boolean,
            "string" => Self::String,
            "bytes" => Self::Bytes,
            "array" => Self::Array,
            "map" => Self::Map,
            "struct" => Self::Struct,
            _ => return None,
        })
    }
}

/// A field of a struct schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub index: usize,
    pub schema: SchemaRef,
}

/// A Connect schema (`org.apache.kafka.connect.data.ConnectSchema`).
#[derive(Debug, Clone)]
pub struct Schema {
    pub schema_type: SchemaType,
    pub optional: bool,
    pub default: Option<Value>,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    /// Insertion-ordered, because `JsonConverter` writes them in the order they were added and
    /// Debezium's envelopes (`scale` before `connect.decimal.precision`) are compared byte for byte.
    pub parameters: Vec<(String, String)>,
    pub fields: Vec<Field>,
    pub key_schema: Option<SchemaRef>,
    pub value_schema: Option<SchemaRef>,
}

/// `ConnectSchema.equals`: the parameters compare as maps (`LinkedHashMap.equals` ignores
/// order), while their order still decides how `JsonConverter` writes them.
impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.schema_type == other.schema_type
            && self.optional == other.optional
            && self.default == other.default
            && self.name == other.name
            && self.version == other.version
            && self.doc == other.doc
            && self.parameters.len() == other.parameters.len()
            && self.parameters.iter().all(|p| other.parameters.contains(p))
            && self.fields == other.fields
            && self.key_schema == other.key_schema
            && self.value_schema == other.value_schema
    }
}

impl Schema {
    /// Starts a schema of `schema_type`.
    pub fn builder(schema_type: SchemaType) -> SchemaBuilder {
        SchemaBuilder::new(schema_type)
    }

    /// Starts a struct schema.
    pub fn struct_builder() -> SchemaBuilder {
        SchemaBuilder::new(SchemaType::Struct)
    }

    /// A plain (unnamed) schema of `schema_type`.
    pub fn primitive(schema_type: SchemaType, optional: bool) -> SchemaRef {
        let mut b = SchemaBuilder::new(schema_type);
        if optional {
            b = b.optional();
        }
        b.build()
    }

    pub fn int8() -> SchemaRef {
        Self::primitive(SchemaType::Int8, false)
    }
    pub fn int16() -> SchemaRef {
        Self::primitive(SchemaType::Int16, false)
    }
    pub fn int32() -> SchemaRef {
        Self::primitive(SchemaType::Int32, false)
    }
    pub fn int64() -> SchemaRef {
        Self::primitive(SchemaType::Int64, false)
    }
    pub fn float32() -> SchemaRef {
        Self::primitive(SchemaType::Float32, false)
    }
    pub fn float64() -> SchemaRef {
        Self::primitive(SchemaType::Float64, false)
    }
    pub fn boolean() -> SchemaRef {
        Self::primitive(SchemaType::Boolean, false)
    }
    pub fn string() -> SchemaRef {
        Self::primitive(SchemaType::String, false)
    }
    pub fn bytes() -> SchemaRef {
        Self::primitive(SchemaType::Bytes, false)
    }
    pub fn optional_int32() -> SchemaRef {
        Self::primitive(SchemaType::Int32, true)
    }
    pub fn optional_int64() -> SchemaRef {
        Self::primitive(SchemaType::Int64, true)
    }
    pub fn optional_string() -> SchemaRef {
        Self::primitive(SchemaType::String, true)
    }
    pub fn optional_bytes() -> SchemaRef {
        Self::primitive(SchemaType::Bytes, true)
    }
    pub fn optional_boolean() -> SchemaRef {
        Self::primitive(SchemaType::Boolean, true)
    }

    /// The field called `name`, if this is a struct schema that has one.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The value of parameter `key`.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Builds a [`Schema`] (`SchemaBuilder`).
#[derive(Debug, Clone)]
#[must_use]
pub struct SchemaBuilder {
    schema: Schema,
}

impl SchemaBuilder {
    pub fn new(schema_type: SchemaType) -> Self {
        Self {
            schema: Schema {
                schema_type,
                optional: false,
                default: None,
                name: None,
                version: None,
                doc: None,
                parameters: Vec::new(),
                fields: Vec::new(),
                key_schema: None,
                value_schema: None,
            },
        }
    }

    /// An array of `items`.
    pub fn array(items: SchemaRef) -> Self {
        let mut b = Self::new(SchemaType::Array);
        b.schema.value_schema = Some(items);
        b
    }

    /// A map from `key` to `value`.
    pub fn map(key: SchemaRef, value: SchemaRef) -> Self {
        let mut b = Self::new(SchemaType::Map);
        b.schema.key_schema = Some(key);
        b.schema.value_schema = Some(value);
        b
    }

    pub fn optional(mut self) -> Self {
        self.schema.optional = true;
        self
    }

    pub fn optional_if(mut self, optional: bool) -> Self {
        self.schema.optional = optional;
        self
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.schema.name = Some(name.into());
        self
    }

    pub fn version(mut self, version: i32) -> Self {
        self.schema.version = Some(version);
        self
    }

    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.schema.doc = Some(doc.into());
        self
    }

    pub fn default_value(mut self, value: Value) -> Self {
        self.schema.default = Some(value);
        self
    }

    pub fn parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        let value = value.into();
        match self.schema.parameters.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.schema.parameters.push((key, value)),
        }
        self
    }

    /// Appends a field to a struct schema.
    pub fn field(mut self, name: impl Into<String>, schema: SchemaRef) -> Self {
        let index = self.schema.fields.len();
        self.schema.fields.push(Field {
            name: name.into(),
            index,
            schema,
        });
        self
    }

    pub fn build(self) -> SchemaRef {
        Arc::new(self.schema)
    }

    /// The schema being built, unshared (for callers that keep adding to it).
    pub fn into_schema(self) -> Schema {
        self.schema
    }
}
