# netns-pair.sh — sourced by the capture recipes: two throw-away network
# namespaces joined by a veth pair, and the cleanup that removes them.
#
# The caller sets ns_c, ns_s (namespace names), work (a temp dir) and pids
# (an array of background helpers to stop), then calls:
#   netns_pair_create DEV_C DEV_S MAC_C MAC_S
#   netns_pair_up DEV_C DEV_S ADDR_C ADDR_S   # e.g. 10.99.8.2/24 10.99.8.1/24
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

# Addresses, links (and each namespace's lo) up, and no offloads: real
# checksums and wire-sized segments in the capture.
netns_pair_up() {
    ip -n "$ns_c" addr add "$3" dev "$1"
    ip -n "$ns_s" addr add "$4" dev "$2"
    ip -n "$ns_c" link set lo up
    ip -n "$ns_s" link set lo up
    ip -n "$ns_c" link set "$1" up
    ip -n "$ns_s" link set "$2" up
    ip netns exec "$ns_c" ethtool -K "$1" tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec "$ns_s" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
}
