package io.kop.coordinator;

import java.util.Map;

/** A coordinator's per-group configs: checks new ones and applies a group's. */
public interface GroupConfigTarget {
    /** The configs as the coordinator stores them, or INVALID_CONFIG naming the first it refuses. */
    Map<String, String> validate(Map<String, String> configs);

    /** From now on the group uses {@code configs} (empty: the broker's settings). */
    void apply(String groupId, Map<String, String> configs);
}
