//! Kafka Connect converters: JsonConverter, StringConverter, ByteArrayConverter, SimpleHeaderConverter.
