//! A small typed client for the Kafka Connect REST API (see
//! `shared/reference/kafka-connect-rest.md`). It never hides a status code: contract tests
//! need the exact status and body, so every call returns a [`RestResponse`] and the typed
//! helpers only decode 2xx bodies.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::BoxError;

/// `GET /`: mirrors `ServerInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerInfo {
    pub version: String,
    pub commit: String,
    pub kafka_cluster_id: Option<String>,
}

/// Mirrors `ConnectorStateInfo` (`GET /connectors/{name}/status`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: ConnectorState,
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConnectorState {
    pub state: String,
    pub worker_id: String,
    pub trace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TaskState {
    pub id: u32,
    pub state: String,
    pub worker_id: String,
    pub trace: Option<String>,
}

/// Mirrors `PluginInfo` (`GET /connector-plugins`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PluginInfo {
    pub class: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub version: Option<String>,
}

/// Status, raw text and (when it parses) JSON body of one response.
#[derive(Debug, Clone)]
pub struct RestResponse {
    pub status: u16,
    pub text: String,
    /// `Value::Null` when the body is empty or not JSON.
    pub body: Value,
}

impl RestResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Errors (with status and body) unless 2xx.
    pub fn success(self) -> Result<Self, BoxError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(format!("HTTP {}: {}", self.status, self.text).into())
        }
    }

    /// Decodes a 2xx body.
    pub fn json<T: DeserializeOwned>(self) -> Result<T, BoxError> {
        let ok = self.success()?;
        serde_json::from_str(&ok.text).map_err(|e| format!("decoding {:?}: {e}", ok.text).into())
    }

    /// Kafka Connect's `ErrorMessage.message`, if the body is one.
    pub fn error_message(&self) -> Option<&str> {
        self.body.get("message").and_then(Value::as_str)
    }
}

/// Client for one worker's REST listener.
#[derive(Debug, Clone)]
pub struct RestClient {
    base: String,
    http: reqwest::Client,
}

impl RestClient {
    /// `base` like `http://127.0.0.1:8083` (a trailing `/` is dropped).
    pub fn new(base: impl Into<String>) -> Result<Self, BoxError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            base: base.into().trim_end_matches('/').to_owned(),
            http,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<RestResponse, BoxError> {
        let resp = req.header("Accept", "application/json").send().await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(RestResponse { status, text, body })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Result<RestResponse, BoxError> {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<RestResponse, BoxError> {
        self.send(self.http.post(self.url(path)).json(body)).await
    }

    /// Any method with a raw body and content type (for malformed and odd requests).
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> Result<RestResponse, BoxError> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self.http.request(method, self.url(path));
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        if !body.is_empty() {
            req = req.body(body.to_owned());
        }
        self.send(req).await
    }

    /// POST with no body (restart endpoints).
    pub async fn post_empty(&self, path: &str) -> Result<RestResponse, BoxError> {
        self.send(self.http.post(self.url(path))).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<RestResponse, BoxError> {
        self.send(self.http.put(self.url(path)).json(body)).await
    }

    pub async fn put_empty(&self, path: &str) -> Result<RestResponse, BoxError> {
        self.send(self.http.put(self.url(path))).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Result<RestResponse, BoxError> {
        self.send(self.http.patch(self.url(path)).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<RestResponse, BoxError> {
        self.send(self.http.delete(self.url(path))).await
    }

    /// `GET /`.
    pub async fn server_info(&self) -> Result<ServerInfo, BoxError> {
        self.get("/").await?.json()
    }

    /// `GET /connectors` (names only).
    pub async fn connectors(&self) -> Result<Vec<String>, BoxError> {
        self.get("/connectors").await?.json()
    }

    /// `POST /connectors` with `{"name": …, "config": …}`; returns the raw response (201 on
    /// success, 409 if it exists, 400 on invalid config).
    pub async fn create_connector(
        &self,
        name: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<RestResponse, BoxError> {
        self.post(
            "/connectors",
            &serde_json::json!({ "name": name, "config": config }),
        )
        .await
    }

    /// `PUT /connectors/{name}/config` (create or update).
    pub async fn put_connector_config(
        &self,
        name: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<RestResponse, BoxError> {
        self.put(
            &format!("/connectors/{name}/config"),
            &serde_json::to_value(config)?,
        )
        .await
    }

    /// `GET /connectors/{name}/config`.
    pub async fn connector_config(&self, name: &str) -> Result<BTreeMap<String, String>, BoxError> {
        self.get(&format!("/connectors/{name}/config"))
            .await?
            .json()
    }

    /// `GET /connectors/{name}/status`.
    pub async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, BoxError> {
        self.get(&format!("/connectors/{name}/status"))
            .await?
            .json()
    }

    pub async fn delete_connector(&self, name: &str) -> Result<RestResponse, BoxError> {
        self.delete(&format!("/connectors/{name}")).await
    }

    pub async fn pause_connector(&self, name: &str) -> Result<RestResponse, BoxError> {
        self.put_empty(&format!("/connectors/{name}/pause")).await
    }

    pub async fn resume_connector(&self, name: &str) -> Result<RestResponse, BoxError> {
        self.put_empty(&format!("/connectors/{name}/resume")).await
    }

    pub async fn restart_connector(&self, name: &str) -> Result<RestResponse, BoxError> {
        self.post_empty(&format!("/connectors/{name}/restart"))
            .await
    }

    /// `GET /connector-plugins`.
    pub async fn connector_plugins(&self) -> Result<Vec<PluginInfo>, BoxError> {
        self.get("/connector-plugins").await?.json()
    }

    /// Waits until the connector and `min_tasks` tasks all report `RUNNING`; on timeout the
    /// error carries the last status seen (with any `trace`).
    pub async fn wait_running(
        &self,
        name: &str,
        min_tasks: usize,
        timeout: Duration,
    ) -> Result<ConnectorStateInfo, BoxError> {
        let deadline = std::time::Instant::now() + timeout;
        let mut delay = Duration::from_millis(50);
        loop {
            let st = self.connector_status(name).await.map_err(|e| e.to_string());
            if let Ok(s) = &st
                && s.connector.state == "RUNNING"
                && s.tasks.len() >= min_tasks
                && s.tasks.iter().all(|t| t.state == "RUNNING")
            {
                return st.map_err(Into::into);
            }
            if std::time::Instant::now() >= deadline {
                return Err(
                    format!("connector {name} not RUNNING after {timeout:?}: {st:?}").into(),
                );
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }
}
