//! FileStreamSource and FileStreamSink example connectors.
