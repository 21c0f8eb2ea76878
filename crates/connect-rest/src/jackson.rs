//! Request-body reading with Kafka Connect's (Jackson's) semantics and error messages.
//!
//! Kafka Connect binds bodies with Jackson 2.16 through `JacksonJsonProvider`:
//! * an empty (or all white space) body, and a literal `null`, give a `null` entity;
//! * `Map<String,String>` values accept JSON strings, numbers and booleans (kept as their text)
//!   and `null`; objects and arrays are errors;
//! * beans (`CreateConnectorRequest`, `ConnectorOffsets`, `ConnectorOffset`) reject unknown
//!   properties (`FAIL_ON_UNKNOWN_PROPERTIES`), with Jackson's buffering rules for
//!   creator-based beans;
//! * content after the root value is ignored.
//!
//! Every failure becomes a 500 whose message is [`JacksonError::message`], formatted like
//! Jackson's `getMessage()` (location with the redacted source, reference chain).

mod parser;

use std::fmt;

use connect_api::java;
use connect_runtime::entities::TargetState;
use serde_json::{Map, Number, Value as Json};

use parser::{Parser, Tok};

const STRING: &str = "java.lang.String";
const LINKED_HASH_MAP: &str = "java.util.LinkedHashMap";
const STRING_MAP: &str = "java.util.LinkedHashMap<java.lang.String,java.lang.String>";
const OBJECT_MAP: &str = "java.util.LinkedHashMap<java.lang.String,java.lang.Object>";
const ENTITIES: &str = "org.apache.kafka.connect.runtime.rest.entities";

/// A Jackson location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loc {
    /// Line and byte column, both 1-based (column 0 for the root context).
    At { line: u32, col: u32 },
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The redacted source counts as non-textual: a column of 0 is left out.
            Self::At { line, col } if *col > 0 => write!(
                f,
                "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}, column: {col}]"
            ),
            Self::At { line, .. } => write!(
                f,
                "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}]"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RefKey {
    Field(String),
    Index(usize),
}

/// One step of a reference chain (`JsonMappingException.Reference`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ref {
    class: String,
    key: RefKey,
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            RefKey::Field(name) => write!(f, "{}[\"{name}\"]", self.class),
            RefKey::Index(i) => write!(f, "{}[{i}]", self.class),
        }
    }
}

/// A Jackson exception: a parse error (`JsonParseException`) or a binding error
/// (`JsonMappingException`), with its location and reference chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JacksonError {
    msg: String,
    loc: Option<Loc>,
    path: Vec<Ref>,
    mapping: bool,
}

impl JacksonError {
    fn parse(msg: impl Into<String>, loc: Loc) -> Self {
        Self {
            msg: msg.into(),
            loc: Some(loc),
            path: Vec::new(),
            mapping: false,
        }
    }

    fn unlocated(msg: impl Into<String>) -> Self {
        Self {
            msg: msg.into(),
            loc: None,
            path: Vec::new(),
            mapping: false,
        }
    }

    fn mapping(msg: impl Into<String>, loc: Loc) -> Self {
        Self {
            msg: msg.into(),
            loc: Some(loc),
            path: Vec::new(),
            mapping: true,
        }
    }

    /// `JsonMappingException.wrapWithPath`, as bean and collection deserializers do for every
    /// Jackson exception.
    fn wrap(mut self, class: &str, key: RefKey) -> Self {
        self.path.insert(
            0,
            Ref {
                class: class.to_owned(),
                key,
            },
        );
        self.mapping = true;
        self
    }

    /// `ContainerDeserializerBase.wrapAndThrow` (maps): parse errors pass through unchanged.
    fn wrap_in_map(self, key: &str) -> Self {
        if self.mapping {
            self.wrap(LINKED_HASH_MAP, RefKey::Field(key.to_owned()))
        } else {
            self
        }
    }

    /// `getMessage()`.
    pub(crate) fn message(&self) -> String {
        let mut s = self.msg.clone();
        if let Some(loc) = self.loc {
            s.push_str("\n at ");
            s.push_str(&loc.to_string());
        }
        if !self.path.is_empty() {
            s.push_str(" (through reference chain: ");
            let chain: Vec<String> = self.path.iter().map(ToString::to_string).collect();
            s.push_str(&chain.join("->"));
            s.push(')');
        }
        s
    }
}

impl fmt::Display for JacksonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// `Map<String,String>` as Jackson builds it (a `LinkedHashMap`): insertion order, a repeated
/// key keeps its first position and takes the last value, `null` values kept.
pub(crate) type JavaMap = Vec<(String, Option<String>)>;

fn put(map: &mut JavaMap, key: String, value: Option<String>) {
    match map.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => map.push((key, value)),
    }
}

/// The body of `POST /connectors` (`CreateConnectorRequest`).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct CreateConnectorRequest {
    pub(crate) name: Option<String>,
    pub(crate) config: Option<JavaMap>,
    pub(crate) initial_state: Option<TargetState>,
}

/// One entry of a `PATCH …/offsets` body; `None` stands for a JSON `null`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct OffsetEntry {
    pub(crate) partition: Option<Map<String, Json>>,
    pub(crate) offset: Option<Map<String, Json>>,
}

/// The body of `PATCH …/offsets` (`ConnectorOffsets`); `None` entries are JSON `null`s.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ConnectorOffsetsRequest {
    pub(crate) offsets: Option<Vec<Option<OffsetEntry>>>,
}

/// A body type Kafka Connect binds with Jackson.
pub(crate) trait Entity: Sized {
    /// Binds the value at the parser's current (non-null) token.
    fn bind(p: &mut Parser<'_>) -> Result<Self, JacksonError>;
}

/// Reads one entity; `Ok(None)` for an empty body or a root `null` (Kafka then dereferences
/// `null`, which the caller turns into its `NullPointerException` answer).
pub(crate) fn read<T: Entity>(body: &[u8]) -> Result<Option<T>, JacksonError> {
    let mut p = Parser::new(body);
    match p.next_token()? {
        None | Some(Tok::Null) => Ok(None),
        Some(_) => T::bind(&mut p).map(Some),
    }
}

/// `List<Map<String,String>>` read by a plain `ObjectMapper` (`InternalConnectResource.
/// putTaskConfigs`), which, unlike the JAX-RS provider, refuses an empty body: `Ok(None)` only
/// for a root `null`. A `null` task config stays `None`.
pub(crate) fn read_task_configs(body: &[u8]) -> Result<Option<Vec<Option<JavaMap>>>, JacksonError> {
    let mut p = Parser::new(body);
    match p.next_token()? {
        // `ObjectMapper._initForReading`; the location is the input's start whatever the
        // white space before the end.
        None => Err(JacksonError::mapping(
            "No content to map due to end-of-input",
            Loc::At { line: 1, col: 0 },
        )),
        Some(Tok::Null) => Ok(None),
        Some(Tok::StartArray) => {
            let mut out = Vec::new();
            loop {
                match p.next_token()? {
                    Some(Tok::EndArray) | None => return Ok(Some(out)),
                    Some(Tok::Null) => out.push(None),
                    Some(_) => {
                        let index = out.len();
                        let map = bind_string_map(&mut p)
                            .map_err(|e| e.wrap("java.util.ArrayList", RefKey::Index(index)))?;
                        out.push(Some(map));
                    }
                }
            }
        }
        Some(t) => Err(mismatch(
            "java.util.ArrayList<java.util.Map<java.lang.String,java.lang.String>>",
            t,
            &p,
        )),
    }
}

impl Entity for JavaMap {
    fn bind(p: &mut Parser<'_>) -> Result<Self, JacksonError> {
        bind_string_map(p)
    }
}

impl Entity for CreateConnectorRequest {
    fn bind(p: &mut Parser<'_>) -> Result<Self, JacksonError> {
        bind_create_request(p)
    }
}

impl Entity for ConnectorOffsetsRequest {
    fn bind(p: &mut Parser<'_>) -> Result<Self, JacksonError> {
        bind_offsets(p)
    }
}

// ------------------------------------------------------------------------------------ scalars

fn mismatch(type_desc: &str, t: Tok, p: &Parser<'_>) -> JacksonError {
    JacksonError::mapping(
        format!(
            "Cannot deserialize value of type `{type_desc}` from {} (token `JsonToken.{}`)",
            t.value_desc(),
            t.java_name()
        ),
        p.token_location(),
    )
}

/// `StringDeserializer` for a non-null token.
fn bind_string(p: &mut Parser<'_>) -> Result<String, JacksonError> {
    match p.current() {
        Some(t @ (Tok::StartArray | Tok::StartObject)) => Err(mismatch(STRING, t, p)),
        _ => p.text(),
    }
}

/// `StdDeserializer._deserializeFromString` for a type with no String creator.
fn from_string(p: &mut Parser<'_>, raw_class: &str, coerced_desc: &str) -> JacksonError {
    let value = match p.text() {
        Ok(v) => v,
        Err(e) => return e,
    };
    let loc = p.token_location();
    if value.trim().is_empty() {
        return JacksonError::mapping(
            format!(
                "Cannot coerce empty String (\"\") to {coerced_desc} (but could if coercion was enabled using `CoercionConfig`)"
            ),
            loc,
        );
    }
    JacksonError::mapping(
        format!(
            "Cannot construct instance of `{raw_class}` (although at least one Creator exists): no String-argument constructor/factory method to deserialize from String value ('{}')",
            value.trim()
        ),
        loc,
    )
}

/// A bean (`BeanDeserializer`) asked to bind something that is not a JSON object.
fn bean_from_other(p: &mut Parser<'_>, class: &str) -> JacksonError {
    let Some(t) = p.current() else {
        return JacksonError::mapping(
            format!("Unexpected end-of-input when trying read value of type `{class}`"),
            p.token_location(),
        );
    };
    let loc = p.token_location();
    let missing = |what: String| {
        JacksonError::mapping(
            format!(
                "Cannot construct instance of `{class}` (although at least one Creator exists): {what}"
            ),
            loc,
        )
    };
    match t {
        Tok::String => from_string(p, class, &format!("`{class}` value")),
        Tok::NumberInt => {
            let text = p.text().unwrap_or_default();
            match text.parse::<i64>() {
                Ok(v) if i32::try_from(v).is_ok() => missing(format!(
                    "no int/Int-argument constructor/factory method to deserialize from Number value ({v})"
                )),
                Ok(v) => missing(format!(
                    "no long/Long-argument constructor/factory method to deserialize from Number value ({v})"
                )),
                Err(_) => missing(format!(
                    "no BigInteger-argument constructor/factory method to deserialize from Number value ({text})"
                )),
            }
        }
        Tok::NumberFloat => {
            let text = p.text().unwrap_or_default();
            let v = text.parse::<f64>().unwrap_or(f64::NAN);
            missing(format!(
                "no double/Double-argument constructor/factory method to deserialize from Number value ({})",
                java::double_to_string(v)
            ))
        }
        Tok::True | Tok::False => missing(format!(
            "no boolean/Boolean-argument constructor/factory method to deserialize from boolean value ({})",
            t == Tok::True
        )),
        _ => mismatch(class, t, p),
    }
}

/// A map (`MapDeserializer`) asked to bind something that is not a JSON object.
fn map_from_other(p: &mut Parser<'_>, type_desc: &str) -> JacksonError {
    match p.current() {
        Some(Tok::String) => from_string(
            p,
            LINKED_HASH_MAP,
            &format!("element of `{LINKED_HASH_MAP}`"),
        ),
        Some(t) => mismatch(type_desc, t, p),
        None => JacksonError::mapping(
            format!("Unexpected end-of-input when trying read value of type `{type_desc}`"),
            p.token_location(),
        ),
    }
}

// ------------------------------------------------------------------------------------ maps

/// `Map<String,String>` at the current token.
fn bind_string_map(p: &mut Parser<'_>) -> Result<JavaMap, JacksonError> {
    if p.current() != Some(Tok::StartObject) {
        return Err(map_from_other(p, STRING_MAP));
    }
    let mut out = JavaMap::new();
    loop {
        match p.next_token()? {
            Some(Tok::FieldName) => {}
            _ => return Ok(out),
        }
        let key = p.current_name().to_owned();
        let value = match p.next_token()? {
            Some(Tok::Null) => None,
            _ => Some(bind_string(p).map_err(|e| e.wrap_in_map(&key))?),
        };
        put(&mut out, key, value);
    }
}

/// `Map<String,?>` at the current token (values bound as untyped objects).
fn bind_object_map(p: &mut Parser<'_>) -> Result<Map<String, Json>, JacksonError> {
    if p.current() != Some(Tok::StartObject) {
        return Err(map_from_other(p, OBJECT_MAP));
    }
    let mut out = Map::new();
    loop {
        match p.next_token()? {
            Some(Tok::FieldName) => {}
            _ => return Ok(out),
        }
        let key = p.current_name().to_owned();
        p.next_token()?;
        let value = bind_untyped(p).map_err(|e| e.wrap_in_map(&key))?;
        out.insert(key, value);
    }
}

/// A container being filled by [`bind_untyped`].
enum Frame {
    Object(Map<String, Json>, Option<String>),
    Array(Vec<Json>),
}

/// `UntypedObjectDeserializer` at the current token. Iterative: nesting is bounded only by the
/// parser's depth limit, not by the stack.
fn bind_untyped(p: &mut Parser<'_>) -> Result<Json, JacksonError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut tok = p.current();
    loop {
        let value = match tok {
            Some(Tok::StartObject) => {
                stack.push(Frame::Object(Map::new(), None));
                None
            }
            Some(Tok::StartArray) => {
                stack.push(Frame::Array(Vec::new()));
                None
            }
            Some(Tok::FieldName) => {
                if let Some(Frame::Object(_, key)) = stack.last_mut() {
                    *key = Some(p.current_name().to_owned());
                }
                None
            }
            Some(Tok::EndObject | Tok::EndArray) => match stack.pop() {
                Some(Frame::Object(m, _)) => Some(Json::Object(m)),
                Some(Frame::Array(a)) => Some(Json::Array(a)),
                None => Some(Json::Null),
            },
            Some(Tok::String) => Some(Json::String(p.text()?)),
            Some(Tok::NumberInt) => {
                let text = p.text()?;
                Some(if let Ok(v) = text.parse::<i64>() {
                    Json::Number(v.into())
                } else if let Ok(v) = text.parse::<u64>() {
                    Json::Number(v.into())
                } else {
                    text.parse::<f64>()
                        .ok()
                        .and_then(Number::from_f64)
                        .map_or(Json::Null, Json::Number)
                })
            }
            Some(Tok::NumberFloat) => {
                let text = p.text()?;
                Some(
                    text.parse::<f64>()
                        .ok()
                        .and_then(Number::from_f64)
                        .map_or(Json::Null, Json::Number),
                )
            }
            Some(Tok::True) => Some(Json::Bool(true)),
            Some(Tok::False) => Some(Json::Bool(false)),
            Some(Tok::Null) | None => Some(Json::Null),
        };
        if let Some(v) = value {
            match stack.last_mut() {
                None => return Ok(v),
                Some(Frame::Object(m, key)) => {
                    m.insert(key.take().unwrap_or_default(), v);
                }
                Some(Frame::Array(a)) => a.push(v),
            }
        }
        tok = p.next_token()?;
    }
}

// ------------------------------------------------------------------------------------ beans

/// `UnrecognizedPropertyException`.
fn unrecognized(class: &str, prop: &str, known: &[&str], loc: Loc) -> JacksonError {
    let known_desc = if known.len() == 1 {
        format!(" (one known property: \"{}\"])", known[0])
    } else {
        let names: Vec<String> = known.iter().map(|k| format!("\"{k}\"")).collect();
        format!(" ({} known properties: {}])", known.len(), names.join(", "))
    };
    JacksonError::mapping(
        format!(
            "Unrecognized field \"{prop}\" (class {class}), not marked as ignorable{known_desc}"
        ),
        loc,
    )
    .wrap(class, RefKey::Field(prop.to_owned()))
}

/// Drives Jackson's property-based creator loop (`_deserializeUsingPropertyBased`): creator
/// properties (`known`, in creator order) are bound as they come; unknown ones are buffered until
/// every creator property has been seen or the object ends, and once all have been seen they fail
/// on the spot. `listed` is the order Jackson lists the known properties in its message.
fn bind_bean<F>(
    p: &mut Parser<'_>,
    class: &str,
    known: &[&str],
    listed: &[&str],
    mut set: F,
) -> Result<(), JacksonError>
where
    F: FnMut(&mut Parser<'_>, usize) -> Result<(), JacksonError>,
{
    if p.current() != Some(Tok::StartObject) {
        return Err(bean_from_other(p, class));
    }
    let mut seen = vec![false; known.len()];
    let mut built = false;
    let mut buffered_unknown: Option<String> = None;
    while p.next_token()? == Some(Tok::FieldName) {
        let prop = p.current_name().to_owned();
        p.next_token()?;
        if let Some(ix) = known.iter().position(|k| *k == prop) {
            set(p, ix).map_err(|e| e.wrap(class, RefKey::Field(prop.clone())))?;
            if !built {
                seen[ix] = true;
                if seen.iter().all(|s| *s) {
                    built = true;
                    if let Some(unknown) = buffered_unknown.take() {
                        // The bean is built after moving past the value; the buffered unknown
                        // property is then reported where the parser stands.
                        p.next_token()?;
                        return Err(unrecognized(class, &unknown, listed, p.current_location()));
                    }
                }
            }
            continue;
        }
        if built {
            return Err(unrecognized(class, &prop, listed, p.current_location()));
        }
        if buffered_unknown.is_none() {
            buffered_unknown = Some(prop);
        }
        // `copyCurrentStructure`: reads (and checks) the whole value.
        if p.current() == Some(Tok::String) {
            p.text()?;
        }
        p.skip_children()?;
    }
    match buffered_unknown {
        Some(unknown) => Err(unrecognized(class, &unknown, listed, p.current_location())),
        None => Ok(()),
    }
}

fn bind_create_request(p: &mut Parser<'_>) -> Result<CreateConnectorRequest, JacksonError> {
    let class = format!("{ENTITIES}.CreateConnectorRequest");
    let enum_class = format!("{ENTITIES}.CreateConnectorRequest$InitialState");
    let mut req = CreateConnectorRequest::default();
    let known = ["name", "config", "initial_state"];
    bind_bean(
        p,
        &class,
        &known,
        &["config", "name", "initial_state"],
        |p, ix| {
            let null = p.current() == Some(Tok::Null);
            match ix {
                0 => req.name = if null { None } else { Some(bind_string(p)?) },
                1 => {
                    req.config = if null {
                        None
                    } else {
                        Some(bind_string_map(p)?)
                    }
                }
                _ => {
                    req.initial_state = if null {
                        None
                    } else {
                        Some(bind_initial_state(p, &enum_class)?)
                    }
                }
            }
            Ok(())
        },
    )?;
    Ok(req)
}

/// `InitialState.forValue` through `FactoryBasedEnumDeserializer`.
fn bind_initial_state(p: &mut Parser<'_>, enum_class: &str) -> Result<TargetState, JacksonError> {
    let t = p.current().unwrap_or(Tok::Null);
    if !t.is_scalar() {
        return Err(JacksonError::mapping(
            format!(
                "Input mismatch reading Enum `{enum_class}`: properties-based `@JsonCreator` ([method {enum_class}#forValue(java.lang.String)]) expects String Value, got {} (`JsonToken.{}`)",
                t.value_desc(),
                t.java_name()
            ),
            p.token_location(),
        ));
    }
    let value = p.text()?;
    let upper = value.to_uppercase();
    match upper.as_str() {
        "RUNNING" => Ok(TargetState::Started),
        "PAUSED" => Ok(TargetState::Paused),
        "STOPPED" => Ok(TargetState::Stopped),
        _ => Err(JacksonError::mapping(
            format!(
                "Cannot construct instance of `{enum_class}`, problem: No enum constant {}.{upper}",
                enum_class.replace('$', ".")
            ),
            p.token_location(),
        )),
    }
}

fn bind_offsets(p: &mut Parser<'_>) -> Result<ConnectorOffsetsRequest, JacksonError> {
    let class = format!("{ENTITIES}.ConnectorOffsets");
    let mut req = ConnectorOffsetsRequest::default();
    bind_bean(p, &class, &["offsets"], &["offsets"], |p, _| {
        req.offsets = match p.current() {
            Some(Tok::Null) => None,
            _ => Some(bind_offset_list(p)?),
        };
        Ok(())
    })?;
    Ok(req)
}

fn bind_offset_list(p: &mut Parser<'_>) -> Result<Vec<Option<OffsetEntry>>, JacksonError> {
    let list_type = format!("java.util.ArrayList<{ENTITIES}.ConnectorOffset>");
    match p.current() {
        Some(Tok::StartArray) => {}
        Some(t) => return Err(mismatch(&list_type, t, p)),
        None => return Ok(Vec::new()),
    }
    let mut out = Vec::new();
    loop {
        match p.next_token()? {
            Some(Tok::EndArray) | None => return Ok(out),
            Some(Tok::Null) => out.push(None),
            Some(_) => {
                let index = out.len();
                let entry = bind_offset(p)
                    .map_err(|e| e.wrap("java.util.ArrayList", RefKey::Index(index)))?;
                out.push(Some(entry));
            }
        }
    }
}

fn bind_offset(p: &mut Parser<'_>) -> Result<OffsetEntry, JacksonError> {
    let class = format!("{ENTITIES}.ConnectorOffset");
    let mut entry = OffsetEntry::default();
    let known = ["partition", "offset"];
    bind_bean(p, &class, &known, &known, |p, ix| {
        let value = match p.current() {
            Some(Tok::Null) => None,
            _ => Some(bind_object_map(p)?),
        };
        if ix == 0 {
            entry.partition = value;
        } else {
            entry.offset = value;
        }
        Ok(())
    })?;
    Ok(entry)
}

#[cfg(test)]
mod tests;
