// The Java side of the differential transform test (tests/differential.rs): runs each case file's
// transform chain through Kafka Connect's real classes and prints what came out, one JSON line per
// input record, so the Rust side can compare byte for byte. Format: tests/cases/README.md.
//
// Usage: java -cp <dir>:<oracle cp>/* TransformOracle <case.json>...
// Prints "=== <case path>" before each case's lines.

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

@SuppressWarnings({"unchecked", "rawtypes"})
public class TransformOracle {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** One configured step of the chain, as Kafka's TransformationStage holds it. */
    private static final class Stage {
        Transformation transformation;
        Predicate predicate;
        boolean negate;
    }

    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder();
        for (String path : args) {
            out.append("=== ").append(path).append('\n');
            runCase(path, out);
        }
        // Raw UTF-8 bytes: System.out would re-encode in the platform charset.
        System.out.write(out.toString().getBytes(StandardCharsets.UTF_8));
        System.out.flush();
    }

    private static JsonConverter converter(boolean schemas, boolean isKey) {
        JsonConverter c = new JsonConverter();
        Map<String, Object> props = new HashMap<>();
        props.put("schemas.enable", Boolean.toString(schemas));
        c.configure(props, isKey);
        return c;
    }

    /** ConfigDef's LIST parsing: trimmed, split on commas with surrounding whitespace. */
    private static List<String> list(String value) {
        List<String> out = new ArrayList<>();
        if (value == null || value.trim().isEmpty()) {
            return out;
        }
        for (String s : value.trim().split("\\s*,\\s*", -1)) {
            out.add(s);
        }
        return out;
    }

    /** AbstractConfig.originalsWithPrefix. */
    private static Map<String, Object> withPrefix(Map<String, String> config, String prefix) {
        Map<String, Object> out = new HashMap<>();
        for (Map.Entry<String, String> e : config.entrySet()) {
            if (e.getKey().startsWith(prefix) && e.getKey().length() > prefix.length()) {
                out.put(e.getKey().substring(prefix.length()), e.getValue());
            }
        }
        return out;
    }


    private static List<Stage> buildChain(Map<String, String> config) throws Exception {
        Map<String, Predicate> predicates = new HashMap<>();
        for (String alias : list(config.get("predicates"))) {
            String prefix = "predicates." + alias + ".";
            Predicate p = (Predicate) Class.forName(config.get(prefix + "type"))
                .getDeclaredConstructor().newInstance();
            p.configure(withPrefix(config, prefix));
            predicates.put(alias, p);
        }
        List<Stage> stages = new ArrayList<>();
        for (String alias : list(config.get("transforms"))) {
            String prefix = "transforms." + alias + ".";
            Map<String, Object> props = withPrefix(config, prefix);
            Object predicateAlias = props.remove("predicate");
            Object negate = props.remove("negate");
            Stage stage = new Stage();
            stage.transformation = (Transformation) Class.forName(config.get(prefix + "type"))
                .getDeclaredConstructor().newInstance();
            stage.transformation.configure(props);
            if (predicateAlias != null) {
                stage.predicate = predicates.get(predicateAlias.toString());
                if (stage.predicate == null) {
                    throw new IllegalArgumentException("unknown predicate alias " + predicateAlias);
                }
                stage.negate = negate != null && Boolean.parseBoolean(negate.toString());
            }
            stages.add(stage);
        }
        return stages;
    }

    private static SchemaAndValue decode(JsonConverter in, String topic, JsonNode envelope) throws Exception {
        if (envelope == null || envelope.isNull()) {
            return SchemaAndValue.NULL;
        }
        return in.toConnectData(topic, MAPPER.writeValueAsBytes(envelope));
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static ConnectRecord inputRecord(JsonNode r, String topic, JsonConverter keyIn,
                                                JsonConverter valueIn) throws Exception {
            ConnectHeaders headers = new ConnectHeaders();
        for (JsonNode h : r.path("headers")) {
            headers.add(h.path("key").asText(), decode(valueIn, topic, h.get("value")));
        }
        SchemaAndValue key = decode(keyIn, topic, r.get("key"));
        SchemaAndValue value = decode(valueIn, topic, r.get("value"));
        JsonNode p = r.get("partition");
        Integer partition = p == null || p.isNull() ? null : p.asInt();
        JsonNode ts = r.get("timestamp");
        Long timestamp = ts == null || ts.isNull() ? null : ts.asLong();
        boolean sink = !r.has("sink") || r.get("sink").asBoolean();
        if (sink) {
            return new SinkRecord(topic, partition == null ? 0 : partition, key.schema(), key.value(),
                value.schema(), value.value(), r.path("offset").asLong(0), timestamp,
                timestamp == null ? TimestampType.NO_TIMESTAMP_TYPE : TimestampType.CREATE_TIME, headers);
        } else {
            return new SourceRecord(Collections.emptyMap(), Collections.emptyMap(), topic, partition,
                key.schema(), key.value(), value.schema(), value.value(), timestamp, headers);
        }
    }

    private static void runCase(String path, StringBuilder out) throws Exception {
        JsonNode root = MAPPER.readTree(Files.readAllBytes(Paths.get(path)));
        Map<String, String> config = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.path("config").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            config.put(e.getKey(), e.getValue().asText());
        }
        List<Stage> stages;
        try {
            stages = buildChain(config);
        } catch (Throwable e) {
            ObjectNode o = MAPPER.createObjectNode();
            o.put("config_error", e.getMessage());
            out.append(MAPPER.writeValueAsString(o)).append('\n');
            return;
        }
        JsonConverter keyIn = converter(true, true);
        JsonConverter valueIn = converter(true, false);
        JsonConverter keyOut = converter(true, true);
        JsonConverter valueOut = converter(true, false);
        JsonConverter keyPlain = converter(false, true);
        JsonConverter valuePlain = converter(false, false);
        JsonConverter headerOut = converter(true, false);
        for (JsonNode r : root.path("records")) {
            String topic = r.path("topic").asText();
            ObjectNode o = MAPPER.createObjectNode();
            try {
                ConnectRecord record = inputRecord(r, topic, keyIn, valueIn);
                for (Stage stage : stages) {
                    if (stage.predicate != null && stage.predicate.test(record) == stage.negate) {
                        continue;
                    }
                    record = stage.transformation.apply(record);
                    if (record == null) {
                        break;
                    }
                }
                if (record == null) {
                    o.put("dropped", true);
                } else {
                    String t = record.topic();
                    o.put("topic", t);
                    if (record.kafkaPartition() == null) {
                        o.putNull("partition");
                    } else {
                        o.put("partition", record.kafkaPartition());
                    }
                    if (record.timestamp() == null) {
                        o.putNull("timestamp");
                    } else {
                        o.put("timestamp", record.timestamp());
                    }
                    o.put("key", text(keyOut.fromConnectData(t, record.keySchema(), record.key())));
                    o.put("value", text(valueOut.fromConnectData(t, record.valueSchema(), record.value())));
                    o.put("key_schemaless", text(keyPlain.fromConnectData(t, record.keySchema(), record.key())));
                    o.put("value_schemaless",
                        text(valuePlain.fromConnectData(t, record.valueSchema(), record.value())));
                    ArrayNode hs = o.putArray("headers");
                    for (Header h : record.headers()) {
                        ObjectNode hn = hs.addObject();
                        hn.put("key", h.key());
                        hn.put("value", text(headerOut.fromConnectData(t, h.schema(), h.value())));
                    }
                }
            } catch (Throwable e) {
                o = MAPPER.createObjectNode();
                o.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            out.append(MAPPER.writeValueAsString(o)).append('\n');
        }
        for (Stage stage : stages) {
            stage.transformation.close();
        }
    }
}
