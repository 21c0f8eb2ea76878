//! The sluice binary: a Kafka Connect-compatible worker.

fn main() {}
