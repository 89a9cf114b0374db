// Tests for ScopeLive.
