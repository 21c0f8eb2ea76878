//! The Connect group protocol's bytes: Kafka's `ConnectProtocol` (version 0, the `default`
//! eager protocol) and `IncrementalCooperativeConnectProtocol` (version 1 `compatible`, version
//! 2 `sessioned`), byte for byte as Kafka 3.9/4.x writes and reads them.
//!
//! Every message starts with an int16 version. Member metadata (JoinGroup) is the worker's REST
//! URL and config topic offset, followed from version 1 on by `allocation`: nullable bytes that
//! hold the member's current assignment, itself encoded as an assignment. An assignment
//! (SyncGroup) is an error code, the leader's member id and URL, the config offset, and the
//! assigned connectors and tasks as `[connector, [task numbers]]` entries, where task number -1
//! stands for the connector itself; version 1 adds the revoked entries and a rebalance delay.
//!
//! Decoding follows Kafka's `IncrementalCooperativeConnectProtocol` readers, which Kafka uses
//! for all three sub-protocols: a version below 0 is refused, any other version is read with
//! the version 1 layout, trailing bytes are ignored, and the fields version 0 lacks take their
//! defaults (no allocation, nothing revoked, no delay).

pub(crate) mod java_order;
mod wire;

use std::time::Duration;

use crate::{
    Assignment, AssignmentError, ConnectProtocolCompatibility, ConnectorTaskId, DistributedError,
};
use wire::{Reader, Writer, field};

/// `ConnectProtocol.CONNECT_PROTOCOL_V0`: eager rebalancing.
pub const CONNECT_PROTOCOL_V0: i16 = 0;
/// `IncrementalCooperativeConnectProtocol.CONNECT_PROTOCOL_V1`: incremental cooperative.
pub const CONNECT_PROTOCOL_V1: i16 = 1;
/// `IncrementalCooperativeConnectProtocol.CONNECT_PROTOCOL_V2`: cooperative with session keys.
pub const CONNECT_PROTOCOL_V2: i16 = 2;

/// `ConnectProtocol.CONNECTOR_TASK`: the task number that stands for the connector itself.
const CONNECTOR_TASK: i32 = -1;

impl ConnectProtocolCompatibility {
    /// The sub-protocol name this mode prefers in JoinGroup (`ConnectProtocolCompatibility.protocol()`).
    pub fn protocol(self) -> &'static str {
        match self {
            Self::Eager => "default",
            Self::Compatible => "compatible",
            Self::Sessioned => "sessioned",
        }
    }

    /// The protocol version of that sub-protocol.
    pub fn protocol_version(self) -> i16 {
        match self {
            Self::Eager => CONNECT_PROTOCOL_V0,
            Self::Compatible => CONNECT_PROTOCOL_V1,
            Self::Sessioned => CONNECT_PROTOCOL_V2,
        }
    }

    /// `ConnectProtocolCompatibility.fromProtocolVersion`.
    pub fn from_protocol_version(version: i16) -> Option<Self> {
        match version {
            CONNECT_PROTOCOL_V0 => Some(Self::Eager),
            CONNECT_PROTOCOL_V1 => Some(Self::Compatible),
            CONNECT_PROTOCOL_V2 => Some(Self::Sessioned),
            _ => None,
        }
    }

    /// `connect.protocol`'s value, as Kafka parses it (`compatibility(name)`, case-insensitive).
    pub fn from_config(value: &str) -> Option<Self> {
        [Self::Eager, Self::Compatible, Self::Sessioned]
            .into_iter()
            .find(|m| java_equals_ignore_case(value, m.config_name()))
    }

    /// The mode's `connect.protocol` name (`eager`, `compatible`, `sessioned`).
    pub fn config_name(self) -> &'static str {
        match self {
            Self::Eager => "eager",
            Self::Compatible => "compatible",
            Self::Sessioned => "sessioned",
        }
    }
}

/// A member's JoinGroup metadata (Kafka's `ExtendedWorkerState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerMetadata {
    /// The worker's advertised REST URL.
    pub url: String,
    /// The config topic offset the worker has read.
    pub config_offset: i64,
    /// cooperative: what the member runs now (its `allocation`); None for eager
    pub owned: Option<OwnedWork>,
}

/// The connectors and tasks a member runs, as its cooperative metadata reports them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnedWork {
    pub connectors: Vec<String>,
    pub tasks: Vec<ConnectorTaskId>,
}

/// The sub-protocols a worker offers in JoinGroup with its metadata for each, in preference
/// order, as Kafka's `WorkerCoordinator.metadata()`: `sessioned` (version 2), `compatible`
/// (version 1), `default` (version 0), each mode offering itself and the older ones.
///
/// The cooperative entries carry `m.owned` as their `allocation` (null when `None`, as Kafka's
/// before a worker's first assignment). Kafka embeds its whole last assignment there; only its
/// connectors and tasks are ever read back (by the leader's assignor), so the other fields are
/// written as error 0, empty leader id and URL, `m.config_offset`, nothing revoked, no delay.
pub fn join_protocols(
    c: ConnectProtocolCompatibility,
    m: &WorkerMetadata,
) -> Vec<(&'static str, Vec<u8>)> {
    let offered: &[ConnectProtocolCompatibility] = match c {
        ConnectProtocolCompatibility::Eager => &[ConnectProtocolCompatibility::Eager],
        ConnectProtocolCompatibility::Compatible => &[
            ConnectProtocolCompatibility::Compatible,
            ConnectProtocolCompatibility::Eager,
        ],
        ConnectProtocolCompatibility::Sessioned => &[
            ConnectProtocolCompatibility::Sessioned,
            ConnectProtocolCompatibility::Compatible,
            ConnectProtocolCompatibility::Eager,
        ],
    };
    offered
        .iter()
        .map(|mode| (mode.protocol(), encode_metadata(mode.protocol_version(), m)))
        .collect()
}

/// The version of the sub-protocol the group chose (JoinGroup's `protocol_name`), as Kafka's
/// `ConnectProtocolCompatibility.fromProtocol` (names compared ignoring case).
pub fn version_of(protocol_name: &str) -> Result<i16, DistributedError> {
    [
        ConnectProtocolCompatibility::Eager,
        ConnectProtocolCompatibility::Compatible,
        ConnectProtocolCompatibility::Sessioned,
    ]
    .into_iter()
    .find(|m| java_equals_ignore_case(protocol_name, m.protocol()))
    .map(ConnectProtocolCompatibility::protocol_version)
    .ok_or_else(|| {
        DistributedError::Protocol(format!(
            "Not found Connect protocol compatibility mode for protocol: {protocol_name}"
        ))
    })
}

/// Member metadata with the given version's layout: version 0 as `ConnectProtocol.serializeMetadata`
/// (URL and offset), 1 and up as `IncrementalCooperativeConnectProtocol.serializeMetadata` (plus
/// the `allocation`; see [`join_protocols`]).
pub fn encode_metadata(version: i16, m: &WorkerMetadata) -> Vec<u8> {
    let mut w = Writer::default();
    if version <= CONNECT_PROTOCOL_V0 {
        w.i16(CONNECT_PROTOCOL_V0);
        w.string(&m.url);
        w.i64(m.config_offset);
        return w.buf;
    }
    w.i16(version);
    w.string(&m.url);
    w.i64(m.config_offset);
    let allocation = m.owned.as_ref().map(|owned| {
        let mut a = Writer::default();
        a.i16(version);
        write_cooperative_fields(
            &mut a,
            &CooperativeFields {
                error: 0,
                leader: "",
                leader_url: "",
                config_offset: m.config_offset,
                connectors: &owned.connectors,
                tasks: &owned.tasks,
                revoked_connectors: &[],
                revoked_tasks: &[],
                delay_ms: 0,
            },
        );
        a.buf
    });
    w.nullable_bytes(allocation.as_deref());
    w.buf
}

/// Reads a member's metadata as Kafka's leader does (`IncrementalCooperativeConnectProtocol
/// .deserializeMetadata`, for every sub-protocol): returns the header version and the metadata.
/// `owned` is the decoded `allocation`'s connectors and tasks, `None` when the allocation is
/// null or absent (version 0 metadata).
pub fn decode_metadata(bytes: &[u8]) -> Result<(i16, WorkerMetadata), DistributedError> {
    let mut r = Reader::new(bytes);
    let version = read_version(&mut r)?;
    let url = field("url", r.string())?;
    let config_offset = field("config-offset", r.i64())?;
    let allocation = if r.remaining() > 0 {
        field("allocation", r.nullable_bytes())?
    } else {
        None
    };
    let owned = match allocation {
        None => None,
        Some(bytes) => {
            let a = decode_assignment(bytes)?;
            Some(OwnedWork {
                connectors: a.connectors,
                tasks: a.tasks,
            })
        }
    };
    Ok((
        version,
        WorkerMetadata {
            url,
            config_offset,
            owned,
        },
    ))
}

/// An assignment as the leader sends it in SyncGroup, laid out by `a.protocol_version`: 0 as
/// `ConnectProtocol.serializeAssignment`, 1 and up as `IncrementalCooperativeConnectProtocol
/// .serializeAssignment` (with that version in the header).
///
/// With the cooperative protocols the wire carries only what is *newly* assigned to the member
/// in this rebalance (Kafka's `ClusterAssignment.newlyAssigned*`) plus what it must revoke;
/// `a.connectors`/`a.tasks` must be those, not everything the member will run (the member adds
/// them to what it keeps). The assignor in [`crate::assignor`] produces exactly that.
///
/// Entries are written in Kafka's order: the connectors in Java `HashSet` order, each with
/// `-1`, then the tasks grouped under their connector in order of appearance; revoked
/// connectors in order, then revoked tasks. The delay is written in milliseconds, at most
/// `i32::MAX`. Task numbers above `i32::MAX`, which Kafka cannot represent, are left out with
/// a warning.
pub fn encode_assignment(a: &Assignment) -> Vec<u8> {
    let error = match a.error {
        AssignmentError::None => 0,
        AssignmentError::ConfigMismatch => 1,
    };
    let mut w = Writer::default();
    if a.protocol_version <= CONNECT_PROTOCOL_V0 {
        w.i16(CONNECT_PROTOCOL_V0);
        w.i16(error);
        w.string(&a.leader);
        w.string(&a.leader_url);
        w.i64(a.config_offset);
        write_entries(&mut w, &assigned_entries(&a.connectors, &a.tasks));
        return w.buf;
    }
    w.i16(a.protocol_version);
    write_cooperative_fields(
        &mut w,
        &CooperativeFields {
            error,
            leader: &a.leader,
            leader_url: &a.leader_url,
            config_offset: a.config_offset,
            connectors: &a.connectors,
            tasks: &a.tasks,
            revoked_connectors: &a.revoked_connectors,
            revoked_tasks: &a.revoked_tasks,
            delay_ms: i32::try_from(a.delay.as_millis()).unwrap_or(i32::MAX),
        },
    );
    w.buf
}

/// Reads an assignment as Kafka's member does (`IncrementalCooperativeConnectProtocol
/// .deserializeAssignment`, for every sub-protocol). `protocol_version` is the header's.
///
/// With the cooperative protocols `connectors`/`tasks` are only the *newly* assigned ones (see
/// [`encode_assignment`]); the member merges them with what it keeps. Any non-zero error code
/// reads as [`AssignmentError::ConfigMismatch`] (Kafka only checks `error != NO_ERROR`); a
/// negative delay reads as none; a negative task number other than -1 is an error.
pub fn decode_assignment(bytes: &[u8]) -> Result<Assignment, DistributedError> {
    let mut r = Reader::new(bytes);
    let version = read_version(&mut r)?;
    let error = field("error", required(&r, "error").and_then(|()| r.i16()))?;
    let leader = field("leader", required(&r, "leader").and_then(|()| r.string()))?;
    let leader_url = field(
        "leader-url",
        required(&r, "leader-url").and_then(|()| r.string()),
    )?;
    let config_offset = field(
        "config-offset",
        required(&r, "config-offset").and_then(|()| r.i64()),
    )?;
    let assigned = if r.remaining() > 0 {
        field("assignment", read_entries(&mut r))?
    } else {
        None
    };
    let revoked = if r.remaining() > 0 {
        field("revoked", read_entries(&mut r))?
    } else {
        None
    };
    let delay_ms = if r.remaining() > 0 {
        field("delay", r.i32())?
    } else {
        0
    };
    let (connectors, tasks) = split_entries(assigned.unwrap_or_default())?;
    let (revoked_connectors, revoked_tasks) = split_entries(revoked.unwrap_or_default())?;
    Ok(Assignment {
        error: if error == 0 {
            AssignmentError::None
        } else {
            AssignmentError::ConfigMismatch
        },
        leader,
        leader_url,
        config_offset,
        connectors,
        tasks,
        revoked_connectors,
        revoked_tasks,
        delay: Duration::from_millis(u64::try_from(delay_ms).unwrap_or(0)),
        protocol_version: version,
    })
}

/// The header (`CONNECT_PROTOCOL_HEADER_SCHEMA`) and Kafka's `checkVersionCompatibility`.
fn read_version(r: &mut Reader<'_>) -> Result<i16, DistributedError> {
    let version = field("version", r.i16())?;
    if version < CONNECT_PROTOCOL_V0 {
        return Err(DistributedError::Protocol(format!(
            "Unsupported subscription version: {version}"
        )));
    }
    Ok(version)
}

/// A field without a default in a schema that tolerates missing fields: present or an error.
fn required(r: &Reader<'_>, name: &str) -> Result<(), String> {
    if r.remaining() == 0 {
        Err(format!(
            "Missing value for field '{name}' which has no default value."
        ))
    } else {
        Ok(())
    }
}

/// The fields of `ASSIGNMENT_V1` (after the header).
struct CooperativeFields<'a> {
    error: i16,
    leader: &'a str,
    leader_url: &'a str,
    config_offset: i64,
    connectors: &'a [String],
    tasks: &'a [ConnectorTaskId],
    revoked_connectors: &'a [String],
    revoked_tasks: &'a [ConnectorTaskId],
    delay_ms: i32,
}

fn write_cooperative_fields(w: &mut Writer, f: &CooperativeFields<'_>) {
    w.i16(f.error);
    w.string(f.leader);
    w.string(f.leader_url);
    w.i64(f.config_offset);
    write_entries(w, &assigned_entries(f.connectors, f.tasks));
    write_entries(w, &revoked_entries(f.revoked_connectors, f.revoked_tasks));
    w.i32(f.delay_ms);
}

/// `[connector, [task numbers]]` entries, in encoding order.
type Entries = Vec<(String, Vec<i32>)>;

/// `ConnectProtocol.Assignment.asMap()`: connectors from a `HashSet` (Java's iteration order),
/// then the tasks appended under their connector, new connectors in order of appearance.
fn assigned_entries(connectors: &[String], tasks: &[ConnectorTaskId]) -> Entries {
    let mut entries: Entries = java_order::string_set_order(connectors)
        .into_iter()
        .map(|c| (c, vec![CONNECTOR_TASK]))
        .collect();
    append_tasks(&mut entries, tasks);
    entries
}

/// `ExtendedAssignment.revokedAsMap()`: distinct connectors in order, then the tasks.
fn revoked_entries(connectors: &[String], tasks: &[ConnectorTaskId]) -> Entries {
    let mut entries: Entries = Vec::new();
    for c in connectors {
        if !entries.iter().any(|(name, _)| name == c) {
            entries.push((c.clone(), vec![CONNECTOR_TASK]));
        }
    }
    append_tasks(&mut entries, tasks);
    entries
}

fn append_tasks(entries: &mut Entries, tasks: &[ConnectorTaskId]) {
    for t in tasks {
        let Ok(n) = i32::try_from(t.task) else {
            tracing::warn!(
                connector = %t.connector,
                task = t.task,
                "task number beyond what the Connect protocol can carry; left out of the assignment"
            );
            continue;
        };
        match entries.iter_mut().find(|(name, _)| *name == t.connector) {
            Some((_, numbers)) => numbers.push(n),
            None => entries.push((t.connector.clone(), vec![n])),
        }
    }
}

fn write_entries(w: &mut Writer, entries: &Entries) {
    w.count(entries.len());
    for (connector, numbers) in entries {
        w.string(connector);
        w.count(numbers.len());
        for n in numbers {
            w.i32(*n);
        }
    }
}

/// A nullable `ArrayOf(CONNECTOR_ASSIGNMENT_V1)`.
fn read_entries(r: &mut Reader<'_>) -> Result<Option<Entries>, String> {
    let Some(n) = r.count(true)? else {
        return Ok(None);
    };
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let connector = r
            .string()
            .map_err(|e| format!("Error reading field 'connector': {e}"))?;
        let numbers = read_numbers(r).map_err(|e| format!("Error reading field 'tasks': {e}"))?;
        entries.push((connector, numbers));
    }
    Ok(Some(entries))
}

fn read_numbers(r: &mut Reader<'_>) -> Result<Vec<i32>, String> {
    // `tasks` is not nullable.
    let n = r.count(false)?.unwrap_or(0);
    let mut numbers = Vec::with_capacity(n);
    for _ in 0..n {
        numbers.push(r.i32()?);
    }
    Ok(numbers)
}

/// `ExtendedAssignment.extractConnectors`/`extractTasks`: every -1 names its connector, every
/// other number one of its tasks.
fn split_entries(
    entries: Entries,
) -> Result<(Vec<String>, Vec<ConnectorTaskId>), DistributedError> {
    let mut connectors = Vec::new();
    let mut tasks = Vec::new();
    for (connector, numbers) in entries {
        for n in numbers {
            if n == CONNECTOR_TASK {
                connectors.push(connector.clone());
            } else {
                let task = u32::try_from(n).map_err(|_| {
                    DistributedError::Protocol(format!(
                        "task number {n} of connector {connector} is negative"
                    ))
                })?;
                tasks.push(ConnectorTaskId {
                    connector: connector.clone(),
                    task,
                });
            }
        }
    }
    Ok((connectors, tasks))
}

/// Java's `String.equalsIgnoreCase`: same length, and each pair of characters equal, or equal
/// upper-cased, or equal lower-cased after upper-casing.
fn java_equals_ignore_case(a: &str, b: &str) -> bool {
    fn single(mut it: impl Iterator<Item = char>, fallback: char) -> char {
        match (it.next(), it.next()) {
            (Some(c), None) => c,
            _ => fallback,
        }
    }
    let upper = |c: char| single(c.to_uppercase(), c);
    let lower = |c: char| single(c.to_lowercase(), c);
    a.encode_utf16().count() == b.encode_utf16().count()
        && a.chars().count() == b.chars().count()
        && a.chars()
            .zip(b.chars())
            .all(|(x, y)| x == y || upper(x) == upper(y) || lower(upper(x)) == lower(upper(y)))
}

#[cfg(test)]
mod tests;
