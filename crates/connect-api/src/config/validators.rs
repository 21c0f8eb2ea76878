use std::fmt;
use std::sync::Arc;

use super::ConfigValue;

type CustomFn = dyn Fn(&ConfigValue) -> Result<(), String> + Send + Sync;

/// A per-key validator (`ConfigDef.Validator`). The error strings are Kafka's, because clients
/// show them verbatim.
#[derive(Clone)]
pub enum Validator {
    /// `ConfigDef.Range`: numeric bounds, inclusive.
    Range { min: Option<f64>, max: Option<f64> },
    /// `ConfigDef.ValidString`: one of the listed values, case-sensitive.
    OneOf(&'static [&'static str]),
    /// `ConfigDef.CaseInsensitiveValidString`.
    OneOfIgnoreCase(&'static [&'static str]),
    /// `ConfigDef.NonEmptyString`.
    NonEmptyString,
    /// Every list element must be one of the values (`ConfigDef.ValidList`).
    ListOf(&'static [&'static str]),
    /// Anything else; the closure returns the reason text.
    Custom(Arc<CustomFn>),
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Range { min, max } => write!(f, "Range({min:?}, {max:?})"),
            Self::OneOf(v) => write!(f, "OneOf({v:?})"),
            Self::OneOfIgnoreCase(v) => write!(f, "OneOfIgnoreCase({v:?})"),
            Self::NonEmptyString => f.write_str("NonEmptyString"),
            Self::ListOf(v) => write!(f, "ListOf({v:?})"),
            Self::Custom(_) => f.write_str("Custom"),
        }
    }
}

impl Validator {
    pub fn at_least(min: f64) -> Self {
        Self::Range {
            min: Some(min),
            max: None,
        }
    }

    pub fn between(min: f64, max: f64) -> Self {
        Self::Range {
            min: Some(min),
            max: Some(max),
        }
    }

    pub fn custom(f: impl Fn(&ConfigValue) -> Result<(), String> + Send + Sync + 'static) -> Self {
        Self::Custom(Arc::new(f))
    }

    /// Checks `value`; the error is the reason text (without the `Invalid value …` prefix).
    pub fn check(&self, value: &ConfigValue) -> Result<(), String> {
        match self {
            Self::Range { min, max } => {
                let n = match value {
                    ConfigValue::Int(v) => f64::from(*v),
                    ConfigValue::Short(v) => f64::from(*v),
                    ConfigValue::Long(v) => *v as f64,
                    ConfigValue::Double(v) => *v,
                    ConfigValue::Null => return Ok(()),
                    _ => return Ok(()),
                };
                if let Some(lo) = min
                    && n < *lo
                {
                    return Err(format!("Value must be at least {}", render(*lo)));
                }
                if let Some(hi) = max
                    && n > *hi
                {
                    return Err(format!("Value must be no more than {}", render(*hi)));
                }
                Ok(())
            }
            Self::OneOf(allowed) => match value {
                ConfigValue::String(s) if !allowed.contains(&s.as_str()) => {
                    Err(format!("String must be one of: {}", allowed.join(", ")))
                }
                _ => Ok(()),
            },
            Self::OneOfIgnoreCase(allowed) => match value {
                ConfigValue::String(s) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) => {
                    Err(format!(
                        "String must be one of (case insensitive): {}",
                        allowed.join(", ")
                    ))
                }
                _ => Ok(()),
            },
            Self::NonEmptyString => match value {
                ConfigValue::String(s) if s.is_empty() => {
                    Err("String must be non-empty".to_owned())
                }
                _ => Ok(()),
            },
            Self::ListOf(allowed) => match value {
                ConfigValue::List(items) => {
                    match items.iter().find(|i| !allowed.contains(&i.as_str())) {
                        Some(bad) => Err(format!(
                            "Invalid value {bad} for configuration: must be one of {}",
                            allowed.join(", ")
                        )),
                        None => Ok(()),
                    }
                }
                _ => Ok(()),
            },
            Self::Custom(f) => f(value),
        }
    }
}

/// Numbers as Java prints the bound (`1`, not `1.0`, for integral bounds).
fn render(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}
