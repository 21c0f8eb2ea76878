//! The coordinator's listener: Kafka frames from each client, one request at a time as a
//! broker answers them. Group requests for the intercepted groups go to the [`Coordinator`];
//! everything else goes, unchanged, over a connection of its own to the upstream broker and
//! its answer comes back unchanged.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::find_coordinator_response::Coordinator as FoundCoordinator;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{
    ApiKey, BrokerId, DescribeGroupsRequest, DescribeGroupsResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, GroupId, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest,
    JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, ProduceRequest, RequestHeader,
    ResponseHeader, SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::group::{Coordinator, JoinRequest, Leaving, SyncRequest};
use crate::BoxError;

/// Requests larger than this are not Kafka clients talking to us.
const MAX_FRAME: usize = 256 * 1024 * 1024;
/// `FindCoordinator` key type of a group (1 is a transactional id).
const GROUP_KEY: i8 = 0;
/// DescribeGroups' `authorized_operations` when they were not asked for.
const NO_OPERATIONS: i32 = i32::MIN;

/// What every connection shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) upstream: String,
    pub(crate) intercept: HashSet<String>,
    pub(crate) coordinator: Coordinator,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) node_id: i32,
}

impl Shared {
    fn intercepts(&self, group: &str) -> bool {
        self.intercept.contains(group)
    }
}

/// Accepts connections until the task is aborted; aborting it drops (and so aborts) every
/// connection's task.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    // A client or the broker hanging up ends the connection; nothing to report.
                    Connection { client: stream, peer, upstream: None, shared }.run().await.ok();
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

struct Connection {
    client: TcpStream,
    peer: SocketAddr,
    upstream: Option<TcpStream>,
    shared: Arc<Shared>,
}

async fn read_frame(stream: &mut TcpStream) -> Result<Option<Bytes>, BoxError> {
    let len = match stream.read_i32().await {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let len = usize::try_from(len)
        .ok()
        .filter(|l| *l <= MAX_FRAME)
        .ok_or_else(|| format!("a frame of {len} bytes"))?;
    let mut body = vec![0; len];
    stream.read_exact(&mut body).await?;
    Ok(Some(Bytes::from(body)))
}

async fn write_frame(stream: &mut TcpStream, body: &[u8]) -> Result<(), BoxError> {
    let len = i32::try_from(body.len()).map_err(|_| "frame too large")?;
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(body);
    stream.write_all(&frame).await?;
    Ok(())
}

/// A response frame: the header for `version` of `api`, then the body.
fn response(
    api: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &impl Encodable,
) -> Result<Bytes, BoxError> {
    let mut buf = BytesMut::new();
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(&mut buf, api.response_header_version(version))
        .map_err(|e| e.to_string())?;
    body.encode(&mut buf, version).map_err(|e| e.to_string())?;
    Ok(buf.freeze())
}

fn text(s: &StrBytes) -> String {
    s.as_str().to_owned()
}

fn str_bytes(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

impl Connection {
    async fn run(mut self) -> Result<(), BoxError> {
        while let Some(frame) = read_frame(&mut self.client).await? {
            if let Some(answer) = self.answer(frame).await? {
                write_frame(&mut self.client, &answer).await?;
            }
        }
        Ok(())
    }

    /// The response frame to one request (none for a produce with `acks=0`).
    async fn answer(&mut self, frame: Bytes) -> Result<Option<Bytes>, BoxError> {
        let (Some(key), Some(version)) = (
            frame.get(0..2).map(|b| i16::from_be_bytes([b[0], b[1]])),
            frame.get(2..4).map(|b| i16::from_be_bytes([b[0], b[1]])),
        ) else {
            return self.forward(&frame, true).await;
        };
        let Ok(api) = ApiKey::try_from(key) else {
            return self.forward(&frame, true).await;
        };
        let mut body = frame.clone();
        let Ok(header) = RequestHeader::decode(&mut body, api.request_header_version(version))
        else {
            return self.forward(&frame, true).await;
        };
        let local = match api {
            ApiKey::FindCoordinator => match FindCoordinatorRequest::decode(&mut body, version) {
                Ok(r) => self.find_coordinator(&header, r).await?,
                Err(_) => None,
            },
            ApiKey::JoinGroup => match JoinGroupRequest::decode(&mut body, version) {
                Ok(r) if self.shared.intercepts(&r.group_id) => Some(self.join(&header, r).await?),
                _ => None,
            },
            ApiKey::SyncGroup => match SyncGroupRequest::decode(&mut body, version) {
                Ok(r) if self.shared.intercepts(&r.group_id) => Some(self.sync(&header, r).await?),
                _ => None,
            },
            ApiKey::Heartbeat => match HeartbeatRequest::decode(&mut body, version) {
                Ok(r) if self.shared.intercepts(&r.group_id) => Some(self.heartbeat(&header, &r)?),
                _ => None,
            },
            ApiKey::LeaveGroup => match LeaveGroupRequest::decode(&mut body, version) {
                Ok(r) if self.shared.intercepts(&r.group_id) => Some(self.leave(&header, &r)?),
                _ => None,
            },
            ApiKey::DescribeGroups => match DescribeGroupsRequest::decode(&mut body, version) {
                Ok(r) if r.groups.iter().any(|g| self.shared.intercepts(g)) => {
                    Some(self.describe(&header, r).await?)
                }
                _ => None,
            },
            ApiKey::Produce => {
                // Kafka sends nothing back to a produce with acks=0.
                let acks = ProduceRequest::decode(&mut body, version).map_or(1, |r| r.acks);
                return self.forward(&frame, acks != 0).await;
            }
            _ => None,
        };
        match local {
            Some(answer) => Ok(Some(answer)),
            None => self.forward(&frame, true).await,
        }
    }

    /// Sends `frame` to the upstream broker, as it came, and returns its response frame.
    async fn forward(&mut self, frame: &[u8], reply: bool) -> Result<Option<Bytes>, BoxError> {
        let upstream = match &mut self.upstream {
            Some(s) => s,
            None => {
                let s = TcpStream::connect(&self.shared.upstream).await?;
                s.set_nodelay(true)?;
                self.upstream.insert(s)
            }
        };
        write_frame(upstream, frame).await?;
        if !reply {
            return Ok(None);
        }
        let answer = read_frame(upstream)
            .await?
            .ok_or("the upstream broker closed the connection")?;
        Ok(Some(answer))
    }

    /// A request re-encoded with `header` and `body`, forwarded, its response decoded.
    async fn forward_request<R: Encodable, S: Decodable>(
        &mut self,
        api: ApiKey,
        header: &RequestHeader,
        body: &R,
    ) -> Result<S, BoxError> {
        let version = header.request_api_version;
        let mut buf = BytesMut::new();
        header
            .encode(&mut buf, api.request_header_version(version))
            .map_err(|e| e.to_string())?;
        body.encode(&mut buf, version).map_err(|e| e.to_string())?;
        let mut answer = self
            .forward(&buf, true)
            .await?
            .ok_or("no response from the upstream broker")?;
        ResponseHeader::decode(&mut answer, api.response_header_version(version))
            .map_err(|e| e.to_string())?;
        Ok(S::decode(&mut answer, version).map_err(|e| e.to_string())?)
    }

    fn found(&self, key: StrBytes) -> FoundCoordinator {
        FoundCoordinator::default()
            .with_key(key)
            .with_node_id(BrokerId(self.shared.node_id))
            .with_host(str_bytes(self.shared.host.clone()))
            .with_port(i32::from(self.shared.port))
    }

    /// Intercepted group keys are answered with this listener; the others are asked of the
    /// upstream broker (in one batch for version 4 and later) and its answers kept.
    async fn find_coordinator(
        &mut self,
        header: &RequestHeader,
        r: FindCoordinatorRequest,
    ) -> Result<Option<Bytes>, BoxError> {
        let version = header.request_api_version;
        let shared = Arc::clone(&self.shared);
        let ours = |key: &StrBytes| r.key_type == GROUP_KEY && shared.intercepts(key);
        if version < 4 {
            if !ours(&r.key) {
                return Ok(None);
            }
            let found = self.found(r.key.clone());
            let body = FindCoordinatorResponse::default()
                .with_node_id(found.node_id)
                .with_host(found.host)
                .with_port(found.port);
            return response(
                ApiKey::FindCoordinator,
                version,
                header.correlation_id,
                &body,
            )
            .map(Some);
        }
        if !r.coordinator_keys.iter().any(ours) {
            return Ok(None);
        }
        let theirs: Vec<StrBytes> = r
            .coordinator_keys
            .iter()
            .filter(|k| !ours(k))
            .cloned()
            .collect();
        let mut upstream: Vec<FoundCoordinator> = Vec::new();
        if !theirs.is_empty() {
            let request = r.clone().with_coordinator_keys(theirs);
            let answer: FindCoordinatorResponse = self
                .forward_request(ApiKey::FindCoordinator, header, &request)
                .await?;
            upstream = answer.coordinators;
        }
        let coordinators = r
            .coordinator_keys
            .iter()
            .map(|k| {
                if ours(k) {
                    self.found(k.clone())
                } else {
                    upstream
                        .iter()
                        .find(|c| c.key == *k)
                        .cloned()
                        .unwrap_or_else(|| {
                            FoundCoordinator::default()
                                .with_key(k.clone())
                                .with_error_code(
                                    kafka_protocol::error::ResponseError::CoordinatorNotAvailable
                                        .code(),
                                )
                        })
                }
            })
            .collect();
        let body = FindCoordinatorResponse::default().with_coordinators(coordinators);
        response(
            ApiKey::FindCoordinator,
            version,
            header.correlation_id,
            &body,
        )
        .map(Some)
    }

    async fn join(
        &mut self,
        header: &RequestHeader,
        r: JoinGroupRequest,
    ) -> Result<Bytes, BoxError> {
        let version = header.request_api_version;
        let request = JoinRequest {
            group_id: text(&r.group_id),
            member_id: text(&r.member_id),
            group_instance_id: r.group_instance_id.as_ref().map(text),
            // KafkaApis: version 4 and later, for dynamic members.
            require_known_member_id: version >= 4 && r.group_instance_id.is_none(),
            client_id: header.client_id.as_ref().map(text).unwrap_or_default(),
            client_host: format!("/{}", self.peer.ip()),
            rebalance_timeout_ms: if version == 0 {
                r.session_timeout_ms
            } else {
                r.rebalance_timeout_ms
            },
            session_timeout_ms: r.session_timeout_ms,
            protocol_type: text(&r.protocol_type),
            protocols: r
                .protocols
                .iter()
                .map(|p| (text(&p.name), p.metadata.clone()))
                .collect(),
        };
        let result = self.shared.coordinator.join(request).await;
        let mut body = JoinGroupResponse::default()
            .with_error_code(result.error)
            .with_generation_id(result.generation_id)
            .with_leader(str_bytes(result.leader))
            .with_member_id(str_bytes(result.member_id))
            .with_members(
                result
                    .members
                    .into_iter()
                    .map(|(id, metadata)| {
                        JoinGroupResponseMember::default()
                            .with_member_id(str_bytes(id))
                            .with_metadata(metadata)
                    })
                    .collect(),
            );
        // KafkaApis: the protocol name is nullable from version 7, "" before.
        body.protocol_name = if version >= 7 {
            result.protocol_name.map(str_bytes)
        } else {
            Some(str_bytes(result.protocol_name.unwrap_or_default()))
        };
        if version >= 7 {
            body.protocol_type = result.protocol_type.map(str_bytes);
        }
        response(ApiKey::JoinGroup, version, header.correlation_id, &body)
    }

    async fn sync(
        &mut self,
        header: &RequestHeader,
        r: SyncGroupRequest,
    ) -> Result<Bytes, BoxError> {
        let version = header.request_api_version;
        let request = SyncRequest {
            group_id: text(&r.group_id),
            generation_id: r.generation_id,
            member_id: text(&r.member_id),
            group_instance_id: r.group_instance_id.as_ref().map(text),
            protocol_type: r.protocol_type.as_ref().map(text),
            protocol_name: r.protocol_name.as_ref().map(text),
            assignments: r
                .assignments
                .iter()
                .map(|a| (text(&a.member_id), a.assignment.clone()))
                .collect(),
        };
        let result = self.shared.coordinator.sync(request).await;
        let mut body = SyncGroupResponse::default()
            .with_error_code(result.error)
            .with_assignment(result.assignment);
        if version >= 5 {
            body.protocol_type = result.protocol_type.map(str_bytes);
            body.protocol_name = result.protocol_name.map(str_bytes);
        }
        response(ApiKey::SyncGroup, version, header.correlation_id, &body)
    }

    fn heartbeat(&self, header: &RequestHeader, r: &HeartbeatRequest) -> Result<Bytes, BoxError> {
        let error = self.shared.coordinator.heartbeat(
            &r.group_id,
            &r.member_id,
            r.group_instance_id.as_deref(),
            r.generation_id,
        );
        let body = HeartbeatResponse::default().with_error_code(error);
        response(
            ApiKey::Heartbeat,
            header.request_api_version,
            header.correlation_id,
            &body,
        )
    }

    fn leave(&self, header: &RequestHeader, r: &LeaveGroupRequest) -> Result<Bytes, BoxError> {
        let version = header.request_api_version;
        let leaving: Vec<Leaving> = if version >= 3 {
            r.members
                .iter()
                .map(|m| Leaving {
                    member_id: text(&m.member_id),
                    group_instance_id: m.group_instance_id.as_ref().map(text),
                })
                .collect()
        } else {
            vec![Leaving {
                member_id: text(&r.member_id),
                group_instance_id: None,
            }]
        };
        let result = self.shared.coordinator.leave(&r.group_id, &leaving);
        let body = if version >= 3 {
            LeaveGroupResponse::default()
                .with_error_code(result.error)
                .with_members(
                    result
                        .members
                        .into_iter()
                        .map(|(id, instance, error)| {
                            MemberResponse::default()
                                .with_member_id(str_bytes(id))
                                .with_group_instance_id(instance.map(str_bytes))
                                .with_error_code(error)
                        })
                        .collect(),
                )
        } else {
            // LeaveGroupResponse before version 3: the one member's error, unless the group's.
            let member = result.members.first().map_or(0, |(_, _, e)| *e);
            let error = if result.error != 0 {
                result.error
            } else {
                member
            };
            LeaveGroupResponse::default().with_error_code(error)
        };
        response(ApiKey::LeaveGroup, version, header.correlation_id, &body)
    }

    async fn describe(
        &mut self,
        header: &RequestHeader,
        r: DescribeGroupsRequest,
    ) -> Result<Bytes, BoxError> {
        let version = header.request_api_version;
        let theirs: Vec<GroupId> = r
            .groups
            .iter()
            .filter(|g| !self.shared.intercepts(g))
            .cloned()
            .collect();
        let mut upstream: Vec<DescribedGroup> = Vec::new();
        if !theirs.is_empty() {
            let request = r.clone().with_groups(theirs);
            let answer: DescribeGroupsResponse = self
                .forward_request(ApiKey::DescribeGroups, header, &request)
                .await?;
            upstream = answer.groups;
        }
        let groups = r
            .groups
            .iter()
            .map(|g| {
                if !self.shared.intercepts(g) {
                    return upstream
                        .iter()
                        .find(|d| d.group_id == *g)
                        .cloned()
                        .unwrap_or_else(|| DescribedGroup::default().with_group_id(g.clone()));
                }
                let s = self.shared.coordinator.describe(g);
                DescribedGroup::default()
                    .with_error_code(s.error)
                    .with_group_id(g.clone())
                    .with_group_state(str_bytes(s.state))
                    .with_protocol_type(str_bytes(s.protocol_type))
                    .with_protocol_data(str_bytes(s.protocol))
                    .with_authorized_operations(NO_OPERATIONS)
                    .with_members(
                        s.members
                            .into_iter()
                            .map(|m| {
                                DescribedGroupMember::default()
                                    .with_member_id(str_bytes(m.member_id))
                                    .with_client_id(str_bytes(m.client_id))
                                    .with_client_host(str_bytes(m.client_host))
                                    .with_member_metadata(m.metadata)
                                    .with_member_assignment(m.assignment)
                            })
                            .collect(),
                    )
            })
            .collect();
        let body = DescribeGroupsResponse::default().with_groups(groups);
        response(
            ApiKey::DescribeGroups,
            version,
            header.correlation_id,
            &body,
        )
    }
}
