// Tests for ScopeConfig.
