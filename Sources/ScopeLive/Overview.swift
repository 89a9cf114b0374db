// ScopeLive: what the live commands (watch, agent) build over analyzer
// events, kept free of DPDK so it is tested without a primary.
