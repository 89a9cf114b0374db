enum ScopePcapPlaceholder {}
