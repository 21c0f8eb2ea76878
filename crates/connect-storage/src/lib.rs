//! Config, offset and status stores: memory, file and Kafka-topic backed.
