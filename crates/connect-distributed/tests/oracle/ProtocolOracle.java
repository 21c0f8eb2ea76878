// The Java side of the Connect protocol golden test (tests/oracle.rs): encodes and decodes
// JoinGroup metadata and SyncGroup assignments with Kafka's real ConnectProtocol and
// IncrementalCooperativeConnectProtocol classes.
//
// Usage: java -cp <dir>:<oracle cp>/* ProtocolOracle < cases
// One case per input line, tab-separated; strings are hex of their UTF-8 bytes, lists are
// comma-separated, a task is <connector hex>:<number>. Prints "<id>\t<result>" per case.
//   EM id version url offset owned(+|-) connectors tasks          -> metadata hex
//   EJ id EAGER|COMPATIBLE|SESSIONED url offset owned connectors tasks
//                                                                 -> name=hex,... (JoinGroup order)
//   EA id version error leader leaderUrl offset connectors tasks revokedConnectors revokedTasks delay
//                                                                 -> assignment hex
//   DM id hex   -> url offset owned(+|-) connectors tasks           (or "ERR <message>")
//   DA id hex   -> version error leader leaderUrl offset connectors tasks revokedConnectors
//                  revokedTasks delay                               (or "ERR <message>")

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocolCollection;
import org.apache.kafka.connect.runtime.distributed.ConnectProtocol;
import org.apache.kafka.connect.runtime.distributed.ExtendedAssignment;
import org.apache.kafka.connect.runtime.distributed.ExtendedWorkerState;
import org.apache.kafka.connect.runtime.distributed.IncrementalCooperativeConnectProtocol;
import org.apache.kafka.connect.util.ConnectorTaskId;

public class ProtocolOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            String[] f = line.split("\t", -1);
            String result;
            try {
                result = run(f);
            } catch (Exception e) {
                result = "ERR " + e.getMessage();
            }
            out.append(f[1]).append('\t').append(result).append('\n');
        }
        System.out.print(out);
        System.out.flush();
    }

    static String run(String[] f) {
        switch (f[0]) {
            case "EM": {
                short version = Short.parseShort(f[2]);
                ExtendedWorkerState state = workerState(f, 3, version);
                ByteBuffer b = version == 0
                        ? ConnectProtocol.serializeMetadata(state)
                        : IncrementalCooperativeConnectProtocol.serializeMetadata(state, version >= 2);
                return hex(b);
            }
            case "EJ": {
                ExtendedWorkerState state = workerState(f, 3, (short) 1);
                JoinGroupRequestProtocolCollection protocols;
                switch (f[2]) {
                    case "EAGER": protocols = ConnectProtocol.metadataRequest(state); break;
                    case "COMPATIBLE": protocols = IncrementalCooperativeConnectProtocol.metadataRequest(state, false); break;
                    default: protocols = IncrementalCooperativeConnectProtocol.metadataRequest(state, true); break;
                }
                List<String> parts = new ArrayList<>();
                for (JoinGroupRequestProtocol p : protocols) {
                    parts.add(p.name() + "=" + hex(ByteBuffer.wrap(p.metadata())));
                }
                return String.join(",", parts);
            }
            case "EA": {
                short version = Short.parseShort(f[2]);
                short error = Short.parseShort(f[3]);
                String leader = str(f[4]);
                String leaderUrl = str(f[5]);
                long offset = Long.parseLong(f[6]);
                List<String> connectors = strs(f[7]);
                List<ConnectorTaskId> tasks = tasks(f[8]);
                if (version == 0) {
                    return hex(ConnectProtocol.serializeAssignment(new ConnectProtocol.Assignment(
                            error, leader, leaderUrl, offset, connectors, tasks)));
                }
                ExtendedAssignment a = new ExtendedAssignment(version, error, leader, leaderUrl, offset,
                        connectors, tasks, strs(f[9]), tasks(f[10]), Integer.parseInt(f[11]));
                return hex(IncrementalCooperativeConnectProtocol.serializeAssignment(a, version >= 2));
            }
            case "DM": {
                ExtendedWorkerState s = IncrementalCooperativeConnectProtocol.deserializeMetadata(ByteBuffer.wrap(bytes(f[2])));
                ExtendedAssignment a = s.assignment();
                boolean owned = a != ExtendedAssignment.empty();
                return String.join("\t", hex(s.url()), Long.toString(s.offset()), owned ? "+" : "-",
                        owned ? strsOut(a.connectors()) : "", owned ? tasksOut(a.tasks()) : "");
            }
            case "DA": {
                ExtendedAssignment a = IncrementalCooperativeConnectProtocol.deserializeAssignment(ByteBuffer.wrap(bytes(f[2])));
                return String.join("\t", Short.toString(a.version()), Short.toString(a.error()), hex(a.leader()),
                        hex(a.leaderUrl()), Long.toString(a.offset()), strsOut(a.connectors()), tasksOut(a.tasks()),
                        strsOut(a.revokedConnectors()), tasksOut(a.revokedTasks()), Integer.toString(a.delay()));
            }
            default:
                throw new IllegalArgumentException("unknown case kind " + f[0]);
        }
    }

    /** url offset owned connectors tasks, from field {@code at}; the allocation as Kafka's member keeps it. */
    static ExtendedWorkerState workerState(String[] f, int at, short version) {
        String url = str(f[at]);
        long offset = Long.parseLong(f[at + 1]);
        ExtendedAssignment owned = null;
        if (f[at + 2].equals("+")) {
            // Only the connectors and tasks of a member's allocation are ever read; Sluice writes
            // the rest as no error, empty leader, its config offset, nothing revoked, no delay.
            owned = new ExtendedAssignment(version == 0 ? 1 : version, ConnectProtocol.Assignment.NO_ERROR, "", "", offset,
                    strs(f[at + 3]), tasks(f[at + 4]), new ArrayList<>(), new ArrayList<>(), 0);
        }
        return new ExtendedWorkerState(url, offset, owned);
    }

    static List<String> strs(String field) {
        List<String> out = new ArrayList<>();
        if (field.isEmpty()) return out;
        for (String h : field.split(",", -1)) out.add(str(h));
        return out;
    }

    static List<ConnectorTaskId> tasks(String field) {
        List<ConnectorTaskId> out = new ArrayList<>();
        if (field.isEmpty()) return out;
        for (String t : field.split(",", -1)) {
            int colon = t.indexOf(':');
            out.add(new ConnectorTaskId(str(t.substring(0, colon)), Integer.parseInt(t.substring(colon + 1))));
        }
        return out;
    }

    static String strsOut(Collection<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) out.add(hex(n));
        return String.join(",", out);
    }

    static String tasksOut(Collection<ConnectorTaskId> tasks) {
        List<String> out = new ArrayList<>();
        for (ConnectorTaskId t : tasks) out.add(hex(t.connector()) + ":" + t.task());
        return String.join(",", out);
    }

    static String str(String hex) {
        return new String(bytes(hex), StandardCharsets.UTF_8);
    }

    static byte[] bytes(String hex) {
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    static String hex(String s) {
        return hex(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
    }

    static String hex(ByteBuffer b) {
        StringBuilder sb = new StringBuilder();
        ByteBuffer d = b.duplicate();
        while (d.hasRemaining()) sb.append(String.format("%02x", d.get()));
        return sb.toString();
    }
}
