//! GTID sets: the completed transactions an offset covers, in MySQL's (`uuid[:tag]:1-5:7`) and
//! MariaDB's (`domain-server-sequence` per domain) forms. The binlog reader keeps one as it
//! reads; restarts by GTID and the history's containment checks compare them.

use std::collections::BTreeMap;

use crate::error::{CdcError, Result};

/// The completed GTID set: MySQL `uuid:1-5:7` intervals or MariaDB's per-domain last GTID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GtidSet {
    /// MySQL: `uuid[:tag]` → sorted, merged `[start, end]` intervals.
    mysql: BTreeMap<String, Vec<(u64, u64)>>,
    /// MariaDB: domain → (server, sequence).
    mariadb: BTreeMap<u32, (u32, u64)>,
}

impl GtidSet {
    /// Parses either flavour's text form.
    pub fn parse(s: &str) -> Self {
        let mut set = Self::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let dashes: Vec<&str> = part.split('-').collect();
            if !part.contains(':') && dashes.len() == 3 {
                if let (Ok(d), Ok(srv), Ok(seq)) =
                    (dashes[0].parse(), dashes[1].parse(), dashes[2].parse())
                {
                    set.mariadb.insert(d, (srv, seq));
                }
                continue;
            }
            let mut fields = part.split(':');
            let Some(uuid) = fields.next() else { continue };
            let mut source = uuid.to_owned();
            for f in fields {
                let range = f.split_once('-').map_or((f, f), |(a, b)| (a, b));
                match (range.0.parse::<u64>(), range.1.parse::<u64>()) {
                    (Ok(a), Ok(b)) => set.mysql.entry(source.clone()).or_default().push((a, b)),
                    // A tag (MySQL 8.4 `uuid:tag:n`) switches the source.
                    _ => source = format!("{uuid}:{f}"),
                }
            }
        }
        for v in set.mysql.values_mut() {
            merge(v);
        }
        set
    }

    pub fn add_mysql(&mut self, source: &str, gno: u64) {
        let v = self.mysql.entry(source.to_owned()).or_default();
        v.push((gno, gno));
        merge(v);
    }

    pub fn add_mariadb(&mut self, domain: u32, server: u32, seq: u64) {
        self.mariadb.insert(domain, (server, seq));
    }

    pub fn is_empty(&self) -> bool {
        self.mysql.is_empty() && self.mariadb.is_empty()
    }

    /// Whether the set holds MySQL GTIDs.
    pub fn has_mysql(&self) -> bool {
        !self.mysql.is_empty()
    }

    /// Whether the set holds MariaDB GTIDs.
    pub fn has_mariadb(&self) -> bool {
        !self.mariadb.is_empty()
    }

    /// Whether every GTID of `other` is in this set (MariaDB: per domain, by sequence number).
    pub fn contains(&self, other: &GtidSet) -> bool {
        let mysql = other.mysql.iter().all(|(src, ranges)| {
            self.mysql.get(src).is_some_and(|mine| {
                ranges
                    .iter()
                    .all(|&(a, b)| mine.iter().any(|&(x, y)| x <= a && b <= y))
            })
        });
        let mariadb = other.mariadb.iter().all(|(domain, (_, seq))| {
            self.mariadb
                .get(domain)
                .is_some_and(|(_, mine)| mine >= seq)
        });
        mysql && mariadb
    }

    /// The MariaDB part as `@slave_connect_state` wants it: `domain-server-seq,…`.
    pub(crate) fn mariadb_state(&self) -> String {
        Self {
            mysql: BTreeMap::new(),
            mariadb: self.mariadb.clone(),
        }
        .to_string()
    }

    /// The MySQL part as the SID blocks of `COM_BINLOG_DUMP_GTID`.
    ///
    /// # Errors
    /// A source that is not a UUID (optionally with a tag).
    pub(crate) fn mysql_sids(&self) -> Result<Vec<mysql_common::packets::Sid<'static>>> {
        self.mysql
            .keys()
            .map(|src| {
                let one = Self {
                    mysql: BTreeMap::from([(src.clone(), self.mysql[src].clone())]),
                    mariadb: BTreeMap::new(),
                }
                .to_string();
                one.parse().map_err(|e| {
                    CdcError::Offset(format!(
                        "the offset's GTID set has an invalid part {one}: {e}"
                    ))
                })
            })
            .collect()
    }
}

fn merge(v: &mut Vec<(u64, u64)>) {
    v.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(v.len());
    for &(a, b) in v.iter() {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    *v = out;
}

impl std::fmt::Display for GtidSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        for (d, (s, q)) in &self.mariadb {
            parts.push(format!("{d}-{s}-{q}"));
        }
        for (src, ranges) in &self.mysql {
            let r: Vec<String> = ranges
                .iter()
                .map(|(a, b)| {
                    if a == b {
                        a.to_string()
                    } else {
                        format!("{a}-{b}")
                    }
                })
                .collect();
            parts.push(format!("{src}:{}", r.join(":")));
        }
        f.write_str(&parts.join(","))
    }
}

/// A GTID event's 16-byte source id as MySQL writes it (`3e11fa47-71ca-11e1-9e33-c80aa9429562`).
pub(crate) fn uuid_text(sid: [u8; 16]) -> String {
    let h: String = sid.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtid_sets_merge_intervals_and_keep_mariadb_domains() {
        let mut s = GtidSet::parse("50303655-f22a-11e8-92a5-0242ac1d0003:1-5:7");
        s.add_mysql("50303655-f22a-11e8-92a5-0242ac1d0003", 6);
        assert_eq!(s.to_string(), "50303655-f22a-11e8-92a5-0242ac1d0003:1-7");
        let mut m = GtidSet::parse("0-1-42,1-2-7");
        m.add_mariadb(0, 1, 43);
        assert_eq!(m.to_string(), "0-1-43,1-2-7");
    }

    #[test]
    fn gtid_set_containment_follows_intervals_and_domain_sequences() {
        let u = "50303655-f22a-11e8-92a5-0242ac1d0003";
        let big = GtidSet::parse(&format!("{u}:1-10:20-30"));
        assert!(big.contains(&GtidSet::parse(&format!("{u}:2-5:21"))));
        assert!(
            !big.contains(&GtidSet::parse(&format!("{u}:9-21"))),
            "spans a gap"
        );
        assert!(!big.contains(&GtidSet::parse("11111111-f22a-11e8-92a5-0242ac1d0003:1")));
        assert!(big.contains(&GtidSet::default()));
        let m = GtidSet::parse("0-1-42,1-2-7");
        assert!(
            m.contains(&GtidSet::parse("0-5-40")),
            "server ids do not matter"
        );
        assert!(!m.contains(&GtidSet::parse("0-1-43")));
        assert!(!m.contains(&GtidSet::parse("2-1-1")), "unknown domain");
    }

    #[test]
    fn gtid_sets_become_dump_requests_for_each_flavour() {
        let set = GtidSet::parse(
            "0-1-42,50303655-f22a-11e8-92a5-0242ac1d0003:1-5:7,50303655-f22a-11e8-92a5-0242ac1d0004:blue:3",
        );
        assert_eq!(set.mariadb_state(), "0-1-42");
        let sids = set.mysql_sids().unwrap();
        assert_eq!(sids.len(), 2);
        let ivals: Vec<(u64, u64)> = sids[0]
            .intervals()
            .iter()
            .map(|i| (i.start(), i.end()))
            .collect();
        assert_eq!(
            ivals,
            [(1, 6), (7, 8)],
            "the wire format's ends are exclusive"
        );
        assert_eq!(
            sids[1].tag().map(ToString::to_string).as_deref(),
            Some("blue")
        );
        assert_eq!(sids[1].intervals()[0].start(), 3);
        let bad = GtidSet::parse("not-a-uuid:1-5");
        assert!(bad.mysql_sids().is_err());
    }
}
