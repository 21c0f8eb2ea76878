//! One connection to a broker: TCP, then TLS and SASL as `security.protocol` asks, the Kafka
//! request framing, and the API version negotiation every Kafka client does first.

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Message, Request, StrBytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::security::Security;
use crate::DistributedError;

/// The largest response frame accepted; group responses are small, and a length beyond this is a
/// peer that does not speak Kafka (e.g. a TLS listener answering a plaintext client).
const MAX_FRAME: usize = 64 * 1024 * 1024;

/// `UNSUPPORTED_VERSION`: a broker's answer to an ApiVersions version newer than it knows.
const UNSUPPORTED_VERSION: i16 = 35;

/// A byte stream to a broker, plain or TLS.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// An authenticated connection that has negotiated API versions with its broker.
pub(crate) struct Connection {
    stream: Box<dyn Stream>,
    broker: String,
    client_id: StrBytes,
    next_correlation: i32,
    /// API key → the broker's (min, max) version.
    versions: HashMap<i16, (i16, i16)>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("broker", &self.broker)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `broker` (`host:port`), secures and authenticates the connection and learns
    /// which API versions the broker speaks, all within `timeout`.
    pub(crate) async fn open(
        broker: &str,
        security: &Security,
        client_id: &str,
        timeout: Duration,
    ) -> Result<Self, DistributedError> {
        tokio::time::timeout(
            timeout,
            Self::open_within(broker, security, client_id, timeout),
        )
        .await
        .map_err(|_| DistributedError::Timeout(format!("connecting to {broker}")))?
    }

    async fn open_within(
        broker: &str,
        security: &Security,
        client_id: &str,
        timeout: Duration,
    ) -> Result<Self, DistributedError> {
        let tcp = TcpStream::connect(broker)
            .await
            .map_err(|source| DistributedError::Io {
                context: format!("connecting to {broker}"),
                source,
            })?;
        // Group requests are small and latency-bound (heartbeats); Nagle only delays them.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(broker, error = %e, "TCP_NODELAY not set");
        }
        let stream: Box<dyn Stream> = match &security.tls {
            None => Box::new(tcp),
            Some(tls) => Box::new(tls.connect(broker, tcp).await?),
        };
        let mut conn = Connection {
            stream,
            broker: broker.to_owned(),
            client_id: StrBytes::from_string(client_id.to_owned()),
            next_correlation: 0,
            versions: HashMap::new(),
        };
        conn.negotiate_versions(timeout).await?;
        if let Some(sasl) = &security.sasl {
            sasl.authenticate(&mut conn, timeout).await?;
        }
        Ok(conn)
    }

    /// The broker this connection goes to, `host:port`.
    pub(crate) fn broker(&self) -> &str {
        &self.broker
    }

    /// The highest version of `R` that both the broker and this client speak, at least `min`
    /// (older versions lack fields the member relies on).
    pub(crate) fn version<R: Request>(
        &self,
        api: &'static str,
        min: i16,
    ) -> Result<i16, DistributedError> {
        let (broker_min, broker_max) =
            self.versions
                .get(&R::KEY)
                .copied()
                .ok_or(DistributedError::UnsupportedVersion {
                    api,
                    min: -1,
                    max: -1,
                })?;
        let high = broker_max.min(R::VERSIONS.max);
        let low = broker_min.max(R::VERSIONS.min).max(min);
        if high < low {
            return Err(DistributedError::UnsupportedVersion {
                api,
                min: broker_min,
                max: broker_max,
            });
        }
        Ok(high)
    }

    /// Sends one request and waits (at most `timeout`) for its response. Any error leaves the
    /// connection in an unknown state: the caller drops it.
    pub(crate) async fn send<R: Request>(
        &mut self,
        api: &'static str,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response, DistributedError> {
        let mut body = self
            .exchange(
                api,
                timeout,
                R::KEY,
                version,
                R::header_version(version),
                |buf| request.encode(buf, version),
            )
            .await?;
        ResponseHeader::decode(&mut body, R::Response::header_version(version))
            .map_err(|e| malformed(api, &self.broker, &e))?;
        R::Response::decode(&mut body, version).map_err(|e| malformed(api, &self.broker, &e))
    }

    /// Writes one request frame and reads its response frame; returns the response after the
    /// correlation id, which it checks.
    async fn exchange<E: std::fmt::Display>(
        &mut self,
        api: &'static str,
        timeout: Duration,
        key: i16,
        version: i16,
        header_version: i16,
        encode: impl FnOnce(&mut BytesMut) -> Result<(), E>,
    ) -> Result<Bytes, DistributedError> {
        let correlation = self.next_correlation;
        self.next_correlation = self.next_correlation.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(key)
            .with_request_api_version(version)
            .with_correlation_id(correlation)
            .with_client_id(Some(self.client_id.clone()));
        let mut frame = BytesMut::with_capacity(256);
        frame.put_i32(0);
        header
            .encode(&mut frame, header_version)
            .map_err(|e| unencodable(api, &e))?;
        encode(&mut frame).map_err(|e| unencodable(api, &e))?;
        let len = i32::try_from(frame.len() - 4)
            .map_err(|_| DistributedError::Protocol(format!("{api} request too large")))?;
        frame[..4].copy_from_slice(&len.to_be_bytes());

        let broker = self.broker.clone();
        let io = async {
            self.stream.write_all(&frame).await?;
            self.stream.flush().await?;
            let len = self.stream.read_i32().await?;
            let len = usize::try_from(len)
                .ok()
                .filter(|l| *l >= 4 && *l <= MAX_FRAME)
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("a response frame of {len} bytes (is this a Kafka listener with the same security.protocol?)"),
                    )
                })?;
            let mut body = vec![0; len];
            self.stream.read_exact(&mut body).await?;
            Ok::<_, std::io::Error>(Bytes::from(body))
        };
        let body = tokio::time::timeout(timeout, io)
            .await
            .map_err(|_| DistributedError::Timeout(format!("{api} to {broker}")))?
            .map_err(|source| DistributedError::Io {
                context: format!("{api} to {broker}"),
                source,
            })?;
        // Every response header starts with the correlation id, whatever its version.
        let got = body.clone().get_i32();
        if got != correlation {
            return Err(DistributedError::Protocol(format!(
                "{api} to {broker}: response for correlation id {got}, expected {correlation}"
            )));
        }
        Ok(body)
    }

    /// ApiVersions, newest version first; a broker that does not know it answers in version 0
    /// with `UNSUPPORTED_VERSION` and the versions it does know, as Kafka's clients expect.
    async fn negotiate_versions(&mut self, timeout: Duration) -> Result<(), DistributedError> {
        let mut version = ApiVersionsRequest::VERSIONS.max.min(3);
        for _ in 0..2 {
            let request = ApiVersionsRequest::default()
                .with_client_software_name(StrBytes::from_static_str("sluice"))
                .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
            let body = self
                .exchange(
                    "ApiVersions",
                    timeout,
                    ApiVersionsRequest::KEY,
                    version,
                    ApiVersionsRequest::header_version(version),
                    |buf| request.encode(buf, version),
                )
                .await?;
            let decode = |v: i16| {
                let mut b = body.clone();
                ResponseHeader::decode(&mut b, ApiVersionsResponse::header_version(v))
                    .and_then(|_| ApiVersionsResponse::decode(&mut b, v))
            };
            let response = match decode(version) {
                Ok(r) if r.error_code != UNSUPPORTED_VERSION => r,
                _ => decode(0).map_err(|e| malformed("ApiVersions", &self.broker, &e))?,
            };
            if response.error_code == UNSUPPORTED_VERSION {
                let theirs = response
                    .api_keys
                    .iter()
                    .find(|k| k.api_key == ApiVersionsRequest::KEY)
                    .map_or(0, |k| k.max_version);
                if theirs >= version {
                    break;
                }
                version = theirs.max(0);
                continue;
            }
            if response.error_code != 0 {
                return Err(kafka_error("ApiVersions", response.error_code, None));
            }
            self.versions = response
                .api_keys
                .iter()
                .map(|k| (k.api_key, (k.min_version, k.max_version)))
                .collect();
            return Ok(());
        }
        Err(DistributedError::Protocol(format!(
            "ApiVersions to {}: the broker accepted no version",
            self.broker
        )))
    }
}

fn unencodable(api: &str, e: &dyn std::fmt::Display) -> DistributedError {
    DistributedError::Protocol(format!("cannot encode the {api} request: {e}"))
}

fn malformed(api: &str, broker: &str, e: &dyn std::fmt::Display) -> DistributedError {
    DistributedError::Protocol(format!("{api} response from {broker} is malformed: {e}"))
}

/// A Kafka error code from `api`'s response as an error, with Kafka's name for the code.
pub(crate) fn kafka_error(
    api: &'static str,
    code: i16,
    message: Option<&StrBytes>,
) -> DistributedError {
    let name = kafka_protocol::error::ResponseError::try_from_code(code)
        .map_or_else(|| "NONE".to_owned(), |e| e.to_string());
    DistributedError::Kafka {
        api,
        code,
        name,
        message: message.map(|m| m.to_string()),
    }
}

/// Splits `host:port` (IPv6 literals in brackets) into its host and port.
pub(crate) fn split_host_port(addr: &str) -> Option<(&str, u16)> {
    let (host, port) = addr.rsplit_once(':')?;
    let port = port.parse().ok()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    (!host.is_empty()).then_some((host, port))
}
