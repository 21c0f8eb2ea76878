//! Kafka's built-in transforms (`org.apache.kafka.connect.transforms`) and predicates.
//!
//! One module per transform; each exposes `plugins()` with its `$Key`/`$Value` variants.

mod support;
pub(crate) mod util;

mod drop_headers;
mod filter;
mod has_header_key;
mod header_from;
mod insert_field;
mod insert_header;
mod record_is_tombstone;
mod regex_router;
mod set_schema_metadata;
mod simple_date_format;
mod timestamp_converter;
mod timestamp_router;
mod topic_name_matches;

mod cast;
mod extract_field;
mod flatten;
mod hoist_field;
mod mask_field;
mod replace_field;
mod value_to_key;

use connect_api::{PredicatePlugin, TransformationPlugin};

/// Kafka's transformations, `$Key` and `$Value` variants as separate plugins.
pub fn transformations() -> Vec<Box<dyn TransformationPlugin>> {
    [
        hoist_field::plugins(),
        cast::plugins(),
        flatten::plugins(),
        mask_field::plugins(),
        extract_field::plugins(),
        replace_field::plugins(),
        value_to_key::plugins(),
        drop_headers::plugins(),
        filter::plugins(),
        regex_router::plugins(),
        header_from::plugins(),
        insert_field::plugins(),
        insert_header::plugins(),
        set_schema_metadata::plugins(),
        timestamp_converter::plugins(),
        timestamp_router::plugins(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Kafka's predicates.
pub fn predicates() -> Vec<Box<dyn PredicatePlugin>> {
    vec![
        has_header_key::plugin(),
        record_is_tombstone::plugin(),
        topic_name_matches::plugin(),
    ]
}

#[cfg(test)]
mod tests {
    use connect_api::PluginKind;

    use super::transformations;

    #[test]
    fn field_transforms_are_registered_as_key_and_value_plugins_of_kafka_3_9() {
        let all = transformations();
        let find = |class: String| {
            all.iter()
                .find(|p| p.descriptor().class == class)
                .unwrap_or_else(|| panic!("{class} is not registered"))
        };
        let base = "org.apache.kafka.connect.transforms.";
        for name in [
            "Cast",
            "ExtractField",
            "Flatten",
            "HoistField",
            "MaskField",
            "ReplaceField",
        ] {
            for side in ["$Key", "$Value"] {
                let plugin = find(format!("{base}{name}{side}"));
                assert_eq!(plugin.descriptor().kind, PluginKind::Transformation);
                assert_eq!(plugin.descriptor().version, "3.9.0");
            }
        }
        assert_eq!(
            find(format!("{base}ValueToKey")).descriptor().version,
            "3.9.0"
        );
    }
}
