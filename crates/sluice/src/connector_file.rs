//! Connector configuration files given to standalone mode (`sluice standalone worker.properties
//! connector…`), read in the three forms Kafka's `ConnectStandalone` accepts.

use std::path::Path;

use connect_api::Props;
use connect_runtime::entities::TargetState;
use connect_runtime::worker_config::{WorkerConfigError, parse_properties};

use crate::error::InputError;

/// A connector to create at standalone start-up (`CreateConnectorRequest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectorFile {
    pub(crate) name: String,
    pub(crate) config: Props,
    /// `initial_state` of the JSON request form (`RUNNING`, `PAUSED`, `STOPPED`), if given.
    pub(crate) initial_state: Option<TargetState>,
}

/// Reads a connector configuration file given to `connect-standalone`.
///
/// # Errors
/// When the file cannot be read or is in none of the accepted forms.
pub(crate) fn load_connector_file(path: &Path) -> Result<ConnectorFile, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_connector_file(&text, &path.display().to_string())
}

/// `ConnectStandalone.parseConnectorConfigurationFile`: whatever the extension, the text is tried
/// as a flat JSON object of strings, then as `{"name": …, "config": {…}, "initial_state": …}`,
/// then as a `.properties` file. `origin` names the file in messages.
///
/// # Errors
/// Kafka's messages for a missing `name` or a `name` that disagrees with `config.name`.
pub(crate) fn parse_connector_file(text: &str, origin: &str) -> Result<ConnectorFile, InputError> {
    let missing_name = || {
        InputError::ConnectorFile(format!(
            "Connector configuration at '{origin}' is missing the mandatory 'name' configuration"
        ))
    };
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) {
        // Jackson reads scalars into a Map<String, String> (numbers, booleans as text).
        if let Some(flat) = string_map(&map) {
            let name = flat.get("name").cloned().ok_or_else(missing_name)?;
            return Ok(ConnectorFile {
                name,
                config: flat,
                initial_state: None,
            });
        }
        let name = map.get("name").and_then(|v| v.as_str());
        let config = map
            .get("config")
            .and_then(|v| v.as_object())
            .and_then(string_map);
        if let (Some(name), Some(mut config)) = (name, config) {
            match config.get("name") {
                Some(n) if n != name => {
                    return Err(InputError::ConnectorFile(format!(
                        "Connector name configuration in 'config' doesn't match the one specified in 'name' at '{origin}'"
                    )));
                }
                Some(_) => {}
                None => {
                    config.insert("name".to_owned(), name.to_owned());
                }
            }
            // Jackson's `InitialState.forValue`: a value it does not know fails this form, and
            // the text is then tried as a properties file, as in Kafka.
            let initial_state = match map.get("initial_state") {
                None | Some(serde_json::Value::Null) => Some(None),
                Some(v) => v.as_str().and_then(parse_initial_state).map(Some),
            };
            if let Some(initial_state) = initial_state {
                return Ok(ConnectorFile {
                    name: name.to_owned(),
                    config,
                    initial_state,
                });
            }
        }
    }
    let config = parse_properties(text).map_err(|e| match e {
        WorkerConfigError::Properties { line, message, .. } => WorkerConfigError::Properties {
            path: origin.to_owned(),
            line,
            message,
        },
        other => other,
    })?;
    let name = config.get("name").cloned().ok_or_else(missing_name)?;
    Ok(ConnectorFile {
        name,
        config,
        initial_state: None,
    })
}

/// `CreateConnectorRequest.InitialState`, case-insensitive.
fn parse_initial_state(s: &str) -> Option<TargetState> {
    match s.to_ascii_uppercase().as_str() {
        "RUNNING" => Some(TargetState::Started),
        "PAUSED" => Some(TargetState::Paused),
        "STOPPED" => Some(TargetState::Stopped),
        _ => None,
    }
}

/// The object as string properties, or `None` if a value is an object, array or null.
fn string_map(map: &serde_json::Map<String, serde_json::Value>) -> Option<Props> {
    map.iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((k.clone(), v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_files_in_flat_json_form() {
        let f = parse_connector_file(
            r#"{"name": "src", "connector.class": "FileStreamSource", "tasks.max": 1, "flag": true}"#,
            "src.json",
        )
        .unwrap();
        assert_eq!(f.name, "src");
        assert_eq!(f.config["tasks.max"], "1");
        assert_eq!(f.config["flag"], "true");
        assert_eq!(f.initial_state, None);
    }

    #[test]
    fn connector_files_in_request_json_form() {
        let f = parse_connector_file(
            r#"{"name": "src", "config": {"connector.class": "FileStreamSource", "tasks.max": "1"},
                "initial_state": "PAUSED"}"#,
            "src.json",
        )
        .unwrap();
        assert_eq!(f.name, "src");
        assert_eq!(f.config["name"], "src", "name is copied into config");
        assert_eq!(f.initial_state, Some(TargetState::Paused));
        let stopped = parse_connector_file(
            r#"{"name": "s", "config": {}, "initial_state": "stopped"}"#,
            "s.json",
        )
        .unwrap();
        assert_eq!(stopped.initial_state, Some(TargetState::Stopped));
        // An initial state Jackson does not know fails the request form, as in Kafka; the
        // properties reading of the JSON text then finds no `name`.
        let err = parse_connector_file(
            r#"{"name": "s", "config": {}, "initial_state": "SLEEPING"}"#,
            "s.json",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Connector configuration at 's.json' is missing the mandatory 'name' configuration"
        );

        let err = parse_connector_file(r#"{"name": "a", "config": {"name": "b"}}"#, "a.json")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Connector name configuration in 'config' doesn't match the one specified in 'name' at 'a.json'"
        );
    }

    #[test]
    fn connector_files_in_properties_form() {
        let f = parse_connector_file(
            "name=local-file-source\nconnector.class=FileStreamSource\ntasks.max=1\nfile=test.txt\ntopic=connect-test\n",
            "connect-file-source.properties",
        )
        .unwrap();
        assert_eq!(f.name, "local-file-source");
        assert_eq!(f.config["topic"], "connect-test");

        let err = parse_connector_file("connector.class=X\n", "x.properties").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Connector configuration at 'x.properties' is missing the mandatory 'name' configuration"
        );
    }
}
