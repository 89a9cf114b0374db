enum ScopeAnalyzersPlaceholder {}
