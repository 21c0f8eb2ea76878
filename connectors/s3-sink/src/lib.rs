//! Confluent-compatible S3 sink.
