use std::time::{Duration, Instant};
use connect_runtime::metrics::{TaskKind, WorkerMetrics, Names};
#[test]
fn cost() {
    let m = WorkerMetrics::default();
    let t = m.start_task("c", 0, TaskKind::Source);
    let outgoing: Vec<Option<(u64, u64)>> = (0..10_000).map(|i| if i % 97 == 0 { None } else { Some((i, i)) }).collect();
    let n = 2000;
    let start = Instant::now();
    for _ in 0..n {
        t.source_polled(10_000, Duration::from_millis(3));
        let written = std::hint::black_box(&outgoing).iter().flatten().count();
        t.source_written(10_000, written);
        t.offset_commit(true, Duration::from_millis(1));
    }
    let per_batch = start.elapsed() / n;
    let start = Instant::now();
    let text = m.render(&[], Names::Strimzi);
    eprintln!("per 10k batch: {per_batch:?}; render: {:?} ({} bytes)", start.elapsed(), text.len());
}
