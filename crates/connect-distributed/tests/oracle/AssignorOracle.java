// The Java side of the assignor differential test (tests/oracle.rs): replays a scripted series of
// rebalances through Kafka's real IncrementalCooperativeAssignor, one assignor instance per
// leader, exactly as the leader's WorkerCoordinator drives it, and prints every member's
// serialized assignment.
//
// It lives in Kafka's package to call the package-private
// performTaskAssignment(ClusterConfigState, lastCompletedGeneration, generation, memberAssignments),
// which performAssignment calls after reading the members' metadata and the config snapshot;
// what performAssignment does around it (deserialize the metadata into a HashMap, fill and
// serialize the assignments) is repeated here line for line.
//
// Usage: java -cp <dir>:<oracle cp>/* org.apache.kafka.connect.runtime.distributed.AssignorOracle < script
// Script lines, tab-separated, strings as hex of their UTF-8 bytes:
//   NEW maxDelayMs
//   ROUND id nowMs lastCompletedGeneration generation protocolVersion leaderId configOffset
//         connector:taskCount,...  memberId=metadataHex,...   (members in JoinGroup order)
// Prints per ROUND and member: "id\tmemberId\tassignmentHex", then "id\tDELAY\t<delay>".

package org.apache.kafka.connect.runtime.distributed;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.runtime.TargetState;
import org.apache.kafka.connect.runtime.distributed.WorkerCoordinator.ConnectorsAndTasks;
import org.apache.kafka.connect.storage.ClusterConfigState;
import org.apache.kafka.connect.util.ConnectUtils;
import org.apache.kafka.connect.util.ConnectorTaskId;

public class AssignorOracle {
    /** The clock the script sets. */
    static final class ScriptedTime implements Time {
        long now;

        @Override public long milliseconds() { return now; }
        @Override public long nanoseconds() { return now * 1_000_000L; }
        @Override public void sleep(long ms) { now += ms; }
        @Override public void waitObject(Object obj, Supplier<Boolean> condition, long deadlineMs) {
            throw new UnsupportedOperationException();
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        ScriptedTime time = new ScriptedTime();
        IncrementalCooperativeAssignor assignor = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            String[] f = line.split("\t", -1);
            if (f[0].equals("NEW")) {
                assignor = new IncrementalCooperativeAssignor(new LogContext(), time, Integer.parseInt(f[1]));
                continue;
            }
            String id = f[1];
            time.now = Long.parseLong(f[2]);
            int lastCompleted = Integer.parseInt(f[3]);
            int generation = Integer.parseInt(f[4]);
            short protocolVersion = Short.parseShort(f[5]);
            String leaderId = str(f[6]);
            long configOffset = Long.parseLong(f[7]);

            // IncrementalCooperativeAssignor.performAssignment
            Map<String, ExtendedWorkerState> memberConfigs = new HashMap<>();
            for (String m : f[9].split(",")) {
                int eq = m.indexOf('=');
                memberConfigs.put(str(m.substring(0, eq)),
                        IncrementalCooperativeConnectProtocol.deserializeMetadata(ByteBuffer.wrap(bytes(m.substring(eq + 1)))));
            }
            // performTaskAssignment(leaderId, maxOffset, memberConfigs, coordinator, protocolVersion)
            Map<String, ConnectorsAndTasks> memberAssignments = ConnectUtils.transformValues(
                    memberConfigs,
                    memberConfig -> new ConnectorsAndTasks.Builder()
                            .with(memberConfig.assignment().connectors(), memberConfig.assignment().tasks())
                            .build());
            IncrementalCooperativeAssignor.ClusterAssignment clusterAssignment = assignor.performTaskAssignment(
                    configState(configOffset, f[8]), lastCompleted, generation, memberAssignments);
            // fillAssignments + serializeAssignments
            String leaderUrl = memberConfigs.get(leaderId).url();
            for (String member : memberConfigs.keySet()) {
                ExtendedAssignment assignment = new ExtendedAssignment(protocolVersion,
                        ConnectProtocol.Assignment.NO_ERROR, leaderId, leaderUrl, configOffset,
                        clusterAssignment.newlyAssignedConnectors(member), clusterAssignment.newlyAssignedTasks(member),
                        clusterAssignment.newlyRevokedConnectors(member), clusterAssignment.newlyRevokedTasks(member),
                        assignor.delay);
                ByteBuffer b = IncrementalCooperativeConnectProtocol.serializeAssignment(
                        assignment, protocolVersion >= IncrementalCooperativeConnectProtocol.CONNECT_PROTOCOL_V2);
                out.append(id).append('\t').append(hex(member)).append('\t').append(hex(b)).append('\n');
            }
            out.append(id).append("\tDELAY\t").append(assignor.delay).append('\n');
        }
        System.out.print(out);
        System.out.flush();
    }

    /** As Kafka's IncrementalCooperativeAssignorTest builds its config snapshot. */
    static ClusterConfigState configState(long offset, String connectorsField) {
        Map<String, Integer> taskCounts = new LinkedHashMap<>();
        if (!connectorsField.isEmpty()) {
            for (String c : connectorsField.split(",")) {
                int colon = c.indexOf(':');
                taskCounts.put(str(c.substring(0, colon)), Integer.parseInt(c.substring(colon + 1)));
            }
        }
        Map<String, Map<String, String>> connectorConfigs = new HashMap<>();
        Map<String, TargetState> targetStates = new HashMap<>();
        Map<ConnectorTaskId, Map<String, String>> taskConfigs = new HashMap<>();
        for (Map.Entry<String, Integer> e : taskCounts.entrySet()) {
            connectorConfigs.put(e.getKey(), Collections.emptyMap());
            targetStates.put(e.getKey(), TargetState.STARTED);
            for (int i = 0; i < e.getValue(); i++) {
                taskConfigs.put(new ConnectorTaskId(e.getKey(), i), Collections.emptyMap());
            }
        }
        return new ClusterConfigState(offset, null, new HashMap<>(taskCounts), connectorConfigs, targetStates,
                taskConfigs, Collections.emptyMap(), Collections.emptyMap(), Collections.emptyMap(),
                Collections.emptySet(), Collections.emptySet());
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
