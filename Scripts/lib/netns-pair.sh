# netns-pair.sh — sourced by the capture recipes: two throw-away network
# namespaces joined by a veth pair, and the cleanup that removes them.
#
# The caller sets ns_c, ns_s (namespace names), work (a temp dir) and pids
# (an array of background helpers to stop), then calls:
#   netns_pair_create DEV_C DEV_S MAC_C MAC_S
# Fixed MACs keep recorded captures stable from one regeneration to the next.

netns_pair_cleanup() {
    # Helpers first, so the namespaces can go away cleanly.
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$ns_c" 2>/dev/null || true
    ip netns del "$ns_s" 2>/dev/null || true
    rm -rf "$work"
}

netns_pair_create() {
    trap netns_pair_cleanup EXIT
    # Left-overs from an interrupted run would make 'ip netns add' fail.
    ip netns del "$ns_c" 2>/dev/null || true
    ip netns del "$ns_s" 2>/dev/null || true
    ip netns add "$ns_c"
    ip netns add "$ns_s"
    ip link add "$1" netns "$ns_c" address "$3" type veth peer name "$2" netns "$ns_s" address "$4"
}
