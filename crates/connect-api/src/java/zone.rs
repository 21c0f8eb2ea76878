//! Java's region time zones: the rules `ZoneId.of("Europe/Paris")` and Joda's
//! `DateTimeZone.forID` give, from the IANA database built into the binary (the JVM carries its
//! own tzdb too, so a zone's rules do not depend on the host's `/usr/share/zoneinfo`).
//!
//! The database is jiff's bundled copy, parsed zone by zone on first use: a table compiled into
//! the binary (chrono-tz) was a megabyte of pointers the loader relocates at every start.

use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{Timestamp, civil::DateTime};

/// The rules of one region zone (`America/New_York`, `UTC`, `Etc/GMT+5`).
#[derive(Debug, Clone)]
pub struct ZoneRules {
    tz: TimeZone,
}

impl ZoneRules {
    /// The zone named exactly `id`. Java's lookups are case-sensitive (`ZoneRulesProvider`'s
    /// map, Joda's `ZoneInfoProvider`), the database's are not, so a name in another case than
    /// the database's is unknown here too.
    pub fn of(id: &str) -> Option<Self> {
        let tz = jiff::tz::db().get(id).ok()?;
        (tz.iana_name() == Some(id)).then_some(Self { tz })
    }

    /// The zone's id.
    pub fn id(&self) -> &str {
        self.tz.iana_name().unwrap_or_default()
    }

    /// `ZoneRules.getOffset(Instant)`: the offset from UTC in force at `epoch_seconds`, in
    /// seconds. Instants past jiff's range (years ±9999) take the offset at its end.
    pub fn offset_at_instant(&self, epoch_seconds: i64) -> i32 {
        let instant = Timestamp::from_second(epoch_seconds).unwrap_or(if epoch_seconds < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        });
        self.tz.to_offset(instant).seconds()
    }

    /// `ZoneRules.getOffset(LocalDateTime)` for the local date-time `local_seconds` after
    /// 1970-01-01T00:00 (local): in an overlap the earlier offset, in a gap the offset before
    /// the transition, as Java answers both.
    pub fn offset_at_local(&self, local_seconds: i64) -> i32 {
        let Ok(as_utc) = Timestamp::from_second(local_seconds) else {
            return self.offset_at_instant(local_seconds);
        };
        let local: DateTime = Offset::UTC.to_datetime(as_utc);
        match self.tz.to_ambiguous_timestamp(local).offset() {
            AmbiguousOffset::Unambiguous { offset }
            | AmbiguousOffset::Gap { before: offset, .. }
            | AmbiguousOffset::Fold { before: offset, .. } => offset.seconds(),
        }
    }
}

/// Zones are equal when they are the same database entry.
impl PartialEq for ZoneRules {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

#[cfg(test)]
mod tests {
    use super::ZoneRules;

    /// 2021-03-14T07:00:00Z, the instant New York moved to daylight time (02:00 local, EST).
    const NY_SPRING: i64 = 1_615_705_200;
    /// 2021-11-07T06:00:00Z, the instant New York moved back (02:00 local, EDT).
    const NY_FALL: i64 = 1_636_264_800;

    #[test]
    fn a_region_id_is_found_only_as_the_database_spells_it() {
        assert_eq!(
            ZoneRules::of("America/New_York").map(|z| z.id().to_owned()),
            Some("America/New_York".to_owned())
        );
        assert!(ZoneRules::of("america/new_york").is_none());
        assert!(ZoneRules::of("Mars/Olympus_Mons").is_none());
        assert!(ZoneRules::of("").is_none());
        // Links and the legacy names Java still accepts.
        for id in [
            "US/Eastern",
            "UTC",
            "Etc/GMT+5",
            "Asia/Ho_Chi_Minh",
            "EST5EDT",
        ] {
            assert_eq!(
                ZoneRules::of(id).map(|z| z.id().to_owned()),
                Some(id.to_owned())
            );
        }
    }

    #[test]
    fn the_offset_at_an_instant_follows_the_zones_transitions() {
        let ny = ZoneRules::of("America/New_York").expect("zone");
        assert_eq!(ny.offset_at_instant(NY_SPRING - 1), -5 * 3600);
        assert_eq!(ny.offset_at_instant(NY_SPRING), -4 * 3600);
        assert_eq!(ny.offset_at_instant(NY_FALL - 1), -4 * 3600);
        assert_eq!(ny.offset_at_instant(NY_FALL), -5 * 3600);
        // Before 1883 New York kept local mean time, -4:56:02.
        assert_eq!(ny.offset_at_instant(-3_000_000_000), -17_762);
        assert_eq!(ny.offset_at_instant(i64::MAX), -5 * 3600);
        let kolkata = ZoneRules::of("Asia/Kolkata").expect("zone");
        assert_eq!(kolkata.offset_at_instant(0), 19_800);
        assert_eq!(
            ZoneRules::of("Etc/GMT+5")
                .expect("zone")
                .offset_at_instant(0),
            -5 * 3600
        );
    }

    #[test]
    fn a_local_time_in_a_gap_or_an_overlap_takes_the_offset_before_the_transition() {
        let ny = ZoneRules::of("America/New_York").expect("zone");
        let local = |utc: i64, offset_h: i64| utc + offset_h * 3600;
        // 2021-03-14T02:30 local does not exist: Java answers -05:00.
        assert_eq!(ny.offset_at_local(local(NY_SPRING, -5) + 1800), -5 * 3600);
        // 2021-11-07T01:30 local happens twice: Java answers the earlier offset, -04:00.
        assert_eq!(ny.offset_at_local(local(NY_FALL, -4) - 1800), -4 * 3600);
        // Either side, one offset.
        assert_eq!(ny.offset_at_local(local(NY_SPRING, -5) - 3600), -5 * 3600);
        assert_eq!(ny.offset_at_local(local(NY_FALL, -5) + 7200), -5 * 3600);
    }

    #[test]
    fn zones_are_equal_when_they_are_the_same_entry() {
        assert_eq!(ZoneRules::of("Europe/Paris"), ZoneRules::of("Europe/Paris"));
        assert_ne!(
            ZoneRules::of("Europe/Paris"),
            ZoneRules::of("Europe/Berlin")
        );
    }
}
