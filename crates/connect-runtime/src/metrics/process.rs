//! The process collector every Prometheus client library has (`process_resident_memory_bytes`,
//! `process_cpu_seconds_total`, `process_open_fds` …), read from `/proc/self` at each scrape.
//! Where `/proc` is missing the series are simply absent.

use super::{Kind, Series};

/// Linux's `USER_HZ`: the unit of `/proc/<pid>/stat` times on every architecture Rust targets.
const TICKS_PER_SECOND: f64 = 100.0;

fn gauge(name: &str, value: f64) -> Series {
    Series {
        name: name.to_owned(),
        kind: Kind::Gauge,
        labels: Vec::new(),
        value,
    }
}

/// The fields of `/proc/self/stat` after the command name (which may hold spaces).
fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default()
}

/// `VmRSS` of `/proc/self/status`, in bytes.
fn rss_bytes(status: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// `Max open files` soft limit of `/proc/self/limits`.
fn max_fds(limits: &str) -> Option<f64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The series of this process.
pub(super) fn series() -> Vec<Series> {
    let mut out = Vec::new();
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(rss) = rss_bytes(&status)
    {
        out.push(gauge("process_resident_memory_bytes", rss));
    }
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        let f = stat_fields(&stat);
        // After the name: state is field 3, utime 14, stime 15, num_threads 20, starttime 22,
        // vsize 23 (1-based over the whole line); `f[0]` is field 3.
        let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
        if let (Some(utime), Some(stime)) = (num(11), num(12)) {
            out.push(Series {
                name: "process_cpu_seconds".to_owned(),
                kind: Kind::Counter,
                labels: Vec::new(),
                value: (utime + stime) / TICKS_PER_SECOND,
            });
        }
        if let Some(threads) = num(17) {
            out.push(gauge("process_threads", threads));
        }
        if let Some(vsize) = num(20) {
            out.push(gauge("process_virtual_memory_bytes", vsize));
        }
        if let (Some(start), Ok(proc_stat)) = (num(19), std::fs::read_to_string("/proc/stat"))
            && let Some(btime) = proc_stat
                .lines()
                .find_map(|l| l.strip_prefix("btime "))
                .and_then(|v| v.trim().parse::<f64>().ok())
        {
            out.push(gauge(
                "process_start_time_seconds",
                btime + start / TICKS_PER_SECOND,
            ));
        }
    }
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        // The directory handle itself is one of the entries; it is not counted.
        let n = dir.count().saturating_sub(1);
        out.push(gauge("process_open_fds", n as f64));
    }
    if let Ok(limits) = std::fs::read_to_string("/proc/self/limits")
        && let Some(max) = max_fds(&limits)
    {
        out.push(gauge("process_max_fds", max));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_start_after_a_command_name_with_spaces_and_parentheses() {
        let stat = "42 (my (odd) cmd) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 1234 5000000 300";
        let f = stat_fields(stat);
        assert_eq!(f[0], "S");
        assert_eq!(f[11], "250", "utime");
        assert_eq!(f[12], "50", "stime");
        assert_eq!(f[17], "7", "num_threads");
        assert_eq!(f[19], "1234", "starttime");
        assert_eq!(f[20], "5000000", "vsize");
    }

    #[test]
    fn rss_is_read_from_vmrss_in_kilobytes() {
        let status = "Name:\tsluice\nVmRSS:\t   20480 kB\nThreads:\t7\n";
        assert_eq!(rss_bytes(status), Some(20480.0 * 1024.0));
        assert_eq!(rss_bytes("Name: x\n"), None);
    }

    #[test]
    fn this_process_reports_rss_cpu_and_open_fds() {
        let s = series();
        let get = |n: &str| s.iter().find(|x| x.name == n).map(|x| x.value);
        assert!(get("process_resident_memory_bytes").is_some_and(|v| v > 1_000_000.0));
        assert!(get("process_cpu_seconds").is_some_and(|v| v >= 0.0));
        assert!(get("process_open_fds").is_some_and(|v| v >= 3.0));
        assert!(get("process_max_fds").is_some_and(|v| v > 0.0));
    }
}
