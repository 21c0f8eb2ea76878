//! A scripted group coordinator speaking the Kafka protocol over a local listener, for the
//! member's state-machine tests: real frames, real kafka-protocol codecs, answers the test sets.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, BrokerId, FindCoordinatorRequest,
    FindCoordinatorResponse, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest,
    JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, ResponseHeader,
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
    SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::{
    Decodable, Encodable, HeaderVersion, StrBytes, decode_request_header_from_buffer,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// What the fake saw, in order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Seen {
    Find,
    Join {
        member_id: String,
        protocols: Vec<String>,
        /// The metadata of the first (preferred) protocol.
        metadata: Bytes,
    },
    Sync {
        member_id: String,
        generation: i32,
        /// The leader's assignments, member id → bytes; empty for a follower.
        assignments: BTreeMap<String, Bytes>,
    },
    Heartbeat {
        member_id: String,
        generation: i32,
    },
    Leave {
        member_ids: Vec<String>,
    },
    SaslHandshake(String),
    SaslAuthenticate(Vec<u8>),
}

/// A SASL exchange the fake runs: it answers each client message in turn.
pub(super) type SaslServer = Box<dyn FnMut(&[u8]) -> Result<Vec<u8>, String> + Send>;

/// The script: how the fake answers. Tests change it while the member runs.
#[derive(Default)]
pub(super) struct Script {
    /// FindCoordinator's answer (`host:port`); `None`: this fake itself.
    pub(super) coordinator: Option<String>,
    /// Answer JoinGroup v4+ without a member id with MEMBER_ID_REQUIRED (as Kafka does).
    pub(super) require_member_id: bool,
    pub(super) join_errors: VecDeque<i16>,
    pub(super) sync_errors: VecDeque<i16>,
    pub(super) heartbeat_errors: VecDeque<i16>,
    /// Other members (id, metadata) the JoinGroup answer lists when the member leads.
    pub(super) other_members: Vec<(String, Bytes)>,
    /// The leader's member id when it is someone else: the member follows.
    pub(super) leader: Option<String>,
    /// The sub-protocol the group chooses; `None`: the member's first.
    pub(super) protocol: Option<String>,
    /// A follower's SyncGroup answers, in turn.
    pub(super) follower_assignments: VecDeque<Bytes>,
    /// The SASL mechanism the fake enables, and its server side.
    pub(super) sasl: Option<(String, Option<SaslServer>)>,
    pub(super) generation: i32,
    pub(super) next_member: u32,
    pub(super) seen: Vec<Seen>,
}

pub(super) type Shared = Arc<Mutex<Script>>;

/// A running fake; dropping it closes the listener and every connection.
pub(super) struct Fake {
    pub(super) addr: String,
    pub(super) script: Shared,
    _tasks: JoinSet<()>,
}

impl Fake {
    pub(super) async fn start() -> Fake {
        Self::start_with(None).await
    }

    /// With `tls`, every connection is TLS first.
    pub(super) async fn start_with(tls: Option<tokio_rustls::TlsAcceptor>) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let script: Shared = Arc::default();
        let mut tasks = JoinSet::new();
        let (s, a) = (script.clone(), addr.clone());
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (s, a, tls) = (s.clone(), a.clone(), tls.clone());
                connections.spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                serve(stream, s, a).await;
                            }
                        }
                        None => serve(tcp, s, a).await,
                    }
                });
            }
        });
        Fake {
            addr,
            script,
            _tasks: tasks,
        }
    }

    pub(super) fn with<T>(&self, f: impl FnOnce(&mut Script) -> T) -> T {
        f(&mut self.script.lock().unwrap())
    }

    pub(super) fn seen(&self) -> Vec<Seen> {
        self.with(|s| s.seen.clone())
    }

    pub(super) fn joins(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| matches!(s, Seen::Join { .. }))
            .collect()
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, script: Shared, addr: String) {
    loop {
        let Ok(len) = stream.read_i32().await else {
            return;
        };
        let mut body = vec![0; usize::try_from(len).unwrap()];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        let mut body = Bytes::from(body);
        let header = decode_request_header_from_buffer(&mut body).unwrap();
        let Some(frame) = answer(
            &script,
            &addr,
            header.request_api_key,
            header.request_api_version,
            header.correlation_id,
            body,
        ) else {
            return;
        };
        if stream.write_all(&frame).await.is_err() {
            return;
        }
    }
}

fn frame<R: Encodable + HeaderVersion>(correlation: i32, version: i16, response: &R) -> Vec<u8> {
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    ResponseHeader::default()
        .with_correlation_id(correlation)
        .encode(&mut buf, R::header_version(version))
        .unwrap();
    response.encode(&mut buf, version).unwrap();
    let len = i32::try_from(buf.len() - 4).unwrap();
    buf[..4].copy_from_slice(&len.to_be_bytes());
    buf.to_vec()
}

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_owned())
}

/// The answer to one request; `None` closes the connection.
fn answer(
    script: &Shared,
    addr: &str,
    key: i16,
    version: i16,
    correlation: i32,
    mut body: Bytes,
) -> Option<Vec<u8>> {
    let mut sc = script.lock().unwrap();
    let key = ApiKey::try_from(key).ok()?;
    Some(match key {
        ApiKey::ApiVersions => {
            ApiVersionsRequest::decode(&mut body, version).unwrap();
            let keys = [
                ApiKey::ApiVersions,
                ApiKey::FindCoordinator,
                ApiKey::JoinGroup,
                ApiKey::SyncGroup,
                ApiKey::Heartbeat,
                ApiKey::LeaveGroup,
                ApiKey::SaslHandshake,
                ApiKey::SaslAuthenticate,
            ];
            let api_keys = keys
                .iter()
                .map(|k| {
                    let v = k.valid_versions();
                    ApiVersion::default()
                        .with_api_key(*k as i16)
                        .with_min_version(v.min)
                        .with_max_version(v.max)
                })
                .collect();
            frame(
                correlation,
                version,
                &ApiVersionsResponse::default().with_api_keys(api_keys),
            )
        }
        ApiKey::SaslHandshake => {
            let r = SaslHandshakeRequest::decode(&mut body, version).unwrap();
            sc.seen.push(Seen::SaslHandshake(r.mechanism.to_string()));
            let enabled = sc.sasl.as_ref().map(|(m, _)| m.clone()).unwrap_or_default();
            let code = if r.mechanism.as_str() == enabled {
                0
            } else {
                33
            };
            frame(
                correlation,
                version,
                &SaslHandshakeResponse::default()
                    .with_error_code(code)
                    .with_mechanisms(vec![s(&enabled)]),
            )
        }
        ApiKey::SaslAuthenticate => {
            let r = SaslAuthenticateRequest::decode(&mut body, version).unwrap();
            sc.seen.push(Seen::SaslAuthenticate(r.auth_bytes.to_vec()));
            let server = sc.sasl.as_mut().and_then(|(_, s)| s.as_mut());
            let response = match server.map(|f| f(&r.auth_bytes)) {
                Some(Ok(bytes)) => {
                    SaslAuthenticateResponse::default().with_auth_bytes(Bytes::from(bytes))
                }
                Some(Err(message)) => SaslAuthenticateResponse::default()
                    .with_error_code(58)
                    .with_error_message(Some(s(&message))),
                None => SaslAuthenticateResponse::default().with_error_code(58),
            };
            frame(correlation, version, &response)
        }
        ApiKey::FindCoordinator => {
            FindCoordinatorRequest::decode(&mut body, version).unwrap();
            sc.seen.push(Seen::Find);
            let target = sc.coordinator.clone().unwrap_or_else(|| addr.to_owned());
            let (host, port) = target.rsplit_once(':').unwrap();
            let port: i32 = port.parse().unwrap();
            let response = if version >= 4 {
                FindCoordinatorResponse::default().with_coordinators(vec![
                    Coordinator::default()
                        .with_node_id(BrokerId(1))
                        .with_host(s(host))
                        .with_port(port),
                ])
            } else {
                FindCoordinatorResponse::default()
                    .with_node_id(BrokerId(1))
                    .with_host(s(host))
                    .with_port(port)
            };
            frame(correlation, version, &response)
        }
        ApiKey::JoinGroup => {
            let r = JoinGroupRequest::decode(&mut body, version).unwrap();
            sc.seen.push(Seen::Join {
                member_id: r.member_id.to_string(),
                protocols: r.protocols.iter().map(|p| p.name.to_string()).collect(),
                metadata: r
                    .protocols
                    .first()
                    .map(|p| p.metadata.clone())
                    .unwrap_or_default(),
            });
            if let Some(code) = sc.join_errors.pop_front() {
                return Some(frame(
                    correlation,
                    version,
                    &JoinGroupResponse::default()
                        .with_error_code(code)
                        .with_generation_id(-1)
                        .with_member_id(r.member_id.clone()),
                ));
            }
            let member_id = if r.member_id.is_empty() {
                sc.next_member += 1;
                format!("member-{}", sc.next_member)
            } else {
                r.member_id.to_string()
            };
            if sc.require_member_id && r.member_id.is_empty() && version >= 4 {
                return Some(frame(
                    correlation,
                    version,
                    &JoinGroupResponse::default()
                        .with_error_code(79)
                        .with_generation_id(-1)
                        .with_member_id(s(&member_id)),
                ));
            }
            sc.generation += 1;
            let protocol = match &sc.protocol {
                Some(name) => r
                    .protocols
                    .iter()
                    .find(|p| p.name.as_str() == name)
                    .unwrap(),
                None => r.protocols.first().unwrap(),
            };
            let leader = sc.leader.clone().unwrap_or_else(|| member_id.clone());
            let members = if leader == member_id {
                std::iter::once((member_id.clone(), protocol.metadata.clone()))
                    .chain(sc.other_members.iter().cloned())
                    .map(|(id, metadata)| {
                        JoinGroupResponseMember::default()
                            .with_member_id(s(&id))
                            .with_metadata(metadata)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            frame(
                correlation,
                version,
                &JoinGroupResponse::default()
                    .with_generation_id(sc.generation)
                    .with_protocol_type(Some(s("connect")))
                    .with_protocol_name(Some(protocol.name.clone()))
                    .with_leader(s(&leader))
                    .with_member_id(s(&member_id))
                    .with_members(members),
            )
        }
        ApiKey::SyncGroup => {
            let r = SyncGroupRequest::decode(&mut body, version).unwrap();
            let assignments: BTreeMap<String, Bytes> = r
                .assignments
                .iter()
                .map(|a| (a.member_id.to_string(), a.assignment.clone()))
                .collect();
            sc.seen.push(Seen::Sync {
                member_id: r.member_id.to_string(),
                generation: r.generation_id,
                assignments: assignments.clone(),
            });
            let response = if let Some(code) = sc.sync_errors.pop_front() {
                SyncGroupResponse::default().with_error_code(code)
            } else {
                let assignment = match assignments.get(r.member_id.as_str()) {
                    Some(a) => a.clone(),
                    None => sc.follower_assignments.pop_front().unwrap_or_default(),
                };
                SyncGroupResponse::default()
                    .with_protocol_type(Some(s("connect")))
                    .with_protocol_name(r.protocol_name.clone())
                    .with_assignment(assignment)
            };
            frame(correlation, version, &response)
        }
        ApiKey::Heartbeat => {
            let r = HeartbeatRequest::decode(&mut body, version).unwrap();
            sc.seen.push(Seen::Heartbeat {
                member_id: r.member_id.to_string(),
                generation: r.generation_id,
            });
            let code = sc.heartbeat_errors.pop_front().unwrap_or(0);
            frame(
                correlation,
                version,
                &HeartbeatResponse::default().with_error_code(code),
            )
        }
        ApiKey::LeaveGroup => {
            let r = LeaveGroupRequest::decode(&mut body, version).unwrap();
            let member_ids: Vec<String> = if version >= 3 {
                r.members.iter().map(|m| m.member_id.to_string()).collect()
            } else {
                vec![r.member_id.to_string()]
            };
            sc.seen.push(Seen::Leave {
                member_ids: member_ids.clone(),
            });
            let members = member_ids
                .iter()
                .map(|m| MemberResponse::default().with_member_id(s(m)))
                .collect();
            frame(
                correlation,
                version,
                &LeaveGroupResponse::default().with_members(members),
            )
        }
        _ => return None,
    })
}
