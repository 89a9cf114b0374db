// ScopeConfig: the agent's YAML configuration (Yams), its validation with
// key paths, and the commented reference config.
