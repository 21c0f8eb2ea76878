use std::fmt;

/// Kafka's `ConfigDef.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    /// The upper-case name used in `ConfigKeyInfo.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Boolean => "BOOLEAN",
            Self::String => "STRING",
            Self::Int => "INT",
            Self::Short => "SHORT",
            Self::Long => "LONG",
            Self::Double => "DOUBLE",
            Self::List => "LIST",
            Self::Class => "CLASS",
            Self::Password => "PASSWORD",
        }
    }
}

/// A secret. Redacts itself in `Debug` and `Display` (Kafka's `Password`), so that it cannot
/// leak into logs or REST output by accident.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(String);

impl Password {
    pub const HIDDEN: &'static str = "[hidden]";

    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the one place that must send it (a login).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::HIDDEN)
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::HIDDEN)
    }
}

/// A parsed configuration value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// A key with a `null` default and no value given.
    Null,
    Boolean(bool),
    String(String),
    Int(i32),
    Short(i16),
    Long(i64),
    Double(f64),
    List(Vec<String>),
    Class(String),
    Password(Password),
}

impl ConfigValue {
    /// Renders as Kafka's `ConfigDef.convertToString` does (lists joined by `,`, passwords hidden).
    pub fn to_config_string(&self) -> Option<String> {
        Some(match self {
            Self::Null => return None,
            Self::Boolean(b) => b.to_string(),
            Self::String(s) | Self::Class(s) => s.clone(),
            Self::Int(v) => v.to_string(),
            Self::Short(v) => v.to_string(),
            Self::Long(v) => v.to_string(),
            Self::Double(v) => format_double(*v),
            Self::List(items) => items.join(","),
            Self::Password(_) => Password::HIDDEN.to_owned(),
        })
    }

    /// Parses `raw` as `ty`; the error is Kafka's reason text.
    pub(crate) fn parse(ty: ConfigType, raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        let not_a_number = || format!("Not a number of type {}", ty.as_str());
        Ok(match ty {
            ConfigType::Boolean => match trimmed.to_ascii_lowercase().as_str() {
                "true" => Self::Boolean(true),
                "false" => Self::Boolean(false),
                _ => return Err("Expected value to be either true or false".to_owned()),
            },
            ConfigType::String => Self::String(trimmed.to_owned()),
            ConfigType::Password => Self::Password(Password::new(raw)),
            ConfigType::Class => Self::Class(trimmed.to_owned()),
            ConfigType::Int => Self::Int(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Short => Self::Short(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Long => Self::Long(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Double => Self::Double(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::List => Self::List(if trimmed.is_empty() {
                Vec::new()
            } else {
                trimmed.split(',').map(|s| s.trim().to_owned()).collect()
            }),
        })
    }
}

/// Java's `Double.toString` for the values configs use (`1.0`, `0.5`).
fn format_double(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{v:.1}")
    } else {
        v.to_string()
    }
}
