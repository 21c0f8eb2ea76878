//! The coordinator through its socket, against the real test broker (`CONNECT_IT=1`).

use std::collections::HashMap;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ApiVersionsRequest, ApiVersionsResponse, FindCoordinatorRequest, GroupId, HeartbeatRequest,
    JoinGroupRequest, LeaveGroupRequest, MetadataRequest, RequestHeader, ResponseHeader,
    SyncGroupRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::GroupCoordinator;
use crate::{Broker, it_enabled, random_name};

/// A bare Kafka client: one request at a time, versions as the broker advertises them.
struct Client {
    stream: TcpStream,
    correlation: i32,
    versions: HashMap<i16, (i16, i16)>,
}

impl Client {
    async fn connect(addr: &str) -> Self {
        let mut c = Self {
            stream: TcpStream::connect(addr).await.expect("connect"),
            correlation: 0,
            versions: HashMap::new(),
        };
        let r: ApiVersionsResponse = c.send(&ApiVersionsRequest::default(), 0).await;
        assert_eq!(r.error_code, 0);
        c.versions = r
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        c
    }

    /// The newest version of `R` both sides speak.
    fn version<R: Request>(&self) -> i16 {
        let (_, max) = self.versions.get(&R::KEY).copied().expect("advertised");
        max.min(R::VERSIONS.max)
    }

    async fn send<R: Request>(&mut self, request: &R, version: i16) -> R::Response {
        self.correlation += 1;
        let mut buf = BytesMut::new();
        buf.put_i32(0);
        RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation)
            .with_client_id(Some(StrBytes::from_static_str("coordinator-test")))
            .encode(&mut buf, R::header_version(version))
            .expect("header");
        request.encode(&mut buf, version).expect("body");
        let len = i32::try_from(buf.len() - 4).expect("small");
        buf[..4].copy_from_slice(&len.to_be_bytes());
        self.stream.write_all(&buf).await.expect("write");
        let len = self.stream.read_i32().await.expect("length");
        let mut body = vec![0; usize::try_from(len).expect("length")];
        self.stream.read_exact(&mut body).await.expect("body");
        let mut body = Bytes::from(body);
        let header =
            ResponseHeader::decode(&mut body, R::Response::header_version(version)).expect("hdr");
        assert_eq!(header.correlation_id, self.correlation);
        R::Response::decode(&mut body, version).expect("response")
    }
}

fn group_id(s: &str) -> GroupId {
    GroupId(StrBytes::from_string(s.to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_of_the_proxy_finds_it_as_coordinator_and_forms_a_group_while_the_rest_reaches_the_broker()
 {
    if !it_enabled() {
        eprintln!("skipped, set CONNECT_IT=1 to run service-backed tests");
        return;
    }
    let broker = Broker::try_shared().await.expect("broker");
    let group = random_name("coord");
    let proxy = GroupCoordinator::start(broker.bootstrap(), [group.clone()])
        .await
        .expect("proxy");
    let mut client = Client::connect(&proxy.bootstrap()).await;
    // ApiVersions and Metadata are the broker's own answers: Metadata names the broker.
    let metadata = client
        .send(
            &MetadataRequest::default(),
            client.version::<MetadataRequest>(),
        )
        .await;
    let broker_port: i32 = broker
        .bootstrap()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("broker port");
    assert!(
        metadata.brokers.iter().any(|b| b.port == broker_port),
        "{:?}",
        metadata.brokers
    );

    // FindCoordinator: the intercepted group is coordinated by the proxy, another group by
    // the broker, in one batch (version 4 and later) or one by one.
    let fc = client.version::<FindCoordinatorRequest>();
    let other = random_name("other");
    let proxy_port = i32::from(
        proxy
            .bootstrap()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .expect("port"),
    );
    if fc >= 4 {
        let r = client
            .send(
                &FindCoordinatorRequest::default().with_coordinator_keys(vec![
                    StrBytes::from_string(group.clone()),
                    StrBytes::from_string(other.clone()),
                ]),
                fc,
            )
            .await;
        assert_eq!(r.coordinators.len(), 2);
        assert_eq!(
            (r.coordinators[0].port, r.coordinators[0].error_code),
            (proxy_port, 0)
        );
        assert_eq!(r.coordinators[1].key.as_str(), other);
        assert_eq!(r.coordinators[1].port, broker_port);
    }
    let single = client
        .send(
            &FindCoordinatorRequest::default().with_key(StrBytes::from_string(group.clone())),
            fc.min(3),
        )
        .await;
    assert_eq!((single.error_code, single.port), (0, proxy_port));
    let single = client
        .send(
            &FindCoordinatorRequest::default().with_key(StrBytes::from_string(other.clone())),
            fc.min(3),
        )
        .await;
    assert_eq!(single.port, broker_port);

    // The group's protocol, served by the proxy at the versions the broker advertised.
    let jv = client.version::<JoinGroupRequest>();
    let join = |member: &str| {
        JoinGroupRequest::default()
            .with_group_id(group_id(&group))
            .with_session_timeout_ms(10_000)
            .with_rebalance_timeout_ms(30_000)
            .with_member_id(StrBytes::from_string(member.to_owned()))
            .with_protocol_type(StrBytes::from_static_str("connect"))
            .with_protocols(vec![
                JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_static_str("sessioned"))
                    .with_metadata(Bytes::from_static(b"worker-1")),
            ])
    };
    let mut joined = client.send(&join(""), jv).await;
    if jv >= 4 {
        assert_eq!(joined.error_code, 79, "MEMBER_ID_REQUIRED");
        let id = joined.member_id.to_string();
        joined = client.send(&join(&id), jv).await;
    }
    assert_eq!(joined.error_code, 0);
    assert_eq!(joined.generation_id, 1);
    assert_eq!(joined.leader, joined.member_id);
    assert_eq!(joined.members.len(), 1);
    assert_eq!(joined.members[0].metadata.as_ref(), b"worker-1");
    assert_eq!(
        joined.protocol_name.as_ref().map(StrBytes::as_str),
        Some("sessioned")
    );
    let member = joined.member_id.clone();
    let sv = client.version::<SyncGroupRequest>();
    let mut sync = SyncGroupRequest::default()
        .with_group_id(group_id(&group))
        .with_generation_id(1)
        .with_member_id(member.clone())
        .with_assignments(vec![
            SyncGroupRequestAssignment::default()
                .with_member_id(member.clone())
                .with_assignment(Bytes::from_static(b"all the work")),
        ]);
    if sv >= 5 {
        sync = sync
            .with_protocol_type(Some(StrBytes::from_static_str("connect")))
            .with_protocol_name(Some(StrBytes::from_static_str("sessioned")));
    }
    let synced = client.send(&sync, sv).await;
    assert_eq!(synced.error_code, 0);
    assert_eq!(synced.assignment.as_ref(), b"all the work");
    let hv = client.version::<HeartbeatRequest>();
    let beat = |generation| {
        HeartbeatRequest::default()
            .with_group_id(group_id(&group))
            .with_generation_id(generation)
            .with_member_id(member.clone())
    };
    assert_eq!(client.send(&beat(1), hv).await.error_code, 0);
    assert_eq!(
        client.send(&beat(7), hv).await.error_code,
        22,
        "ILLEGAL_GENERATION"
    );
    assert_eq!(
        proxy.coordinator().state(&group).map(|s| s.1),
        Some(1),
        "the proxy, not the broker, holds the group"
    );
    let lv = client.version::<LeaveGroupRequest>();
    let leave = if lv >= 3 {
        LeaveGroupRequest::default()
            .with_group_id(group_id(&group))
            .with_members(vec![
                MemberIdentity::default().with_member_id(member.clone()),
            ])
    } else {
        LeaveGroupRequest::default()
            .with_group_id(group_id(&group))
            .with_member_id(member.clone())
    };
    let left = client.send(&leave, lv).await;
    assert_eq!(left.error_code, 0);
    if lv >= 3 {
        assert_eq!(left.members.len(), 1);
        assert_eq!(left.members[0].error_code, 0);
    }
    assert_eq!(
        client.send(&beat(1), hv).await.error_code,
        25,
        "UNKNOWN_MEMBER_ID"
    );
}
