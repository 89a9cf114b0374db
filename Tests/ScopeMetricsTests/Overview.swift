// Tests for ScopeMetrics.
